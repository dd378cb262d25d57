package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packs a panel of a transposed B (stored [N, K]: a panel's columns are rows of the stored matrix) in L x L blocks
 * transposed in registers, L the preferred vector length (16 with AVX-512, 8 with AVX2): L row loads, log2(L)
 * butterfly stages of lane shifts and blends, L stores of panel rows. The scalar form moved four elements per
 * load-store pair, ~0.4 ns per element, a quarter of a [64, 256] x [256, 256]^T product. Edge panels and the depth
 * left over by the blocks go through {@link MicroKernel#packTransposedScalar}. Generated code: the blocks are
 * written out because vectors in an array are objects to C2. Loaded only through the Vector API kernels.
 */
final class SimdTranspose {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** UP[d]: lane l takes lane l - d; DOWN[d]: lane l takes lane l + d (indices wrapped; the blend masks them). */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] UP = new VectorShuffle[L], DOWN = new VectorShuffle[L];
    /** HIGH[d]: the lanes whose bit d is set; LOW[d]: the others. */
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] HIGH = new VectorMask[L], LOW = new VectorMask[L];

    static {
        for (int d = 1; d < L; d *= 2) {
            int dd = d;
            UP[d] = VectorShuffle.fromOp(S, l -> (l - dd) & (L - 1));
            DOWN[d] = VectorShuffle.fromOp(S, l -> (l + dd) & (L - 1));
            boolean[] high = new boolean[L];
            for (int l = 0; l < L; l++) high[l] = (l & d) != 0;
            HIGH[d] = VectorMask.fromArray(S, high, 0);
            LOW[d] = HIGH[d].not();
        }
    }

    private SimdTranspose() {}

    /** As {@link MicroKernel#copyPanelRow} for NR = 2 L: two vector moves. */
    static void copyTwoVectors(float[] bd, int src, float[] bp, int at) {
        FloatVector.fromArray(S, bd, src).intoArray(bp, at);
        FloatVector.fromArray(S, bd, src + L).intoArray(bp, at + L);
    }

    /** As {@link MicroKernel#packTransposedB}, for {@code nr} a multiple of L. */
    static void pack(float[] bd, int src, int ld, int kc, int cols, float[] bp, int at, int nr) {
        if (cols < nr || (L != 16 && L != 8)) {
            MicroKernel.packTransposedScalar(bd, src, ld, 0, kc, cols, bp, at, nr);
            return;
        }
        int k0 = 0;
        for (; k0 + L <= kc; k0 += L) {
            for (int j0 = 0; j0 < nr; j0 += L) {
                if (L == 16) block16(bd, src + j0 * ld + k0, ld, bp, at + k0 * nr + j0, nr);
                else block8(bd, src + j0 * ld + k0, ld, bp, at + k0 * nr + j0, nr);
            }
        }
        if (k0 < kc) MicroKernel.packTransposedScalar(bd, src, ld, k0, kc, cols, bp, at, nr);
    }

    /**
     * As {@link MicroKernel#packRows} for panels of L/2 rows (the 8 x 2 and 4 x 2 kernels): each L x L block of A
     * (L rows, L deep) is transposed in registers into a scratch block, whose halves are two panels' next L k steps.
     * Rows left over by pairs of panels and depth left over by the blocks go element by element.
     */
    static void packHalfPanels(float[] ad, int src, int ld, int kc, int rows, float[] ap, int at) {
        int h = L / 2, r0 = 0;
        if (L == 16 || L == 8) {
            float[] block = new float[L * L];
            for (; r0 + L <= rows; r0 += L) {
                int s = src + r0 * ld, low = at + r0 * kc, high = low + h * kc, k0 = 0;
                for (; k0 + L <= kc; k0 += L) {
                    if (L == 16) block16(ad, s + k0, ld, block, 0, L);
                    else block8(ad, s + k0, ld, block, 0, L);
                    for (int j = 0; j < L; j++) {
                        System.arraycopy(block, j * L, ap, low + (k0 + j) * h, h);
                        System.arraycopy(block, j * L + h, ap, high + (k0 + j) * h, h);
                    }
                }
                if (k0 < kc) {
                    MicroKernel.packTransposedScalar(ad, s, ld, k0, kc, h, ap, low, h);
                    MicroKernel.packTransposedScalar(ad, s + h * ld, ld, k0, kc, h, ap, high, h);
                }
            }
        }
        for (; r0 < rows; r0 += h) MicroKernel.packTransposedScalar(ad, src + r0 * ld, ld, 0, kc, Math.min(h, rows - r0), ap, at + r0 * kc, h);
    }

    /** One 16 x 16 block: rows j of the stored matrix (k along them) in, rows k of the panel out. */
    private static void block16(float[] bd, int s, int ld, float[] bp, int d, int nr) {
        FloatVector r0 = FloatVector.fromArray(S, bd, s + 0 * ld);
        FloatVector r1 = FloatVector.fromArray(S, bd, s + 1 * ld);
        FloatVector r2 = FloatVector.fromArray(S, bd, s + 2 * ld);
        FloatVector r3 = FloatVector.fromArray(S, bd, s + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(S, bd, s + 4 * ld);
        FloatVector r5 = FloatVector.fromArray(S, bd, s + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(S, bd, s + 6 * ld);
        FloatVector r7 = FloatVector.fromArray(S, bd, s + 7 * ld);
        FloatVector r8 = FloatVector.fromArray(S, bd, s + 8 * ld);
        FloatVector r9 = FloatVector.fromArray(S, bd, s + 9 * ld);
        FloatVector r10 = FloatVector.fromArray(S, bd, s + 10 * ld);
        FloatVector r11 = FloatVector.fromArray(S, bd, s + 11 * ld);
        FloatVector r12 = FloatVector.fromArray(S, bd, s + 12 * ld);
        FloatVector r13 = FloatVector.fromArray(S, bd, s + 13 * ld);
        FloatVector r14 = FloatVector.fromArray(S, bd, s + 14 * ld);
        FloatVector r15 = FloatVector.fromArray(S, bd, s + 15 * ld);
        FloatVector t;
        // lanes 8 apart: rows i and i + 8 swap their off-diagonal 8 x 8 blocks
        t = r0; r0 = t.blend(r8.rearrange(UP[8]), HIGH[8]); r8 = r8.blend(t.rearrange(DOWN[8]), LOW[8]);
        t = r1; r1 = t.blend(r9.rearrange(UP[8]), HIGH[8]); r9 = r9.blend(t.rearrange(DOWN[8]), LOW[8]);
        t = r2; r2 = t.blend(r10.rearrange(UP[8]), HIGH[8]); r10 = r10.blend(t.rearrange(DOWN[8]), LOW[8]);
        t = r3; r3 = t.blend(r11.rearrange(UP[8]), HIGH[8]); r11 = r11.blend(t.rearrange(DOWN[8]), LOW[8]);
        t = r4; r4 = t.blend(r12.rearrange(UP[8]), HIGH[8]); r12 = r12.blend(t.rearrange(DOWN[8]), LOW[8]);
        t = r5; r5 = t.blend(r13.rearrange(UP[8]), HIGH[8]); r13 = r13.blend(t.rearrange(DOWN[8]), LOW[8]);
        t = r6; r6 = t.blend(r14.rearrange(UP[8]), HIGH[8]); r14 = r14.blend(t.rearrange(DOWN[8]), LOW[8]);
        t = r7; r7 = t.blend(r15.rearrange(UP[8]), HIGH[8]); r15 = r15.blend(t.rearrange(DOWN[8]), LOW[8]);
        // lanes 4 apart: rows i and i + 4 swap their off-diagonal 4 x 4 blocks
        t = r0; r0 = t.blend(r4.rearrange(UP[4]), HIGH[4]); r4 = r4.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r1; r1 = t.blend(r5.rearrange(UP[4]), HIGH[4]); r5 = r5.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r2; r2 = t.blend(r6.rearrange(UP[4]), HIGH[4]); r6 = r6.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r3; r3 = t.blend(r7.rearrange(UP[4]), HIGH[4]); r7 = r7.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r8; r8 = t.blend(r12.rearrange(UP[4]), HIGH[4]); r12 = r12.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r9; r9 = t.blend(r13.rearrange(UP[4]), HIGH[4]); r13 = r13.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r10; r10 = t.blend(r14.rearrange(UP[4]), HIGH[4]); r14 = r14.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r11; r11 = t.blend(r15.rearrange(UP[4]), HIGH[4]); r15 = r15.blend(t.rearrange(DOWN[4]), LOW[4]);
        // lanes 2 apart: rows i and i + 2 swap their off-diagonal 2 x 2 blocks
        t = r0; r0 = t.blend(r2.rearrange(UP[2]), HIGH[2]); r2 = r2.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r1; r1 = t.blend(r3.rearrange(UP[2]), HIGH[2]); r3 = r3.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r4; r4 = t.blend(r6.rearrange(UP[2]), HIGH[2]); r6 = r6.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r5; r5 = t.blend(r7.rearrange(UP[2]), HIGH[2]); r7 = r7.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r8; r8 = t.blend(r10.rearrange(UP[2]), HIGH[2]); r10 = r10.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r9; r9 = t.blend(r11.rearrange(UP[2]), HIGH[2]); r11 = r11.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r12; r12 = t.blend(r14.rearrange(UP[2]), HIGH[2]); r14 = r14.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r13; r13 = t.blend(r15.rearrange(UP[2]), HIGH[2]); r15 = r15.blend(t.rearrange(DOWN[2]), LOW[2]);
        // lanes 1 apart: rows i and i + 1 swap their off-diagonal 1 x 1 blocks
        t = r0; r0 = t.blend(r1.rearrange(UP[1]), HIGH[1]); r1 = r1.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r2; r2 = t.blend(r3.rearrange(UP[1]), HIGH[1]); r3 = r3.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r4; r4 = t.blend(r5.rearrange(UP[1]), HIGH[1]); r5 = r5.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r6; r6 = t.blend(r7.rearrange(UP[1]), HIGH[1]); r7 = r7.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r8; r8 = t.blend(r9.rearrange(UP[1]), HIGH[1]); r9 = r9.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r10; r10 = t.blend(r11.rearrange(UP[1]), HIGH[1]); r11 = r11.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r12; r12 = t.blend(r13.rearrange(UP[1]), HIGH[1]); r13 = r13.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r14; r14 = t.blend(r15.rearrange(UP[1]), HIGH[1]); r15 = r15.blend(t.rearrange(DOWN[1]), LOW[1]);
        r0.intoArray(bp, d + 0 * nr);
        r1.intoArray(bp, d + 1 * nr);
        r2.intoArray(bp, d + 2 * nr);
        r3.intoArray(bp, d + 3 * nr);
        r4.intoArray(bp, d + 4 * nr);
        r5.intoArray(bp, d + 5 * nr);
        r6.intoArray(bp, d + 6 * nr);
        r7.intoArray(bp, d + 7 * nr);
        r8.intoArray(bp, d + 8 * nr);
        r9.intoArray(bp, d + 9 * nr);
        r10.intoArray(bp, d + 10 * nr);
        r11.intoArray(bp, d + 11 * nr);
        r12.intoArray(bp, d + 12 * nr);
        r13.intoArray(bp, d + 13 * nr);
        r14.intoArray(bp, d + 14 * nr);
        r15.intoArray(bp, d + 15 * nr);
    }

    /** One 8 x 8 block: rows j of the stored matrix (k along them) in, rows k of the panel out. */
    private static void block8(float[] bd, int s, int ld, float[] bp, int d, int nr) {
        FloatVector r0 = FloatVector.fromArray(S, bd, s + 0 * ld);
        FloatVector r1 = FloatVector.fromArray(S, bd, s + 1 * ld);
        FloatVector r2 = FloatVector.fromArray(S, bd, s + 2 * ld);
        FloatVector r3 = FloatVector.fromArray(S, bd, s + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(S, bd, s + 4 * ld);
        FloatVector r5 = FloatVector.fromArray(S, bd, s + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(S, bd, s + 6 * ld);
        FloatVector r7 = FloatVector.fromArray(S, bd, s + 7 * ld);
        FloatVector t;
        // lanes 4 apart: rows i and i + 4 swap their off-diagonal 4 x 4 blocks
        t = r0; r0 = t.blend(r4.rearrange(UP[4]), HIGH[4]); r4 = r4.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r1; r1 = t.blend(r5.rearrange(UP[4]), HIGH[4]); r5 = r5.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r2; r2 = t.blend(r6.rearrange(UP[4]), HIGH[4]); r6 = r6.blend(t.rearrange(DOWN[4]), LOW[4]);
        t = r3; r3 = t.blend(r7.rearrange(UP[4]), HIGH[4]); r7 = r7.blend(t.rearrange(DOWN[4]), LOW[4]);
        // lanes 2 apart: rows i and i + 2 swap their off-diagonal 2 x 2 blocks
        t = r0; r0 = t.blend(r2.rearrange(UP[2]), HIGH[2]); r2 = r2.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r1; r1 = t.blend(r3.rearrange(UP[2]), HIGH[2]); r3 = r3.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r4; r4 = t.blend(r6.rearrange(UP[2]), HIGH[2]); r6 = r6.blend(t.rearrange(DOWN[2]), LOW[2]);
        t = r5; r5 = t.blend(r7.rearrange(UP[2]), HIGH[2]); r7 = r7.blend(t.rearrange(DOWN[2]), LOW[2]);
        // lanes 1 apart: rows i and i + 1 swap their off-diagonal 1 x 1 blocks
        t = r0; r0 = t.blend(r1.rearrange(UP[1]), HIGH[1]); r1 = r1.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r2; r2 = t.blend(r3.rearrange(UP[1]), HIGH[1]); r3 = r3.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r4; r4 = t.blend(r5.rearrange(UP[1]), HIGH[1]); r5 = r5.blend(t.rearrange(DOWN[1]), LOW[1]);
        t = r6; r6 = t.blend(r7.rearrange(UP[1]), HIGH[1]); r7 = r7.blend(t.rearrange(DOWN[1]), LOW[1]);
        r0.intoArray(bp, d + 0 * nr);
        r1.intoArray(bp, d + 1 * nr);
        r2.intoArray(bp, d + 2 * nr);
        r3.intoArray(bp, d + 3 * nr);
        r4.intoArray(bp, d + 4 * nr);
        r5.intoArray(bp, d + 5 * nr);
        r6.intoArray(bp, d + 6 * nr);
        r7.intoArray(bp, d + 7 * nr);
    }
}
