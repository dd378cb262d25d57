package org.tessera.tests;

import org.junit.jupiter.api.Test;
import org.tessera.testing.Requires;

/** The conformance suite runs on every available device; without an OpenCL one it quietly checks the CPU alone. */
class SuiteDevicesTest {
    @Test
    void anOpenClDeviceIsInTheSuite() {
        Requires.that(Devices.all().anyMatch(d -> d.backend().equals("opencl")),
                "no OpenCL device: the conformance suite ran on the CPU backend only (on Debian/Ubuntu: apt-get install "
                        + "ocl-icd-libopencl1 ocl-icd-opencl-dev pocl-opencl-icd, or a GPU vendor's driver)");
    }
}
