package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.Device;
import org.tessera.Scope;
import org.tessera.Tensor;

class ScopeAndMemoryTest {

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void scopeClosesWhatWasCreatedInsideExceptKeptTensors(Device d) {
        Tensor w = Tensor.ones(d, 3).requiresGrad(true);   // outside: owned by the caller
        Tensor kept, dropped;
        try (Scope outer = Scope.open()) {
            Tensor moved;
            try (Scope s = Scope.open()) {
                dropped = w.mul(2);
                Tensor loss = dropped.sum();
                loss.backward();
                kept = s.keep(loss);
                moved = kept;
            }
            assertTrue(dropped.isClosed());
            assertFalse(moved.isClosed(), "kept tensors move to the outer scope");
        }
        assertTrue(kept.isClosed(), "the outer scope closes what was kept into it");
        assertFalse(w.isClosed());
        assertNotNull(w.grad());
        assertFalse(w.grad().isClosed(), "a leaf's gradient belongs to the leaf, not to the scope");
        assertArrayEquals(new float[] {2, 2, 2}, w.grad().toFloatArray());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void viewsKeepStorageAliveAfterTheBaseIsClosed(Device d) {
        Tensor base = Tensor.of(d, new float[] {1, 2, 3, 4}, 2, 2);
        Tensor view = base.t();
        base.close();
        assertArrayEquals(new float[] {1, 3, 2, 4}, view.toFloatArray());
        view.close();
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void savedTensorsOutliveTheirUserHandles(Device d) {
        Tensor x = Tensor.of(d, new double[] {0.5, -1}).requiresGrad(true);
        Tensor y;
        try (Scope s = Scope.open()) {
            Tensor t = x.tanh();                          // saved by tanh as its output, then closed by the scope
            y = s.keep(t.mul(t).sum());
        }
        y.backward();
        double t0 = Math.tanh(0.5), t1 = Math.tanh(-1);
        assertArrayEquals(new double[] {2 * t0 * (1 - t0 * t0), 2 * t1 * (1 - t1 * t1)}, x.grad().toDoubleArray(), 1e-15);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void scopesCloseInnermostFirst(Device d) {
        Scope outer = Scope.open();
        Scope inner = Scope.open();
        assertThrows(IllegalStateException.class, outer::close);
        inner.close();
        outer.close();
    }

    /**
     * A training step in steady state allocates nothing new: with a scope per step, the device's live buffers do
     * not grow and live + pooled bytes stay exactly equal (every temporary comes from and goes back to the pool).
     * Live counts may only fall: the garbage-collector safety net can release other tests' forgotten tensors.
     */
    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void aTrainingStepInSteadyStateAllocatesNothingNew(Device d) {
        org.tessera.Rng rng = new org.tessera.Rng(1);
        Tensor w1 = Tensor.randn(d, rng, 300, 20).mul(0.1).requiresGrad(true), b1 = Tensor.zeros(d, 20).requiresGrad(true);
        Tensor w2 = Tensor.randn(d, rng, 20, 4).mul(0.1).requiresGrad(true);
        Tensor x = Tensor.randn(d, rng, 256, 300);
        Tensor labels = Tensor.of(d, new int[256], 256);
        org.tessera.backend.MemoryStats[] at = new org.tessera.backend.MemoryStats[2];
        try (org.tessera.optim.Adam opt = new org.tessera.optim.Adam(java.util.List.of(w1, b1, w2), 1e-3)) {
            for (int step = 1; step <= 60; step++) {
                try (Scope s = Scope.open()) {
                    opt.zeroGrad();
                    Tensor h = x.matmul(w1).add(b1).relu().dropout(0.2, rng);
                    h.matmul(w2).crossEntropy(labels).mean().backward();
                    opt.step();
                }
                d.synchronize();
                if (step == 5) at[0] = d.memory();
                if (step == 60) at[1] = d.memory();
            }
        }
        assertTrue(at[1].liveBuffers() <= at[0].liveBuffers(), "live buffers grew: " + at[0] + " -> " + at[1]);
        org.junit.jupiter.api.Assertions.assertEquals(at[0].liveBytes() + at[0].pooledBytes(), at[1].liveBytes() + at[1].pooledBytes(),
                "bytes held grew: " + at[0] + " -> " + at[1]);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void closeReturnsMemoryThroughTheCounters(Device d) {
        org.tessera.backend.MemoryStats before = d.memory();
        Tensor t = Tensor.zeros(d, 1000, 100);
        org.tessera.backend.MemoryStats live = d.memory();
        org.junit.jupiter.api.Assertions.assertEquals(before.liveBuffers() + 1, live.liveBuffers());
        assertTrue(live.liveBytes() - before.liveBytes() >= 400_000, before + " -> " + live);
        t.close();
        org.tessera.backend.MemoryStats after = d.memory();
        org.junit.jupiter.api.Assertions.assertEquals(before.liveBuffers(), after.liveBuffers());
        org.junit.jupiter.api.Assertions.assertEquals(before.liveBytes(), after.liveBytes());
    }
}
