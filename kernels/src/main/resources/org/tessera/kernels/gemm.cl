// gemm.cl - batched C = alpha * op(A) op(B) + beta * C, row-major; one kernel family, every tunable a define.
//
// The host (org.tessera.opencl.GemmConfig) builds one program per configuration; the tuner
// (org.tessera.opencl.GemmTuner) times candidates on the device and keeps the fastest correct one.
//
//   TM, TN     rows and columns of C per work-item (TN a multiple of VW)
//   WG_M, WG_N work-group shape: WG_N work-items along n (dimension 0), WG_M along m (dimension 1)
//   VW         vector width of B and C accesses along n: 1, 2, 4, 8 or 16
//   LOCAL_MEM  0: operands read from global memory, each work-item owns a contiguous TM x TN block (the CPU
//              shape: the caches hold the operands; on PoCL 8 x 16 reads whole 64-byte lines of B).
//              1: each work-group stages KT-deep slices of A (TILE_M x KT) and B (KT x TILE_N) in local
//              memory (the GPU shape); a work-item's rows and column vectors are strided by WG_M and
//              WG_N * VW across the tile, so neighbouring work-items touch neighbouring local words.
//   KT         depth of a K slice in local memory (LOCAL_MEM 1)
//   DOUBLE_BUFFER  1: two slices in local memory, the next one loaded while the current one is used, one
//              barrier per slice instead of two (LOCAL_MEM 1)
//   TRANS_A, TRANS_B  1: that operand is stored transposed ([k, m] for A, [n, k] for B) and read in place
//
// Geometry: global = (ceil(N / TN) rounded up to WG_N, ceil(M / TM) rounded up to WG_M, batch), local =
// (WG_N, WG_M, 1). With LOCAL_MEM 1 the work-group covers one TILE_M x TILE_N tile of C.
#ifndef TM
#define TM 8
#endif
#ifndef TN
#define TN 16
#endif
#ifndef WG_M
#define WG_M 8
#endif
#ifndef WG_N
#define WG_N 8
#endif
#ifndef VW
#define VW 8
#endif
#ifndef LOCAL_MEM
#define LOCAL_MEM 0
#endif
#ifndef KT
#define KT 16
#endif
#ifndef DOUBLE_BUFFER
#define DOUBLE_BUFFER 0
#endif
#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif

#if TN % VW != 0
#error "TN must be a multiple of VW"
#endif
#define NV (TN / VW)                  // column vectors per work-item
#define TILE_M (WG_M * TM)
#define TILE_N (WG_N * TN)

#define PASTE(a, b) a##b
#define XPASTE(a, b) PASTE(a, b)
#if VW == 1
#define VT T
#define VLOAD(p) (*(p))
#define VSTORE(v, p) (*(p) = (v))
#else
#define VT XPASTE(T, VW)
#define VLOAD(p) XPASTE(vload, VW)(0, p)
#define VSTORE(v, p) XPASTE(vstore, VW)(v, 0, p)
#endif

typedef struct {
    int m, n, k;
    int lda, ldb, ldc;
    int batch_a, batch_b, batch_c;
    int off_a, off_b, off_c;
} Gemm;

// op(A)[m][p] and op(B)[p][n] in the stored layout
#if TRANS_A
#define A_AT(a, lda, m, p) (a)[(p) * (lda) + (m)]
#else
#define A_AT(a, lda, m, p) (a)[(m) * (lda) + (p)]
#endif
#if TRANS_B
#define B_AT(b, ldb, p, n) (b)[(n) * (ldb) + (p)]
#else
#define B_AT(b, ldb, p, n) (b)[(p) * (ldb) + (n)]
#endif

// One VW-wide vector of row p of op(B) from column n: a vector load when B is stored untransposed.
inline VT b_vector(__global const T* b, int ldb, int p, int n) {
#if TRANS_B && VW > 1
    T v[VW];
#pragma unroll
    for (int l = 0; l < VW; l++) v[l] = B_AT(b, ldb, p, n + l);
    return VLOAD(v);
#elif TRANS_B
    return B_AT(b, ldb, p, n);
#else
    return VLOAD(b + p * ldb + n);
#endif
}

// Writes alpha * acc + beta * C for one vector of columns starting at n (guarded element by element at the
// edges of C). beta == 0 never reads C, so garbage (NaN) in a fresh output cannot leak in.
inline void store_vector(__global T* c, const Gemm* g, int m, int n, VT acc, CT alpha, CT beta) {
    if (m >= g->m || n >= g->n) return;
    __global T* out = c + m * g->ldc + n;
    if (n + VW <= g->n) {
        T al = (T) alpha;
        VT v = al * acc;
        if (beta != 0) {
            T be = (T) beta;
            v += be * VLOAD(out);
        }
        VSTORE(v, out);
        return;
    }
    T vals[VW];
    VSTORE(acc, vals);
    for (int l = 0; l < VW && n + l < g->n; l++) out[l] = (T) (alpha * vals[l] + (beta == 0 ? 0 : beta * (CT) out[l]));
}

#if !LOCAL_MEM
// ---- operands from global memory ------------------------------------------------------------------------
__kernel __attribute__((reqd_work_group_size(WG_N, WG_M, 1)))
void gemm(__global const T* A, __global const T* B, __global T* C, const Gemm g, const CT alpha, const CT beta) {
    int n0 = get_global_id(0) * TN, m0 = get_global_id(1) * TM, item = get_global_id(2);
    if (m0 >= g.m || n0 >= g.n) return;
    __global const T* a = A + g.off_a + item * g.batch_a;
    __global const T* b = B + g.off_b + item * g.batch_b;
    __global T* c = C + g.off_c + item * g.batch_c;
    VT acc[TM][NV];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < NV; j++) acc[i][j] = (VT) 0;
    if (m0 + TM <= g.m && n0 + TN <= g.n) {
        // whole tile: no bounds checks in the k loop
        for (int p = 0; p < g.k; p++) {
            VT bv[NV];
#pragma unroll
            for (int j = 0; j < NV; j++) bv[j] = b_vector(b, g.ldb, p, n0 + j * VW);
#pragma unroll
            for (int i = 0; i < TM; i++) {
                T x = A_AT(a, g.lda, m0 + i, p);   // a plain T first: clang 15 crashes splatting an address-space lvalue
                VT av = (VT) x;
#pragma unroll
                for (int j = 0; j < NV; j++) acc[i][j] = fma(av, bv[j], acc[i][j]);
            }
        }
    } else {
        // edge tile: rows and columns past C read as 0. Unrolled like the whole-tile loop: one dynamic index into
        // acc would keep it in memory for the whole kernel (PoCL n=1024: 36 ms against 24)
        for (int p = 0; p < g.k; p++) {
            VT bv[NV];
#pragma unroll
            for (int j = 0; j < NV; j++) {
                T v[VW];
#pragma unroll
                for (int l = 0; l < VW; l++) {
                    int n = n0 + j * VW + l;
                    v[l] = n < g.n ? B_AT(b, g.ldb, p, n) : 0;
                }
#if VW == 1
                bv[j] = v[0];
#else
                bv[j] = VLOAD(v);
#endif
            }
#pragma unroll
            for (int i = 0; i < TM; i++) {
                T x = m0 + i < g.m ? A_AT(a, g.lda, m0 + i, p) : 0;
                VT av = (VT) x;
#pragma unroll
                for (int j = 0; j < NV; j++) acc[i][j] = fma(av, bv[j], acc[i][j]);
            }
        }
    }
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < NV; j++) store_vector(c, &g, m0 + i, n0 + j * VW, acc[i][j], alpha, beta);
}

#else
// ---- K slices staged in local memory --------------------------------------------------------------------
// as[kk][r]: op(A) transposed, so the compute loop reads one word per row (a broadcast across the work-group);
// bs[kk][col]: op(B), read as VW-wide vectors. Global reads are coalesced for every layout: consecutive
// work-items read consecutive addresses of the stored operand.
inline void load_slice(__local T (*as)[TILE_M], __local T (*bs)[TILE_N], __global const T* a, __global const T* b,
                       const Gemm* g, int row0, int col0, int k0, int lid) {
    bool full = row0 + TILE_M <= g->m && col0 + TILE_N <= g->n && k0 + KT <= g->k;
    for (int e = lid; e < TILE_M * KT; e += WG_M * WG_N) {
#if TRANS_A
        int r = e % TILE_M, kk = e / TILE_M;
#else
        int kk = e % KT, r = e / KT;
#endif
        int m = row0 + r, p = k0 + kk;
        as[kk][r] = full || (m < g->m && p < g->k) ? A_AT(a, g->lda, m, p) : 0;
    }
    for (int e = lid; e < KT * TILE_N; e += WG_M * WG_N) {
#if TRANS_B
        int kk = e % KT, cc = e / KT;
#else
        int cc = e % TILE_N, kk = e / TILE_N;
#endif
        int n = col0 + cc, p = k0 + kk;
        bs[kk][cc] = full || (n < g->n && p < g->k) ? B_AT(b, g->ldb, p, n) : 0;
    }
}

inline void multiply_slice(__local const T (*as)[TILE_M], __local const T (*bs)[TILE_N], VT acc[TM][NV], int lx, int ly) {
    for (int kk = 0; kk < KT; kk++) {
        VT bv[NV];
#pragma unroll
        for (int j = 0; j < NV; j++) bv[j] = VLOAD(&bs[kk][(j * WG_N + lx) * VW]);
#pragma unroll
        for (int i = 0; i < TM; i++) {
            T x = as[kk][i * WG_M + ly];
            VT av = (VT) x;
#pragma unroll
            for (int j = 0; j < NV; j++) acc[i][j] = fma(av, bv[j], acc[i][j]);
        }
    }
}

__kernel __attribute__((reqd_work_group_size(WG_N, WG_M, 1)))
void gemm(__global const T* A, __global const T* B, __global T* C, const Gemm g, const CT alpha, const CT beta) {
#if DOUBLE_BUFFER
    __local T as[2][KT][TILE_M];
    __local T bs[2][KT][TILE_N];
#else
    __local T as[1][KT][TILE_M];
    __local T bs[1][KT][TILE_N];
#endif
    int lx = get_local_id(0), ly = get_local_id(1), lid = ly * WG_N + lx;
    int row0 = get_group_id(1) * TILE_M, col0 = get_group_id(0) * TILE_N, item = get_global_id(2);
    __global const T* a = A + g.off_a + item * g.batch_a;
    __global const T* b = B + g.off_b + item * g.batch_b;
    __global T* c = C + g.off_c + item * g.batch_c;
    VT acc[TM][NV];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < NV; j++) acc[i][j] = (VT) 0;
#if DOUBLE_BUFFER
    // slice s lives in buffer s & 1: while it is multiplied, slice s + 1 is written to the other buffer, whose
    // readers (slice s - 1) all passed the barrier that ended the previous step
    load_slice(as[0], bs[0], a, b, &g, row0, col0, 0, lid);
    barrier(CLK_LOCAL_MEM_FENCE);
    int slices = (g.k + KT - 1) / KT;
    for (int s = 0; s < slices; s++) {
        if (s + 1 < slices) load_slice(as[(s + 1) & 1], bs[(s + 1) & 1], a, b, &g, row0, col0, (s + 1) * KT, lid);
        multiply_slice(as[s & 1], bs[s & 1], acc, lx, ly);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#else
    for (int k0 = 0; k0 < g.k; k0 += KT) {
        load_slice(as[0], bs[0], a, b, &g, row0, col0, k0, lid);
        barrier(CLK_LOCAL_MEM_FENCE);
        multiply_slice(as[0], bs[0], acc, lx, ly);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#endif
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < NV; j++)
            store_vector(c, &g, row0 + i * WG_M + ly, col0 + (j * WG_N + lx) * VW, acc[i][j], alpha, beta);
}
#endif
