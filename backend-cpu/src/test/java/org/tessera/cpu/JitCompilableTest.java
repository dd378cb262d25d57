package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.tessera.backend.Strided;

/**
 * Every GEMM micro-kernel must reach C2. A 12 x 32 kernel once failed C1's tier-3 OSR compile ("COMPILE SKIPPED: out of
 * virtual registers in linear scan") and then ran in tier-2 code at 2 GFLOP/s for the whole process. Whether that OSR
 * compile happens at tier 3 or directly at tier 4 depends on the compile queue, so the failure shows in roughly two of
 * three JVMs, not all, and in fewer when other kernels ran first: so each kernel runs alone, as in a real process (which
 * uses one), in three child JVMs with {@code -XX:+PrintCompilation}, and the test fails on any skipped compile of a
 * Tessera method and on a kernel whose {@code run} never got a tier-4 compile. No timing.
 */
class JitCompilableTest {

    private static final int CHILD_RUNS = 3;
    private static final Pattern TIER4_RUN = Pattern.compile("\\s4\\s+(org\\.tessera\\.cpu\\.\\w+)::run \\(");

    @Test
    void gemmKernelsReachC2WithNoSkippedCompile() throws Exception {
        for (int kernel = 0; kernel < GemmTest.kernels().size(); kernel++) {
            for (int run = 0; run < CHILD_RUNS; run++) checkOneChild(kernel);
        }
    }

    private static void checkOneChild(int kernel) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:+PrintCompilation",
                "-cp", System.getProperty("java.class.path"), JitCompilableTest.class.getName(), String.valueOf(kernel));
        // the JIT prints on stdout, the child's own lines go to stderr, each to a file: they cannot interleave, and
        // the timeout holds even if the child hangs (nothing blocks reading a pipe)
        Path jitLog = Files.createTempFile("tessera-jit", ".log"), childLog = Files.createTempFile("tessera-child", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(jitLog.toFile()).redirectError(childLog.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the child JVM did not finish in 120 s");
            }
            assertEquals(0, p.exitValue(), "the child JVM failed: " + Files.readString(childLog));
            List<String> child = Files.readAllLines(childLog);
            assertTrue(child.contains("products done"), "the child JVM did not run its products");
            List<String> skipped = new ArrayList<>(), reachedC2 = new ArrayList<>();
            for (String line : Files.readAllLines(jitLog)) {
                // "concurrent class loading" is a benign retry, not a method C1 or C2 cannot compile
                if (line.contains("org.tessera") && line.contains("COMPILE SKIPPED")
                        && !line.contains("concurrent class loading")) skipped.add(line.trim());
                Matcher m = TIER4_RUN.matcher(line);
                if (m.find() && !line.contains("made not entrant")) reachedC2.add(m.group(1));
            }
            assertTrue(skipped.isEmpty(), "compiles skipped:\n" + String.join("\n", skipped));
            String name = GemmTest.kernels().get(kernel).getClass().getName();
            assertTrue(reachedC2.contains(name), name + ".run never got a tier-4 (C2) compile");
        } finally {
            Files.deleteIfExists(jitLog);
            Files.deleteIfExists(childLog);
        }
    }

    private static Strided matrix(int rows, int cols) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) d[i] = (i % 13) * 0.1f;
        return GemmTest.matrix(d, 1, rows, cols, 0);
    }

    /** The child: kernel {@code args[0]} of GemmTest's list, every operand layout, long enough for C2 (~1 s). */
    public static void main(String[] args) {
        Warmup.start(); // the rest of the backend's Vector API code compiles alongside, as in a real process
        Gemm gemm = new Gemm(new Parallel(2), GemmTest.kernels().get(Integer.parseInt(args[0])));
        int m = 130, k = 512, n = 200;
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            Strided a = ta ? matrix(k, m) : matrix(m, k), b = tb ? matrix(n, k) : matrix(k, n), c = matrix(m, n);
            for (int i = 0; i < 150; i++) gemm.matmul(a, ta, b, tb, c, i % 2 == 0 ? 1 : 0.5, i % 3 == 0 ? 1 : 0);
        }
        System.err.println("products done");
    }
}
