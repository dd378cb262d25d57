package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.Rng;
import org.tessera.backend.Strided;

/**
 * The Vector API kernels give bit-identical products: each element of C is the same chain of fused multiply-adds (C's
 * value or zero, then k in order) whatever the tile shape, the edge tiles included, so that {@link KernelPromotion}
 * switching kernels mid-training changes its speed and nothing else. Sizes cut every tile edge of all three kernels
 * (rows not a multiple of 4, 8 or 12, columns not of NR), several k blocks (KC 64 here), and every beta path.
 */
class KernelAgreementTest {

    static List<Object[]> cases() {
        int[][] sizes = {{1, 1, 1}, {13, 7, 5}, {100, 256, 150}, {37, 300, 70}, {25, 129, 33}, {12, 64, 32}, {1, 200, 90}, {90, 200, 1}};
        List<Object[]> out = new ArrayList<>();
        for (int[] s : sizes) {
            for (int t = 0; t < 4; t++) {
                for (double beta : new double[] {0, 1, 0.5}) out.add(new Object[] {s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, beta});
            }
        }
        return out;
    }

    private static float[] product(MicroKernel kernel, float[] a, float[] b, float[] c0, int m, int k, int n, boolean transA, boolean transB, double beta) {
        float[] c = c0.clone();
        Strided av = transA ? GemmTest.matrix(a, 1, k, m, 0) : GemmTest.matrix(a, 1, m, k, 0);
        Strided bv = transB ? GemmTest.matrix(b, 1, n, k, 0) : GemmTest.matrix(b, 1, k, n, 0);
        // KC 64, MC 48: several k blocks (C accumulated across them) and several row blocks per product
        new Gemm(new Parallel(2), kernel, 64, 48).matmul(av, transA, bv, transB, GemmTest.matrix(c, 1, m, n, 0), 1.5, beta);
        return c;
    }

    @ParameterizedTest(name = "m={0} k={1} n={2} tA={3} tB={4} beta={5}")
    @MethodSource("cases")
    void vectorKernelsAgreeToTheBit(int m, int k, int n, boolean transA, boolean transB, double beta) {
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = Rng.uniform32(11, i) - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = Rng.uniform32(12, i) - 0.5f;
        for (int i = 0; i < c.length; i++) c[i] = Rng.uniform32(13, i) - 0.5f;
        float[] reference = product(new SimdKernel8x2(), a, b, c, m, k, n, transA, transB, beta);
        for (MicroKernel other : new MicroKernel[] {new SimdKernel12x2(), new SimdKernel4x2()}) {
            float[] got = product(other, a, b, c, m, k, n, transA, transB, beta);
            assertArrayEquals(reference, got, other.getClass().getSimpleName() + " differs from SimdKernel8x2");
        }
    }

    /** The check above is not vacuous: summing in another order (a 64-deep block first) does change some bits. */
    @Test
    void anotherSummationOrderChangesTheBits() {
        int m = 37, k = 300, n = 70;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = Rng.uniform32(11, i) - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = Rng.uniform32(12, i) - 0.5f;
        float[] blocked = product(new SimdKernel8x2(), a, b, c, m, k, n, false, false, 0);
        int differ = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int q = k - 1; q >= 0; q--) s = Math.fma(1.5f * a[i * k + q], b[q * n + j], s);    // k reversed
                if (s != blocked[i * n + j]) differ++;
                assertEquals(s, blocked[i * n + j], 1e-3f);
            }
        }
        assertTrue(differ > 0, "a reversed sum matched every element: the agreement test could not tell orders apart");
    }
}
