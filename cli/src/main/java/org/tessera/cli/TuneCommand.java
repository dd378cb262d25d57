package org.tessera.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.tessera.Device;
import org.tessera.bench.suite.Suites;
import org.tessera.opencl.OpenClTuning;
import org.tessera.opencl.OpenClTuning.Shape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tessera tune}: searches gemm.cl's kernel family for the fastest correct configuration of each GEMM shape
 * class the main job and the benchmarks use, on one OpenCL device, and stores the winners (later runs use them with
 * no search). Without it, each class is tuned briefly at its first use ({@code -Dtessera.opencl.tune=quick}).
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Tune the OpenCL GEMM kernels for a device and cache the winners.")
final class TuneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", defaultValue = "opencl", description = "OpenCL device to tune (default: ${DEFAULT-VALUE}, the first GPU, else the first device)")
    String device;

    @Option(names = "--budget", defaultValue = "30s", description = "search time in all, e.g. 30s, 2m (default: ${DEFAULT-VALUE})")
    String budget;

    @Override
    public Integer call() {
        Device d = DeviceOption.resolve(device);
        Duration time = parseDuration(budget);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("tuning GEMM on %s (%s), budget %s%n", d.spec(), d.name(), budget);
        out.flush();
        List<OpenClTuning.Report> reports = OpenClTuning.tune(d, shapes(), time,
                (cls, c) -> {
                    out.printf(Locale.ROOT, "  %-14s %-72s %s%n", cls, c.config(), c.verdict().equals("ok") ? String.format(Locale.ROOT, "%8.1f GFLOP/s", c.gflops()) : c.verdict());
                    out.flush();
                },
                r -> {
                    out.printf(Locale.ROOT, "%s (%s): winner %s at %.1f GFLOP/s, %.2fx the default (%s, %.1f GFLOP/s); %d candidates; stored in %s%n",
                            r.shapeClass(), r.shape(), r.winner(), r.winnerGflops(), r.winnerGflops() / r.baselineGflops(), r.baseline(),
                            r.baselineGflops(), r.candidates().size(), r.cacheFile() == null ? "(cache off)" : r.cacheFile());
                    out.flush();
                });
        Table t = new Table("class", "timed", "winner", "GFLOP/s", "default GFLOP/s", "speed-up");
        for (OpenClTuning.Report r : reports) {
            t.row(r.shapeClass(), r.shape(), r.winner(), String.format(Locale.ROOT, "%.1f", r.winnerGflops()),
                    String.format(Locale.ROOT, "%.1f", r.baselineGflops()), String.format(Locale.ROOT, "%.2fx", r.winnerGflops() / r.baselineGflops()));
        }
        t.print(out);
        return 0;
    }

    /**
     * The products to tune for: square 1024 (and, through its class, every larger square), and each Linear layer of the
     * main job's default model and of the benchmark MLPs at their batch sizes: forward x W^T, input gradient dy W,
     * weight gradient dy^T x.
     */
    static List<Shape> shapes() {
        List<Shape> s = new ArrayList<>();
        s.add(new Shape(1024, 1024, 1024, false, false));
        List<int[]> models = new ArrayList<>();
        models.add(MlpTrainer.defaultLayerSizes());
        List<Integer> batches = new ArrayList<>(List.of(Integer.parseInt(MlpTrainer.DEFAULT_BATCH)));
        for (Suites.Mlp m : Suites.Mlp.values()) {   // the GPU-sized one too: tune runs where it will
            models.add(m.sizes());
            batches.add(m.batch());
        }
        for (int i = 0; i < models.size(); i++) {
            int[] sizes = models.get(i);
            int b = batches.get(i);
            for (int l = 0; l + 1 < sizes.length; l++) {
                int in = sizes[l], outW = sizes[l + 1];
                s.add(new Shape(b, outW, in, false, true));     // y = x W^T
                s.add(new Shape(b, in, outW, false, false));    // dx = dy W
                s.add(new Shape(outW, in, b, true, false));     // dW = dy^T x
            }
        }
        return s;
    }

    static Duration parseDuration(String v) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            if (t.endsWith("s")) return Duration.ofMillis((long) (Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            if (t.endsWith("m")) return Duration.ofMillis((long) (Double.parseDouble(t.substring(0, t.length() - 1)) * 60_000));
            return Duration.ofMillis((long) (Double.parseDouble(t) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--budget: expected a duration such as 30s or 2m, got '" + v + "'");
        }
    }
}
