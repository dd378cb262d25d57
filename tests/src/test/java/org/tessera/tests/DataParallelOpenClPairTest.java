package org.tessera.tests;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.testing.Requires;

/**
 * {@link DataParallelTest}'s central check on two OpenCL devices: after 20 steps on {@code opencl:0,opencl:1} the
 * parameters equal one OpenCL device's with the whole batch. PoCL exposes two devices with
 * {@code POCL_DEVICES="pthread pthread"}, set by this class's own surefire execution (tests/pom.xml); the other
 * executions leave it out, as one PoCL device is all they have.
 */
class DataParallelOpenClPairTest {
    @Test
    void twoOpenClReplicasMatchOneDevice() {
        List<Device> opencl = Device.available().stream().filter(d -> d.backend().equals("opencl")).toList();
        Requires.that(opencl.size() >= 2, "two OpenCL devices (with PoCL: POCL_DEVICES=\"pthread pthread\"); found " + opencl);
        DataParallelTest.assertMatchesOneDevice(opencl.subList(0, 2), opencl.get(0), DType.F32, 64, 1e-5);
    }
}
