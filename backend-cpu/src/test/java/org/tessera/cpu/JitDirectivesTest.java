package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The compiler directives: accepted by this JVM, and every loop root names real methods that pass no vectors. */
class JitDirectivesTest {

    @Test
    void theJvmAcceptsBothDirectivesOnce() {
        assertTrue(JitDirectives.install(), "HotSpot refused the directives:\n" + JitDirectives.file());
        assertTrue(JitDirectives.install(), "a second call reports the first one's result");
    }

    /** What a pattern such as {@code org/tessera/cpu/SimdTranspose.pack*} names among the class's declared methods. */
    private static List<Method> matches(String pattern) throws ClassNotFoundException {
        int dot = pattern.lastIndexOf('.');
        Class<?> owner = Class.forName(pattern.substring(0, dot).replace('/', '.'));
        String name = pattern.substring(dot + 1);
        return Arrays.stream(owner.getDeclaredMethods())
                .filter(m -> name.endsWith("*") ? m.getName().startsWith(name.substring(0, name.length() - 1)) : m.getName().equals(name))
                .collect(Collectors.toList());
    }

    private static boolean isVector(Class<?> type) {
        return type.getName().startsWith("jdk.incubator.vector.");
    }

    @Test
    void everyLoopRootNamesMethodsThatTakeAndReturnNoVectors() throws ClassNotFoundException {
        for (String pattern : JitDirectives.LOOP_ROOTS) {
            List<Method> methods = matches(pattern);
            assertFalse(methods.isEmpty(), pattern + " names no method (renamed?)");
            for (Method m : methods) {
                // a vector crossing a call that is never inlined is an object: every op on it would allocate
                boolean passesVectors = isVector(m.getReturnType()) || Stream.of(m.getParameterTypes()).anyMatch(JitDirectivesTest::isVector);
                assertFalse(passesVectors, m + " passes vectors but may not be inlined");
            }
        }
    }

    @Test
    void theC1ExclusionComesBeforeTheCatchAll() {
        String file = JitDirectives.file();
        assertTrue(file.indexOf("SimdKernel12x2.run\", c1") < file.indexOf("match: \"*.*\""), file);
        assertEquals(2, file.split("match:").length - 1, file);
    }
}
