package org.tessera.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Rng;
import org.tessera.backend.Buffer;
import org.tessera.backend.Strided;

/**
 * Both gemm.cl kernels against a naive product, whichever one this device would pick: the tiled kernel is
 * what GPUs run, and PoCL in CI is where it gets checked. Sizes cut every tile edge; all transpose cases.
 */
class GemmKernelsTest {

    @BeforeAll
    static void needsOpenCl() {
        assumeTrue(OpenClRuntime.unavailableReason() == null, () -> "no OpenCL here: " + OpenClRuntime.unavailableReason());
    }

    static List<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        int[][] sizes = {{1, 1, 1}, {5, 7, 3}, {33, 65, 31}, {64, 32, 64}, {70, 100, 130}};
        for (String kernel : List.of("gemm", "gemm_tiled")) {
            for (int[] s : sizes) for (int t = 0; t < 4; t++) out.add(new Object[] {kernel, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0});
        }
        return out;
    }

    @ParameterizedTest(name = "{0} m={1} k={2} n={3} tA={4} tB={5}")
    @MethodSource("cases")
    void matchesNaiveProduct(String kernel, int m, int k, int n, boolean transA, boolean transB) {
        OpenClBackend be = new OpenClBackend(OpenClRuntime.devices().get(0), kernel);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = Rng.uniform32(1, i) - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = Rng.uniform32(2, i) - 0.5f;
        for (int i = 0; i < c.length; i++) c[i] = 1;
        Buffer ba = be.allocate(DType.F32, a.length), bb = be.allocate(DType.F32, b.length), bc = be.allocate(DType.F32, c.length);
        be.write(ba, a);
        be.write(bb, b);
        be.write(bc, c);
        Strided va = transA ? view(ba, k, m) : view(ba, m, k), vb = transB ? view(bb, n, k) : view(bb, k, n);
        be.matmul(va, transA, vb, transB, view(bc, m, n), 2, 0.5);
        be.read(new Strided(bc, new int[] {m * n}, new int[] {1}, 0), c);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (double) (transB ? b[j * k + p] : b[p * n + j]);
                assertEquals(2 * s + 0.5, c[i * n + j], 1e-4, kernel + " C[" + i + "," + j + "]");
            }
        }
    }

    private static Strided view(Buffer buf, int rows, int cols) {
        return new Strided(buf, new int[] {1, rows, cols}, new int[] {rows * cols, cols, 1}, 0);
    }
}
