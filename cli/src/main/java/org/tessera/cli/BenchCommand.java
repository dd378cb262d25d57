package org.tessera.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.backend.MemoryStats;
import org.tessera.cpu.MachineSpeed;
import org.tessera.bench.suite.BenchCase;
import org.tessera.bench.suite.Harness;
import org.tessera.bench.suite.Peers;
import org.tessera.bench.suite.Suites;
import org.tessera.profile.Profiler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tessera bench}: the suites on every chosen device, optionally beside PyTorch, NumPy and CLBlast measured in
 * the same run; a table, results.json, results.csv and a chart per op; the large MLP's memory against its analytic
 * minimum; with {@code --profile}, where one training step of each MLP spends its time.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmark the CPU and OpenCL backends side by side (and against peers).")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--suite", defaultValue = "quick", description = "quick (< 2 min here), full, gpu (GEMM 1024-8192 and a GPU-sized MLP; for bench/gpu/check), or parallel (the large MLP step on one replica against data parallelism over --devices, default cpu:1,cpu:1) (default: ${DEFAULT-VALUE})")
    String suite;
    @Option(names = "--devices", split = ",", description = "devices to run on (default: every available device)")
    List<String> devices;
    @Option(names = "--peers", description = "also time PyTorch and NumPy (bench/peers/peer.py, /usr/bin/python3) and CLBlast")
    boolean peers;
    @Option(names = "--peers-script", defaultValue = "bench/peers/peer.py", description = "(default: ${DEFAULT-VALUE})")
    Path peerScript;
    @Option(names = "--out", defaultValue = "bench-results", description = "directory for results.json, results.csv and charts (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--profile", description = "print where one training step of each MLP spends its time, per device")
    boolean profile;
    @Option(names = "--train", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "also run two epochs of the default tessera train model per device (and in PyTorch with --peers); --no-train skips it")
    boolean train;

    /** One measured (case, runner): a device's spec or a peer's name. */
    record Row(BenchCase c, String runner, boolean peer, Harness.Timing timing, String missing) {
        double throughput() {
            return timing == null ? Double.NaN : c.throughput(timing.median());
        }
    }

    @Override
    public Integer call() throws IOException {
        if (profile) Profiler.enable();            // before any device opens: OpenCL then times kernels on the device
        PrintWriter w = spec.commandLine().getOut();
        if (suite.equals("parallel")) {
            ParallelBench.run(w, (devices == null ? List.of("cpu:1", "cpu:1") : devices).stream().map(Device::of).toList(), out);
            return 0;
        }
        boolean full = switch (suite) {
            case "quick", "gpu" -> false;
            case "full" -> true;
            default -> throw new IllegalArgumentException("unknown suite '" + suite + "' (quick, full, gpu, parallel)");
        };
        List<BenchCase> cases = full ? Suites.full() : suite.equals("gpu") ? Suites.gpu() : Suites.quick();
        Harness harness = full ? Harness.FULL : Harness.QUICK;
        List<Device> ds = new ArrayList<>();
        if (devices == null) ds.addAll(Device.available());
        else for (String s : devices) ds.add(Device.of(s));
        Files.createDirectories(out);
        // the cases as the peer script reads them (key TAB spec): bench/gpu/check times PyTorch CUDA on this file
        List<String> specs = new ArrayList<>();
        for (BenchCase c : cases) specs.add(c.key() + "\t" + c.peerSpec());
        Files.write(out.resolve("cases.tsv"), specs);
        w.println("tessera bench --suite " + suite + " on " + ds.stream().map(Device::spec).toList() + (peers ? " with peers" : ""));
        for (Device d : ds) w.println("  " + d.description());
        int cpuThreads = ds.stream().filter(d -> d.backend().equals("cpu")).findFirst().map(d -> d.info().computeUnits())
                .orElse(Runtime.getRuntime().availableProcessors());
        MachineSpeed.Measured machine = MachineSpeed.measure(cpuThreads);
        w.printf(Locale.ROOT, "  machine: %s, %d threads; measured fp32 peak %.0f GFLOP/s (%s), memory bandwidth %.1f GB/s (copy, read + write)%n",
                machine.cpu(), machine.threads(), machine.fmaGflops(), machine.method(), machine.copyGbps());
        w.flush();

        List<Row> rows = new ArrayList<>();
        List<TrainComparison.Result> trained = new ArrayList<>();
        List<String> warmups = new ArrayList<>();
        int steps = cases.size() * ds.size();
        try (ProgressBar bar = ProgressBars.builder("bench " + suite, steps, 110).build()) {
            // Device by device, CPU devices first, each case's CPU peers right after it: an OpenCL runtime on the same
            // cores (PoCL) keeps worker threads spinning after its kernels, which slowed CPU cases timed in between
            // up to 20x.
            List<Device> order = new ArrayList<>(ds);
            order.sort(java.util.Comparator.comparing((Device d) -> !d.backend().equals("cpu")));
            boolean peersDone = false;
            List<Peers.Python> pythons = new ArrayList<>();
            if (peers) for (String lib : new String[] {"torch", "numpy"}) pythons.add(new Peers.Python(lib, peerScript, full, cpuThreads));
            try {
                for (Device d : order) {
                    boolean withPeers = peers && !peersDone && d.backend().equals("cpu");
                    bar.setExtraMessage(" JIT warm-up on " + d.spec());
                    double warmed = Harness.warmJit(cases, d, full ? 0.3 : 0.15, 0.5, 10);
                    warmups.add(String.format(Locale.ROOT, "%s %.1f s", d.spec(), warmed));
                    for (BenchCase c : cases) {
                        bar.setExtraMessage(" " + c.key() + " on " + d.spec());
                        try (BenchCase.Body body = c.setup().on(d)) {
                            rows.add(new Row(c, d.spec(), false, harness.time(body, d), null));
                        } catch (RuntimeException e) {
                            rows.add(new Row(c, d.spec(), false, null, e.getMessage()));
                        }
                        if (withPeers) {
                            for (Peers.Python py : pythons) {
                                bar.setExtraMessage(" " + c.key() + " in " + py.name());
                                Peers.Result r = py.time(c);
                                rows.add(new Row(c, r.peer(), true, r.timing(), r.missing()));
                            }
                        }
                        bar.step();
                    }
                    if (train) {      // the main job on this device, and (once) in PyTorch right after it
                        bar.setExtraMessage(" train on " + d.spec());
                        trained.add(TrainComparison.tessera(d));
                        if (withPeers) {
                            bar.setExtraMessage(" train in pytorch");
                            trained.add(TrainComparison.pytorch(peerScript.resolveSibling("train_peer.py"), cpuThreads));
                        }
                    }
                    peersDone |= withPeers;
                }
            } finally {
                for (Peers.Python py : pythons) py.close();
            }
            Device cl = ds.stream().filter(d -> d.backend().equals("opencl")).findFirst().orElse(null);
            if (peers && cl != null) {     // on the first OpenCL device benchmarked
                bar.setExtraMessage(" peer clblast on " + cl.spec());
                int index = cl.spec().contains(":") ? Integer.parseInt(cl.spec().substring(cl.spec().indexOf(':') + 1)) : 0;
                Peers.clblast(cases, harness, index).forEach((k, r) -> rows.add(peerRow(cases, k, r)));
            }
        }
        // the peak and bandwidth again after the cases: a shared machine's slow minute at the start made rows read
        // above 100% of "the peak"; the larger of the two readings is the machine's capability
        MachineSpeed.Measured after = MachineSpeed.measure(cpuThreads);
        machine = MachineSpeed.Measured.better(machine, after);
        w.printf(Locale.ROOT, "  machine again after the cases: fp32 peak %.0f GFLOP/s, bandwidth %.1f GB/s; the table uses %.0f and %.1f%n",
                after.fmaGflops(), after.copyGbps(), machine.fmaGflops(), machine.copyGbps());
        w.println("  before the cases, every case ran briefly until the JIT was quiet: " + String.join(", ", warmups));
        table(w, cases, ds, rows, machine);
        if (train) trainTable(w, trained);
        writeResults(rows, trained, machine);
        for (String op : cases.stream().map(BenchCase::op).distinct().toList()) chart(out, op, rows, ds);
        memory(w, ds, full ? 100 : 5);
        if (profile) profileSteps(w, ds);
        w.println("results: " + out.toAbsolutePath().resolve("results.json") + ", results.csv, and a chart per op (*.png)");
        w.flush();
        return 0;
    }

    private static Row peerRow(List<BenchCase> cases, String key, Peers.Result r) {
        BenchCase c = cases.stream().filter(x -> x.key().equals(key)).findFirst().orElseThrow();
        return new Row(c, r.peer(), true, r.timing(), r.missing());
    }

    private static Row find(List<Row> rows, BenchCase c, String runner) {
        return rows.stream().filter(r -> r.c() == c && r.runner().equals(runner)).findFirst().orElse(null);
    }

    /** op, size, device, median, spread, throughput, speed vs the CPU backend, speed vs each peer (Tessera / peer). */
    private void table(PrintWriter w, List<BenchCase> cases, List<Device> ds, List<Row> rows, MachineSpeed.Measured machine) {
        List<String> peerNames = rows.stream().filter(Row::peer).map(Row::runner).distinct().toList();
        List<String> header = new ArrayList<>(List.of("op", "size", "device", "median", "spread", "throughput", "of machine", "vs cpu"));
        for (String p : peerNames) header.add("vs " + p);
        Table t = new Table(header.toArray(String[]::new));
        for (BenchCase c : cases) {
            Row cpu = ds.stream().filter(d -> d.backend().equals("cpu")).findFirst().map(d -> find(rows, c, d.spec())).orElse(null);
            for (Device d : ds) {
                Row r = find(rows, c, d.spec());
                List<Object> cells = new ArrayList<>(List.of(c.op(), c.label(), d.spec()));
                if (r == null || r.timing() == null) {
                    cells.add("failed: " + (r == null ? "?" : r.missing()));
                    t.row(cells.toArray());
                    continue;
                }
                cells.add(time(r.timing().median()));
                cells.add(String.format(Locale.ROOT, "%.0f%%", 100 * r.timing().spread()));
                cells.add(String.format(Locale.ROOT, "%.3g %s", r.throughput(), c.unit().label));
                cells.add(ofMachine(c, r, d, machine));
                cells.add(cpu == null || cpu.timing() == null ? "" : String.format(Locale.ROOT, "%.2fx", r.throughput() / cpu.throughput()));
                for (String p : peerNames) {
                    // CPU rows against the CPU peers, OpenCL rows against CLBlast (its peer on the same device)
                    boolean samePlace = p.equals("clblast") == d.backend().equals("opencl");
                    Row pr = find(rows, c, p);
                    if (!samePlace || pr == null) cells.add("");
                    else if (pr.timing() == null) cells.add("missing");
                    else cells.add(String.format(Locale.ROOT, "%.2fx", r.throughput() / pr.throughput()));
                }
                t.row(cells.toArray());
            }
        }
        t.print(w);
        for (String p : peerNames) {
            rows.stream().filter(r -> r.runner().equals(p) && r.timing() == null).map(Row::missing).distinct()
                    .forEach(why -> w.println("  " + p + " missing for some cases: " + why));
        }
        w.println("  vs X = Tessera's throughput / X's throughput on the same work (above 1: Tessera is faster)");
        w.println("  of machine = GFLOP/s as a share of the measured fp32 peak, GB/s of the measured copy bandwidth (devices on this CPU)");
        w.flush();
    }

    /** A CPU-side row's throughput as a share of what the machine measured (blank for samples/s and for GPUs). */
    private static String ofMachine(BenchCase c, Row r, Device d, MachineSpeed.Measured machine) {
        if (!d.info().type().toUpperCase(Locale.ROOT).contains("CPU")) return "";
        return switch (c.unit()) {
            case GFLOPS -> String.format(Locale.ROOT, "%.0f%% peak", 100 * r.throughput() / machine.fmaGflops());
            case GBPS -> String.format(Locale.ROOT, "%.0f%% bw", 100 * r.throughput() / machine.copyGbps());
            case SAMPLES -> "";
        };
    }

    /** Two epochs of the default model per device, beside PyTorch's (when the peers ran): seconds per epoch. */
    private void trainTable(PrintWriter w, List<TrainComparison.Result> results) {
        TrainComparison.Result peer = results.stream().filter(r -> r.runner().equals("pytorch") && r.missing() == null).findFirst().orElse(null);
        Table t = new Table("runner", "epoch 1", "epoch 2", "test accuracy", "epoch 1 vs pytorch", "epoch 2 vs pytorch");
        for (TrainComparison.Result r : results) {
            if (r.missing() != null) {
                t.row(r.runner(), "missing: " + r.missing(), "", "", "", "");
                continue;
            }
            boolean self = r == peer;
            t.row(r.runner(), time(r.seconds()[0]), time(r.seconds()[1]), String.format(Locale.ROOT, "%.4f", r.accuracy()),
                    peer == null || self ? "" : String.format(Locale.ROOT, "%.2fx", r.seconds()[0] / peer.seconds()[0]),
                    peer == null || self ? "" : String.format(Locale.ROOT, "%.2fx", r.seconds()[1] / peer.seconds()[1]));
        }
        w.println("train: the default tessera train model (784-512-256-10 relu, dropout 0.2, Adam 1e-3 + cosine, batch 128), "
                + TrainComparison.EPOCHS + " epochs on Fashion-MNIST:");
        t.print(w);
        w.println("  epoch N vs pytorch = Tessera's seconds / PyTorch's (below 1: Tessera is faster); epoch 1 includes warm-up");
        w.flush();
    }

    static String time(double s) {
        if (s < 1e-3) return String.format(Locale.ROOT, "%.1f us", s * 1e6);
        if (s < 1) return String.format(Locale.ROOT, "%.2f ms", s * 1e3);
        return String.format(Locale.ROOT, "%.2f s", s);
    }

    private void writeResults(List<Row> rows, List<TrainComparison.Result> trained, MachineSpeed.Measured machine) throws IOException {
        List<String> csv = new ArrayList<>(List.of("op,size,runner,peer,median_s,min_s,max_s,throughput,unit,missing"));
        List<String> json = new ArrayList<>();
        for (Row r : rows) {
            Harness.Timing t = r.timing();
            csv.add(String.join(",", q(r.c().op()), q(r.c().label()), q(r.runner()), Boolean.toString(r.peer()),
                    t == null ? "" : Double.toString(t.median()), t == null ? "" : Double.toString(t.min()), t == null ? "" : Double.toString(t.max()),
                    t == null ? "" : Double.toString(r.throughput()), q(r.c().unit().label), q(r.missing() == null ? "" : r.missing())));
            json.add(String.format(Locale.ROOT, "  {\"op\": %s, \"size\": %s, \"runner\": %s, \"peer\": %s, \"median_s\": %s, \"min_s\": %s, "
                            + "\"max_s\": %s, \"throughput\": %s, \"unit\": %s, \"missing\": %s}",
                    js(r.c().op()), js(r.c().label()), js(r.runner()), r.peer(), t == null ? "null" : t.median(), t == null ? "null" : t.min(),
                    t == null ? "null" : t.max(), t == null ? "null" : r.throughput(), js(r.c().unit().label),
                    r.missing() == null ? "null" : js(r.missing())));
        }
        for (TrainComparison.Result r : trained) {
            for (int e = 0; r.seconds() != null && e < r.seconds().length; e++) {
                double sec = r.seconds()[e];
                boolean peer = r.runner().equals("pytorch");
                csv.add(String.join(",", "train", "epoch " + (e + 1), q(r.runner()), Boolean.toString(peer), Double.toString(sec),
                        Double.toString(sec), Double.toString(sec), Double.toString(60000 / sec), "samples/s", ""));
                json.add(String.format(Locale.ROOT, "  {\"op\": \"train\", \"size\": \"epoch %d\", \"runner\": %s, \"peer\": %s, "
                        + "\"median_s\": %s, \"throughput\": %s, \"unit\": \"samples/s\", \"test_accuracy\": %s}", e + 1, js(r.runner()), peer,
                        sec, 60000 / sec, r.accuracy()));
            }
        }
        json.add(String.format(Locale.ROOT, "  {\"machine\": %s, \"threads\": %d, \"fp32_peak_gflops\": %s, \"copy_gbps\": %s, \"peak_method\": %s}",
                js(machine.cpu()), machine.threads(), machine.fmaGflops(), machine.copyGbps(), js(machine.method())));
        Files.write(out.resolve("results.csv"), csv);
        Files.writeString(out.resolve("results.json"), "[\n" + String.join(",\n", json) + "\n]\n");
    }

    private static String q(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private static String js(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * Throughput per case as grouped bars, one colour per device and peer, the cases' own labels on the axis (256,
     * 1M, seed, ...: sizes that are not evenly spaced and names that are not sizes read as what they are). The y axis
     * is logarithmic, with a marker per case instead of bars, where the cases' throughputs span more than 10x (the MLP
     * steps, or OpenCL on PoCL beside the CPU), so the smallest stays readable.
     * Where OpenCL first beats the CPU, the title says at which case.
     */
    static void chart(Path out, String op, List<Row> rows, List<Device> ds) throws IOException {
        List<Row> mine = rows.stream().filter(r -> r.c().op().equals(op) && r.timing() != null).toList();
        if (mine.isEmpty()) return;
        List<BenchCase> cases = mine.stream().map(Row::c).distinct().toList();
        Map<String, List<Row>> byRunner = new LinkedHashMap<>();
        for (Row r : mine) byRunner.computeIfAbsent(r.runner(), k -> new ArrayList<>()).add(r);
        List<String> labels = cases.stream().map(bc -> caseLabel(bc, mine)).toList();

        String title = op;
        String cpu = ds.stream().filter(d -> d.backend().equals("cpu")).map(Device::spec).findFirst().orElse(null);
        String ocl = ds.stream().filter(d -> d.backend().equals("opencl")).map(Device::spec).findFirst().orElse(null);
        if (cpu != null && ocl != null && byRunner.containsKey(cpu) && byRunner.containsKey(ocl)) {
            for (Row r : byRunner.get(ocl)) {
                Row base = byRunner.get(cpu).stream().filter(b -> b.c() == r.c()).findFirst().orElse(null);
                if (base != null && r.throughput() > base.throughput()) {
                    title += " (" + ocl + " overtakes " + cpu + " at " + r.c().label() + ")";
                    break;
                }
            }
        }
        CategoryChart c = new CategoryChartBuilder().width(900).height(520).title(title)
                .xAxisTitle(op.startsWith("gemm (") ? "shape" : "case").yAxisTitle(mine.get(0).c().unit().label).build();
        double lo = mine.stream().mapToDouble(Row::throughput).filter(t -> t > 0).min().orElse(1);
        double hi = mine.stream().mapToDouble(Row::throughput).max().orElse(1);
        if (hi > 10 * lo) {
            // XChart draws bars from zero, which a log axis lacks: markers at each case instead
            c.getStyler().setYAxisLogarithmic(true);
            c.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter);
            c.getStyler().setOverlapped(true);
            c.getStyler().setMarkerSize(12);
        } else {
            // each bar's throughput on it, so the figure is read, not estimated from the grid
            c.getStyler().setLabelsVisible(true);
            c.getStyler().setLabelsPosition(0.92);
            c.getStyler().setLabelsFontColorAutomaticEnabled(true);
        }
        if (c.getStyler().isYAxisLogarithmic()) c.getStyler().setYAxisDecimalPattern("#,##0.###");
        // labels wider than their share of the axis (bold axis font: ~9 px a character) are turned, not overlapped
        if (labels.stream().mapToInt(String::length).max().orElse(0) * 9 > 760 / labels.size()) c.getStyler().setXAxisLabelRotation(15);
        for (var e : byRunner.entrySet()) {
            // a runner without a case (a peer with no twin) gets no bar there, not a zero
            List<Double> y = new ArrayList<>();
            for (BenchCase bc : cases) {
                // three significant figures, as the table: the bar labels print the value as it is
                y.add(e.getValue().stream().filter(r -> r.c() == bc).map(r -> Double.valueOf(String.format(Locale.ROOT, "%.3g", r.throughput())))
                        .findFirst().orElse(null));
            }
            c.addSeries(e.getKey(), labels, y);
        }
        String file = op.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-$", "") + ".png";
        BitmapEncoder.saveBitmap(c, out.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /**
     * A case's axis label: its name, then where the run had peers, the first Tessera device's throughput over each
     * peer's on that case ("1024 · 1.05× pytorch · 0.96× numpy"), the ratio being the point of a run with peers.
     */
    static String caseLabel(BenchCase bc, List<Row> rows) {
        Row tessera = rows.stream().filter(r -> r.c() == bc && !r.peer()).findFirst().orElse(null);
        StringBuilder label = new StringBuilder(bc.label());
        if (tessera == null) return label.toString();
        for (Row peer : rows) {
            if (peer.c() != bc || !peer.peer() || peer.throughput() <= 0) continue;
            label.append(String.format(Locale.ROOT, " · %.2f× %s", tessera.throughput() / peer.throughput(), peer.runner()));
        }
        return label.toString();
    }

    /**
     * The large MLP's memory: the most bytes live at once during a training step (model, inputs, gradients, Adam's
     * moments, activations and every temporary) against the analytic minimum (parameters + gradients + Adam's two
     * moments + activations saved for backward + the batch), and live bytes after 3 and after {@code 3 + steps}
     * steps (growth). Heap-backed CPU buffers count as the backend allocates them; pooling does not hide a peak.
     */
    private void memory(PrintWriter w, List<Device> ds, int steps) {
        Suites.Mlp m = Suites.Mlp.LARGE;
        long minimum = 4 * (4 * m.parameters() + m.savedActivationsPerExample() * 512 + 512L * 784 + 512);
        Table t = new Table("device", "precision", "peak during steps", "analytic minimum (F32)", "peak / minimum", "peak / F32 peak",
                "live after 3 steps", "after " + (steps + 3), "growth");
        for (Device d : ds) {
            long f32Peak = 0;
            // BF16: the same step in an Autocast region (F32 master weights, Adam's moments in F32, activations in BF16)
            for (DType precision : List.of(DType.F32, DType.BF16)) {
                d.synchronize();
                long base = d.memory().liveBytes();
                d.resetPeakMemory();
                try (Suites.Step s = m.prepare(d, precision)) {
                    for (int i = 0; i < 3; i++) s.run();
                    d.synchronize();
                    MemoryStats a = d.memory();
                    for (int i = 0; i < steps; i++) s.run();
                    d.synchronize();
                    MemoryStats b = d.memory();
                    long peak = b.peakLiveBytes() - base;
                    if (precision == DType.F32) f32Peak = peak;
                    t.row(d.spec(), precision, mb(peak), mb(minimum), String.format(Locale.ROOT, "%.2f", peak / (double) minimum),
                            String.format(Locale.ROOT, "%.2f", peak / (double) f32Peak), mb(a.liveBytes() - base), mb(b.liveBytes() - base),
                            mb(b.liveBytes() - a.liveBytes()));
                }
            }
        }
        w.println("memory of the large MLP step (" + m.description + "):");
        t.print(w);
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /** One step of each MLP per device under the profiler, after two warm-up steps. */
    private void profileSteps(PrintWriter w, List<Device> ds) {
        for (Suites.Mlp m : Suites.Mlp.CPU_SIZED) {
            for (Device d : ds) {
                try (Suites.Step s = m.prepare(d)) {
                    s.run();
                    s.run();
                    d.synchronize();
                    Profiler.reset();
                    s.run();
                    d.synchronize();
                    w.println("profile of one " + m.key() + " MLP step (" + m.description + ") on " + d.spec() + ":");
                    w.print(Profiler.report(12));
                }
            }
        }
        w.flush();
    }
}
