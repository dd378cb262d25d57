package org.tessera.cpu;

/**
 * The innermost GEMM block: {@code C[MR x NR] = alpha * Ap · Bp} (or {@code +=} when {@code accumulate}) over
 * {@code kc}, where {@code Ap} is a packed panel of {@link #mr()} rows (k-major: {@code ap[k*MR + r]}) and
 * {@code Bp} a packed panel of {@link #nr()} columns ({@code bp[k*NR + c]}). Always a full tile: the caller
 * zero-pads the panels and sends edge tiles through a scratch tile.
 */
interface MicroKernel {
    int mr();

    int nr();

    void run(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, float alpha, boolean accumulate);
}
