package org.tessera.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel for 32-register machines (AVX-512): a 12 x (2 vectors) tile in 24 accumulators, with k
 * unrolled by two (a remainder step when the depth is odd), fed by twelve broadcasts of A and two loads of B per k
 * step. It does 1.5x the multiply-adds of {@link SimdKernel8x2} per load of B and per index update. On 2 cores of an
 * Intel Xeon (Sapphire Rapids, ~213 GFLOP/s per core), GemmBlockSweep with both kernels in one JVM, medians of 10
 * rounds, two threads: 1024^3 234 -> 288 GFLOP/s, 512^3 232 -> 272, [1000,784]x[200,784]^T 191 -> 231,
 * [200,1000]^T x [1000,784] 180 -> 226, [128,784]x[512,784]^T 189 -> 235, [64,256]x[256,256]^T 174 -> 187; one
 * thread: 1024^3 119 -> 153.
 *
 * <p>C1 cannot compile it (too many virtual registers), so {@link JitDirectives} excludes its {@code run} from C1 before
 * first use, and the backend multiplies with the 8 x 2 kernel until this one has been measured faster
 * ({@link KernelPromotion}): until C2 compiles it, it runs interpreted. Accumulators written out, not in an array: vectors in
 * an array are objects to C2. Loaded only through {@link SimdSupport}; the body is generated (a k step per row).
 */
final class SimdKernel12x2 extends SimdTwoVectorKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 12;

    SimdKernel12x2() {
        super(MR);
    }

    @Override
    public void packRows(float[] ad, int src, int ld, int kc, int rows, float[] ap, int at) {
        SimdTranspose.packPanels12(ad, src, ld, kc, rows, ap, at);
    }

    @Override
    public void run(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, boolean accumulate) {
        // as SimdKernel8x2: the accumulators start from C's tile (or zero), the loop adds the product, the tile is stored
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = accumulate ? FloatVector.fromArray(S, c, co + 0 * ldc) : zero, c01 = accumulate ? FloatVector.fromArray(S, c, co + 0 * ldc + L) : zero;
        FloatVector c10 = accumulate ? FloatVector.fromArray(S, c, co + 1 * ldc) : zero, c11 = accumulate ? FloatVector.fromArray(S, c, co + 1 * ldc + L) : zero;
        FloatVector c20 = accumulate ? FloatVector.fromArray(S, c, co + 2 * ldc) : zero, c21 = accumulate ? FloatVector.fromArray(S, c, co + 2 * ldc + L) : zero;
        FloatVector c30 = accumulate ? FloatVector.fromArray(S, c, co + 3 * ldc) : zero, c31 = accumulate ? FloatVector.fromArray(S, c, co + 3 * ldc + L) : zero;
        FloatVector c40 = accumulate ? FloatVector.fromArray(S, c, co + 4 * ldc) : zero, c41 = accumulate ? FloatVector.fromArray(S, c, co + 4 * ldc + L) : zero;
        FloatVector c50 = accumulate ? FloatVector.fromArray(S, c, co + 5 * ldc) : zero, c51 = accumulate ? FloatVector.fromArray(S, c, co + 5 * ldc + L) : zero;
        FloatVector c60 = accumulate ? FloatVector.fromArray(S, c, co + 6 * ldc) : zero, c61 = accumulate ? FloatVector.fromArray(S, c, co + 6 * ldc + L) : zero;
        FloatVector c70 = accumulate ? FloatVector.fromArray(S, c, co + 7 * ldc) : zero, c71 = accumulate ? FloatVector.fromArray(S, c, co + 7 * ldc + L) : zero;
        FloatVector c80 = accumulate ? FloatVector.fromArray(S, c, co + 8 * ldc) : zero, c81 = accumulate ? FloatVector.fromArray(S, c, co + 8 * ldc + L) : zero;
        FloatVector c90 = accumulate ? FloatVector.fromArray(S, c, co + 9 * ldc) : zero, c91 = accumulate ? FloatVector.fromArray(S, c, co + 9 * ldc + L) : zero;
        FloatVector c100 = accumulate ? FloatVector.fromArray(S, c, co + 10 * ldc) : zero, c101 = accumulate ? FloatVector.fromArray(S, c, co + 10 * ldc + L) : zero;
        FloatVector c110 = accumulate ? FloatVector.fromArray(S, c, co + 11 * ldc) : zero, c111 = accumulate ? FloatVector.fromArray(S, c, co + 11 * ldc + L) : zero;
        int even = kc & ~1;
        for (int k = 0; k < even; k += 2) {
            // indices linear in k and the bound kept as k < even: C2 then hoists the range checks out of the loop
            int a = ao + k * MR, b = bo + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a + 0]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[a + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[a + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, ap[a + 8]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, ap[a + 9]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, ap[a + 10]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(S, ap[a + 11]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
            b0 = FloatVector.fromArray(S, bp, b + NR); b1 = FloatVector.fromArray(S, bp, b + NR + L);
            x = FloatVector.broadcast(S, ap[a + 12]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 13]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 14]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 15]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 16]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 17]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[a + 18]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[a + 19]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, ap[a + 20]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, ap[a + 21]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, ap[a + 22]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(S, ap[a + 23]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
        }
        if (even < kc) {
            int a = ao + even * MR, b = bo + even * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[a + 0]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[a + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[a + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, ap[a + 8]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, ap[a + 9]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, ap[a + 10]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(S, ap[a + 11]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
        }
        c00.intoArray(c, co + 0 * ldc); c01.intoArray(c, co + 0 * ldc + L);
        c10.intoArray(c, co + 1 * ldc); c11.intoArray(c, co + 1 * ldc + L);
        c20.intoArray(c, co + 2 * ldc); c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc); c31.intoArray(c, co + 3 * ldc + L);
        c40.intoArray(c, co + 4 * ldc); c41.intoArray(c, co + 4 * ldc + L);
        c50.intoArray(c, co + 5 * ldc); c51.intoArray(c, co + 5 * ldc + L);
        c60.intoArray(c, co + 6 * ldc); c61.intoArray(c, co + 6 * ldc + L);
        c70.intoArray(c, co + 7 * ldc); c71.intoArray(c, co + 7 * ldc + L);
        c80.intoArray(c, co + 8 * ldc); c81.intoArray(c, co + 8 * ldc + L);
        c90.intoArray(c, co + 9 * ldc); c91.intoArray(c, co + 9 * ldc + L);
        c100.intoArray(c, co + 10 * ldc); c101.intoArray(c, co + 10 * ldc + L);
        c110.intoArray(c, co + 11 * ldc); c111.intoArray(c, co + 11 * ldc + L);
    }
}
