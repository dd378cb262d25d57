package org.tessera.opencl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import org.jocl.CLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.DType;
import org.tessera.Rng;
import org.tessera.TesseraException;
import org.tessera.backend.Buffer;
import org.tessera.backend.Strided;

/**
 * Finds the fastest correct gemm.cl configuration for one shape class on one device, in the manner of CLBlast's
 * tuner and tinygrad's BEAM search, but bounded and at first use: the default configuration first (so the winner
 * is never slower than the untuned kernel), then the coarse grid of {@link GemmConfig#coarse}, then (in
 * {@link Mode#FULL}) hill-climbing over {@link GemmConfig#neighbours} of the best so far (within the checked
 * {@link GemmConfig#searchSpace}), until the budget is
 * spent. A candidate may win only after its result matched a double-precision reference on this device: every
 * element of a small product whose sizes cut every tile edge, and sampled elements of the timed product.
 */
final class GemmTuner {
    private static final Logger LOG = LoggerFactory.getLogger(GemmTuner.class);
    /** Timed products are cut down to at most this many multiply-adds (2048^2 x 1024): big enough to be steady. */
    static final long MAX_TIMED_WORK = 1L << 32;

    /** How much searching a first GEMM of a shape class does (property tessera.opencl.tune). */
    enum Mode {
        /** no search: the default configuration of the device's kind */
        OFF(Duration.ZERO),
        /** the default plus the coarse grid, a few seconds per class */
        QUICK(Duration.ofSeconds(3)),
        /** the coarse grid, then local refinement around the best */
        FULL(Duration.ofSeconds(30));

        private final Duration budget;

        Mode(Duration budget) {
            this.budget = budget;
        }

        /** Time per shape class (property tessera.opencl.tuneBudget, in seconds, overrides). */
        Duration budget() {
            String v = System.getProperty("tessera.opencl.tuneBudget");
            return v == null ? budget : Duration.ofMillis((long) (Double.parseDouble(v) * 1000));
        }

        static Mode configured() {
            String v = System.getProperty("tessera.opencl.tune", "quick");
            try {
                return valueOf(v.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TesseraException("tessera.opencl.tune must be off, quick or full, got '" + v + "'");
            }
        }
    }

    /** One candidate's outcome: GFLOP/s (NaN when it did not run) and "ok" or why it was rejected. */
    record Trial(GemmConfig config, double gflops, String verdict) {
        boolean ok() {
            return "ok".equals(verdict);
        }
    }

    /** The search of one class: every trial in order, the winner and the default it was measured against. */
    record Result(GemmClass shapeClass, String shape, List<Trial> trials, GemmConfig winner, double winnerGflops,
                  GemmConfig baseline, double baselineGflops) {}

    private final OpenClBackend backend;
    private final ClDevice device;

    GemmTuner(OpenClBackend backend) {
        this.backend = backend;
        this.device = backend.device();
    }

    /**
     * Tunes class {@code c} on a product of the class's shape (m, n, k halved down to {@link #MAX_TIMED_WORK} when
     * larger), reporting each trial to {@code progress} as it finishes.
     */
    Result tune(GemmClass c, int m, int n, int k, Mode mode, Duration budget, Consumer<Trial> progress) {
        return tune(c, m, n, k, mode, budget, null, progress);
    }

    /**
     * As above, with {@code previous} (an earlier winner, or null) timed right after the default: a search again with
     * a short budget keeps it unless something beats it now.
     */
    Result tune(GemmClass c, int m, int n, int k, Mode mode, Duration budget, GemmConfig previous, Consumer<Trial> progress) {
        // halve the largest dim until the product is small enough: halving keeps the strides' powers of two, whose
        // cache-set conflicts decide which layout wins (a 1625-wide scaled copy of a 2048-wide layer hid them)
        int tm = m, tn = n, tk = k;
        while ((long) tm * tn * tk > MAX_TIMED_WORK) {
            if (tm >= tn && tm >= tk) tm = (tm + 1) / 2;
            else if (tn >= tk) tn = (tn + 1) / 2;
            else tk = (tk + 1) / 2;
        }
        String shape = tm + "x" + tn + "x" + tk;
        LOG.info("tuning GEMM {} on {} ({} product, budget {} s; once per shape class, the winner is cached)", c, device.name(), shape,
                budget.toMillis() / 1000.0);
        long deadline = System.nanoTime() + budget.toNanos();
        GemmConfig baseline = GemmConfig.defaultFor(device, c);
        try (Problem timed = new Problem(c, tm, tn, tk, 1)) {
            List<Trial> trials = new ArrayList<>();
            Set<GemmConfig> seen = new LinkedHashSet<>();
            Trial best = null, base = null;
            List<GemmConfig> queue = new ArrayList<>();
            queue.add(baseline);
            if (previous != null && GemmConfig.searchSpace().contains(previous)) queue.add(previous);
            queue.addAll(GemmConfig.coarse(device.gpu(), c.transposed()));
            for (int i = 0; i < queue.size(); i++) {
                // without a transposed operand, in place or not is the same kernel
                GemmConfig cfg = c.transposed() ? queue.get(i) : queue.get(i).withInPlace(baseline.inPlace());
                if (i > (previous == null ? 0 : 1) && System.nanoTime() > deadline) break;   // the default and the previous always run
                if (!seen.add(cfg) || !cfg.fits(device.limits(), c.dtype())) continue;
                Trial t = trial(cfg, timed);
                trials.add(t);
                progress.accept(t);
                if (cfg.equals(baseline)) base = t;
                if (t.ok() && (best == null || t.gflops() > best.gflops())) best = t;
                if (mode == Mode.FULL && i == queue.size() - 1 && best != null && System.nanoTime() < deadline) {
                    // local refinement: the unseen neighbours of the best so far go to the back of the queue
                    for (GemmConfig nb : best.config().neighbours()) {
                        if (GemmConfig.searchSpace().contains(nb) && !seen.contains(nb) && !queue.contains(nb)) queue.add(nb);
                    }
                }
            }
            if (best == null) {
                throw new TesseraException("GEMM tuning for " + c + " on " + device.describe() + ": no candidate gave a correct result; "
                        + "trials: " + trials);
            }
            LOG.info("GEMM {} on {}: {} ({} GFLOP/s; default {} GFLOP/s) after {} candidates", c, device.name(), best.config(),
                    String.format(Locale.ROOT, "%.1f", best.gflops()), base == null ? "n/a" : String.format(Locale.ROOT, "%.1f", base.gflops()),
                    trials.size());
            return new Result(c, shape, List.copyOf(trials), best.config(), best.gflops(), baseline, base == null ? Double.NaN : base.gflops());
        }
    }

    /**
     * Checks one configuration on a product that cuts every edge of its tiles (every element) and on the timed
     * product (sampled elements), then times it: the median of five runs.
     */
    private Trial trial(GemmConfig cfg, Problem timed) {
        try (Problem edges = new Problem(timed.c, cfg.tileM() + 3, cfg.tileN() + 5, 2 * cfg.kt() + 1, 2)) {
            String wrong = edges.check(cfg, false);
            if (wrong != null) return new Trial(cfg, Double.NaN, "wrong: " + wrong);
            wrong = timed.check(cfg, true);   // also the warm-up run of the timed product
            if (wrong != null) return new Trial(cfg, Double.NaN, "wrong: " + wrong);
            double once = timed.seconds(cfg, 1);
            int reps = (int) Math.max(1, Math.min(20, 0.03 / Math.max(once, 1e-6)));
            double[] runs = new double[5];
            for (int r = 0; r < runs.length; r++) runs[r] = timed.seconds(cfg, reps);
            Arrays.sort(runs);
            return new Trial(cfg, timed.flops() / runs[runs.length / 2] / 1e9, "ok");
        } catch (TesseraException | CLException e) {
            return new Trial(cfg, Double.NaN, "failed: " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "?";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Operands of one product on the device, with their host copies for the reference. */
    private final class Problem implements AutoCloseable {
        final GemmClass c;
        final int m, n, k;
        final double[] a, b;
        final Buffer da, db, dc;
        final int sample;   // elements checked: all when 0

        Problem(GemmClass c, int m, int n, int k, long seed) {
            this.c = c;
            this.m = m;
            this.n = n;
            this.k = k;
            this.sample = (long) m * n > 4096 ? 256 : 0;
            a = new double[m * k];
            b = new double[k * n];
            for (int i = 0; i < a.length; i++) a[i] = Rng.uniform32(seed, i) - 0.5f;
            for (int i = 0; i < b.length; i++) b[i] = Rng.uniform32(seed + 100, i) - 0.5f;
            da = upload(a);
            db = upload(b);
            dc = backend.allocate(c.dtype(), m * n);
        }

        private Buffer upload(double[] v) {
            Buffer buf = backend.allocate(c.dtype(), v.length);
            if (c.dtype() == DType.F64) backend.write(buf, v);
            else {
                float[] f = new float[v.length];
                for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
                backend.write(buf, f);
            }
            return buf;
        }

        double flops() {
            return 2.0 * m * n * k;
        }

        void run(GemmConfig cfg) {
            // A is stored [k, m] when transposed, B [n, k]
            Strided sa = c.transA() ? view(da, k, m) : view(da, m, k), sb = c.transB() ? view(db, n, k) : view(db, k, n);
            backend.matmul(cfg, sa, c.transA(), sb, c.transB(), view(dc, m, n), 1, 0);
        }

        double seconds(GemmConfig cfg, int reps) {
            backend.synchronize();
            long start = System.nanoTime();
            for (int r = 0; r < reps; r++) run(cfg);
            backend.synchronize();
            return (System.nanoTime() - start) / 1e9 / reps;
        }

        /** Runs the product once; returns null when it matches the reference, else the first mismatch. */
        String check(GemmConfig cfg, boolean sampled) {
            backend.fill(view(dc, m, n), Double.NaN);   // an element the kernel skips cannot pass
            run(cfg);
            double[] got = new double[m * n];
            if (c.dtype() == DType.F64) backend.read(view(dc, m, n), got);
            else {
                float[] f = new float[m * n];
                backend.read(view(dc, m, n), f);
                for (int i = 0; i < f.length; i++) got[i] = f[i];
            }
            double eps = c.dtype() == DType.F64 ? 1e-13 : 1e-5;
            int count = sampled ? sample : m * n;
            for (int s = 0; s < count; s++) {
                int idx = sample > 0 && sampled ? (int) ((s * 2654435761L) % ((long) m * n)) : s;
                int i = idx / n, j = idx % n;
                double ref = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    double x = c.transA() ? a[p * m + i] : a[i * k + p], y = c.transB() ? b[j * k + p] : b[p * n + j];
                    ref += x * y;
                    mag += Math.abs(x * y);
                }
                if (!(Math.abs(got[idx] - ref) <= eps * (mag + 1) * Math.sqrt(k))) {
                    return String.format(Locale.ROOT, "C[%d,%d] of %dx%dx%d = %s, expected %s", i, j, m, n, k, got[idx], ref);
                }
            }
            return null;
        }

        @Override
        public void close() {
            backend.release(da);
            backend.release(db);
            backend.release(dc);
        }
    }

    private static Strided view(Buffer buf, int rows, int cols) {
        return new Strided(buf, new int[] {1, rows, cols}, new int[] {rows * cols, cols, 1}, 0);
    }
}
