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

    /** e^x: +Inf above ~88.72, 0 below ~-87.34 (no subnormal results), NaN for NaN. */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_UNDERFLOW).min(EXP_OVERFLOW);
        FloatVector t = xc.mul(LOG2E).add(ROUNDER);      // n = round(x / ln 2) sits in t's low mantissa bits
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.mul(-LN2_HI).add(xc).sub(n.mul(LN2_LO));
        FloatVector p = r.broadcast(1.9875691500E-4f);
        p = p.mul(r).add(1.3981999507E-3f);
        p = p.mul(r).add(8.3334519073E-3f);
        p = p.mul(r).add(4.1665795894E-2f);
        p = p.mul(r).add(1.6666665459E-1f);
        p = p.mul(r).add(5.0000001201E-1f);
        FloatVector er = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n from the exponent bits; n lies in [-126, 128): split in two halves so 2^128 never has to exist.
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
