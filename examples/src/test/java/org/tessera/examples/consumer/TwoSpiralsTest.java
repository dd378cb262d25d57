package org.tessera.examples.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tessera.Device;

/** The artifacts work from outside the reactor: the CPU backend is found at run time and the model learns. */
class TwoSpiralsTest {
    @Test
    void theCpuBackendIsFoundAndTheSpiralsAreLearnt() {
        Device cpu = Device.of("cpu");
        assertEquals("cpu", cpu.backend());
        double accuracy = TwoSpirals.train(cpu, 600);
        assertTrue(accuracy > 0.95, "training accuracy " + accuracy);
    }
}
