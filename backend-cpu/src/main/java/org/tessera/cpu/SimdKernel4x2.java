package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel for 16-register machines (AVX2): a 4 x (2 vectors) tile in 8 accumulators, one
 * broadcast of A and two loads of B per k step feeding 8 fused multiply-adds. With 16 vector registers the 6 x 2
 * tile (12 accumulators + 3 operands) made C2 spill accumulators to the stack; this one fits (measured on a
 * 2-core Zen 4 exposing AVX2 only: 6x2 ~80, 4x2 ~90 GFLOP/s per thread, against ~101 for a C FMA loop).
 * Loaded only through {@link SimdSupport}.
 */
final class SimdKernel4x2 extends SimdTwoVectorKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 4;

    SimdKernel4x2() {
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
        // accumulators start from C's tile or zero (a load with no lanes set touches nothing); see SimdKernel8x2
        VectorMask<Float> old = S.maskAll(accumulate);
        FloatVector c00 = FloatVector.fromArray(S, c, co, old), c01 = FloatVector.fromArray(S, c, co + L, old);
        FloatVector c10 = FloatVector.fromArray(S, c, co + 1 * ldc, old), c11 = FloatVector.fromArray(S, c, co + 1 * ldc + L, old);
        FloatVector c20 = FloatVector.fromArray(S, c, co + 2 * ldc, old), c21 = FloatVector.fromArray(S, c, co + 2 * ldc + L, old);
        FloatVector c30 = FloatVector.fromArray(S, c, co + 3 * ldc, old), c31 = FloatVector.fromArray(S, c, co + 3 * ldc + L, old);
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
        }
        // stores written out rather than through a helper: a call that is not inlined would box the accumulators
        c00.intoArray(c, co); c01.intoArray(c, co + L);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + L);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L);
    }
}
