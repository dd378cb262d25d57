package org.tessera.backend;

import org.tessera.DType;

/**
 * Conversions between float and the 16-bit storage types, bit for bit as PyTorch's c10::Half and c10::BFloat16:
 * round to nearest even, overflow to infinity, F16 subnormals kept, a NaN becomes F16 {@code 0x7E00} with its sign and
 * BF16 {@code 0xFFFF}, the bits PyTorch 1.13's tensor conversions and ops give (its scalar constructor gives
 * {@code 0x7FC0}; its vectorised kernels, which convert every tensor, {@code 0xFFFF}). A double is rounded to float
 * first, as PyTorch does.
 */
public final class Half {
    private Half() {}

    /** The F16 bits nearest to {@code f}. */
    public static short f16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int abs = x & 0x7fffffff;
        if (abs > 0x7f800000) return (short) (sign | 0x7e00);               // NaN
        if (abs >= 0x477ff000) return (short) (sign | 0x7c00);              // >= 65520 (and inf): infinity
        if (abs >= 0x38800000) {                                           // a normal F16: rebias, round 13 bits away
            int h = (abs - 0x38000000) >>> 13;
            int rest = abs & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) h++;     // a carry into the exponent is right
            return (short) (sign | h);
        }
        if (abs < 0x33000000) return (short) sign;                         // below 2^-25: zero (2^-25 ties to even, zero too)
        int e = abs >>> 23, mant = (abs & 0x7fffff) | 0x800000;             // an F16 subnormal: units of 2^-24
        int shift = 126 - e;                                               // 14..24
        int h = mant >>> shift, rest = mant & ((1 << shift) - 1), halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (h & 1) != 0)) h++;
        return (short) (sign | h);
    }

    /** The float an F16 holds (exactly). */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
        if (e == 0) {
            float v = m * 0x1p-24f;                                        // zero or subnormal, exact in float
            return sign != 0 ? -v : v;
        }
        if (e == 31) return Float.intBitsToFloat(sign | 0x7f800000 | (m << 13));
        return Float.intBitsToFloat(sign | ((e + 112) << 23) | (m << 13));
    }

    /** The BF16 bits nearest to {@code f}. */
    public static short bf16(float f) {
        // branch-free (a select, not a jump), so the JIT vectorises the CPU backend's loops over it
        int x = Float.floatToRawIntBits(f);
        int rounded = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
        return (short) ((x & 0x7fffffff) > 0x7f800000 ? 0xffff : rounded);
    }

    /** The float a BF16 holds (exactly: its bits are the float's top half). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** The bits of {@code v} (rounded to float first) in {@code dtype}, F16 or BF16. */
    public static short bits(DType dtype, double v) {
        return dtype == DType.BF16 ? bf16((float) v) : f16((float) v);
    }

    /** The value of {@code bits} of {@code dtype}, F16 or BF16. */
    public static float value(DType dtype, short bits) {
        return dtype == DType.BF16 ? bf16ToFloat(bits) : f16ToFloat(bits);
    }
}
