// index.cl - gather and its backward, scatter-add, along one dim. Indices are range-checked on the host.
//
// gather: one work-item per index element; global = n rounded up to 64.
// scatter_add: one work-item per position of the index with the dim left out, looping over the dim, so
// no two work-items write the same output element (no atomics needed); global = n rounded up to 64.
typedef struct {
    int rank;
    int dim;
    int n;
    int shape[MAX_RANK];        // the index's shape
    int src_strides[MAX_RANK];  // x for gather, src for scatter_add
    int idx_strides[MAX_RANK];
    int out_strides[MAX_RANK];
    int src_offset;
    int idx_offset;
    int out_offset;
} Indexing;

__kernel void gather(__global const T* x, __global const int* index, __global T* out, const Indexing G) {
    int i = get_global_id(0);
    if (i >= G.n) return;
    int rem = i, xo = G.src_offset, io = G.idx_offset, oo = G.out_offset;
    for (int d = G.rank - 1; d >= 0; d--) {
        int c = rem % G.shape[d];
        rem /= G.shape[d];
        io += c * G.idx_strides[d];
        oo += c * G.out_strides[d];
        if (d != G.dim) xo += c * G.src_strides[d];
    }
    out[oo] = x[xo + index[io] * G.src_strides[G.dim]];
}

__kernel void scatter_add(__global const T* src, __global const int* index, __global T* out, const Indexing G) {
    int i = get_global_id(0);
    if (i >= G.n) return;
    int rem = i, so = G.src_offset, io = G.idx_offset, oo = G.out_offset;
    for (int d = G.rank - 1; d >= 0; d--) {
        if (d == G.dim) continue;
        int c = rem % G.shape[d];
        rem /= G.shape[d];
        so += c * G.src_strides[d];
        io += c * G.idx_strides[d];
        oo += c * G.out_strides[d];
    }
    for (int j = 0; j < G.shape[G.dim]; j++) {
        int k = index[io + j * G.idx_strides[G.dim]];
        out[oo + k * G.out_strides[G.dim]] += src[so + j * G.src_strides[G.dim]];
    }
}
