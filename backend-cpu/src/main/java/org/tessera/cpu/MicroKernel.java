package org.tessera.cpu;

/**
 * The innermost GEMM block: {@code C[MR x NR] = Ap · Bp} (or {@code +=} when {@code accumulate}; the caller folds alpha into {@code Ap}) over
 * {@code kc}, where {@code Ap} is a packed panel of {@link #mr()} rows interleaved along k ({@code ap[ao + k MR + r]})
 * and {@code Bp} a packed panel of {@link #nr()} columns ({@code bp[bo + k NR + c]}): each k step reads MR adjacent
 * floats of A and NR of B. Always a full tile: the caller zero-pads the panels and sends edge tiles through a scratch
 * tile.
 */
interface MicroKernel {
    int mr();

    int nr();

    void run(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, boolean accumulate);

    /**
     * Packs {@code rows} rows of a row-major A (row r at {@code src + r ld}, read along k), {@code kc} deep, into
     * panels of MR rows interleaved along k (panel t at {@code ap[at + t MR kc]}), zero rows after the last. The
     * Vector API kernels transpose in registers.
     */
    default void packRows(float[] ad, int src, int ld, int kc, int rows, float[] ap, int at) {
        int mr = mr();
        for (int r0 = 0; r0 < rows; r0 += mr) packTransposedScalar(ad, src + r0 * ld, ld, 0, kc, Math.min(mr, rows - r0), ap, at + r0 * kc, mr);
    }

    /**
     * Packs {@code kc} deep, {@code cols} (at most NR) columns of op(B) for a B stored transposed ([N, K]: column j of
     * the panel is the stored row starting at {@code src + j ld}, read along k) into one panel at {@code bp[at]},
     * zero-padding the missing columns. The Vector API kernels transpose in registers.
     */
    default void packTransposedB(float[] bd, int src, int ld, int kc, int cols, float[] bp, int at) {
        packTransposedScalar(bd, src, ld, 0, kc, cols, bp, at, nr());
    }

    /**
     * Copies one full row of a panel of a row-major B: the NR floats at {@code bd[src]} to {@code bp[at]}. The Vector
     * API kernels move two vectors: against {@code System.arraycopy} of 32 floats (called 32 times per row of a
     * 1024-wide B), interleaved in one JVM on 2 cores of an AMD EPYC (Zen 5), 1024^2 346-349 against 333-335 GFLOP/s,
     * 512^2 and the MLP's shapes +1% (within noise).
     */
    default void copyPanelRow(float[] bd, int src, float[] bp, int at) {
        System.arraycopy(bd, src, bp, at, nr());
    }

    /** {@link #packTransposedB} for depths {@code [k0, kc)} of the panel, element by element. */
    static void packTransposedScalar(float[] bd, int src, int ld, int k0, int kc, int cols, float[] bp, int at, int nr) {
        // groups of 4 columns: 4 rows of the stored matrix read side by side in k
        int j = 0;
        for (; j + 4 <= cols; j += 4) {
            int s0 = src + j * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
            for (int kk = k0; kk < kc; kk++) {
                int dst = at + kk * nr + j;
                bp[dst] = bd[s0 + kk];
                bp[dst + 1] = bd[s1 + kk];
                bp[dst + 2] = bd[s2 + kk];
                bp[dst + 3] = bd[s3 + kk];
            }
        }
        for (; j < nr; j++) {
            if (j >= cols) {
                for (int kk = k0; kk < kc; kk++) bp[at + kk * nr + j] = 0;
                continue;
            }
            int s = src + j * ld;
            for (int kk = k0; kk < kc; kk++) bp[at + kk * nr + j] = bd[s + kk];
        }
    }
}
