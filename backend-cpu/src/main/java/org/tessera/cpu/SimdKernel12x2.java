package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel for 32-register machines (AVX-512): a 12 x (2 vectors) tile in 24 accumulators, twelve
 * broadcasts of A and two loads of B per k step feeding 24 fused multiply-adds (27 registers, nothing spills). Against
 * the 6 x 2 tile it replaced, half the loads per multiply-add: measured on 2 cores of an Intel Xeon (AVX-512, 2 FMA
 * ports, ~217 GFLOP/s per core), one thread over an L2-resident 168 x 256 block of A and 256 x 960 of B, 12x2 reached
 * 189-199 GFLOP/s, 6x2 141-170, 14x2 (28 accumulators) the same as 12x2 but with more padding rows for the MLP's
 * batches of 128. The accumulators are written out, not an array: vectors in an array are objects to C2.
 * Loaded only through {@link SimdSupport}.
 */
final class SimdKernel12x2 implements MicroKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 12;
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
    public void run(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, float alpha, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S), c81 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S), c91 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
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
            x = FloatVector.broadcast(S, ap[a + 8]);
            c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, ap[a + 9]);
            c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, ap[a + 10]);
            c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(S, ap[a + 11]);
            c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
        }
        // stores written out rather than through a helper: a call that is not inlined would box the accumulators
        FloatVector s = FloatVector.broadcast(S, alpha);
        if (accumulate) {
            c00.fma(s, FloatVector.fromArray(S, c, co)).intoArray(c, co);
            c01.fma(s, FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
            c10.fma(s, FloatVector.fromArray(S, c, co + 1 * ldc)).intoArray(c, co + 1 * ldc);
            c11.fma(s, FloatVector.fromArray(S, c, co + 1 * ldc + L)).intoArray(c, co + 1 * ldc + L);
            c20.fma(s, FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
            c21.fma(s, FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
            c30.fma(s, FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
            c31.fma(s, FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
            c40.fma(s, FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
            c41.fma(s, FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
            c50.fma(s, FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
            c51.fma(s, FloatVector.fromArray(S, c, co + 5 * ldc + L)).intoArray(c, co + 5 * ldc + L);
            c60.fma(s, FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
            c61.fma(s, FloatVector.fromArray(S, c, co + 6 * ldc + L)).intoArray(c, co + 6 * ldc + L);
            c70.fma(s, FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
            c71.fma(s, FloatVector.fromArray(S, c, co + 7 * ldc + L)).intoArray(c, co + 7 * ldc + L);
            c80.fma(s, FloatVector.fromArray(S, c, co + 8 * ldc)).intoArray(c, co + 8 * ldc);
            c81.fma(s, FloatVector.fromArray(S, c, co + 8 * ldc + L)).intoArray(c, co + 8 * ldc + L);
            c90.fma(s, FloatVector.fromArray(S, c, co + 9 * ldc)).intoArray(c, co + 9 * ldc);
            c91.fma(s, FloatVector.fromArray(S, c, co + 9 * ldc + L)).intoArray(c, co + 9 * ldc + L);
            c100.fma(s, FloatVector.fromArray(S, c, co + 10 * ldc)).intoArray(c, co + 10 * ldc);
            c101.fma(s, FloatVector.fromArray(S, c, co + 10 * ldc + L)).intoArray(c, co + 10 * ldc + L);
            c110.fma(s, FloatVector.fromArray(S, c, co + 11 * ldc)).intoArray(c, co + 11 * ldc);
            c111.fma(s, FloatVector.fromArray(S, c, co + 11 * ldc + L)).intoArray(c, co + 11 * ldc + L);
        } else {
            c00.mul(s).intoArray(c, co);
            c01.mul(s).intoArray(c, co + L);
            c10.mul(s).intoArray(c, co + 1 * ldc);
            c11.mul(s).intoArray(c, co + 1 * ldc + L);
            c20.mul(s).intoArray(c, co + 2 * ldc);
            c21.mul(s).intoArray(c, co + 2 * ldc + L);
            c30.mul(s).intoArray(c, co + 3 * ldc);
            c31.mul(s).intoArray(c, co + 3 * ldc + L);
            c40.mul(s).intoArray(c, co + 4 * ldc);
            c41.mul(s).intoArray(c, co + 4 * ldc + L);
            c50.mul(s).intoArray(c, co + 5 * ldc);
            c51.mul(s).intoArray(c, co + 5 * ldc + L);
            c60.mul(s).intoArray(c, co + 6 * ldc);
            c61.mul(s).intoArray(c, co + 6 * ldc + L);
            c70.mul(s).intoArray(c, co + 7 * ldc);
            c71.mul(s).intoArray(c, co + 7 * ldc + L);
            c80.mul(s).intoArray(c, co + 8 * ldc);
            c81.mul(s).intoArray(c, co + 8 * ldc + L);
            c90.mul(s).intoArray(c, co + 9 * ldc);
            c91.mul(s).intoArray(c, co + 9 * ldc + L);
            c100.mul(s).intoArray(c, co + 10 * ldc);
            c101.mul(s).intoArray(c, co + 10 * ldc + L);
            c110.mul(s).intoArray(c, co + 11 * ldc);
            c111.mul(s).intoArray(c, co + 11 * ldc + L);
        }
    }
}
