package org.tessera.cpu;

/**
 * Portable micro-kernel, used when the Vector API module is absent: a 4x4 tile in sixteen scalar locals,
 * which C2 keeps in registers (4 loads of A and 4 of B feed 16 multiply-adds per k step). HotSpot 17 and 25
 * did not vectorise any array-based variant tried (4x16 .. 8x256 tiles with local or parameter accumulators,
 * all ~4-5 GFLOP/s per thread); this one reaches ~9 GFLOP/s per thread. The Vector API kernel is ~20x faster.
 */
final class ScalarMicroKernel implements MicroKernel {
    private static final int MR = 4;
    private static final int NR = 4;

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void run(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, boolean accumulate) {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int k = 0; k < kc; k++) {
            int a = ao + k * MR, b = bo + k * NR;
            float a0 = ap[a], a1 = ap[a + 1], a2 = ap[a + 2], a3 = ap[a + 3];
            float b0 = bp[b], b1 = bp[b + 1], b2 = bp[b + 2], b3 = bp[b + 3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        store(c, co, c00, c01, c02, c03, accumulate);
        store(c, co + ldc, c10, c11, c12, c13, accumulate);
        store(c, co + 2 * ldc, c20, c21, c22, c23, accumulate);
        store(c, co + 3 * ldc, c30, c31, c32, c33, accumulate);
    }

    private static void store(float[] c, int at, float v0, float v1, float v2, float v3, boolean accumulate) {
        if (accumulate) {
            c[at] += v0; c[at + 1] += v1; c[at + 2] += v2; c[at + 3] += v3;
        } else {
            c[at] = v0; c[at + 1] = v1; c[at + 2] = v2; c[at + 3] = v3;
        }
    }
}
