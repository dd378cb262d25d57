package org.tessera.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Rng;
import org.tessera.backend.Buffer;
import org.tessera.backend.Strided;
import org.tessera.testing.Requires;

/**
 * Every member of gemm.cl's family the tuner may pick ({@link GemmConfig#searchSpace()}) against a naive
 * product, whatever device this is: the GPU shapes get checked on PoCL in CI. Sizes cut every tile edge; all
 * four transpose cases; alpha and beta both in play.
 */
class GemmKernelsTest {
    private static OpenClBackend backend;

    @BeforeAll
    static void needsOpenCl() {
        Requires.that(OpenClRuntime.unavailableReason() == null, "no OpenCL here: " + OpenClRuntime.unavailableReason());
        backend = new OpenClBackend(OpenClRuntime.devices().get(0), null, Long.MAX_VALUE);
    }

    @AfterAll
    static void close() {
        if (backend != null) backend.close();
    }

    static List<GemmConfig> configs() {
        String only = System.getProperty("tessera.test.gemmConfigs");   // the oclgrind run narrows it: "every Nth"
        List<GemmConfig> all = List.copyOf(GemmConfig.searchSpace());
        if (only == null) return all;
        int every = Integer.parseInt(only);
        return java.util.stream.IntStream.range(0, all.size()).filter(i -> i % every == 0).mapToObj(all::get).collect(Collectors.toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void matchesNaiveProduct(GemmConfig cfg) {
        ClDevice d = OpenClRuntime.devices().get(0);
        assumeTrue(cfg.fits(d.limits(), DType.F32), () -> cfg + " needs " + cfg.localBytes(DType.F32) + " B of local memory and "
                + cfg.workGroupSize() + " work-items per group; " + d.name() + " has " + d.limits().localMemory() + " B and "
                + d.limits().maxWorkGroupSize() + " (the tuner never picks it there)");
        int[][] sizes = {{1, 1, 1}, {cfg.tileM() + 3, 19, cfg.tileN() + 5}, {5, 2 * cfg.kt() + 1, 7}};
        for (int[] s : sizes) {
            for (int t = 0; t < 4; t++) check(cfg, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0);
        }
    }

    private static void check(GemmConfig cfg, int m, int k, int n, boolean transA, boolean transB) {
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = Rng.uniform32(1, i) - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = Rng.uniform32(2, i) - 0.5f;
        for (int i = 0; i < c.length; i++) c[i] = 1;
        Buffer ba = backend.allocate(DType.F32, a.length), bb = backend.allocate(DType.F32, b.length), bc = backend.allocate(DType.F32, c.length);
        try {
            backend.write(ba, a);
            backend.write(bb, b);
            backend.write(bc, c);
            Strided va = transA ? view(ba, k, m) : view(ba, m, k), vb = transB ? view(bb, n, k) : view(bb, k, n);
            backend.matmul(cfg, va, transA, vb, transB, view(bc, m, n), 2, 0.5);
            backend.read(new Strided(bc, new int[] {m * n}, new int[] {1}, 0), c);
        } finally {
            backend.release(ba);
            backend.release(bb);
            backend.release(bc);
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (double) (transB ? b[j * k + p] : b[p * n + j]);
                assertEquals(2 * s + 0.5, c[i * n + j], 1e-4, cfg + " m=" + m + " k=" + k + " n=" + n + " tA=" + transA + " tB=" + transB
                        + ": C[" + i + "," + j + "]");
            }
        }
    }

    private static Strided view(Buffer buf, int rows, int cols) {
        return new Strided(buf, new int[] {1, rows, cols}, new int[] {rows * cols, cols, 1}, 0);
    }
}
