package org.tessera.opencl;

import java.util.Locale;
import org.tessera.DType;

/**
 * The shape class a GEMM is tuned for: dtype, which operands are transposed, and the size of the product in
 * multiply-adds as a power-of-four bucket (so 256^3 and 300^3 share a winner, 256^3 and 1024^3 do not).
 *
 * @param sizeLog4 floor(log4(m n k)), capped at {@link #MAX_BUCKET}
 */
record GemmClass(DType dtype, boolean transA, boolean transB, int sizeLog4) {
    /** Products of 4^15 (~1.1e9, 1024^3) multiply-adds and above share one class. */
    static final int MAX_BUCKET = 15;

    static GemmClass of(DType dtype, boolean transA, boolean transB, long m, long n, long k) {
        long work = Math.max(1, m * n * k);
        int log4 = (63 - Long.numberOfLeadingZeros(work)) / 2;
        return new GemmClass(dtype, transA, transB, Math.min(MAX_BUCKET, log4));
    }

    /**
     * Products below 4^9 multiply-adds (64^3) are not tuned: launch overhead, not the kernel's shape, decides their
     * time, and a search would cost far more than it could save.
     */
    static final int MIN_TUNED_BUCKET = 9;

    boolean tuned() {
        return sizeLog4 >= MIN_TUNED_BUCKET;
    }

    boolean transposed() {
        return transA || transB;
    }

    /** e.g. {@code f32 nt 4^12}: the form the cache key and {@code tessera tune} use. */
    @Override
    public String toString() {
        return dtype.name().toLowerCase(Locale.ROOT) + " " + (transA ? "t" : "n") + (transB ? "t" : "n") + " 4^" + sizeLog4;
    }
}
