package org.tessera.cpu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tessera.DType;
import org.tessera.backend.Strided;

/**
 * Hands the GEMM to {@link SimdSupport#candidate()} once it runs faster than the kernel in use. The candidate only
 * reaches speed in C2 code, and C2 compiles it after thousands of calls; until then it runs interpreted, hundreds of
 * times slower, so no product of the user's waits on that. Run on the warm-up thread ({@link Warmup}), after the warm-up
 * steps: the same small products, in every operand layout, through a one-thread GEMM on each kernel, timed side by
 * side. The user's work runs meanwhile and preempts trials (single trials of either kernel swung 0.3 -> 6 ms in a first
 * epoch), so trials are judged in windows of {@link #WINDOW}, each kernel by its fastest trial of the window; the
 * candidate is promoted after {@link #WINS_NEEDED} windows in a row that it won. Neither an interpreted candidate
 * (100x behind) nor one in the slow C2 code some JVMs make of it (3-4x behind: its vector stores not intrinsified)
 * wins a window's best. Products do not change with the kernel: every element of C is the same chain of fused
 * multiply-adds whatever the tile shape (KernelAgreementTest), so a promotion changes speed only. The trials stop
 * after {@link #GIVE_UP_NANOS} and the kernel in use stays.
 */
final class KernelPromotion {
    private static final Logger LOG = LoggerFactory.getLogger(KernelPromotion.class);
    /** Promotions took 56-224 trials, 1.5-2.6 s into a first epoch (2 Xeon cores); the trials hold one core meanwhile. */
    private static final long GIVE_UP_NANOS = 15_000_000_000L;
    static final int WINDOW = 8, WINS_NEEDED = 3;

    private KernelPromotion() {}

    /** The race so far: windows won in a row, and the fastest trial of each kernel in the current window. */
    static final class Race {
        private int trials, wins;
        private long bestCandidate = Long.MAX_VALUE, bestIncumbent = Long.MAX_VALUE;

        /** Records one trial of each kernel; true once the candidate has won {@link #WINS_NEEDED} windows in a row. */
        boolean trial(long candidateNanos, long incumbentNanos) {
            bestCandidate = Math.min(bestCandidate, candidateNanos);
            bestIncumbent = Math.min(bestIncumbent, incumbentNanos);
            if (++trials % WINDOW == 0) {
                wins = bestCandidate <= bestIncumbent ? wins + 1 : 0;
                bestCandidate = bestIncumbent = Long.MAX_VALUE;
            }
            return wins >= WINS_NEEDED;
        }

        int trials() {
            return trials;
        }
    }

    /** Runs the trials on the calling thread; true if the candidate was promoted. */
    static boolean run() {
        MicroKernel candidate = SimdSupport.candidate(), incumbent = SimdSupport.kernel();
        if (candidate == null || candidate == incumbent) return false;
        Parallel one = new Parallel(1);
        Gemm fast = new Gemm(one, candidate), base = new Gemm(one, incumbent);
        // 100 rows (8 tiles of 12 and an edge), depth 256, 150 columns (4 panels of 32 and an edge): every path of the
        // blocked product, as the warm-up steps cover the base kernel's
        int m = 100, k = 256, n = 150;
        Strided a = f32(m, k), at = f32(k, m), b = f32(k, n), bt = f32(n, k), c = f32(m, n);
        long t0 = System.nanoTime();
        Race race = new Race();
        while (System.nanoTime() - t0 < GIVE_UP_NANOS) {
            long tf = trial(fast, a, at, b, bt, c), tb = trial(base, a, at, b, bt, c);
            boolean won = race.trial(tf, tb);
            if (race.trials() % 50 == 0) LOG.trace("trial {}: {} us against {} us", race.trials(), tf / 1000, tb / 1000);
            if (won) {
                SimdSupport.promote(candidate);
                LOG.debug("GEMM kernel {}x{} promoted after {} trials, {} ms (last trial {} us against {} us)", candidate.mr(),
                        candidate.nr(), race.trials(), (System.nanoTime() - t0) / 1_000_000, tf / 1000, tb / 1000);
                return true;
            }
        }
        LOG.debug("GEMM kernel {}x{} not promoted: not faster than {}x{} in {} trials", candidate.mr(), candidate.nr(),
                incumbent.mr(), incumbent.nr(), race.trials());
        return false;
    }

    /** One product per layout of A and B (row-major, transposed), as a training step has them. */
    private static long trial(Gemm g, Strided a, Strided at, Strided b, Strided bt, Strided c) {
        long t0 = System.nanoTime();
        g.matmul(a, false, bt, true, c, 1, 0);      // x W^T
        g.matmul(at, true, b, false, c, 1, 1);      // g^T x, adding
        g.matmul(a, false, b, false, c, 0.5, 0);    // g W, alpha
        return System.nanoTime() - t0;
    }

    private static Strided f32(int rows, int cols) {
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) data[i] = (i % 17) * 0.1f - 0.8f;
        return new Strided(new CpuBuffer(DType.F32, data, data.length), new int[] {1, rows, cols}, new int[] {0, cols, 1}, 0);
    }
}
