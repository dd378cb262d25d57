package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tessera.Rng;

/**
 * The Vector API row kernels against the portable ones on every row length from 1 to 40 (every tail: scalar rows
 * shorter than a vector, overlapping last vectors) and on long rows, at offsets inside a larger array, with the
 * elements around each row left untouched; and NaN and infinities through the reductions.
 */
class RowKernelsTest {
    private final RowKernels simd = SimdSupport.rows(), scalar = new ScalarRows();

    private static float[] data(int n, long seed) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = 6 * Rng.uniform32(seed, i) - 3;
        return x;
    }

    @Test
    void vectorRowsAgreeWithScalarRowsForEveryLength() {
        assertTrue(simd instanceof SimdRows, "this suite runs with the Vector API module");
        float[] x = data(20000, 1), g = data(20000, 2);
        for (int n : new int[] {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 23, 31, 33, 40, 100, 1000, 1025, 4096}) {
            int off = 3;
            String at = "n=" + n;
            assertEquals(scalar.sum(x, off, n), simd.sum(x, off, n), 1e-5 * n, at);
            assertEquals(scalar.max(x, off, n), simd.max(x, off, n), 0f, at);
            float max = scalar.max(x, off, n);
            double se = scalar.sumExp(x, off, n, max);
            assertEquals(se, simd.sumExp(x, off, n, max), 1e-6 * se, at);
            assertEquals(scalar.dot(x, off, g, off, n), simd.dot(x, off, g, off, n), 1e-5 * n, at);
            float[] a = new float[n + 8], b = new float[n + 8];
            java.util.Arrays.fill(a, 7f);
            java.util.Arrays.fill(b, 7f);
            scalar.expScaled(x, off, n, max, 0.5f, a, 4);
            simd.expScaled(x, off, n, max, 0.5f, b, 4);
            close(a, b, 4e-7f, 0, at + " expScaled");
            scalar.subExpScaled(g, off, x, off, 0.25f, a, 4, n);
            simd.subExpScaled(g, off, x, off, 0.25f, b, 4, n);
            close(a, b, 4e-7f, 2e-6f, at + " subExpScaled");      // g - exp(y) s cancels: the exp's error is absolute
            scalar.mulShifted(x, off, g, off, 0.3f, a, 4, n);
            simd.mulShifted(x, off, g, off, 0.3f, b, 4, n);
            close(a, b, 0, 0, at + " mulShifted");
            scalar.subtract(x, off, n, max, 1.5f, a, 4);
            simd.subtract(x, off, n, max, 1.5f, b, 4);
            close(a, b, 0, 0, at + " subtract");
            float[] u = new float[n], ma = new float[n + 8], mb = new float[n + 8];
            for (int i = 0; i < n; i++) u[i] = (i * 37 % 101) / 101f;       // some exactly at p: kept, as u >= p
            java.util.Arrays.fill(ma, 7f);
            java.util.Arrays.fill(mb, 7f);
            scalar.dropout(u, 20 / 101f, 1.25f, x, off, ma, 4, a, 4, n);
            simd.dropout(u, 20 / 101f, 1.25f, x, off, mb, 4, b, 4, n);
            close(ma, mb, 0, 0, at + " dropout mask");
            close(a, b, 0, 0, at + " dropout output");
            double[] ca = new double[n], cb = new double[n];
            scalar.columnSums(x, off, n + 1, 3, n, ca);
            simd.columnSums(x, off, n + 1, 3, n, cb);
            for (int j = 0; j < n; j++) assertEquals(ca[j], cb[j], 1e-5, at + " column " + j);
        }
    }

    /** Equal within {@code rel} relative plus {@code abs} error inside [4, length - 4), and 7 (untouched) outside. */
    private static void close(float[] a, float[] b, float rel, float abs, String what) {
        for (int i = 0; i < a.length; i++) {
            if (i < 4 || i >= a.length - 4) {
                assertEquals(7f, b[i], 0f, what + ": element " + i + " outside the row was written");
                continue;
            }
            assertEquals(a[i], b[i], rel * Math.abs(a[i]) + abs + 1e-30f, what + ": element " + i);
        }
    }

    @Test
    void nanAndInfinityPropagateThroughTheReductions() {
        for (int n : new int[] {5, 8, 13, 40}) {
            float[] x = data(n, 3);
            x[n / 2] = Float.NaN;
            assertTrue(Float.isNaN(simd.max(x, 0, n)), "max of a row with NaN, n=" + n);
            assertTrue(Double.isNaN(simd.sum(x, 0, n)));
            assertTrue(Double.isNaN(simd.sumExp(x, 0, n, 0)));
            x[n / 2] = Float.POSITIVE_INFINITY;
            assertEquals(Float.POSITIVE_INFINITY, simd.max(x, 0, n));
            assertTrue(Double.isNaN(simd.sumExp(x, 0, n, Float.POSITIVE_INFINITY)), "inf - inf");
            x[n / 2] = Float.NEGATIVE_INFINITY;
            assertEquals(scalar.sumExp(x, 0, n, 1f), simd.sumExp(x, 0, n, 1f), 1e-5, "exp(-inf) = 0");
        }
    }
}
