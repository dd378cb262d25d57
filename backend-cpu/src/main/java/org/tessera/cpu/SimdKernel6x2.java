package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel for 32-register machines (AVX-512): a 6 x (2 vectors) tile in 12 accumulators, one
 * broadcast of A and two loads of B per k step feeding 12 fused multiply-adds; with 32 registers nothing spills.
 * Loaded only through {@link SimdSupport}.
 */
final class SimdKernel6x2 implements MicroKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 6;
    private static final int NR = 2 * L;

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void packTransposedB(float[] bd, int src, int ld, int kc, int cols, float[] bp, int at) {
        SimdTranspose.pack(bd, src, ld, kc, cols, bp, at, NR);
    }

    @Override
    public void run(float[] ap, int ao, int lda, float[] bp, int bo, int kc, float[] c, int co, int ldc, float alpha, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S); FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S); FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S); FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S); FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S); FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S); FloatVector c51 = FloatVector.zero(S);
        int a0 = ao, a1 = ao + 1 * lda, a2 = ao + 2 * lda, a3 = ao + 3 * lda, a4 = ao + 4 * lda, a5 = ao + 5 * lda;
        for (int k = 0; k < kc; k++) {
            // indices linear in k (scale 1 for A's rows, NR for B), so C2 hoists the range checks out of the loop
            int b = bo + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b);
            FloatVector b1 = FloatVector.fromArray(S, bp, b + 1 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a0 + k]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a1 + k]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a2 + k]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a3 + k]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a4 + k]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a5 + k]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        // stores written out rather than through a helper: a call that is not inlined would box the accumulators
        FloatVector s = FloatVector.broadcast(S, alpha);
        if (accumulate) {
            c00.fma(s, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c01.fma(s, FloatVector.fromArray(S, c, co + 1 * L)).intoArray(c, co + 1 * L);
            c10.fma(s, FloatVector.fromArray(S, c, co + 1 * ldc)).intoArray(c, co + 1 * ldc);
            c11.fma(s, FloatVector.fromArray(S, c, co + 1 * ldc + 1 * L)).intoArray(c, co + 1 * ldc + 1 * L);
            c20.fma(s, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c21.fma(s, FloatVector.fromArray(S, c, co + 2 * ldc + 1 * L)).intoArray(c, co + 2 * ldc + 1 * L);
            c30.fma(s, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c31.fma(s, FloatVector.fromArray(S, c, co + 3 * ldc + 1 * L)).intoArray(c, co + 3 * ldc + 1 * L);
            c40.fma(s, FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c41.fma(s, FloatVector.fromArray(S, c, co + 4 * ldc + 1 * L)).intoArray(c, co + 4 * ldc + 1 * L);
            c50.fma(s, FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
            c51.fma(s, FloatVector.fromArray(S, c, co + 5 * ldc + 1 * L)).intoArray(c, co + 5 * ldc + 1 * L);
        } else {
            c00.mul(s).intoArray(c, co);
            c01.mul(s).intoArray(c, co + 1 * L);
            c10.mul(s).intoArray(c, co + 1 * ldc);
            c11.mul(s).intoArray(c, co + 1 * ldc + 1 * L);
            c20.mul(s).intoArray(c, co + 2 * ldc);
            c21.mul(s).intoArray(c, co + 2 * ldc + 1 * L);
            c30.mul(s).intoArray(c, co + 3 * ldc);
            c31.mul(s).intoArray(c, co + 3 * ldc + 1 * L);
            c40.mul(s).intoArray(c, co + 4 * ldc);
            c41.mul(s).intoArray(c, co + 4 * ldc + 1 * L);
            c50.mul(s).intoArray(c, co + 5 * ldc);
            c51.mul(s).intoArray(c, co + 5 * ldc + 1 * L);
        }
    }
}
