package org.tessera.bench.suite;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.tessera.Device;

/**
 * Times a body the way JMH's sample mode would, kept small enough to drive from the command: warm-up (programs
 * built, JIT compiled, pools filled) until the time per iteration has settled, then {@code samples} samples,
 * each running the body enough times to last at least {@code sampleSeconds}; the device is synchronised after
 * every iteration, so queued work is inside the timing. Reports the median per-iteration time and the spread.
 */
public record Harness(double warmupSeconds, int samples, double sampleSeconds, double maxWarmupSeconds) {

    // quick still warms up for a second: C2 compiles the Vector API kernels ~1 s into a fresh JVM on 2 cores, and a
    // shorter warm-up timed the interpreter and C1 code (gemm 1024 at 56 GFLOP/s where the settled rate is ~140)
    public static final Harness QUICK = new Harness(1.0, 5, 0.08, 6);
    public static final Harness FULL = new Harness(1.0, 9, 0.25, 10);

    /** Median seconds per iteration and the range of the samples. */
    public record Timing(double median, double min, double max, int samples, long iterations) {
        /** (max - min) / median: how much the samples disagreed. */
        public double spread() {
            return (max - min) / median;
        }
    }

    public Timing time(BenchCase.Body body, Device d) {
        // warm-up in rounds of ~warmupSeconds/3 until two rounds agree within 10%, the JIT compiled nothing during
        // the last round (a round can agree with the one before while C2 is still compiling the kernels of this
        // case: seed mlp step 25 ms after 1 s, 5.6 ms settled) and at least warmupSeconds have passed
        long start = System.nanoTime();
        double previous = Double.NaN, perIteration;
        while (true) {
            long compiled = compilationMillis();
            long t = System.nanoTime();
            int n = 0;
            while (n < 3 || System.nanoTime() - t < warmupSeconds / 3 * 1e9) {
                once(body, d);
                n++;
            }
            perIteration = (System.nanoTime() - t) / 1e9 / n;
            double elapsed = (System.nanoTime() - start) / 1e9;
            boolean settled = Math.abs(perIteration - previous) <= 0.1 * perIteration && compilationMillis() == compiled;
            if ((settled && elapsed >= warmupSeconds) || elapsed >= maxWarmupSeconds) break;
            previous = perIteration;
        }
        int reps = (int) Math.max(1, Math.min(1_000_000, Math.ceil(sampleSeconds / Math.max(perIteration, 1e-9))));
        double[] s = new double[samples];
        for (int i = 0; i < samples; i++) {
            long t = System.nanoTime();
            for (int r = 0; r < reps; r++) once(body, d);
            s[i] = (System.nanoTime() - t) / 1e9 / reps;
        }
        Arrays.sort(s);
        return new Timing(s[samples / 2], s[0], s[samples - 1], samples, (long) reps * samples);
    }

    /**
     * Before the first case on a device: runs every case's body for a moment (at least twice, about
     * {@code perCaseSeconds} each), then waits until the JIT has compiled nothing for {@code quietSeconds} (at most
     * {@code maxWaitSeconds}). A fresh JVM on 2 cores keeps C2 busy for ~4 s with the kernels of every op (and the
     * backend's own warm-up thread adds its share), so the first case's per-case warm-up could settle on code C2 had not
     * finished: gemm 256 read 110 GFLOP/s at 2-3 s into the JVM and 235 from 4 s on, the same loop in one JVM. Returns
     * the seconds it took.
     */
    public static double warmJit(java.util.List<BenchCase> cases, Device d, double perCaseSeconds, double quietSeconds, double maxWaitSeconds) {
        long start = System.nanoTime();
        for (BenchCase c : cases) {
            try (BenchCase.Body body = c.setup().on(d)) {
                long t = System.nanoTime();
                for (int n = 0; n < 2 || System.nanoTime() - t < perCaseSeconds * 1e9; n++) once(body, d);
            } catch (RuntimeException e) {
                // the case reports its own failure when it is timed
            }
        }
        long waitFrom = System.nanoTime(), lastChange = waitFrom;
        long compiled = compilationMillis();
        while (compiled >= 0 && System.nanoTime() - lastChange < quietSeconds * 1e9 && System.nanoTime() - waitFrom < maxWaitSeconds * 1e9) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = compilationMillis();
            if (now != compiled) {
                compiled = now;
                lastChange = System.nanoTime();
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Milliseconds the JIT has spent compiling so far (-1 where the JVM does not say). */
    private static long compilationMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    private static void once(BenchCase.Body body, Device d) {
        body.run();
        d.synchronize();
    }
}
