package org.tessera.cpu;

import org.tessera.backend.Half;

/**
 * Dense conversions between F32 ({@code float[]}) and the 16-bit storage types (F16 in {@code short[]}, BF16 in
 * {@code char[]}), through {@link Half}'s formulas: the BF16 ones are branch-free shifts and adds, which the JIT
 * vectorises in these loops; F16's has branches (subnormals and overflow).
 */
final class HalfConversions {
    private HalfConversions() {}

    /** Whether {@link #convert} handles this pair of arrays. */
    static boolean converts(Object from, Object to) {
        return from instanceof float[] && (to instanceof char[] || to instanceof short[])
                || to instanceof float[] && (from instanceof char[] || from instanceof short[]);
    }

    static void convert(Object from, int fromOffset, Object to, int toOffset, int n) {
        if (from instanceof float[] f) {
            if (to instanceof char[] b) toBf16(f, fromOffset, b, toOffset, n);
            else toF16(f, fromOffset, (short[]) to, toOffset, n);
        } else if (from instanceof char[] b) {
            fromBf16(b, fromOffset, (float[]) to, toOffset, n);
        } else {
            fromF16((short[]) from, fromOffset, (float[]) to, toOffset, n);
        }
    }

    static void toBf16(float[] f, int fo, char[] b, int bo, int n) {
        for (int i = 0; i < n; i++) b[bo + i] = (char) Half.bf16(f[fo + i]);
    }

    static void fromBf16(char[] b, int bo, float[] f, int fo, int n) {
        for (int i = 0; i < n; i++) f[fo + i] = Half.bf16ToFloat((short) b[bo + i]);
    }

    static void toF16(float[] f, int fo, short[] h, int ho, int n) {
        for (int i = 0; i < n; i++) h[ho + i] = Half.f16(f[fo + i]);
    }

    static void fromF16(short[] h, int ho, float[] f, int fo, int n) {
        for (int i = 0; i < n; i++) f[fo + i] = Half.f16ToFloat(h[ho + i]);
    }
}
