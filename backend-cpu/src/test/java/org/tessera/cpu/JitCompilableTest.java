package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.backend.Strided;

/**
 * Every GEMM micro-kernel must reach C2. A 12 x 32 kernel once failed C1's tier-3 OSR compile ("COMPILE SKIPPED: out of
 * virtual registers in linear scan") and then ran in tier-2 code at 2 GFLOP/s for the whole process. Whether that OSR
 * compile happens at tier 3 or directly at tier 4 depends on the compile queue, so the failure shows in roughly two of
 * three JVMs, not all: this runs the products in three child JVMs with {@code -XX:+PrintCompilation} and fails on any
 * skipped compile of a Tessera method and on any kernel whose {@code run} never got a tier-4 compile. No timing.
 */
class JitCompilableTest {

    private static final int CHILD_RUNS = 3;
    private static final Pattern TIER4_RUN = Pattern.compile("\\s4\\s+(org\\.tessera\\.cpu\\.\\w+)::run \\(");

    @Test
    void gemmKernelsReachC2WithNoSkippedCompile() throws Exception {
        for (int run = 0; run < CHILD_RUNS; run++) checkOneChild();
    }

    private static void checkOneChild() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:+PrintCompilation",
                "-cp", System.getProperty("java.class.path"), JitCompilableTest.class.getName());
        // the child's own lines go to stderr (a file), so the JIT's prints on stdout cannot interleave with them
        Path childLog = Files.createTempFile("tessera-jit", ".log");
        Process p = new ProcessBuilder(cmd).redirectError(childLog.toFile()).start();
        List<String> skipped = new ArrayList<>(), kernels = new ArrayList<>(), reachedC2 = new ArrayList<>();
        boolean done = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                // "concurrent class loading" is a benign retry, not a method C1 or C2 cannot compile
                if (line.contains("org.tessera") && line.contains("COMPILE SKIPPED")
                        && !line.contains("concurrent class loading")) skipped.add(line.trim());
                Matcher m = TIER4_RUN.matcher(line);
                if (m.find() && !line.contains("made not entrant")) reachedC2.add(m.group(1));
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        for (String line : Files.readAllLines(childLog)) {
            if (line.startsWith("kernel ")) kernels.add(line.substring(7).trim());
            if (line.equals("products done")) done = true;
        }
        Files.delete(childLog);
        assertEquals(0, p.exitValue(), "the child JVM failed");
        assertTrue(done, "the child JVM did not run its products");
        assertTrue(skipped.isEmpty(), "compiles skipped:\n" + String.join("\n", skipped));
        for (String k : kernels) assertTrue(reachedC2.contains(k), k + ".run never got a tier-4 (C2) compile");
    }

    private static Strided matrix(int rows, int cols) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (i % 13) * 0.1f;
        return new Strided(new CpuBuffer(DType.F32, d, d.length), new int[] {1, rows, cols}, new int[] {0, cols, 1}, 0);
    }

    /** The child: every kernel, every operand layout, long enough for C1 and C2 to compile them (~2 s). */
    public static void main(String[] args) {
        Warmup.start(); // the rest of the backend's Vector API code compiles alongside, as in a real process
        List<MicroKernel> kernels = new ArrayList<>();
        if (SimdSupport.available()) kernels.addAll(List.of(new SimdKernel4x2(), new SimdKernel8x2()));
        kernels.add(new ScalarMicroKernel());
        Parallel pool = new Parallel(2);
        int m = 130, k = 512, n = 200;
        for (MicroKernel kernel : kernels) {
            System.err.println("kernel " + kernel.getClass().getName());
            Gemm gemm = new Gemm(pool, kernel);
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                Strided a = ta ? matrix(k, m) : matrix(m, k), b = tb ? matrix(n, k) : matrix(k, n), c = matrix(m, n);
                for (int i = 0; i < 150; i++) gemm.matmul(a, ta, b, tb, c, i % 2 == 0 ? 1 : 0.5, i % 3 == 0 ? 1 : 0);
            }
        }
        System.err.println("products done");
    }
}
