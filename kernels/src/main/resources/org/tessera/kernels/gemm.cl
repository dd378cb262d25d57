// gemm.cl - batched C = alpha * op(A) op(B) + beta * C, row-major, op = transpose when trans_* is set.
//
//            N (TN per work-item)
//        +-----------------+
//   M    | C tile TM x TN  |     each work-item keeps a TM x TN block of C in registers and walks K,
// (TM)   |  per work-item  |     loading TM values of A and one TN-wide row of B per step (vload8s when
//        +-----------------+     the tile is whole and nothing is transposed). 8 x 16 reads whole 64-byte
//                                lines of B: on PoCL n=1024 33 -> 120 GFLOP/s against 4 x 8.
//
// Geometry: global = (ceil(N/TN) rounded up to WG_N, ceil(M/TM) rounded up to WG_M, batch), local =
// (WG_N, WG_M, 1). On PoCL (CPU) the caches hold the operands; a GPU wants local-memory tiles of A and B
// in addition (see the README: design point for GPUs).
#ifndef TM
#define TM 4            // rows of C per work-item (the host builds the CPU program with 8)
#endif
#ifndef TN
#define TN 8            // columns of C per work-item (the host builds the CPU program with 16)
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
    bool whole = m0 + TM <= g.m && n0 + TN <= g.n;
#if TM == 4 && TN == 8
    if (whole && !g.trans_a && !g.trans_b) {
        // Fast path: four rows of C as T8 vectors; each k step loads one 8-wide row of B (vload8) and
        // broadcasts one element of each A row into it with a vector FMA.
        __global const T* a0 = a + m0 * g.lda;
        __global const T* a1 = a0 + g.lda;
        __global const T* a2 = a1 + g.lda;
        __global const T* a3 = a2 + g.lda;
        T8 c0 = (T8) 0, c1 = (T8) 0, c2 = (T8) 0, c3 = (T8) 0;
        for (int p = 0; p < g.k; p++) {
            T8 row = vload8(0, b + p * g.ldb + n0);
            c0 = fma((T8) a0[p], row, c0);
            c1 = fma((T8) a1[p], row, c1);
            c2 = fma((T8) a2[p], row, c2);
            c3 = fma((T8) a3[p], row, c3);
        }
        T8 rows[4] = {c0, c1, c2, c3};
        for (int i = 0; i < 4; i++) {
            __global T* out = c + (m0 + i) * g.ldc + n0;
            T8 v = (T) alpha * rows[i];
            if (beta != 0) v += (T) beta * vload8(0, out);
            vstore8(v, 0, out);
        }
        return;
    }
#endif
#if TM == 8 && TN == 16
    if (whole && !g.trans_a && !g.trans_b) {
        // Fast path, 8 x 16 tile: each k step loads a whole 64-byte line of B (two vload8) and reuses it for
        // 8 rows of A: 128 FMAs per line of B, against 32 for the 4 x 8 tile.
        T8 l0 = (T8) 0, l1 = (T8) 0, l2 = (T8) 0, l3 = (T8) 0, l4 = (T8) 0, l5 = (T8) 0, l6 = (T8) 0, l7 = (T8) 0;
        T8 h0 = (T8) 0, h1 = (T8) 0, h2 = (T8) 0, h3 = (T8) 0, h4 = (T8) 0, h5 = (T8) 0, h6 = (T8) 0, h7 = (T8) 0;
        __global const T* ar = a + m0 * g.lda;
        int lda = g.lda;
        for (int p = 0; p < g.k; p++) {
            __global const T* br = b + p * g.ldb + n0;
            T8 lo = vload8(0, br), hi = vload8(1, br);
            T x;
            x = ar[p];           l0 = fma((T8) x, lo, l0); h0 = fma((T8) x, hi, h0);
            x = ar[lda + p];     l1 = fma((T8) x, lo, l1); h1 = fma((T8) x, hi, h1);
            x = ar[2 * lda + p]; l2 = fma((T8) x, lo, l2); h2 = fma((T8) x, hi, h2);
            x = ar[3 * lda + p]; l3 = fma((T8) x, lo, l3); h3 = fma((T8) x, hi, h3);
            x = ar[4 * lda + p]; l4 = fma((T8) x, lo, l4); h4 = fma((T8) x, hi, h4);
            x = ar[5 * lda + p]; l5 = fma((T8) x, lo, l5); h5 = fma((T8) x, hi, h5);
            x = ar[6 * lda + p]; l6 = fma((T8) x, lo, l6); h6 = fma((T8) x, hi, h6);
            x = ar[7 * lda + p]; l7 = fma((T8) x, lo, l7); h7 = fma((T8) x, hi, h7);
        }
        T8 los[8] = {l0, l1, l2, l3, l4, l5, l6, l7}, his[8] = {h0, h1, h2, h3, h4, h5, h6, h7};
        for (int i = 0; i < 8; i++) {
            __global T* out = c + (m0 + i) * g.ldc + n0;
            T8 vl = (T) alpha * los[i], vh = (T) alpha * his[i];
            if (beta != 0) {
                vl += (T) beta * vload8(0, out);
                vh += (T) beta * vload8(1, out);
            }
            vstore8(vl, 0, out);
            vstore8(vh, 1, out);
        }
        return;
    }
#endif
    // General path: edge tiles and transposed operands, element by element with bounds checks.
    CT acc[TM][TN];
    for (int i = 0; i < TM; i++) for (int j = 0; j < TN; j++) acc[i][j] = 0;
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
    for (int i = 0; i < TM && m0 + i < g.m; i++) {
        for (int j = 0; j < TN && n0 + j < g.n; j++) {
            int at = (m0 + i) * g.ldc + n0 + j;
            c[at] = (T) (alpha * acc[i][j] + (beta == 0 ? 0 : beta * (CT) c[at]));
        }
    }
}

// ---- tiled variant -------------------------------------------------------------------------------------
// The work-group computes a (WG_M*TM) x (WG_N*TN) = 32 x 64 tile of C. For each KT-deep slice of K it first
// copies the A slice (32 x KT) and the B slice (KT x 64) into local memory, all work-items together (reads
// of transposed operands happen here, so the inner loop is the same for every layout; out-of-range elements
// are stored as 0), then each work-item accumulates its 4 x 8 block from local memory.
#if TN == 8          // the tiled kernel's inner loop is written for 8 columns per work-item
#ifndef KT
#define KT 32           // depth of a K slice held in local memory
#endif
#define TILE_M (WG_M * TM)
#define TILE_N (WG_N * TN)

__kernel __attribute__((reqd_work_group_size(WG_N, WG_M, 1)))
void gemm_tiled(__global const T* A, __global const T* B, __global T* C, const Gemm g, const CT alpha, const CT beta) {
    __local T as[TILE_M][KT];
    __local T bs[KT][TILE_N];
    int lx = get_local_id(0), ly = get_local_id(1), lid = ly * WG_N + lx;
    int row0 = get_group_id(1) * TILE_M, col0 = get_group_id(0) * TILE_N, item = get_global_id(2);
    __global const T* a = A + g.off_a + item * g.batch_a;
    __global const T* b = B + g.off_b + item * g.batch_b;
    __global T* c = C + g.off_c + item * g.batch_c;
    T8 acc[TM];
    for (int i = 0; i < TM; i++) acc[i] = (T8) 0;
    for (int k0 = 0; k0 < g.k; k0 += KT) {
        for (int e = lid; e < TILE_M * KT; e += WG_M * WG_N) {
            int r = e / KT, kk = e % KT, m = row0 + r, p = k0 + kk;
            as[r][kk] = m < g.m && p < g.k ? (g.trans_a ? a[p * g.lda + m] : a[m * g.lda + p]) : 0;
        }
        for (int e = lid; e < KT * TILE_N; e += WG_M * WG_N) {
            int kk = e / TILE_N, cc = e % TILE_N, n = col0 + cc, p = k0 + kk;
            bs[kk][cc] = n < g.n && p < g.k ? (g.trans_b ? b[n * g.ldb + p] : b[p * g.ldb + n]) : 0;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < KT; kk++) {
            T8 row = vload8(0, &bs[kk][lx * TN]);
            for (int i = 0; i < TM; i++) acc[i] = fma((T8) as[ly * TM + i][kk], row, acc[i]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < TM; i++) {
        int m = row0 + ly * TM + i;
        if (m >= g.m) break;
        T vals[TN];
        vstore8(acc[i], 0, vals);
        for (int j = 0; j < TN; j++) {
            int n = col0 + lx * TN + j;
            if (n >= g.n) break;
            int at = m * g.ldc + n;
            c[at] = (T) (alpha * vals[j] + (beta == 0 ? 0 : beta * (CT) c[at]));
        }
    }
}
#endif
