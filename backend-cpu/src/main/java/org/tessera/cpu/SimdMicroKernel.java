package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel: a 6 x (2 vectors) tile held in 12 vector registers across the whole k loop,
 * one broadcast of A and two loads of B per row step, fused multiply-add. Loaded only through
 * {@link SimdSupport}, so the class is never touched on a JVM without the module.
 */
final class SimdMicroKernel implements MicroKernel {
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
    public void run(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, int rows, int cols, float alpha) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        int a = ao, b = bo;
        for (int k = 0; k < kc; k++, a += MR, b += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, b);
            FloatVector b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        FloatVector scale = FloatVector.broadcast(S, alpha);
        if (rows == MR && cols == NR) {
            // Stores written out rather than through a helper: a call that is not inlined would box
            // the accumulators (measured: 48 -> 200+ GFLOP/s per thread once inlined).
            int r0 = co, r1 = co + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
            c00.fma(scale, FloatVector.fromArray(S, c, r0)).intoArray(c, r0);
            c01.fma(scale, FloatVector.fromArray(S, c, r0 + L)).intoArray(c, r0 + L);
            c10.fma(scale, FloatVector.fromArray(S, c, r1)).intoArray(c, r1);
            c11.fma(scale, FloatVector.fromArray(S, c, r1 + L)).intoArray(c, r1 + L);
            c20.fma(scale, FloatVector.fromArray(S, c, r2)).intoArray(c, r2);
            c21.fma(scale, FloatVector.fromArray(S, c, r2 + L)).intoArray(c, r2 + L);
            c30.fma(scale, FloatVector.fromArray(S, c, r3)).intoArray(c, r3);
            c31.fma(scale, FloatVector.fromArray(S, c, r3 + L)).intoArray(c, r3 + L);
            c40.fma(scale, FloatVector.fromArray(S, c, r4)).intoArray(c, r4);
            c41.fma(scale, FloatVector.fromArray(S, c, r4 + L)).intoArray(c, r4 + L);
            c50.fma(scale, FloatVector.fromArray(S, c, r5)).intoArray(c, r5);
            c51.fma(scale, FloatVector.fromArray(S, c, r5 + L)).intoArray(c, r5 + L);
            return;
        }
        // Edge tile: spill to a scratch tile. Each vector is stored directly; collecting them in a
        // FloatVector[] would box them and de-optimise the whole method (measured: 56 -> 5 GFLOP/s).
        float[] tile = new float[MR * NR];
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, 2 * L);
        c11.intoArray(tile, 3 * L);
        c20.intoArray(tile, 4 * L);
        c21.intoArray(tile, 5 * L);
        c30.intoArray(tile, 6 * L);
        c31.intoArray(tile, 7 * L);
        c40.intoArray(tile, 8 * L);
        c41.intoArray(tile, 9 * L);
        c50.intoArray(tile, 10 * L);
        c51.intoArray(tile, 11 * L);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) c[co + r * ldc + j] += alpha * tile[r * NR + j];
        }
    }
}
