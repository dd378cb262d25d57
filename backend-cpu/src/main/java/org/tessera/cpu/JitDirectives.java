package org.tessera.cpu;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HotSpot compiler directives added from inside the process, through the DiagnosticCommand MBean (what
 * {@code jcmd PID Compiler.directives_add FILE} does), so that no user has to pass a JVM flag. Installed once, as one
 * file, before the first Vector API class loads ({@link SimdSupport}). Two rules:
 *
 * <p><b>The vector loops are compile roots.</b> No method inlines a method that holds a vector loop
 * ({@link #LOOP_ROOTS}). Without this rule C2 sometimes compiled a long caller chain first, e.g. {@code Tensor.unary}
 * with {@code CpuBackend.unary}, the range split, the kernel wrapper, the tanh loop, {@link VectorMath} and the Vector
 * API's own layers all inlined into it. The chain then reached MaxInlineLevel (15) or the node budget inside the
 * Vector API, the species stopped being a constant, the intrinsics fell back to their Java code (every vector an
 * object) and the op ran 4-8x slower for the rest of the process: 64 x 256 tanh took 55-125 us a call against 15 us
 * in about a third of JVMs, depending on which method C2 happened to compile first. As its own compile root a loop
 * starts at depth 0, so its whole Vector API chain fits. A call per loop costs nanoseconds.
 *
 * <p><b>The 12 x 2 GEMM kernel skips C1.</b> C1 cannot compile a micro-kernel with 24 accumulators. Its tier-3 compile
 * fails ("out of virtual registers in LIR generator"); the method is then marked not C1-compilable and goes from the
 * interpreter to C2, except when C1's tier 2 (less profiling code, which does fit) compiled it first, which the JVM
 * does while C2's queue is long: then the method never leaves tier 2, whose Vector API code runs at ~2 GFLOP/s, for
 * the rest of the process. Excluding C1 for the method leaves only the interpreter-to-C2 path.
 */
final class JitDirectives {
    private static final Logger LOG = LoggerFactory.getLogger(JitDirectives.class);

    /** Methods that hold a vector loop and take and return no vectors (their helpers that do stay inlinable). */
    static final List<String> LOOP_ROOTS = List.of(
            "org/tessera/cpu/SimdElementwise.*",
            "org/tessera/cpu/SimdRows.*",
            "org/tessera/cpu/SimdPhilox.uniform32",
            "org/tessera/cpu/SimdTranspose.pack*",
            "org/tessera/cpu/SimdTranspose.copyTwoVectors",
            "org/tessera/cpu/SimdKernel4x2.run",
            "org/tessera/cpu/SimdKernel8x2.run",
            "org/tessera/cpu/SimdKernel12x2.run",
            "org/tessera/cpu/SimdFmaLoop.run");

    private static final String C1_EXCLUDED = "org/tessera/cpu/SimdKernel12x2.run";

    private static Boolean installed;

    private JitDirectives() {}

    /**
     * The directives file: the C1 exclusion first (the first directive that matches a method is the one that applies,
     * so the specific one goes above the catch-all), then the loop roots for every other compile.
     */
    static String file() {
        String inline = LOOP_ROOTS.stream().map(m -> "\"-" + m + "\"").collect(Collectors.joining(", "));
        return "[\n  { match: \"" + C1_EXCLUDED + "\", c1: { Exclude: true }, inline: [" + inline + "] },\n"
                + "  { match: \"*.*\", inline: [" + inline + "] }\n]\n";
    }

    /**
     * Adds the directives, once per JVM. False where the JVM has no DiagnosticCommand MBean (not HotSpot, or a runtime
     * image without jdk.management) or refused them; the kernels then still work, with the risks above.
     */
    static synchronized boolean install() {
        if (installed != null) return installed;
        installed = false;
        Path file = null;
        try {
            file = Files.createTempFile("tessera-jit", ".json");
            Files.writeString(file, file());
            Object reply = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            installed = String.valueOf(reply).contains("2 compiler directives added");
            LOG.debug("compiler directives: {}", String.valueOf(reply).trim());
        } catch (Exception | LinkageError e) {
            LOG.debug("could not add the compiler directives ({}); vector loops may be inlined into long chains", e.toString());
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException ignored) {
                    // a temporary file left behind
                }
            }
        }
        return installed;
    }
}
