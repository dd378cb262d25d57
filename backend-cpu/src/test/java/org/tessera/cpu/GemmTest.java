package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Rng;
import org.tessera.backend.Strided;

/** The blocked GEMM against a naive double-precision product, for every micro-kernel, at sizes that cut every block edge. */
class GemmTest {

    /** backend-cpu's pom runs this class a second time with 256-bit vectors; this checks that it really did. */
    @Test
    void runsWithTheVectorWidthThePomAskedFor() {
        String bits = System.getProperty("tessera.test.vectorBits");
        if (bits != null) assertEquals(Integer.parseInt(bits), FloatVector.SPECIES_PREFERRED.vectorBitSize());
    }

    /** Every micro-kernel the backend can pick: the one list this test and {@link JitCompilableTest} run. */
    static List<MicroKernel> kernels() {
        return List.of(new ScalarMicroKernel(), new SimdKernel4x2(), new SimdKernel8x2(), new SimdKernel12x2());
    }

    static List<Object[]> cases() {
        int[][] sizes = {{1, 1, 1}, {7, 13, 5}, {6, 32, 1}, {130, 600, 70}, {121, 515, 2049}, {3, 1100, 40}, {300, 40, 300}, {1, 300, 70}, {50, 1, 90}, {200, 600, 1}, {1, 5000, 1},
                // fewer rows than columns (each thread packs its own panels of B): several k blocks, several NC blocks
                {40, 2100, 300}, {20, 40, 4200}};
        List<Object[]> out = new ArrayList<>();
        for (MicroKernel k : kernels()) {
            for (int[] s : sizes) {
                for (int t = 0; t < 4; t++) out.add(new Object[] {k, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, t == 0 ? 0.0 : t == 3 ? 1.0 : 0.5});
            }
        }
        return out;
    }

    private static float[] random(int n, long seed) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Rng.uniform32(seed, i) - 0.5f;
        return v;
    }

    static Strided matrix(float[] data, int batch, int rows, int cols, int batchStride) {
        return new Strided(new CpuBuffer(DType.F32, data, data.length), new int[] {batch, rows, cols},
                new int[] {batchStride, cols, 1}, 0);
    }

    @ParameterizedTest(name = "{0} m={1} k={2} n={3} tA={4} tB={5} beta={6}")
    @MethodSource("cases")
    void matchesNaiveProduct(MicroKernel kernel, int m, int k, int n, boolean transA, boolean transB, double beta) {
        int batch = 2;
        float[] a = random(batch * m * k, 1), b = random(k * n, 2);    // b is shared by the batch (stride 0)
        float[] c = new float[batch * m * n];
        for (int i = 0; i < c.length; i++) c[i] = 1;                    // beta scales what C held
        Strided av = transA ? matrix(a, batch, k, m, m * k) : matrix(a, batch, m, k, m * k);
        Strided bv = transB ? matrix(b, 1, n, k, 0) : matrix(b, 1, k, n, 0);
        bv = new Strided(bv.buffer(), new int[] {batch, bv.shape()[1], bv.shape()[2]}, bv.strides(), 0);
        Strided cv = matrix(c, batch, m, n, m * n);
        new Gemm(new Parallel(2), kernel).matmul(av, transA, bv, transB, cv, 2.0, beta);
        for (int p = 0; p < batch; p++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) {
                        double x = transA ? a[p * m * k + q * m + i] : a[p * m * k + i * k + q];
                        double y = transB ? b[j * k + q] : b[q * n + j];
                        s += x * y;
                    }
                    double expected = 2 * s + beta;
                    assertEquals(expected, c[p * m * n + i * n + j], 1e-4 * Math.max(1, Math.sqrt(k)),
                            "C[" + p + "," + i + "," + j + "]");
                }
            }
        }
    }
}
