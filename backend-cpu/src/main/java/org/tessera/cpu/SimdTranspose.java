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
    // UPd: lane l takes lane l - d; DOWNd: lane l takes lane l + d (indices wrapped; the blend masks them); HIGHd: the
    // lanes whose bit d is set; LOWd: the others. Fields rather than arrays: C2 folds a static final field into a
    // constant but not an array element (packing the MLP's [1000, 784] input: 0.23 against 0.28 ns per element).
    // Where L is 8 the distance-8 ones are never used.
    private static final VectorShuffle<Float> UP1 = up(1), UP2 = up(2), UP4 = up(4), UP8 = up(8);
    private static final VectorShuffle<Float> DOWN1 = up(-1), DOWN2 = up(-2), DOWN4 = up(-4), DOWN8 = up(-8);
    private static final VectorMask<Float> HIGH1 = high(1), HIGH2 = high(2), HIGH4 = high(4), HIGH8 = high(8);
    private static final VectorMask<Float> LOW1 = HIGH1.not(), LOW2 = HIGH2.not(), LOW4 = HIGH4.not(), LOW8 = HIGH8.not();

    private static VectorShuffle<Float> up(int d) {
        return VectorShuffle.fromOp(S, l -> (l - d) & (L - 1));
    }

    private static VectorMask<Float> high(int d) {
        boolean[] high = new boolean[L];
        for (int l = 0; l < L; l++) high[l] = (l & d) != 0;
        return VectorMask.fromArray(S, high, 0);
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
     * (L rows, L deep) is rearranged in registers so that each vector holds two adjacent k steps of one panel's L/2
     * rows, and stored straight into the two panels. (Transposed into a scratch block and copied out by halves, 32
     * {@code System.arraycopy} calls per block, it took 0.57 ns per element: 445 us for the MLP's [1000, 784] input,
     * a fifth of the product's time on one core.) Rows left over by pairs of panels and depth left over by the
     * blocks go element by element.
     */
    static void packHalfPanels(float[] ad, int src, int ld, int kc, int rows, float[] ap, int at) {
        int h = L / 2, r0 = 0;
        if (L == 16 || L == 8) {
            for (; r0 + L <= rows; r0 += L) {
                int s = src + r0 * ld, low = at + r0 * kc, high = low + h * kc, k0 = 0;
                for (; k0 + L <= kc; k0 += L) {
                    if (L == 16) halfPanels16(ad, s + k0, ld, ap, low + k0 * h, high + k0 * h);
                    else halfPanels8(ad, s + k0, ld, ap, low + k0 * h, high + k0 * h);
                }
                if (k0 < kc) {
                    MicroKernel.packTransposedScalar(ad, s, ld, k0, kc, h, ap, low, h);
                    MicroKernel.packTransposedScalar(ad, s + h * ld, ld, k0, kc, h, ap, high, h);
                }
            }
        }
        for (; r0 < rows; r0 += h) MicroKernel.packTransposedScalar(ad, src + r0 * ld, ld, 0, kc, Math.min(h, rows - r0), ap, at + r0 * kc, h);
    }

    /** One 16 x 16 block of A (16 rows, 16 deep) into the next 16 k steps of two panels of 8 rows (see {@link #packHalfPanels}). */
    private static void halfPanels16(float[] ad, int s, int ld, float[] ap, int low, int high) {
        FloatVector r0 = FloatVector.fromArray(S, ad, s + 0 * ld);
        FloatVector r1 = FloatVector.fromArray(S, ad, s + 1 * ld);
        FloatVector r2 = FloatVector.fromArray(S, ad, s + 2 * ld);
        FloatVector r3 = FloatVector.fromArray(S, ad, s + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(S, ad, s + 4 * ld);
        FloatVector r5 = FloatVector.fromArray(S, ad, s + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(S, ad, s + 6 * ld);
        FloatVector r7 = FloatVector.fromArray(S, ad, s + 7 * ld);
        FloatVector r8 = FloatVector.fromArray(S, ad, s + 8 * ld);
        FloatVector r9 = FloatVector.fromArray(S, ad, s + 9 * ld);
        FloatVector r10 = FloatVector.fromArray(S, ad, s + 10 * ld);
        FloatVector r11 = FloatVector.fromArray(S, ad, s + 11 * ld);
        FloatVector r12 = FloatVector.fromArray(S, ad, s + 12 * ld);
        FloatVector r13 = FloatVector.fromArray(S, ad, s + 13 * ld);
        FloatVector r14 = FloatVector.fromArray(S, ad, s + 14 * ld);
        FloatVector r15 = FloatVector.fromArray(S, ad, s + 15 * ld);
        FloatVector t;
        // register bit 2 <-> lane bit 2 (lanes 4 apart), as in a transpose
        t = r0; r0 = t.blend(r4.rearrange(UP4), HIGH4); r4 = r4.blend(t.rearrange(DOWN4), LOW4);
        t = r1; r1 = t.blend(r5.rearrange(UP4), HIGH4); r5 = r5.blend(t.rearrange(DOWN4), LOW4);
        t = r2; r2 = t.blend(r6.rearrange(UP4), HIGH4); r6 = r6.blend(t.rearrange(DOWN4), LOW4);
        t = r3; r3 = t.blend(r7.rearrange(UP4), HIGH4); r7 = r7.blend(t.rearrange(DOWN4), LOW4);
        t = r8; r8 = t.blend(r12.rearrange(UP4), HIGH4); r12 = r12.blend(t.rearrange(DOWN4), LOW4);
        t = r9; r9 = t.blend(r13.rearrange(UP4), HIGH4); r13 = r13.blend(t.rearrange(DOWN4), LOW4);
        t = r10; r10 = t.blend(r14.rearrange(UP4), HIGH4); r14 = r14.blend(t.rearrange(DOWN4), LOW4);
        t = r11; r11 = t.blend(r15.rearrange(UP4), HIGH4); r15 = r15.blend(t.rearrange(DOWN4), LOW4);
        // register bit 1 <-> lane bit 1 (lanes 2 apart), as in a transpose
        t = r0; r0 = t.blend(r2.rearrange(UP2), HIGH2); r2 = r2.blend(t.rearrange(DOWN2), LOW2);
        t = r1; r1 = t.blend(r3.rearrange(UP2), HIGH2); r3 = r3.blend(t.rearrange(DOWN2), LOW2);
        t = r4; r4 = t.blend(r6.rearrange(UP2), HIGH2); r6 = r6.blend(t.rearrange(DOWN2), LOW2);
        t = r5; r5 = t.blend(r7.rearrange(UP2), HIGH2); r7 = r7.blend(t.rearrange(DOWN2), LOW2);
        t = r8; r8 = t.blend(r10.rearrange(UP2), HIGH2); r10 = r10.blend(t.rearrange(DOWN2), LOW2);
        t = r9; r9 = t.blend(r11.rearrange(UP2), HIGH2); r11 = r11.blend(t.rearrange(DOWN2), LOW2);
        t = r12; r12 = t.blend(r14.rearrange(UP2), HIGH2); r14 = r14.blend(t.rearrange(DOWN2), LOW2);
        t = r13; r13 = t.blend(r15.rearrange(UP2), HIGH2); r15 = r15.blend(t.rearrange(DOWN2), LOW2);
        // register bit 0 <-> lane bit 0 (lanes 1 apart), as in a transpose
        t = r0; r0 = t.blend(r1.rearrange(UP1), HIGH1); r1 = r1.blend(t.rearrange(DOWN1), LOW1);
        t = r2; r2 = t.blend(r3.rearrange(UP1), HIGH1); r3 = r3.blend(t.rearrange(DOWN1), LOW1);
        t = r4; r4 = t.blend(r5.rearrange(UP1), HIGH1); r5 = r5.blend(t.rearrange(DOWN1), LOW1);
        t = r6; r6 = t.blend(r7.rearrange(UP1), HIGH1); r7 = r7.blend(t.rearrange(DOWN1), LOW1);
        t = r8; r8 = t.blend(r9.rearrange(UP1), HIGH1); r9 = r9.blend(t.rearrange(DOWN1), LOW1);
        t = r10; r10 = t.blend(r11.rearrange(UP1), HIGH1); r11 = r11.blend(t.rearrange(DOWN1), LOW1);
        t = r12; r12 = t.blend(r13.rearrange(UP1), HIGH1); r13 = r13.blend(t.rearrange(DOWN1), LOW1);
        t = r14; r14 = t.blend(r15.rearrange(UP1), HIGH1); r15 = r15.blend(t.rearrange(DOWN1), LOW1);
        // register bit 0 <-> lane bit 3: lanes 8 apart now hold k and k + 1 of the same 8 rows
        t = r0; r0 = t.blend(r1.rearrange(UP8), HIGH8); r1 = r1.blend(t.rearrange(DOWN8), LOW8);
        t = r2; r2 = t.blend(r3.rearrange(UP8), HIGH8); r3 = r3.blend(t.rearrange(DOWN8), LOW8);
        t = r4; r4 = t.blend(r5.rearrange(UP8), HIGH8); r5 = r5.blend(t.rearrange(DOWN8), LOW8);
        t = r6; r6 = t.blend(r7.rearrange(UP8), HIGH8); r7 = r7.blend(t.rearrange(DOWN8), LOW8);
        t = r8; r8 = t.blend(r9.rearrange(UP8), HIGH8); r9 = r9.blend(t.rearrange(DOWN8), LOW8);
        t = r10; r10 = t.blend(r11.rearrange(UP8), HIGH8); r11 = r11.blend(t.rearrange(DOWN8), LOW8);
        t = r12; r12 = t.blend(r13.rearrange(UP8), HIGH8); r13 = r13.blend(t.rearrange(DOWN8), LOW8);
        t = r14; r14 = t.blend(r15.rearrange(UP8), HIGH8); r15 = r15.blend(t.rearrange(DOWN8), LOW8);
        r0.intoArray(ap, low + 0);
        r1.intoArray(ap, low + 64);
        r2.intoArray(ap, low + 16);
        r3.intoArray(ap, low + 80);
        r4.intoArray(ap, low + 32);
        r5.intoArray(ap, low + 96);
        r6.intoArray(ap, low + 48);
        r7.intoArray(ap, low + 112);
        r8.intoArray(ap, high + 0);
        r9.intoArray(ap, high + 64);
        r10.intoArray(ap, high + 16);
        r11.intoArray(ap, high + 80);
        r12.intoArray(ap, high + 32);
        r13.intoArray(ap, high + 96);
        r14.intoArray(ap, high + 48);
        r15.intoArray(ap, high + 112);
    }

    /** One 8 x 8 block of A (8 rows, 8 deep) into the next 8 k steps of two panels of 4 rows (see {@link #packHalfPanels}). */
    private static void halfPanels8(float[] ad, int s, int ld, float[] ap, int low, int high) {
        FloatVector r0 = FloatVector.fromArray(S, ad, s + 0 * ld);
        FloatVector r1 = FloatVector.fromArray(S, ad, s + 1 * ld);
        FloatVector r2 = FloatVector.fromArray(S, ad, s + 2 * ld);
        FloatVector r3 = FloatVector.fromArray(S, ad, s + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(S, ad, s + 4 * ld);
        FloatVector r5 = FloatVector.fromArray(S, ad, s + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(S, ad, s + 6 * ld);
        FloatVector r7 = FloatVector.fromArray(S, ad, s + 7 * ld);
        FloatVector t;
        // register bit 1 <-> lane bit 1 (lanes 2 apart), as in a transpose
        t = r0; r0 = t.blend(r2.rearrange(UP2), HIGH2); r2 = r2.blend(t.rearrange(DOWN2), LOW2);
        t = r1; r1 = t.blend(r3.rearrange(UP2), HIGH2); r3 = r3.blend(t.rearrange(DOWN2), LOW2);
        t = r4; r4 = t.blend(r6.rearrange(UP2), HIGH2); r6 = r6.blend(t.rearrange(DOWN2), LOW2);
        t = r5; r5 = t.blend(r7.rearrange(UP2), HIGH2); r7 = r7.blend(t.rearrange(DOWN2), LOW2);
        // register bit 0 <-> lane bit 0 (lanes 1 apart), as in a transpose
        t = r0; r0 = t.blend(r1.rearrange(UP1), HIGH1); r1 = r1.blend(t.rearrange(DOWN1), LOW1);
        t = r2; r2 = t.blend(r3.rearrange(UP1), HIGH1); r3 = r3.blend(t.rearrange(DOWN1), LOW1);
        t = r4; r4 = t.blend(r5.rearrange(UP1), HIGH1); r5 = r5.blend(t.rearrange(DOWN1), LOW1);
        t = r6; r6 = t.blend(r7.rearrange(UP1), HIGH1); r7 = r7.blend(t.rearrange(DOWN1), LOW1);
        // register bit 0 <-> lane bit 2: lanes 4 apart now hold k and k + 1 of the same 4 rows
        t = r0; r0 = t.blend(r1.rearrange(UP4), HIGH4); r1 = r1.blend(t.rearrange(DOWN4), LOW4);
        t = r2; r2 = t.blend(r3.rearrange(UP4), HIGH4); r3 = r3.blend(t.rearrange(DOWN4), LOW4);
        t = r4; r4 = t.blend(r5.rearrange(UP4), HIGH4); r5 = r5.blend(t.rearrange(DOWN4), LOW4);
        t = r6; r6 = t.blend(r7.rearrange(UP4), HIGH4); r7 = r7.blend(t.rearrange(DOWN4), LOW4);
        r0.intoArray(ap, low + 0);
        r1.intoArray(ap, low + 16);
        r2.intoArray(ap, low + 8);
        r3.intoArray(ap, low + 24);
        r4.intoArray(ap, high + 0);
        r5.intoArray(ap, high + 16);
        r6.intoArray(ap, high + 8);
        r7.intoArray(ap, high + 24);
    }


    /**
     * As {@link MicroKernel#packRows} for panels of 12 rows (the 12 x 2 kernel, L = 16 only): each 12 x 16 block of A
     * (12 rows, 16 deep) is transposed in registers as a 16 x 16 block whose last four rows are zero, and each of its
     * 16 columns stored as the 12 floats of one k step: full-vector stores in k order, each one's four extra lanes
     * overwritten by the next, the last through a scratch vector (masked stores ran 5x slower on JDK 17). Rows left
     * over by whole panels and depth left over by the blocks go element by element.
     */
    static void packPanels12(float[] ad, int src, int ld, int kc, int rows, float[] ap, int at) {
        int r0 = 0;
        if (L == 16 && rows >= 12) {
            float[] last = new float[L];
            for (; r0 + 12 <= rows; r0 += 12) {
                int s = src + r0 * ld, d = at + r0 * kc, k0 = 0;
                for (; k0 + 16 <= kc; k0 += 16) block12(ad, s + k0, ld, ap, d + k0 * 12, last);
                if (k0 < kc) MicroKernel.packTransposedScalar(ad, s, ld, k0, kc, 12, ap, d, 12);
            }
        }
        for (; r0 < rows; r0 += 12) MicroKernel.packTransposedScalar(ad, src + r0 * ld, ld, 0, kc, Math.min(12, rows - r0), ap, at + r0 * kc, 12);
    }

    /** One 12 x 16 block of A (12 rows, 16 deep) into the next 16 k steps of a 12-row panel (see {@link #packPanels12}). */
    private static void block12(float[] ad, int s, int ld, float[] ap, int d, float[] last) {
        FloatVector r0 = FloatVector.fromArray(S, ad, s + 0 * ld);
        FloatVector r1 = FloatVector.fromArray(S, ad, s + 1 * ld);
        FloatVector r2 = FloatVector.fromArray(S, ad, s + 2 * ld);
        FloatVector r3 = FloatVector.fromArray(S, ad, s + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(S, ad, s + 4 * ld);
        FloatVector r5 = FloatVector.fromArray(S, ad, s + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(S, ad, s + 6 * ld);
        FloatVector r7 = FloatVector.fromArray(S, ad, s + 7 * ld);
        FloatVector r8 = FloatVector.fromArray(S, ad, s + 8 * ld);
        FloatVector r9 = FloatVector.fromArray(S, ad, s + 9 * ld);
        FloatVector r10 = FloatVector.fromArray(S, ad, s + 10 * ld);
        FloatVector r11 = FloatVector.fromArray(S, ad, s + 11 * ld);
        FloatVector r12 = FloatVector.zero(S);
        FloatVector r13 = FloatVector.zero(S);
        FloatVector r14 = FloatVector.zero(S);
        FloatVector r15 = FloatVector.zero(S);
        FloatVector t;
        // lanes 8 apart: rows i and i + 8 swap their off-diagonal 8 x 8 blocks
        t = r0; r0 = t.blend(r8.rearrange(UP8), HIGH8); r8 = r8.blend(t.rearrange(DOWN8), LOW8);
        t = r1; r1 = t.blend(r9.rearrange(UP8), HIGH8); r9 = r9.blend(t.rearrange(DOWN8), LOW8);
        t = r2; r2 = t.blend(r10.rearrange(UP8), HIGH8); r10 = r10.blend(t.rearrange(DOWN8), LOW8);
        t = r3; r3 = t.blend(r11.rearrange(UP8), HIGH8); r11 = r11.blend(t.rearrange(DOWN8), LOW8);
        t = r4; r4 = t.blend(r12.rearrange(UP8), HIGH8); r12 = r12.blend(t.rearrange(DOWN8), LOW8);
        t = r5; r5 = t.blend(r13.rearrange(UP8), HIGH8); r13 = r13.blend(t.rearrange(DOWN8), LOW8);
        t = r6; r6 = t.blend(r14.rearrange(UP8), HIGH8); r14 = r14.blend(t.rearrange(DOWN8), LOW8);
        t = r7; r7 = t.blend(r15.rearrange(UP8), HIGH8); r15 = r15.blend(t.rearrange(DOWN8), LOW8);
        // lanes 4 apart: rows i and i + 4 swap their off-diagonal 4 x 4 blocks
        t = r0; r0 = t.blend(r4.rearrange(UP4), HIGH4); r4 = r4.blend(t.rearrange(DOWN4), LOW4);
        t = r1; r1 = t.blend(r5.rearrange(UP4), HIGH4); r5 = r5.blend(t.rearrange(DOWN4), LOW4);
        t = r2; r2 = t.blend(r6.rearrange(UP4), HIGH4); r6 = r6.blend(t.rearrange(DOWN4), LOW4);
        t = r3; r3 = t.blend(r7.rearrange(UP4), HIGH4); r7 = r7.blend(t.rearrange(DOWN4), LOW4);
        t = r8; r8 = t.blend(r12.rearrange(UP4), HIGH4); r12 = r12.blend(t.rearrange(DOWN4), LOW4);
        t = r9; r9 = t.blend(r13.rearrange(UP4), HIGH4); r13 = r13.blend(t.rearrange(DOWN4), LOW4);
        t = r10; r10 = t.blend(r14.rearrange(UP4), HIGH4); r14 = r14.blend(t.rearrange(DOWN4), LOW4);
        t = r11; r11 = t.blend(r15.rearrange(UP4), HIGH4); r15 = r15.blend(t.rearrange(DOWN4), LOW4);
        // lanes 2 apart: rows i and i + 2 swap their off-diagonal 2 x 2 blocks
        t = r0; r0 = t.blend(r2.rearrange(UP2), HIGH2); r2 = r2.blend(t.rearrange(DOWN2), LOW2);
        t = r1; r1 = t.blend(r3.rearrange(UP2), HIGH2); r3 = r3.blend(t.rearrange(DOWN2), LOW2);
        t = r4; r4 = t.blend(r6.rearrange(UP2), HIGH2); r6 = r6.blend(t.rearrange(DOWN2), LOW2);
        t = r5; r5 = t.blend(r7.rearrange(UP2), HIGH2); r7 = r7.blend(t.rearrange(DOWN2), LOW2);
        t = r8; r8 = t.blend(r10.rearrange(UP2), HIGH2); r10 = r10.blend(t.rearrange(DOWN2), LOW2);
        t = r9; r9 = t.blend(r11.rearrange(UP2), HIGH2); r11 = r11.blend(t.rearrange(DOWN2), LOW2);
        t = r12; r12 = t.blend(r14.rearrange(UP2), HIGH2); r14 = r14.blend(t.rearrange(DOWN2), LOW2);
        t = r13; r13 = t.blend(r15.rearrange(UP2), HIGH2); r15 = r15.blend(t.rearrange(DOWN2), LOW2);
        // lanes 1 apart: rows i and i + 1 swap their off-diagonal 1 x 1 blocks
        t = r0; r0 = t.blend(r1.rearrange(UP1), HIGH1); r1 = r1.blend(t.rearrange(DOWN1), LOW1);
        t = r2; r2 = t.blend(r3.rearrange(UP1), HIGH1); r3 = r3.blend(t.rearrange(DOWN1), LOW1);
        t = r4; r4 = t.blend(r5.rearrange(UP1), HIGH1); r5 = r5.blend(t.rearrange(DOWN1), LOW1);
        t = r6; r6 = t.blend(r7.rearrange(UP1), HIGH1); r7 = r7.blend(t.rearrange(DOWN1), LOW1);
        t = r8; r8 = t.blend(r9.rearrange(UP1), HIGH1); r9 = r9.blend(t.rearrange(DOWN1), LOW1);
        t = r10; r10 = t.blend(r11.rearrange(UP1), HIGH1); r11 = r11.blend(t.rearrange(DOWN1), LOW1);
        t = r12; r12 = t.blend(r13.rearrange(UP1), HIGH1); r13 = r13.blend(t.rearrange(DOWN1), LOW1);
        t = r14; r14 = t.blend(r15.rearrange(UP1), HIGH1); r15 = r15.blend(t.rearrange(DOWN1), LOW1);
        r0.intoArray(ap, d + 0 * 12);
        r1.intoArray(ap, d + 1 * 12);
        r2.intoArray(ap, d + 2 * 12);
        r3.intoArray(ap, d + 3 * 12);
        r4.intoArray(ap, d + 4 * 12);
        r5.intoArray(ap, d + 5 * 12);
        r6.intoArray(ap, d + 6 * 12);
        r7.intoArray(ap, d + 7 * 12);
        r8.intoArray(ap, d + 8 * 12);
        r9.intoArray(ap, d + 9 * 12);
        r10.intoArray(ap, d + 10 * 12);
        r11.intoArray(ap, d + 11 * 12);
        r12.intoArray(ap, d + 12 * 12);
        r13.intoArray(ap, d + 13 * 12);
        r14.intoArray(ap, d + 14 * 12);
        r15.intoArray(last, 0);
        System.arraycopy(last, 0, ap, d + 15 * 12, 12);
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
        t = r0; r0 = t.blend(r8.rearrange(UP8), HIGH8); r8 = r8.blend(t.rearrange(DOWN8), LOW8);
        t = r1; r1 = t.blend(r9.rearrange(UP8), HIGH8); r9 = r9.blend(t.rearrange(DOWN8), LOW8);
        t = r2; r2 = t.blend(r10.rearrange(UP8), HIGH8); r10 = r10.blend(t.rearrange(DOWN8), LOW8);
        t = r3; r3 = t.blend(r11.rearrange(UP8), HIGH8); r11 = r11.blend(t.rearrange(DOWN8), LOW8);
        t = r4; r4 = t.blend(r12.rearrange(UP8), HIGH8); r12 = r12.blend(t.rearrange(DOWN8), LOW8);
        t = r5; r5 = t.blend(r13.rearrange(UP8), HIGH8); r13 = r13.blend(t.rearrange(DOWN8), LOW8);
        t = r6; r6 = t.blend(r14.rearrange(UP8), HIGH8); r14 = r14.blend(t.rearrange(DOWN8), LOW8);
        t = r7; r7 = t.blend(r15.rearrange(UP8), HIGH8); r15 = r15.blend(t.rearrange(DOWN8), LOW8);
        // lanes 4 apart: rows i and i + 4 swap their off-diagonal 4 x 4 blocks
        t = r0; r0 = t.blend(r4.rearrange(UP4), HIGH4); r4 = r4.blend(t.rearrange(DOWN4), LOW4);
        t = r1; r1 = t.blend(r5.rearrange(UP4), HIGH4); r5 = r5.blend(t.rearrange(DOWN4), LOW4);
        t = r2; r2 = t.blend(r6.rearrange(UP4), HIGH4); r6 = r6.blend(t.rearrange(DOWN4), LOW4);
        t = r3; r3 = t.blend(r7.rearrange(UP4), HIGH4); r7 = r7.blend(t.rearrange(DOWN4), LOW4);
        t = r8; r8 = t.blend(r12.rearrange(UP4), HIGH4); r12 = r12.blend(t.rearrange(DOWN4), LOW4);
        t = r9; r9 = t.blend(r13.rearrange(UP4), HIGH4); r13 = r13.blend(t.rearrange(DOWN4), LOW4);
        t = r10; r10 = t.blend(r14.rearrange(UP4), HIGH4); r14 = r14.blend(t.rearrange(DOWN4), LOW4);
        t = r11; r11 = t.blend(r15.rearrange(UP4), HIGH4); r15 = r15.blend(t.rearrange(DOWN4), LOW4);
        // lanes 2 apart: rows i and i + 2 swap their off-diagonal 2 x 2 blocks
        t = r0; r0 = t.blend(r2.rearrange(UP2), HIGH2); r2 = r2.blend(t.rearrange(DOWN2), LOW2);
        t = r1; r1 = t.blend(r3.rearrange(UP2), HIGH2); r3 = r3.blend(t.rearrange(DOWN2), LOW2);
        t = r4; r4 = t.blend(r6.rearrange(UP2), HIGH2); r6 = r6.blend(t.rearrange(DOWN2), LOW2);
        t = r5; r5 = t.blend(r7.rearrange(UP2), HIGH2); r7 = r7.blend(t.rearrange(DOWN2), LOW2);
        t = r8; r8 = t.blend(r10.rearrange(UP2), HIGH2); r10 = r10.blend(t.rearrange(DOWN2), LOW2);
        t = r9; r9 = t.blend(r11.rearrange(UP2), HIGH2); r11 = r11.blend(t.rearrange(DOWN2), LOW2);
        t = r12; r12 = t.blend(r14.rearrange(UP2), HIGH2); r14 = r14.blend(t.rearrange(DOWN2), LOW2);
        t = r13; r13 = t.blend(r15.rearrange(UP2), HIGH2); r15 = r15.blend(t.rearrange(DOWN2), LOW2);
        // lanes 1 apart: rows i and i + 1 swap their off-diagonal 1 x 1 blocks
        t = r0; r0 = t.blend(r1.rearrange(UP1), HIGH1); r1 = r1.blend(t.rearrange(DOWN1), LOW1);
        t = r2; r2 = t.blend(r3.rearrange(UP1), HIGH1); r3 = r3.blend(t.rearrange(DOWN1), LOW1);
        t = r4; r4 = t.blend(r5.rearrange(UP1), HIGH1); r5 = r5.blend(t.rearrange(DOWN1), LOW1);
        t = r6; r6 = t.blend(r7.rearrange(UP1), HIGH1); r7 = r7.blend(t.rearrange(DOWN1), LOW1);
        t = r8; r8 = t.blend(r9.rearrange(UP1), HIGH1); r9 = r9.blend(t.rearrange(DOWN1), LOW1);
        t = r10; r10 = t.blend(r11.rearrange(UP1), HIGH1); r11 = r11.blend(t.rearrange(DOWN1), LOW1);
        t = r12; r12 = t.blend(r13.rearrange(UP1), HIGH1); r13 = r13.blend(t.rearrange(DOWN1), LOW1);
        t = r14; r14 = t.blend(r15.rearrange(UP1), HIGH1); r15 = r15.blend(t.rearrange(DOWN1), LOW1);
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
        t = r0; r0 = t.blend(r4.rearrange(UP4), HIGH4); r4 = r4.blend(t.rearrange(DOWN4), LOW4);
        t = r1; r1 = t.blend(r5.rearrange(UP4), HIGH4); r5 = r5.blend(t.rearrange(DOWN4), LOW4);
        t = r2; r2 = t.blend(r6.rearrange(UP4), HIGH4); r6 = r6.blend(t.rearrange(DOWN4), LOW4);
        t = r3; r3 = t.blend(r7.rearrange(UP4), HIGH4); r7 = r7.blend(t.rearrange(DOWN4), LOW4);
        // lanes 2 apart: rows i and i + 2 swap their off-diagonal 2 x 2 blocks
        t = r0; r0 = t.blend(r2.rearrange(UP2), HIGH2); r2 = r2.blend(t.rearrange(DOWN2), LOW2);
        t = r1; r1 = t.blend(r3.rearrange(UP2), HIGH2); r3 = r3.blend(t.rearrange(DOWN2), LOW2);
        t = r4; r4 = t.blend(r6.rearrange(UP2), HIGH2); r6 = r6.blend(t.rearrange(DOWN2), LOW2);
        t = r5; r5 = t.blend(r7.rearrange(UP2), HIGH2); r7 = r7.blend(t.rearrange(DOWN2), LOW2);
        // lanes 1 apart: rows i and i + 1 swap their off-diagonal 1 x 1 blocks
        t = r0; r0 = t.blend(r1.rearrange(UP1), HIGH1); r1 = r1.blend(t.rearrange(DOWN1), LOW1);
        t = r2; r2 = t.blend(r3.rearrange(UP1), HIGH1); r3 = r3.blend(t.rearrange(DOWN1), LOW1);
        t = r4; r4 = t.blend(r5.rearrange(UP1), HIGH1); r5 = r5.blend(t.rearrange(DOWN1), LOW1);
        t = r6; r6 = t.blend(r7.rearrange(UP1), HIGH1); r7 = r7.blend(t.rearrange(DOWN1), LOW1);
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
