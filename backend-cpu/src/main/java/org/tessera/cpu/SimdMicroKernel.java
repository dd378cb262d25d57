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
        if (rows == MR && cols == NR) {
            store(c, co, c00, c01, alpha);
            store(c, co + ldc, c10, c11, alpha);
            store(c, co + 2 * ldc, c20, c21, alpha);
            store(c, co + 3 * ldc, c30, c31, alpha);
            store(c, co + 4 * ldc, c40, c41, alpha);
            store(c, co + 5 * ldc, c50, c51, alpha);
            return;
        }
        float[] tile = new float[MR * NR];
        FloatVector[] acc = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
        for (int i = 0; i < acc.length; i++) acc[i].intoArray(tile, i * L);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) c[co + r * ldc + j] += alpha * tile[r * NR + j];
        }
    }

    private static void store(float[] c, int at, FloatVector lo, FloatVector hi, float alpha) {
        FloatVector scale = FloatVector.broadcast(S, alpha);
        lo.fma(scale, FloatVector.fromArray(S, c, at)).intoArray(c, at);
        hi.fma(scale, FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
    }
}
