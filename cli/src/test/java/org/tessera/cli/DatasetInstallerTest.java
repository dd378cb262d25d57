package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tessera train's data installer, with apt-get stood in for: what it runs, and what it says when it may not. */
class DatasetInstallerTest {
    @TempDir
    Path tmp;

    private final List<String> ran = new ArrayList<>();
    private final StringWriter said = new StringWriter();

    /** An apt-get that "installs" the package by making its folder, after failing {@code failures} times. */
    private DatasetInstaller.Runner apt(Path packageDir, int failures) {
        int[] left = {failures};
        return command -> {
            ran.add(String.join(" ", command));
            if (!command.contains("install")) return 0;
            if (left[0]-- > 0) return 100;
            Files.createDirectories(packageDir);
            return 0;
        };
    }

    @Test
    void asRootItSaysSoOnOneLineAndInstallsThePackage() throws IOException {
        Path dir = tmp.resolve("fashion-mnist");
        new DatasetInstaller(apt(dir, 0), dir, true, true, false).ensure(dir, true, new PrintWriter(said, true));
        assertEquals(List.of("apt-get install -y -q dataset-fashion-mnist"), ran);
        assertEquals("Fashion-MNIST is missing: installing Debian's dataset-fashion-mnist (apt-get install -y -q dataset-fashion-mnist)",
                said.toString().strip());
        assertTrue(Files.isDirectory(dir));
    }

    @Test
    void withPasswordlessSudoItRunsThroughSudoAndUpdatesStalePackageLists() throws IOException {
        Path dir = tmp.resolve("fashion-mnist");
        new DatasetInstaller(apt(dir, 1), dir, false, true, true).ensure(dir, true, new PrintWriter(said, true));
        assertEquals(List.of("sudo -n apt-get install -y -q dataset-fashion-mnist", "sudo -n apt-get update -q",
                "sudo -n apt-get install -y -q dataset-fashion-mnist"), ran);
    }

    @Test
    void anOrdinaryUserGetsTheCommandToRunAndNothingRuns() {
        Path dir = tmp.resolve("fashion-mnist");
        IOException e = assertThrows(IOException.class,
                () -> new DatasetInstaller(apt(dir, 0), dir, false, true, false).ensure(dir, true, new PrintWriter(said, true)));
        assertTrue(e.getMessage().contains("sudo apt-get install dataset-fashion-mnist"), e.getMessage());
        assertEquals(List.of(), ran);
        assertEquals("", said.toString());
    }

    @Test
    void anotherDirectoryOrNoInstallIsNeverInstalledInto() {
        Path dir = tmp.resolve("fashion-mnist"), other = tmp.resolve("mine");
        DatasetInstaller root = new DatasetInstaller(apt(dir, 0), dir, true, true, false);
        IOException e = assertThrows(IOException.class, () -> root.ensure(other, true, new PrintWriter(said, true)));
        assertTrue(e.getMessage().contains(other.toString()), e.getMessage());
        assertThrows(IOException.class, () -> root.ensure(dir, false, new PrintWriter(said, true)));
        assertThrows(IOException.class, () -> new DatasetInstaller(apt(dir, 0), dir, true, false, false).ensure(dir, true, new PrintWriter(said, true)));
        assertEquals(List.of(), ran);
    }

    @Test
    void aFailedInstallSaysWhatRanAndLeavesNothingHalfDone() {
        Path dir = tmp.resolve("fashion-mnist");
        IOException e = assertThrows(IOException.class,
                () -> new DatasetInstaller(apt(dir, 2), dir, true, true, false).ensure(dir, true, new PrintWriter(said, true)));
        assertTrue(e.getMessage().contains("could not install dataset-fashion-mnist with 'apt-get install -y -q dataset-fashion-mnist'"), e.getMessage());
        assertEquals(3, ran.size());
        assertTrue(Files.notExists(dir));
    }

    @Test
    void presentDataNeedsNothing() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("fashion-mnist"));
        new DatasetInstaller(apt(dir, 0), dir, false, false, false).ensure(dir, true, new PrintWriter(said, true));
        assertEquals(List.of(), ran);
    }
}
