package org.tessera.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.TesseraException;
import org.tessera.nn.Linear;
import org.tessera.nn.ReLU;
import org.tessera.nn.Sequential;
import org.tessera.optim.Adam;
import org.tessera.testing.Requires;

/**
 * Faults on the shared OpenCL device, injected: out-of-memory (through the pool's limit) in the middle of a
 * training step, memory pressure from tensors nobody closed, and a program that fails to build.
 */
class FaultsTest {
    Device d;
    OpenClBackend be;

    @BeforeEach
    void device() {
        Requires.that(OpenClRuntime.unavailableReason() == null, "no OpenCL here: " + OpenClRuntime.unavailableReason());
        d = Device.of("opencl");
        be = (OpenClBackend) ((org.tessera.backend.HalfStaging) d.implementation()).inner();
    }

    @AfterEach
    void noLimit() {
        if (be != null) be.setMemoryLimit(Long.MAX_VALUE);
    }

    static Sequential model(Device d) {
        Rng rng = new Rng(3);
        return new Sequential(new Linear(64, 256, true, rng, d, DType.F32), new ReLU(), new Linear(256, 10, true, rng, d, DType.F32));
    }

    static void step(Sequential m, Adam opt, Tensor x, Tensor y) {
        try (Scope s = Scope.open()) {
            opt.zeroGrad();
            m.forward(x).crossEntropy(y).mean().backward();
            opt.step();
        }
    }

    static List<float[]> values(Sequential m) {
        List<float[]> v = new ArrayList<>();
        for (Tensor p : m.parameters()) v.add(p.toFloatArray());
        return v;
    }

    @Test
    void outOfMemoryInATrainingStepLeavesTheParametersAndTrainingGoesOnOnceMemoryIsFreed() {
        Sequential m = model(d);
        Tensor x = Tensor.randn(d, new Rng(4), 512, 64), y = Tensor.of(d, new int[512], 512);
        Adam opt = new Adam(m.parameters(), 1e-3);
        step(m, opt, x, y);                                     // optimiser state exists from here on
        List<float[]> before = values(m);
        be.trimPool();
        be.setMemoryLimit(be.memory().liveBytes() + (32 << 10)); // room for 32 KiB more: the step needs far more
        TesseraException e = assertThrows(TesseraException.class, () -> step(m, opt, x, y));
        // the first allocation past the cap fails: the transposed weight copy (64 KiB) or the activation (512 KiB)
        assertTrue(e.getMessage().contains("out of memory") && e.getMessage().matches("(?s).*could not allocate \\d+ bytes.*"), e.getMessage());
        assertTrue(e.getMessage().contains("tessera.opencl.memoryLimit"), e.getMessage());
        List<float[]> after = values(m);
        for (int i = 0; i < before.size(); i++) assertArrayEquals(before.get(i), after.get(i), "parameter " + i + " unchanged");
        be.setMemoryLimit(Long.MAX_VALUE);                     // memory is freed (here: the cap lifted)
        step(m, opt, x, y);
        assertFalse(java.util.Arrays.equals(before.get(0), m.parameters().get(0).toFloatArray()), "training goes on");
        assertEquals(2, opt.steps(0));
    }

    /** Tensors nobody closes: under memory pressure the pool runs the GC, whose Cleaners give their buffers back. */
    @Test
    void forgottenTensorsAreCollectedWhenTheDeviceRunsOutOfMemory() {
        Rng rng = new Rng(5);
        Tensor w = Tensor.randn(d, rng, 32, 64).mul(0.1).requiresGrad(true);
        Tensor x = Tensor.randn(d, rng, 16, 32);
        be.trimPool();
        long cap = be.memory().liveBytes() + (2 << 20);
        be.setMemoryLimit(cap);
        for (int step = 0; step < 2000; step++) {          // no Scope, no close(): every temporary is forgotten
            Tensor loss = x.matmul(w).tanh().pow(2).mean();
            loss.backward();
            try (var off = org.tessera.autograd.Autograd.noGrad()) {
                w.subi(w.grad().mul(0.01));
            }
            w.zeroGrad();
        }
        assertTrue(be.memory().liveBytes() <= cap, be.memory() + " within " + cap);
        assertTrue(Double.isFinite(w.sum().item()));
    }

    @Test
    void aProgramThatFailsToBuildCarriesItsLogAndTheBackendKeepsWorking() {
        String broken = "__kernel void k(__global float* x) { x[0] = no_such_name; }";
        TesseraException e = assertThrows(TesseraException.class, () -> be.programs().get("injected", broken, "-cl-std=CL1.2"));
        assertTrue(e.getMessage().contains("'injected' failed to build") && e.getMessage().contains("no_such_name"), e.getMessage());
        Tensor a = Tensor.of(d, new float[] {1, 2, 3}, 3);
        assertArrayEquals(new float[] {2, 4, 6}, a.add(a).toFloatArray(), "other programs still build and run");
        assertThrows(TesseraException.class, () -> be.programs().get("injected", broken, "-cl-std=CL1.2"), "a failure is not cached as a program");
    }
}
