package org.tessera.bench.suite;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.tessera.Device;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.nn.Losses;
import org.tessera.nn.Sequential;
import org.tessera.optim.Adam;
import org.tessera.parallel.DataParallel;

/**
 * Scale-out on one machine: an {@link Suites.Mlp} training step (the large MLP by default) on one replica, against
 * the same step, same batch, under {@link DataParallel} over several replicas ({@code cpu:1,cpu:1} on a 2-core
 * machine). The two are timed in alternating rounds in one process, so a busy host slows both alike; the result is
 * each one's median seconds per step and their ratio.
 */
public final class DataParallelSteps {
    /** Median seconds per step of one replica and of the replicas, and the rounds behind them. */
    public record Result(Suites.Mlp mlp, Device single, List<Device> replicas, double singleSeconds, double parallelSeconds, int rounds,
                         int stepsPerRound) {
        /** Throughput of the replicas over one replica's: the batch is the same, so the inverse ratio of step times. */
        public double speedup() {
            return singleSeconds / parallelSeconds;
        }

        public double samplesPerSecond(boolean parallel) {
            return mlp.batch() / (parallel ? parallelSeconds : singleSeconds);
        }
    }

    private DataParallelSteps() {}

    /**
     * Times {@code mlp} on {@code single} and on {@code replicas}: {@code warmup} steps each, then {@code rounds} rounds
     * of {@code stepsPerRound} steps of each. {@code progress} hears each finished round.
     */
    public static Result time(Suites.Mlp mlp, Device single, List<Device> replicas, int warmup, int rounds, int stepsPerRound, IntConsumer progress) {
        if (!mlp.crossEntropy) throw new IllegalArgumentException("the data-parallel bench runs the cross-entropy MLPs (large, gpu), not " + mlp.key());
        Tensor[] data = mlp.batchOn(replicas.get(0));
        try (Suites.Step one = mlp.prepare(single);
             DataParallel<Sequential> dp = new DataParallel<>(replicas, (d, r) -> mlp.model(d), ps -> new Adam(ps, 1e-4))) {
            Runnable parallelStep = () -> {
                try (Scope s = Scope.open()) {
                    dp.step(data[0], data[1], Losses::crossEntropy).item();
                }
            };
            Runnable singleStep = () -> {
                one.run();
                one.model().parameters().get(0).device().synchronize();
            };
            for (int i = 0; i < warmup; i++) {
                singleStep.run();
                parallelStep.run();
            }
            double[] singles = new double[rounds], parallels = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                singles[r] = seconds(singleStep, stepsPerRound);
                parallels[r] = seconds(parallelStep, stepsPerRound);
                progress.accept(r + 1);
            }
            return new Result(mlp, single, List.copyOf(replicas), median(singles), median(parallels), rounds, stepsPerRound);
        } finally {
            for (Tensor t : data) t.close();
        }
    }

    private static double seconds(Runnable step, int steps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) step.run();
        return (System.nanoTime() - t0) / 1e9 / steps;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
