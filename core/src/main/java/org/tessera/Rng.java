package org.tessera;

/**
 * A counter-based random stream (Philox4x32-10, Salmon et al., SC'11): the {@code i}-th number depends only on
 * the seed and its counter, so any backend can produce any slice of the stream in parallel and every
 * device draws the same numbers for the same seed. Each draw of {@code n} numbers advances the counter by
 * {@code n}. Not thread-safe for concurrent draws that must be reproducible (calls are serialised, but
 * their order then depends on the threads).
 */
public final class Rng {

    // Philox4x32 round multipliers and Weyl key increments (from the paper).
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final int ROUNDS = 10;
    private static final double TWO_POW_M24 = 0x1.0p-24;
    private static final double TWO_POW_M32 = 0x1.0p-32;
    private static final double TWO_POW_M53 = 0x1.0p-53;

    private final long seed;
    private long counter;

    /** The process-wide stream used where no Rng is given (module initialisation, dropout); seed 0 until {@link #manualSeed}. */
    private static volatile Rng global = new Rng(0);

    /** The process-wide default stream (like PyTorch's default generator). */
    public static Rng global() {
        return global;
    }

    /** Replaces the process-wide default stream by a fresh one with this seed (like {@code torch.manual_seed}). */
    public static void manualSeed(long seed) {
        global = new Rng(seed);
    }

    public Rng(long seed) {
        this(seed, 0);
    }

    /** Resumes a stream at a given counter (see {@link #counter()}), e.g. from a checkpoint. */
    public Rng(long seed, long counter) {
        this.seed = seed;
        this.counter = counter;
    }

    public long seed() {
        return seed;
    }

    /** The counter the next draw starts at. */
    public synchronized long counter() {
        return counter;
    }

    /** Moves the stream to a counter saved earlier with {@link #counter()} (restoring a checkpoint). */
    public synchronized void setCounter(long counter) {
        this.counter = counter;
    }

    /** Reserves {@code n} consecutive counters and returns the first. */
    public synchronized long advance(long n) {
        if (n < 0) throw new IllegalArgumentException("cannot advance an Rng by " + n);
        long first = counter;
        counter += n;
        return first;
    }

    /** A uniform double in [0, 1), the next number of the stream. */
    public double nextDouble() {
        return uniform64(seed, advance(1));
    }

    /** A uniform int in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        return (int) Math.floor(nextDouble() * bound);
    }

    /** Philox4x32-10 of the 128-bit counter (ctr, 0) under the 64-bit key {@code seed}; writes 4 words into {@code out}. */
    public static void philox(long seed, long ctr, int[] out) {
        philox((int) ctr, (int) (ctr >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), out);
    }

    /** Philox4x32-10 of the full 128-bit counter (c0..c3) and 64-bit key (k0, k1), as in Random123's test vectors. */
    public static void philox(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int r = 0; r < ROUNDS; r++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** Element {@code ctr} of the uniform F32 stream: the top 24 bits of word 0, so exactly representable in float. */
    public static float uniform32(long seed, long ctr) {
        return uniform32(seed, ctr, new int[4]);
    }

    /** As {@link #uniform32(long, long)}, with a caller-owned scratch of 4 ints (no allocation in loops). */
    public static float uniform32(long seed, long ctr, int[] scratch) {
        philox(seed, ctr, scratch);
        return (float) ((scratch[0] >>> 8) * TWO_POW_M24);
    }

    /** Element {@code ctr} of the uniform F64 stream: 53 bits from words 0 and 1. */
    public static double uniform64(long seed, long ctr) {
        return uniform64(seed, ctr, new int[4]);
    }

    public static double uniform64(long seed, long ctr, int[] scratch) {
        philox(seed, ctr, scratch);
        long bits = ((scratch[0] & 0xFFFFFFFFL) << 21) | ((scratch[1] & 0xFFFFFFFFL) >>> 11);
        return bits * TWO_POW_M53;
    }

    /** Element {@code ctr} of the standard normal stream: Box-Muller on words 0 and 1 (u1 in (0, 1), never 0). */
    public static double normal(long seed, long ctr) {
        return normal(seed, ctr, new int[4]);
    }

    public static double normal(long seed, long ctr, int[] scratch) {
        philox(seed, ctr, scratch);
        double u1 = ((scratch[0] & 0xFFFFFFFFL) + 0.5) * TWO_POW_M32;
        double u2 = (scratch[1] & 0xFFFFFFFFL) * TWO_POW_M32;
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    @Override
    public String toString() {
        return "Rng(seed=" + seed + ", counter=" + counter() + ")";
    }
}
