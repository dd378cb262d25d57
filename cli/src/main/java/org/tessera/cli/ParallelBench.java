package org.tessera.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import org.tessera.Device;
import org.tessera.bench.suite.DataParallelSteps;
import org.tessera.bench.suite.Suites;
import org.tessera.cpu.MachineSpeed;

/**
 * {@code tessera bench --suite parallel [--devices cpu:1,cpu:1]}: the large MLP's training step on one replica (the
 * first device) against the same step under data parallelism over the listed devices, in alternating rounds;
 * prints both and the speed-up, and writes data-parallel.csv.
 */
final class ParallelBench {
    static final int WARMUP = 3, ROUNDS = 7, STEPS_PER_ROUND = 3;

    private ParallelBench() {}

    static void run(PrintWriter w, List<Device> replicas, Path out) throws IOException {
        if (replicas.size() < 2) throw new IllegalArgumentException("--suite parallel needs two or more devices (replicas), e.g. --devices cpu:1,cpu:1; got " + replicas);
        Suites.Mlp mlp = Suites.Mlp.LARGE;
        Device single = replicas.get(0);
        int cpuThreads = replicas.stream().filter(d -> d.backend().equals("cpu")).mapToInt(d -> d.info().computeUnits()).sum();
        MachineSpeed.Measured machine = MachineSpeed.measure(Math.max(1, Math.min(cpuThreads, Runtime.getRuntime().availableProcessors())));
        w.printf(Locale.ROOT, "tessera bench --suite parallel: mlp %s (%s), one replica on %s against %d replicas on %s%n", mlp.key(), mlp.description,
                single.spec(), replicas.size(), replicas.stream().map(Device::spec).toList());
        w.printf(Locale.ROOT, "  machine: %s, %d threads; measured fp32 peak %.0f GFLOP/s (%s), memory bandwidth %.1f GB/s%n", machine.cpu(),
                machine.threads(), machine.fmaGflops(), machine.method(), machine.copyGbps());
        w.flush();
        DataParallelSteps.Result r;
        try (ProgressBar bar = ProgressBars.builder("data parallel", ROUNDS, 100).setUnit(" rounds", 1).build()) {
            r = DataParallelSteps.time(mlp, single, replicas, WARMUP, ROUNDS, STEPS_PER_ROUND, done -> bar.stepTo(done));
        }
        Table t = new Table("runner", "median step", "samples/s", "vs one replica");
        t.row("1 replica on " + single.spec(), String.format(Locale.ROOT, "%.1f ms", r.singleSeconds() * 1e3),
                String.format(Locale.ROOT, "%.0f", r.samplesPerSecond(false)), "1.00x");
        t.row(replicas.size() + " replicas on " + String.join(",", replicas.stream().map(Device::spec).toList()),
                String.format(Locale.ROOT, "%.1f ms", r.parallelSeconds() * 1e3), String.format(Locale.ROOT, "%.0f", r.samplesPerSecond(true)),
                String.format(Locale.ROOT, "%.2fx", r.speedup()));
        t.print(w);
        w.printf(Locale.ROOT, "  medians of %d alternating rounds of %d steps each, batch %d (the replicas split it), after %d warm-up steps%n",
                r.rounds(), r.stepsPerRound(), mlp.batch(), WARMUP);
        Files.createDirectories(out);
        Path csv = out.resolve("data-parallel.csv");
        Files.write(csv, List.of("mlp,single_device,replicas,single_seconds,parallel_seconds,speedup,cpu,fma_gflops",
                String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.6f,%.4f,%s,%.1f", mlp.key(), single.spec(),
                        String.join(" ", replicas.stream().map(Device::spec).toList()), r.singleSeconds(), r.parallelSeconds(), r.speedup(),
                        machine.cpu().replace(',', ' '), machine.fmaGflops())));
        w.println("results: " + csv.toAbsolutePath());
        w.flush();
    }
}
