package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.data.FashionMnist;
import org.tessera.testing.Requires;
import picocli.CommandLine;

/** The tessera command's subcommands, run in-process. */
class CommandsTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new Tessera());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("tessera: " + e.getMessage());
            return 2;
        });
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void devicesListsTheCpuFirstAndWhatAutoPicks() {
        Run r = run("devices");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].startsWith("device") && lines[0].contains("fp64"), r.out());
        assertTrue(lines[2].startsWith("cpu "), r.out());
        assertTrue(r.out().contains("auto (Device.best()): "), r.out());
    }

    @Test
    void gradcheckPassesEveryOpOnTheCpu() {
        Run r = run("gradcheck", "--device", "cpu");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("all " + GradcheckCommand.ops().size() + " ops pass"), r.out());
        assertTrue(r.out().contains("crossEntropy") && !r.out().contains("FAILED"), r.out());
    }

    @Test
    void selftestCountsF32AndF64Apart() {
        Run r = run("selftest", "--device", "cpu");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().matches("(?s).*  F32: [1-9][0-9]* passed, 0 failed, [1-9][0-9]* comparisons\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*  F64: [1-9][0-9]* passed, 0 failed, [1-9][0-9]* comparisons\n.*"), r.out());
        assertTrue(r.out().contains(" passed, 0 failed ("), r.out());
    }

    @Test
    void trainExplainsMissingDataAndBadOptions() {
        Run r = run("train", "--data", dir.resolve("nowhere").toString(), "--device", "cpu");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("apt-get install dataset-fashion-mnist"), r.err());
        r = run("train", "--activation", "swish", "--device", "cpu", "--epochs", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown activation 'swish'"), r.err());
        r = run("train", "--epochs", "zero");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--epochs"), r.err());
    }

    @Test
    void sparkWithoutTesseraSparkOnTheClassPathSaysHowToGetIt() {
        Requires.that(Files.isDirectory(FashionMnist.DEBIAN_DIR), FashionMnist.missingMessage(FashionMnist.DEBIAN_DIR));
        Run r = run("train", "--spark", "local[2]", "--epochs", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--spark needs tessera-spark and Apache Spark on the class path"), r.err());
        r = run("train", "--spark", "local[2]", "--devices", "cpu:1,cpu:1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--spark trains with --device (each worker's) and --checkpoints DIR, not --devices"), r.err());
    }

    @Test
    void trainWritesItsLogChartAndCheckpointAndResumes() throws Exception {
        Requires.that(java.nio.file.Files.isDirectory(FashionMnist.DEBIAN_DIR), FashionMnist.missingMessage(FashionMnist.DEBIAN_DIR));
        Path csv = dir.resolve("log.csv"), png = dir.resolve("chart.png"), ckpt = dir.resolve("ckpt.safetensors");
        Run r = run("train", "--device", "cpu", "--epochs", "1", "--hidden", "32", "--batch", "500", "--log", csv.toString(), "--chart",
                png.toString(), "--save", ckpt.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("test accuracy"), r.out());
        assertEquals(2, java.nio.file.Files.readAllLines(csv).size());
        assertTrue(java.nio.file.Files.size(png) > 1000);
        r = run("train", "--device", "cpu", "--epochs", "2", "--hidden", "32", "--batch", "500", "--resume", ckpt.toString(), "--chart",
                png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("2 ")), "continues with epoch 2: " + r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.trim().startsWith("1 ")), "epoch 1 is not run again: " + r.out());
    }
}
