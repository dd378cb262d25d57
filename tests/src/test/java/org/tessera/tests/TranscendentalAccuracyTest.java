package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;

/**
 * F32 exp, tanh and sigmoid over their whole useful range against the same inputs in F64, on every device: the
 * CPU backend's own vector polynomials (VectorMath, in the Vector API execution) and the OpenCL built-ins. Also
 * the special values.
 */
class TranscendentalAccuracyTest {
    static final int N = 1 << 20;

    /** Evenly spaced F32 points in [lo, hi]. */
    static float[] grid(double lo, double hi) {
        float[] v = new float[N];
        for (int i = 0; i < N; i++) v[i] = (float) (lo + (hi - lo) * i / (N - 1));
        return v;
    }

    static void check(Device d, String name, Function<Tensor, Tensor> f, double lo, double hi, double relTol) {
        float[] in = grid(lo, hi);
        float[] got = f.apply(Tensor.of(d, in, N)).toFloatArray();
        double[] ref = f.apply(Tensor.of(Device.cpu(), in, N).to(DType.F64)).toDoubleArray();
        double worst = 0;
        int at = 0;
        for (int i = 0; i < N; i++) {
            double err = Math.abs(got[i] - ref[i]) / Math.max(Math.abs(ref[i]), Float.MIN_NORMAL);
            if (!(err <= worst)) { worst = err; at = i; }
        }
        assertTrue(worst <= relTol, name + " on " + d + ": relative error " + worst + " at x = " + in[at] + " (got " + got[at] + ", exact "
                + ref[at] + ")");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void withinAFewUlpsOverTheWholeRange(Device d) {
        double ulps6 = 6 * Math.ulp(1f) / 2;              // relative size of 6 units in the last place (OpenCL allows tanh 5)
        check(d, "exp", Tensor::exp, -87, 88, ulps6);
        check(d, "exp near 0", Tensor::exp, -1e-3, 1e-3, ulps6);
        check(d, "tanh", Tensor::tanh, -12, 12, ulps6);
        check(d, "tanh near 0", Tensor::tanh, -0.7, 0.7, ulps6);
        check(d, "sigmoid", Tensor::sigmoid, -80, 30, ulps6);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void specialValues(Device d) {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        // 16 values, so the CPU's vector path (not the scalar tail) meets them
        float[] x = {nan, inf, -inf, 0f, -0f, 100f, -100f, 1e-30f, -1e-30f, 88.8f, -88f, 9f, -9f, 20f, 0.625f, -0.625f};
        Tensor t = Tensor.of(d, x, 16);
        float[] e = t.exp().toFloatArray(), th = t.tanh().toFloatArray(), sg = t.sigmoid().toFloatArray();
        assertTrue(Float.isNaN(e[0]) && Float.isNaN(th[0]) && Float.isNaN(sg[0]), "NaN stays NaN");
        assertArrayEquals(new float[] {inf, 0f, 1f, 1f, inf}, new float[] {e[1], e[2], e[3], e[4], e[5]});
        assertTrue(e[6] >= 0 && e[6] < 1e-40f, "exp(-100) = 3.7e-44: subnormal, or 0 where results flush: " + e[6]);
        assertArrayEquals(new float[] {1f, -1f, 0f, 1f, -1f, 1e-30f, -1e-30f, 1f, -1f}, new float[] {th[1], th[2], th[3], th[5], th[6], th[7], th[8], th[13],
            -th[13]});
        assertTrue(Float.floatToRawIntBits(th[4]) == Float.floatToRawIntBits(-0f), "tanh(-0) = -0");
        assertArrayEquals(new float[] {1f, 0f, 0.5f, 1f}, new float[] {sg[1], sg[2], sg[3], sg[5]});
        assertTrue(sg[6] >= 0 && sg[6] < 1e-40f, "sigmoid(-100) = 3.7e-44: subnormal, or 0 where e^100 overflows first: " + sg[6]);
    }
}
