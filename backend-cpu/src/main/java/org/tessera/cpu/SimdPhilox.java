package org.tessera.cpu;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.tessera.Rng;

/**
 * {@link Rng}'s uniform F32 stream, eight Philox4x32-10 blocks at a time in 64-bit lanes: a 32 x 32 -> 64-bit
 * product per lane gives both halves of Philox's multiply, so a block's ten rounds are a few lane operations shared by
 * eight blocks (32 stream elements) instead of a chain of scalar multiplies. The same integer rounds and the same
 * conversion as {@link Rng.Reader#uniform32(long, float[], int, int)}, so the same bits. Used only where the preferred
 * vectors are 512 bits (eight longs, AVX-512's 64-bit multiply); loaded only through {@link SimdSupport}.
 */
final class SimdPhilox implements UniformSource {
    private static final VectorSpecies<Long> L8 = LongVector.SPECIES_512;
    private static final long LOW32 = 0xFFFFFFFFL;
    private static final long M0 = Rng.M0 & LOW32, M1 = Rng.M1 & LOW32;
    /** Lane j: block offset j. */
    private static final LongVector IOTA = LongVector.zero(L8).addIndex(1);

    @Override
    public void uniform32(long seed, long s, float[] out, int off, int n) {
        int i;
        // the head up to a multiple of 32 elements (8 blocks), and the tail, element by element
        int head = (int) Math.min(n, (32 - (s & 31)) & 31);
        Rng.Reader reader = new Rng.Reader(seed);
        if (head > 0) reader.uniform32(s, out, off, head);
        i = head;
        long[] words = new long[32];
        for (; i + 32 <= n; i += 32) {
            blocks8(seed, (s + i) >>> 2, words);
            // words[8 w + j] is word w of block j: stream element 4 j + w; its top 24 bits scaled by 2^-24 (exact)
            for (int j = 0; j < 8; j++) {
                int o = off + i + 4 * j;
                out[o] = (words[j] >>> 8) * 0x1.0p-24f;
                out[o + 1] = (words[8 + j] >>> 8) * 0x1.0p-24f;
                out[o + 2] = (words[16 + j] >>> 8) * 0x1.0p-24f;
                out[o + 3] = (words[24 + j] >>> 8) * 0x1.0p-24f;
            }
        }
        if (i < n) reader.uniform32(s + i, out, off + i, n - i);
    }

    /** Blocks {@code b .. b+7}: {@code out[8 w + j]} = word w of block b + j (zero-extended). */
    private static void blocks8(long seed, long b, long[] out) {
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        LongVector block = IOTA.add(b);
        LongVector c0 = block.and(LOW32), c1 = block.lanewise(VectorOperators.LSHR, 32);
        LongVector c2 = LongVector.zero(L8), c3 = c2;
        for (int r = 0; r < Rng.ROUNDS; r++) {
            LongVector p0 = c0.mul(M0), p1 = c2.mul(M1);
            LongVector n0 = p1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c1).lanewise(VectorOperators.XOR, k0 & LOW32);
            LongVector n2 = p0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c3).lanewise(VectorOperators.XOR, k1 & LOW32);
            c1 = p1.and(LOW32);
            c3 = p0.and(LOW32);
            c0 = n0;
            c2 = n2;
            k0 += Rng.W0;
            k1 += Rng.W1;
        }
        // no lane conversion to float here: it made 256-bit FloatVectors, whose passage through the FloatVector methods
        // the kernels use cost those kernels their intrinsics (see SimdSupport): GEMM 136 instead of 196 GFLOP/s
        c0.intoArray(out, 0);
        c1.intoArray(out, 8);
        c2.intoArray(out, 16);
        c3.intoArray(out, 24);
    }
}
