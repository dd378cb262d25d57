package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * exp and tanh for F32 vectors from + * fma and bit operations only, so the result of an element is the same bits
 * whether the Vector API code runs interpreted, in C1 or intrinsified by C2. (The JDK's own lanewise EXP/TANH
 * use SVML when compiled and Math.* otherwise, which differ in the last bit: the same training run then gave
 * different weights depending on JIT warm-up.) Accuracy: within 2 ulp of the exact value over the whole float
 * range (checked against double precision in the tests). Range reduction and minimax polynomials as in Cephes.
 * Loaded only through {@link SimdSupport}.
 */
final class VectorMath {
    private VectorMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 in two parts: n * LN2_HI is exact for the n that occur, so r = x - n ln 2 keeps its low bits
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** Adding and subtracting 1.5 * 2^23 rounds a float of magnitude < 2^22 to the nearest integer. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float EXP_OVERFLOW = 88.72283905206835f, EXP_UNDERFLOW = -87.33654475055310898657f;

    /**
     * e^x: +Inf above ~88.72, 0 below ~-87.34 (no subnormal results), NaN for NaN. The reduction and the polynomial
     * are fused multiply-adds (Horner), which halved the operations of the mul-then-add form.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_UNDERFLOW).min(EXP_OVERFLOW);
        FloatVector t = xc.fma(LOG2E, ROUNDER);            // n = round(x / ln 2) sits in t's low mantissa bits
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(n.broadcast(-LN2_HI), xc);
        r = n.fma(n.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(1.9875691500E-4f, 1.3981999507E-3f);
        p = p.fma(r, p.broadcast(8.3334519073E-3f));
        p = p.fma(r, p.broadcast(4.1665795894E-2f));
        p = p.fma(r, p.broadcast(1.6666665459E-1f));
        p = p.fma(r, p.broadcast(5.0000001201E-1f));
        FloatVector er = p.fma(r.mul(r), r).add(1f);
        // 2^n from the exponent bits; n lies in [-126, 128]: split in two halves so 2^128 never has to exist.
        // (n read from t's bits, not with convert(F2I), which JDK 17 does not intrinsify: 10x slower)
        IntVector ni = t.reinterpretAsInts().sub(ROUNDER_BITS);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = er.mul(s1).mul(s2);
        e = e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_OVERFLOW));
        e = e.blend(0f, x.compare(VectorOperators.LT, EXP_UNDERFLOW));
        return e;
    }

    /**
     * {@link #exp(FloatVector)} for one float, the same operations in the same order, so it gives a lane's bits: for
     * row tails. (A tail through the vector form would call it from a cold path, where C2 does not inline it; out of
     * line, a FloatVector argument's class is unknown, nothing is intrinsified and every op boxes: 12 ns an element.)
     */
    static float exp(float x) {
        float xc = Math.min(Math.max(x, EXP_UNDERFLOW), EXP_OVERFLOW);
        float t = Math.fma(xc, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, 1.9875691500E-4f, 1.3981999507E-3f);
        p = Math.fma(p, r, 8.3334519073E-3f);
        p = Math.fma(p, r, 4.1665795894E-2f);
        p = Math.fma(p, r, 1.6666665459E-1f);
        p = Math.fma(p, r, 5.0000001201E-1f);
        float er = Math.fma(p, r * r, r) + 1f;
        int ni = Float.floatToRawIntBits(t) - ROUNDER_BITS;
        int half = ni >> 1;
        float e = er * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((ni - half + 127) << 23);
        if (x > EXP_OVERFLOW) return Float.POSITIVE_INFINITY;
        if (x < EXP_UNDERFLOW) return 0f;
        return e;
    }

    /** tanh x: an odd polynomial below |x| = 0.625 (no cancellation), 1 - 2 / (e^{2|x|} + 1) above, with x's sign. */
    static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector z = x.mul(x);
        FloatVector p = z.broadcast(-5.70498872745E-3f);
        p = p.mul(z).add(2.06390887954E-2f);
        p = p.mul(z).add(-5.37397155531E-2f);
        p = p.mul(z).add(1.33314422036E-1f);
        p = p.mul(z).add(-3.33332819422E-1f);
        FloatVector small = x.mul(z).fma(p, x);
        FloatVector large = exp(ax.add(ax)).add(1f);
        large = large.broadcast(1f).sub(large.broadcast(2f).div(large));
        large = large.blend(large.neg(), x.compare(VectorOperators.LT, 0f));
        VectorMask<Float> isSmall = ax.compare(VectorOperators.LT, 0.625f);
        return large.blend(small, isSmall).blend(x, x.compare(VectorOperators.EQ, 0f));   // keeps -0
    }
}
