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
}
