package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/** Dropout masks from the Philox stream: identical on every device for one seed, unbiased, differentiable. */
class DropoutTest {

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void theMaskIsTheCpuMaskAndFollowsTheUniformStream(Device d, DType t) {
        int n = 10_007;                                   // past several work-groups, not a multiple of any
        Tensor x = Tensor.rand(Device.cpu(), t, new Rng(5), n).add(1);   // no zeros: a zero output means dropped
        double p = 0.3;
        Tensor y = x.to(d).dropout(p, new Rng(42));
        Tensor ref = x.dropout(p, new Rng(42));
        assertArrayEquals(ref.toDoubleArray(), y.toDoubleArray(), "device " + d + " and the CPU keep the same elements");
        // element i is kept exactly when uniform number i of the same seed is >= p
        double[] u = Tensor.rand(Device.cpu(), t, new Rng(42), n).toDoubleArray(), xv = x.toDoubleArray(), yv = y.toDoubleArray();
        double scale = t == DType.F32 ? (float) (1 / (1 - p)) : 1 / (1 - p);
        int kept = 0;
        for (int i = 0; i < n; i++) {
            boolean keep = t == DType.F32 ? (float) u[i] >= (float) p : u[i] >= p;
            double expected = t == DType.F32 ? (double) ((float) xv[i] * (float) scale) : xv[i] * scale;
            assertEquals(keep ? expected : 0, yv[i], 0, "element " + i);
            if (keep) kept++;
        }
        assertEquals(0.7, kept / (double) n, 0.02, "share kept");
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void gradientIsTheMaskAndTheRngAdvances(Device d, DType t) {
        Tensor x = Tensor.full(d, t, 2, 4, 50).requiresGrad(true);
        Rng rng = new Rng(7);
        Tensor y = x.dropout(0.5, rng);
        assertEquals(200, rng.counter(), "the Rng advances by numel");
        y.sum().backward();
        double[] yv = y.toDoubleArray(), gv = x.grad().toDoubleArray();
        for (int i = 0; i < yv.length; i++) assertEquals(yv[i] == 0 ? 0 : 2, gv[i], 0, "gradient " + i);
        assertArrayEquals(new int[] {4, 50}, x.grad().shape());
        // a second call draws new numbers: a different mask
        Tensor y2 = x.detach().dropout(0.5, rng);
        assertTrue(!java.util.Arrays.equals(yv, y2.toDoubleArray()));
        // a transposed (non-contiguous) input: element i of its row-major order takes counter i
        Tensor base = Tensor.rand(d, t, new Rng(3), 3, 5).add(1);
        assertArrayEquals(base.t().contiguous().dropout(0.4, new Rng(9)).toDoubleArray(), base.t().dropout(0.4, new Rng(9)).toDoubleArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void edgeProbabilitiesAndBadInput(Device d) {
        Tensor x = Tensor.of(d, new float[] {1, -2, 3}, 3);
        assertArrayEquals(new float[] {1, -2, 3}, x.dropout(0, new Rng(1)).toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0}, x.dropout(1, new Rng(1)).toFloatArray(), 0f);   // -2 * 0 is -0, as in PyTorch
        assertEquals(0, Tensor.zeros(d, 0, 3).dropout(0.5, new Rng(1)).numel());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.dropout(1.5, new Rng(1)));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> x.dropout(Double.NaN, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(d, new int[] {1, 2}, 2).dropout(0.5, new Rng(1)));
    }
}
