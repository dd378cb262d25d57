package org.tessera.cpu;

/**
 * The innermost GEMM block: {@code C[mr x nr] += alpha * Ap · Bp} over {@code kc}, where {@code Ap} is a packed
 * panel of {@link #mr()} rows (k-major: {@code ap[k*MR + r]}) and {@code Bp} a packed panel of {@link #nr()}
 * columns ({@code bp[k*NR + c]}); both are zero-padded, so the kernel always computes a full tile and
 * only stores the valid {@code rows x cols} part.
 */
interface MicroKernel {
    int mr();

    int nr();

    void run(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, int rows, int cols, float alpha);
}
