package org.tessera.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;

/**
 * This machine's measured fp32 peak and memory bandwidth, the yardsticks {@code tessera bench} prints its figures
 * against (machines of one kind differ: a cloud instance may expose AVX-512 or only AVX2, and share its cores).
 * Peak: independent fused multiply-add chains in registers on every thread at once (Vector API lanes when the
 * module is there, else scalar {@link Math#fma}). Bandwidth: every thread copying its own 64 MiB array, bytes
 * read plus bytes written per second. Both take the best of a few rounds.
 */
public final class MachineSpeed {
    private MachineSpeed() {}

    /** What was measured, with the CPU's name and how the peak was taken. */
    public record Measured(String cpu, int threads, double fmaGflops, double copyGbps, String method) {
        /** The larger peak and bandwidth of two readings of the same machine. */
        public static Measured better(Measured a, Measured b) {
            return new Measured(a.cpu, a.threads, Math.max(a.fmaGflops, b.fmaGflops), Math.max(a.copyGbps, b.copyGbps), a.method);
        }
    }

    /** Vector loop (10 chains of 8 or 16 floats) or scalar loop, in GFLOP/s for one thread running {@code iters} steps. */
    interface FmaLoop {
        double run(long iters);
    }

    public static Measured measure(int threads) {
        FmaLoop loop = vectorLoop();
        String method = loop == null ? "scalar Math.fma loop (no Vector API module: the SIMD peak is higher)" : "Vector API FMA loop";
        if (loop == null) loop = MachineSpeed::scalarFma;
        double peak = 0, bandwidth = 0;
        FmaLoop fma = loop;
        // best of 8 rounds of ~10 ms: the first ones run before C2 has compiled the loop, and a shared machine has slow moments
        for (int round = 0; round < 8; round++) peak = Math.max(peak, onThreads(threads, () -> fma.run(50_000_000L)));
        for (int round = 0; round < 3; round++) bandwidth = Math.max(bandwidth, onThreads(threads, MachineSpeed::copy));
        return new Measured(cpuName(), threads, peak, bandwidth, method);
    }

    private static FmaLoop vectorLoop() {
        if (!SimdSupport.available()) return null;
        try {
            return (FmaLoop) Class.forName("org.tessera.cpu.SimdFmaLoop").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    /** Runs {@code body} on {@code threads} threads started together; the sum of their rates. */
    private static double onThreads(int threads, java.util.function.DoubleSupplier body) {
        double[] rates = new double[threads];
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int i = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                rates[i] = body.getAsDouble();
            }, "tessera-machine-speed");
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        double sum = 0;
        for (double r : rates) sum += r;
        return sum;
    }

    /** GB/s of one thread copying 64 MiB back and forth (read + write). */
    private static double copy() {
        int n = 16 << 20;
        float[] a = new float[n], b = new float[n];
        java.util.Arrays.fill(a, 1f);
        double best = 0;
        for (int rep = 0; rep < 4; rep++) {
            long t0 = System.nanoTime();
            System.arraycopy(a, 0, b, 0, n);
            System.arraycopy(b, 0, a, 0, n);
            best = Math.max(best, 2 * 8.0 * n / (System.nanoTime() - t0));
        }
        return best;
    }

    private static double scalarFma(long iters) {
        iters /= 4;
        float a0 = 1, a1 = 1, a2 = 1, a3 = 1, a4 = 1, a5 = 1, a6 = 1, a7 = 1, m = 0.999999f, c = 1e-7f;
        long t0 = System.nanoTime();
        for (long i = 0; i < iters; i++) {
            a0 = Math.fma(a0, m, c); a1 = Math.fma(a1, m, c); a2 = Math.fma(a2, m, c); a3 = Math.fma(a3, m, c);
            a4 = Math.fma(a4, m, c); a5 = Math.fma(a5, m, c); a6 = Math.fma(a6, m, c); a7 = Math.fma(a7, m, c);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        if (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 == 42) return 0;     // keeps the chains alive
        return iters * 8 * 2 / s / 1e9;
    }

    /** The CPU's model name (Linux /proc/cpuinfo), else the architecture. */
    public static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
