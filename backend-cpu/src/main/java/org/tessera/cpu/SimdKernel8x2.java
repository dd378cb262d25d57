package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel for 32-register machines (AVX-512): an 8 x (2 vectors) tile in 16 accumulators, eight
 * broadcasts of A (a packed panel, eight adjacent floats per k) and two loads of B per k step feeding 16 fused
 * multiply-adds. Measured on 2 cores of an Intel Xeon (AVX-512, ~217 GFLOP/s per core), steady state through the
 * Tensor API, against the 6 x 2 tile that read A in place: 1024^2 235 -> 277 GFLOP/s, [128,784]x[512,784]^T
 * 158 -> 184. Larger tiles were faster still in isolation (12 x 2: 189-199 against 8 x 2's ~190 per thread on an
 * L2-resident block) but too large for C1: "out of virtual registers" at tier 3, after which the method could stay
 * in tier-2 code at 2 GFLOP/s for the rest of the process; this one compiles at every tier.
 * The accumulators are written out, not an array: vectors in an array are objects to C2.
 * Loaded only through {@link SimdSupport}.
 */
final class SimdKernel8x2 extends SimdTwoVectorKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 8;

    SimdKernel8x2() {
        super(MR);
    }

    @Override
    public void packRows(float[] ad, int src, int ld, int kc, int rows, float[] ap, int at) {
        // the register transpose makes panels of L/2 rows (a 4 x 2 kernel forced onto 512-bit vectors packs element-wise)
        if (MR == L / 2) SimdTranspose.packHalfPanels(ad, src, ld, kc, rows, ap, at);
        else super.packRows(ad, src, ld, kc, rows, ap, at);
    }

    @Override
    public void run(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, boolean accumulate) {
        // the accumulators start from C's tile (or zero: a load with no lanes set touches nothing), the loop adds the
        // product, the tile is stored: one load and one store per accumulator, the fewest Vector API calls
        // (with separate accumulate and overwrite paths, and alpha applied here, the kernel was larger for C1).
        VectorMask<Float> old = S.maskAll(accumulate);
        FloatVector c00 = FloatVector.fromArray(S, c, co, old), c01 = FloatVector.fromArray(S, c, co + L, old);
        FloatVector c10 = FloatVector.fromArray(S, c, co + 1 * ldc, old), c11 = FloatVector.fromArray(S, c, co + 1 * ldc + L, old);
        FloatVector c20 = FloatVector.fromArray(S, c, co + 2 * ldc, old), c21 = FloatVector.fromArray(S, c, co + 2 * ldc + L, old);
        FloatVector c30 = FloatVector.fromArray(S, c, co + 3 * ldc, old), c31 = FloatVector.fromArray(S, c, co + 3 * ldc + L, old);
        FloatVector c40 = FloatVector.fromArray(S, c, co + 4 * ldc, old), c41 = FloatVector.fromArray(S, c, co + 4 * ldc + L, old);
        FloatVector c50 = FloatVector.fromArray(S, c, co + 5 * ldc, old), c51 = FloatVector.fromArray(S, c, co + 5 * ldc + L, old);
        FloatVector c60 = FloatVector.fromArray(S, c, co + 6 * ldc, old), c61 = FloatVector.fromArray(S, c, co + 6 * ldc + L, old);
        FloatVector c70 = FloatVector.fromArray(S, c, co + 7 * ldc, old), c71 = FloatVector.fromArray(S, c, co + 7 * ldc + L, old);
        for (int k = 0; k < kc; k++) {
            // indices linear in k (scale MR for A, NR for B), so C2 hoists the range checks out of the loop
            int a = ao + k * MR, b = bo + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b);
            FloatVector b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a + 0]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[a + 6]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[a + 7]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        // stores written out rather than through a helper: a call that is not inlined would box the accumulators
        c00.intoArray(c, co); c01.intoArray(c, co + L);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + L);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + L);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + L);
        c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + L);
        c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + L);
    }
}
