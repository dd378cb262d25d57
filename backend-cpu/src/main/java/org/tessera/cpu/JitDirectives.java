package org.tessera.cpu;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HotSpot compiler directives added from inside the process, through the DiagnosticCommand MBean (what
 * {@code jcmd PID Compiler.directives_add FILE} does), so that no user has to pass a JVM flag.
 *
 * <p>Why: C1 cannot compile a micro-kernel with 24 accumulators. Its tier-3 compile fails ("out of virtual registers
 * in LIR generator"); the method is then marked not C1-compilable and goes from the interpreter to C2, except when
 * C1's tier 2 (less profiling code, which does fit) compiled it first, which the JVM does while C2's queue is long:
 * then the method never leaves tier 2, whose Vector API code runs at ~2 GFLOP/s, for the rest of the process.
 * Excluding C1 for the method before its first call leaves only the interpreter-to-C2 path.
 */
final class JitDirectives {
    private static final Logger LOG = LoggerFactory.getLogger(JitDirectives.class);

    private JitDirectives() {}

    /**
     * Excludes {@code owner.method} (every overload) from C1. False where the JVM has no DiagnosticCommand MBean
     * (not HotSpot, or a runtime image without jdk.management) or refused the directive; the caller then cannot
     * count on C2.
     */
    static boolean excludeFromC1(Class<?> owner, String method) {
        String match = owner.getName().replace('.', '/') + "." + method;
        Path file = null;
        try {
            file = Files.createTempFile("tessera-jit", ".json");
            Files.writeString(file, "[{ match: \"" + match + "\", c1: { Exclude: true } }]");
            Object reply = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            boolean added = String.valueOf(reply).contains("1 compiler directives added");
            LOG.debug("C1 exclusion of {}: {}", match, String.valueOf(reply).trim());
            return added;
        } catch (Exception | LinkageError e) {
            LOG.debug("could not exclude {} from C1 ({}); it may run in C1's tier 2 code", match, e.toString());
            return false;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException ignored) {
                    // a temporary file left behind
                }
            }
        }
    }
}
