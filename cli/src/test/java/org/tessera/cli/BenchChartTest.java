package org.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.bench.suite.BenchCase;
import org.tessera.bench.suite.Harness;

/** The bench's per-op charts, from made-up rows: both the bar form and the log-axis form must render. */
class BenchChartTest {
    @TempDir
    Path dir;

    static BenchCase bench(String op, String label, long size, double work, BenchCase.Unit unit) {
        return new BenchCase(op, label, size, work, unit, "", d -> () -> {});
    }

    static BenchCommand.Row row(BenchCase c, String runner, double seconds) {
        return new BenchCommand.Row(c, runner, !runner.equals("cpu"), new Harness.Timing(seconds, seconds, seconds, 5, 10), null);
    }

    static BufferedImage png(Path file) throws Exception {
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, file + " is not an image");
        return image;
    }

    @Test
    void throughputsWithinTenfoldAreBarsOnALinearAxis() throws Exception {
        BenchCase g256 = bench("gemm", "256", 256, 2.0 * 256 * 256 * 256, BenchCase.Unit.GFLOPS);
        BenchCase g512 = bench("gemm", "512", 512, 2.0 * 512 * 512 * 512, BenchCase.Unit.GFLOPS);
        List<BenchCommand.Row> rows = List.of(row(g256, "cpu", 1.4e-4), row(g512, "cpu", 8.8e-4),
                row(g256, "numpy", 1.3e-4), row(g512, "numpy", 8.5e-4));
        BenchCommand.chart(dir, "gemm", rows, List.of());
        assertEquals(900, png(dir.resolve("gemm.png")).getWidth());
    }

    /** The MLP steps span ~65x in samples/s; a peer without one case (and a row that was never timed) must not break it. */
    @Test
    void throughputsSpanningMoreThanTenfoldRenderOnALogAxisWithGaps() throws Exception {
        BenchCase seed = bench("mlp step", "seed", 0, 1000, BenchCase.Unit.SAMPLES);
        BenchCase small = bench("mlp step", "small", 1, 64, BenchCase.Unit.SAMPLES);
        BenchCase large = bench("mlp step", "large", 2, 512, BenchCase.Unit.SAMPLES);
        List<BenchCommand.Row> rows = List.of(row(seed, "cpu", 3.1e-3), row(small, "cpu", 4.5e-4), row(large, "cpu", 0.103),
                row(seed, "pytorch", 3.0e-3), row(small, "pytorch", 6.6e-4),
                new BenchCommand.Row(large, "pytorch", true, null, "pytorch failed"));
        BenchCommand.chart(dir, "mlp step", rows, List.of());
        assertEquals(520, png(dir.resolve("mlp-step.png")).getHeight());
    }

    /** With peers, each case's label carries Tessera's throughput over each peer's: the ratio the run is for. */
    @Test
    void caseLabelsCarryTheRatioToEachPeer() {
        BenchCase g = bench("gemm", "1024", 1024, 2.0 * 1024 * 1024 * 1024, BenchCase.Unit.GFLOPS);
        BenchCase lone = bench("gemm", "2048", 2048, 2.0 * 2048 * 2048 * 2048, BenchCase.Unit.GFLOPS);
        List<BenchCommand.Row> rows = List.of(row(g, "cpu", 8.0e-3), row(g, "pytorch", 10.0e-3), row(g, "numpy", 4.0e-3), row(lone, "cpu", 1));
        assertEquals("1024 · 1.25× pytorch · 0.50× numpy", BenchCommand.caseLabel(g, rows));
        assertEquals("2048", BenchCommand.caseLabel(lone, rows), "no peer ran 2048: the bare label");
    }
}
