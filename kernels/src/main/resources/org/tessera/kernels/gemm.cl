// gemm.cl - batched C = alpha * op(A) op(B) + beta * C, row-major, op = transpose when trans_* is set.
//
//            N (TN per work-item)
//        +-----------------+
//   M    | C tile TM x TN  |     each work-item keeps a TM x TN block of C in registers and walks K,
// (TM)   |  per work-item  |     loading TM values of A and one TN-wide row of B per step (vload8 when
//        +-----------------+     the row is whole and B is not transposed)
//
// Geometry: global = (ceil(N/TN) rounded up to WG_N, ceil(M/TM) rounded up to WG_M, batch), local =
// (WG_N, WG_M, 1). On PoCL (CPU) the caches hold the operands; a GPU wants local-memory tiles of A and B
// in addition (see the README: design point for GPUs).
#ifndef TM
#define TM 4            // rows of C per work-item
#endif
#ifndef TN
#define TN 8            // columns of C per work-item (the vload width)
#endif
#ifndef WG_M
#define WG_M 8          // work-group rows
#endif
#ifndef WG_N
#define WG_N 8          // work-group columns
#endif

typedef struct {
    int m, n, k;
    int lda, ldb, ldc;
    int batch_a, batch_b, batch_c;
    int off_a, off_b, off_c;
    int trans_a, trans_b;
} Gemm;

__kernel __attribute__((reqd_work_group_size(WG_N, WG_M, 1)))
void gemm(__global const T* A, __global const T* B, __global T* C, const Gemm g, const CT alpha, const CT beta) {
    int n0 = get_global_id(0) * TN, m0 = get_global_id(1) * TM, item = get_global_id(2);
    if (m0 >= g.m || n0 >= g.n) return;
    __global const T* a = A + g.off_a + item * g.batch_a;
    __global const T* b = B + g.off_b + item * g.batch_b;
    __global T* c = C + g.off_c + item * g.batch_c;
    CT acc[TM][TN];
    for (int i = 0; i < TM; i++) for (int j = 0; j < TN; j++) acc[i][j] = 0;
    bool whole = m0 + TM <= g.m && n0 + TN <= g.n;
    if (whole && !g.trans_a && !g.trans_b && TN == 8) {
        for (int p = 0; p < g.k; p++) {
            T8 row = vload8(0, b + p * g.ldb + n0);
            CT bv[8] = {row.s0, row.s1, row.s2, row.s3, row.s4, row.s5, row.s6, row.s7};
            for (int i = 0; i < TM; i++) {
                CT av = a[(m0 + i) * g.lda + p];
                for (int j = 0; j < TN; j++) acc[i][j] = fma(av, bv[j], acc[i][j]);
            }
        }
    } else {
        for (int p = 0; p < g.k; p++) {
            CT av[TM], bv[TN];
            for (int i = 0; i < TM; i++) {
                int m = m0 + i;
                av[i] = m < g.m ? (g.trans_a ? a[p * g.lda + m] : a[m * g.lda + p]) : 0;
            }
            for (int j = 0; j < TN; j++) {
                int nn = n0 + j;
                bv[j] = nn < g.n ? (g.trans_b ? b[nn * g.ldb + p] : b[p * g.ldb + nn]) : 0;
            }
            for (int i = 0; i < TM; i++) for (int j = 0; j < TN; j++) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < TM && m0 + i < g.m; i++) {
        for (int j = 0; j < TN && n0 + j < g.n; j++) {
            int at = (m0 + i) * g.ldc + n0 + j;
            c[at] = (T) (alpha * acc[i][j] + (beta == 0 ? 0 : beta * (CT) c[at]));
        }
    }
}
