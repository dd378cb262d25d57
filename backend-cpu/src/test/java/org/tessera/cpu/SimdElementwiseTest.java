package org.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.UnaryOp;

/**
 * Every SIMD kernel against its op row ({@link UnaryOp}, {@link BinaryOp}), the one source of truth: the row's
 * double formula rounded to float, over special values (NaN, infinities, signed zeros, subnormals) and lengths that
 * leave every tail size. Single-operation formulas must give the same bits (a float op equals its double op rounded);
 * exp, tanh and sigmoid (VectorMath's polynomials) 2 ulp; multi-operation gradients 2 ulp plus float rounding of
 * their factor of dy. NaN, infinities and zero signs always exactly.
 */
class SimdElementwiseTest {
    private static final FastElementwise SIMD = new SimdElementwise();
    private static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, 1f, -1f, 0.5f, -0.5f, 0.625f, -0.625f,
            9.2f, -9.2f, 20f, -20f, 88f, -88f, 89f, -89f, 100f, -100f, -0.3f, 0.45f, 3.4e38f, -3.4e38f, 1e-30f, -1e-30f};

    private static float[] inputs(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i < SPECIAL.length ? SPECIAL[(int) ((i + seed) % SPECIAL.length)] : (float) (3 * r.nextGaussian());
        return x;
    }

    private static float p(UnaryOp op) {
        return switch (op) {
            case LEAKY_RELU -> 0.01f;
            case CLAMP -> -0.3f;
            case ADD_SCALAR, MUL_SCALAR, DIV_SCALAR -> 2.5f;
            default -> 0f;
        };
    }

    private static float q(UnaryOp op) {
        return op == UnaryOp.CLAMP ? 0.45f : 0f;
    }

    @Test
    void theHotRowsHaveKernels() {
        for (UnaryOp op : new UnaryOp[] {UnaryOp.RELU, UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.EXP, UnaryOp.MUL_SCALAR}) {
            assertNotNull(SIMD.unary(op), op + " forward");
            assertNotNull(SIMD.unaryBackward(op), op + " backward");
        }
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV}) assertNotNull(SIMD.binary(op), op.name());
        assertNull(SIMD.binary(BinaryOp.BCE_WITH_LOGITS), "no kernel: the caller runs the row");
        assertNull(FastElementwise.NONE.unary(UnaryOp.RELU));
    }

    @Test
    void unaryForwardKernelsAreTheirRows() {
        for (UnaryOp op : UnaryOp.values()) {
            FastElementwise.Unary k = SIMD.unary(op);
            if (k == null) continue;
            for (int n : new int[] {0, 1, 15, 16, 17, 31, 33, 64 + 7, 200}) {
                float[] x = inputs(n + 3, n), y = new float[n + 5];
                java.util.Arrays.fill(y, 12345f);
                k.apply(p(op), q(op), x, 3, y, 2, n);
                for (int i = 0; i < n; i++) {
                    float want = (float) op.forward().apply(x[3 + i], p(op), q(op));
                    int ulps = op == UnaryOp.EXP || op == UnaryOp.TANH || op == UnaryOp.SIGMOID ? 2 : 0;
                    check(op + " forward of " + x[3 + i] + " (n " + n + ", element " + i + ")", want, y[2 + i], ulps, 0);
                }
                if (y[1] != 12345f || y[2 + n] != 12345f) fail(op + ": wrote outside [yo, yo + n)");
            }
        }
    }

    @Test
    void unaryBackwardKernelsAreTheirRows() {
        for (UnaryOp op : UnaryOp.values()) {
            FastElementwise.UnaryBackward k = SIMD.unaryBackward(op);
            if (k == null) continue;
            for (int n : new int[] {0, 1, 15, 16, 17, 33, 200}) {
                float[] x = inputs(n + 1, n), dy = inputs(n + 2, n + 7), dx = new float[n];
                float[] s = switch (op.saves()) {
                    case NONE -> null;
                    case X -> x;
                    case Y -> {
                        float[] y = new float[x.length];
                        for (int i = 0; i < x.length; i++) y[i] = (float) op.forward().apply(x[i], p(op), q(op));
                        yield y;
                    }
                };
                k.apply(p(op), q(op), dy, 2, s, 1, dx, 0, n);
                boolean oneOp = op != UnaryOp.TANH && op != UnaryOp.SIGMOID;
                for (int i = 0; i < n; i++) {
                    float sv = s == null ? 0 : s[1 + i];
                    float want = (float) op.backward().apply(dy[2 + i], sv, p(op), q(op));
                    check(op + " backward of dy " + dy[2 + i] + ", saved " + sv + " (n " + n + ", element " + i + ")", want, dx[i],
                            oneOp ? 0 : 2, oneOp ? 0 : 2e-7 * Math.abs(dy[2 + i]));
                }
            }
        }
    }

    @Test
    void binaryKernelsAreTheirRows() {
        for (BinaryOp op : BinaryOp.values()) {
            FastElementwise.Binary k = SIMD.binary(op);
            if (k == null) continue;
            for (int n : new int[] {0, 1, 16, 17, 33, SPECIAL.length * SPECIAL.length}) {
                // every pair of special values meets once in the longest run
                float[] a = new float[n + 1], b = new float[n + 2], out = new float[n];
                float[] ra = inputs(n + 1, 1), rb = inputs(n + 2, 2);
                for (int i = 0; i < n; i++) {
                    boolean pairs = n == SPECIAL.length * SPECIAL.length;
                    a[1 + i] = pairs ? SPECIAL[i / SPECIAL.length] : ra[1 + i];
                    b[2 + i] = pairs ? SPECIAL[i % SPECIAL.length] : rb[2 + i];
                }
                k.apply(a, 1, b, 2, out, 0, n);
                for (int i = 0; i < n; i++) {
                    float want = (float) op.forward().apply(a[1 + i], b[2 + i]);
                    check(op + " of " + a[1 + i] + ", " + b[2 + i], want, out[i], 0, 0);
                }
            }
        }
    }

    /** Exactly for non-finite values and zero signs; else within {@code ulps} ulps of want plus {@code abs}. */
    private static void check(String what, float want, float got, int ulps, double abs) {
        boolean same = Float.isNaN(want) ? Float.isNaN(got) : Float.floatToIntBits(want) == Float.floatToIntBits(got);
        if (same) return;
        boolean special = Float.isNaN(want) || Float.isInfinite(want) || want == 0 || Float.isNaN(got) || Float.isInfinite(got);
        // VectorMath.exp has no subnormal results (0 below e^-87.3): a subnormal row value may come back as +0
        boolean flushed = Math.abs(want) < Float.MIN_NORMAL && got == 0 && ulps > 0;
        if (!special && Math.abs((double) got - want) <= ulps * Math.ulp(want) + abs || flushed) return;
        fail(what + ": kernel " + got + ", row " + want);
    }
}
