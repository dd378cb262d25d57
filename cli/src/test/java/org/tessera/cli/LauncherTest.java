package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repository's ./tessera script: what it says when the Java it finds cannot run Tessera (before any build). */
class LauncherTest {
    private static final Path SCRIPT = Path.of("..", "tessera").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private record Result(int code, String err) {}

    private Result launch(String javaHome) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), "devices").directory(tmp.toFile());
        pb.environment().put("JAVA_HOME", javaHome);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), err);
    }

    @Test
    void aJavaHomeWithoutJavaIsNamed() throws Exception {
        Result r = launch(tmp.resolve("no-jdk").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("JAVA_HOME is " + tmp.resolve("no-jdk") + ", but"), r.err());
        assertTrue(r.err().contains("install a JDK 17 or newer"), r.err());
    }

    @Test
    void aJavaOlderThan17IsRefusedWithItsVersion() throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("jdk11/bin"));
        Path java = Files.writeString(bin.resolve("java"), "#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Result r = launch(tmp.resolve("jdk11").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("is Java 11.0.2; Tessera needs 17 or newer"), r.err());
    }
}
