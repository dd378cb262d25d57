package org.tessera;

/**
 * A counter-based random stream (Philox4x32-10, Salmon et al., SC'11): the {@code i}-th number depends only on
 * the seed and its counter, so any backend can produce any slice of the stream in parallel and every
 * device draws the same numbers for the same seed. Each draw of {@code n} numbers advances the counter by
 * {@code n}. Not thread-safe for concurrent draws that must be reproducible (calls are serialised, but
 * their order then depends on the threads).
 */
public final class Rng {

    // Philox4x32 round multipliers and Weyl key increments (from the paper); public for the backends' own forms of
    // the same rounds (the CPU backend's vector lanes; random.cl has them as defines)
    public static final int M0 = 0xD2511F53;
    public static final int M1 = 0xCD9E8D57;
    public static final int W0 = 0x9E3779B9;
    public static final int W1 = 0xBB67AE85;
    public static final int ROUNDS = 10;
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

    /**
     * Philox4x32-10 of the four consecutive blocks {@code b .. b+3} under {@code seed}: {@code out[4 j + k]} is word k
     * of block b + j. The four chains of dependent multiplies are independent, so they run interleaved: ~4x the
     * throughput of four calls of {@link #philox(long, long, int[])} (one block is ~60 cycles of latency).
     */
    public static void philox4(long seed, long b, int[] out) {
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        long b1 = b + 1, b2 = b + 2, b3 = b + 3;
        int a0 = (int) b, a1 = (int) (b >>> 32), a2 = 0, a3 = 0;
        int e0 = (int) b1, e1 = (int) (b1 >>> 32), e2 = 0, e3 = 0;
        int f0 = (int) b2, f1 = (int) (b2 >>> 32), f2 = 0, f3 = 0;
        int h0 = (int) b3, h1 = (int) (b3 >>> 32), h2 = 0, h3 = 0;
        final long m0 = M0 & 0xFFFFFFFFL, m1 = M1 & 0xFFFFFFFFL;
        for (int r = 0; r < ROUNDS; r++) {
            long pa0 = m0 * (a0 & 0xFFFFFFFFL), pa1 = m1 * (a2 & 0xFFFFFFFFL);
            long pe0 = m0 * (e0 & 0xFFFFFFFFL), pe1 = m1 * (e2 & 0xFFFFFFFFL);
            long pf0 = m0 * (f0 & 0xFFFFFFFFL), pf1 = m1 * (f2 & 0xFFFFFFFFL);
            long ph0 = m0 * (h0 & 0xFFFFFFFFL), ph1 = m1 * (h2 & 0xFFFFFFFFL);
            a0 = (int) (pa1 >>> 32) ^ a1 ^ k0; a1 = (int) pa1; a2 = (int) (pa0 >>> 32) ^ a3 ^ k1; a3 = (int) pa0;
            e0 = (int) (pe1 >>> 32) ^ e1 ^ k0; e1 = (int) pe1; e2 = (int) (pe0 >>> 32) ^ e3 ^ k1; e3 = (int) pe0;
            f0 = (int) (pf1 >>> 32) ^ f1 ^ k0; f1 = (int) pf1; f2 = (int) (pf0 >>> 32) ^ f3 ^ k1; f3 = (int) pf0;
            h0 = (int) (ph1 >>> 32) ^ h1 ^ k0; h1 = (int) ph1; h2 = (int) (ph0 >>> 32) ^ h3 ^ k1; h3 = (int) ph0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = a0; out[1] = a1; out[2] = a2; out[3] = a3;
        out[4] = e0; out[5] = e1; out[6] = e2; out[7] = e3;
        out[8] = f0; out[9] = f1; out[10] = f2; out[11] = f3;
        out[12] = h0; out[13] = h1; out[14] = h2; out[15] = h3;
    }

    // The stream: element s takes words of Philox block s / 4 (F32 uniforms: one word each) or s / 2 (F64 uniforms
    // and normals: two words each), so four (two) consecutive elements share one evaluation of the ten rounds.

    /** Element {@code s} of the uniform F32 stream: the top 24 bits of word s % 4 of block s / 4, exact in float. */
    public static float uniform32(long seed, long s) {
        return new Reader(seed).uniform32(s);
    }

    /** Element {@code s} of the uniform F64 stream: 53 bits from words 2 (s % 2) and 2 (s % 2) + 1 of block s / 2. */
    public static double uniform64(long seed, long s) {
        return new Reader(seed).uniform64(s);
    }

    /**
     * Element {@code s} of the standard normal stream: Box-Muller on words 2 (s % 2) and 2 (s % 2) + 1 of block s / 2,
     * {@code sqrt(-2 log u1) cos(2 pi u2)} with u1 in (0, 1) (never 0) and u2 in [0, 1). The log and the cosine are
     * Tessera's own ({@link #logUnit}, {@link #cosTurns}), written identically in random.cl, so the stream has the
     * same bits on every device with double precision, F64 and F32 alike (libm's log and cos differ in the last
     * bit between the JDK and OpenCL implementations).
     */
    public static double normal(long seed, long s) {
        return new Reader(seed).normal(s);
    }

    /**
     * Reads one seed's stream element by element, computing each Philox block once for the elements that share it
     * (a loop over consecutive elements costs a quarter or half of a block per element). Not thread-safe: one per
     * thread or task.
     */
    public static final class Reader {
        private final long seed;
        /** Four consecutive blocks, from {@link #first} (a multiple of 4), as {@link #philox4} writes them. */
        private final int[] words = new int[16];
        private long first = -4;

        public Reader(long seed) {
            this.seed = seed;
        }

        /** The word array holding block {@code b}, at {@code 4 (b % 4)}. */
        private int[] blocks(long b) {
            long group = b & ~3L;
            if (group != first) {
                philox4(seed, group, words);
                first = group;
            }
            return words;
        }

        public float uniform32(long s) {
            return (float) ((blocks(s >>> 2)[(int) (s & 15)] >>> 8) * TWO_POW_M24);
        }

        /** Elements {@code s .. s+n-1} of the uniform F32 stream into {@code out} from {@code off}: the same numbers, in bulk. */
        public void uniform32(long s, float[] out, int off, int n) {
            int i = 0;
            while (i < n) {
                long e = s + i;
                int[] w = blocks(e >>> 2);
                int k = (int) (e & 15), take = Math.min(16 - k, n - i);
                for (int j = 0; j < take; j++) out[off + i + j] = (w[k + j] >>> 8) * 0x1.0p-24f;    // exact: 24 bits scaled by 2^-24
                i += take;
            }
        }

        public double uniform64(long s) {
            int[] w = blocks(s >>> 1);
            int k = 2 * (int) (s & 7);
            long bits = ((w[k] & 0xFFFFFFFFL) << 21) | ((w[k + 1] & 0xFFFFFFFFL) >>> 11);
            return bits * TWO_POW_M53;
        }

        public double normal(long s) {
            int[] w = blocks(s >>> 1);
            int k = 2 * (int) (s & 7);
            double u1 = ((w[k] & 0xFFFFFFFFL) + 0.5) * TWO_POW_M32;
            return Math.sqrt(-2 * logUnit(u1)) * cosTurns(w[k + 1]);
        }
    }

    // fdlibm's coefficients (e_log.c, k_cos.c, k_sin.c): minimax polynomials, each within an ulp on its range.
    private static final double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
    private static final double LG1 = 6.666666666666735130e-01, LG2 = 3.999999999940941908e-01, LG3 = 2.857142874366239149e-01,
            LG4 = 2.222219843214978396e-01, LG5 = 1.818357216161805012e-01, LG6 = 1.531383769920937332e-01,
            LG7 = 1.479819860511658591e-01;
    private static final double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03, C3 = 2.48015872894767294178e-05,
            C4 = -2.75573143513906633035e-07, C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
    private static final double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03, S3 = -1.98412698298579493134e-04,
            S4 = 2.75573137070700676789e-06, S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
    private static final double SQRT2 = 1.4142135623730951;
    /** 2 pi / 2^32: one 32-bit word of a turn in radians. */
    private static final double TURN_UNIT = 2 * Math.PI * TWO_POW_M32;

    /**
     * The natural log of a normal double {@code u} in (0, 1), within an ulp: u = m 2^k with m in [sqrt(1/2), sqrt(2)),
     * then fdlibm's log(m) = f - (f^2/2 - s (f^2/2 + R(s^2))), s = f / (2 + f), f = m - 1. Only +, -, *, / and bit
     * operations, in an order random.cl repeats, so both give the same bits.
     */
    static double logUnit(double u) {
        long bits = Double.doubleToRawLongBits(u);
        int k = (int) ((bits >>> 52) & 0x7ff) - 1023;
        double m = Double.longBitsToDouble((bits & 0x000fffffffffffffL) | 0x3ff0000000000000L);
        if (m > SQRT2) {
            m = m * 0.5;
            k += 1;
        }
        double f = m - 1.0;
        double s = f / (2.0 + f);
        double dk = k;
        double z = s * s, w = z * z;
        double t1 = w * (LG2 + w * (LG4 + w * LG6));
        double t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
        double r = t2 + t1;
        double hfsq = 0.5 * f * f;
        return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f);
    }

    /**
     * cos(2 pi w / 2^32) for the unsigned 32-bit word {@code w}, within an ulp or two: the nearest quarter turn is taken
     * off exactly in integers, and the rest (at most an eighth of a turn) goes through fdlibm's sin or cos kernel.
     */
    static double cosTurns(int w) {
        int quarter = (w + 0x20000000) >>> 30;            // the nearest quarter turn, 0..3 (a full turn wraps to 0)
        int rest = w - (quarter << 30);                     // in [-2^29, 2^29)
        double x = rest * TURN_UNIT;                        // in [-pi/4, pi/4]
        double z = x * x;
        if ((quarter & 1) == 0) {
            double c = 1.0 - (0.5 * z - z * (z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))))));
            return quarter == 0 ? c : -c;
        }
        double sin = x + z * x * (S1 + z * (S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)))));
        return quarter == 1 ? -sin : sin;
    }

    @Override
    public String toString() {
        return "Rng(seed=" + seed + ", counter=" + counter() + ")";
    }
}
