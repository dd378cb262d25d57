// reduce.cl - reductions (sum, mean, max, min, argmax, argmin) and row ops (softmax, log-softmax and their backward).
//
// Reductions: one work-group of RLOCAL work-items per output element; each work-item strides over the row,
// then a tree in local memory combines the partials. Geometry: global = outputs * RLOCAL, local = RLOCAL.
// Row ops (softmax, log-softmax, cross-entropy): one work-item per row for short rows (class scores on a CPU
// device); global = outputs rounded up to 64. The *_rows variants take one work-group of RLOCAL per row and
// reduce in local memory, for long rows and for GPUs (org.tessera.opencl.OpenClBackend#rowGroups decides).
// Operands are described by a Rows struct: kept dims index the outputs, row dims are reduced
// (org.tessera.backend.RowSplit). Accumulation is in ACC (double where the device has fp64).
#ifndef RLOCAL
#define RLOCAL 64       // work-items per reduction work-group (a power of two)
#endif

typedef struct {
    int kept_rank;
    int kept_shape[MAX_RANK];
    int kept_strides[3][MAX_RANK];
    int row_rank;
    int row_shape[MAX_RANK];
    int row_strides[3][MAX_RANK];
    int offset[3];
    int outputs;
    int row_length;
} Rows;

inline int kept_offset(const Rows* R, int k, int o) {
    int off = R->offset[k];
    for (int d = R->kept_rank - 1; d >= 0; d--) {
        off += (o % R->kept_shape[d]) * R->kept_strides[k][d];
        o /= R->kept_shape[d];
    }
    return off;
}

inline int row_offset(const Rows* R, int k, int j) {
    int off = 0;
    for (int d = R->row_rank - 1; d >= 0; d--) {
        off += (j % R->row_shape[d]) * R->row_strides[k][d];
        j /= R->row_shape[d];
    }
    return off;
}

// Does (v2, i2) beat (v1, i1)? The larger value wins; ties and NaNs go to the lower index; NaN beats numbers.
inline bool beats(ACC v1, int i1, ACC v2, int i2) {
    if (isnan(v1)) return isnan(v2) && i2 < i1;
    if (isnan(v2)) return true;
    return v2 > v1 || (v2 == v1 && i2 < i1);
}

// Combines the work-group's RLOCAL partials in local memory (a tree; every work-item must call it): sums
// into best[0], or, when is_max, the winning value and its index into best[0] and at[0] (rules of beats()).
inline void combine_partials(__local ACC* best, __local int* at, int lid, bool is_max) {
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = RLOCAL / 2; w > 0; w >>= 1) {
        if (lid < w) {
            if (!is_max) best[lid] += best[lid + w];
            else if (beats(best[lid], at[lid], best[lid + w], at[lid + w])) { best[lid] = best[lid + w]; at[lid] = at[lid + w]; }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

__kernel __attribute__((reqd_work_group_size(RLOCAL, 1, 1)))
void reduce_sum(__global const T* x, __global T* out, const Rows R, const int mean) {
    __local ACC part[RLOCAL];
    __local int unused[RLOCAL];
    int o = get_group_id(0), lid = get_local_id(0);
    int base = kept_offset(&R, 0, o);
    ACC s = 0;
    for (int j = lid; j < R.row_length; j += RLOCAL) s += (ACC) x[base + row_offset(&R, 0, j)];
    part[lid] = s;
    combine_partials(part, unused, lid, false);
    if (lid == 0) out[kept_offset(&R, 1, o)] = (T) (mean ? part[0] / R.row_length : part[0]);
}

// MAX/MIN write the value to out (T); ARGMAX/ARGMIN write the row-flat index to out_index (int). sign = -1 makes
// it a minimum: the first maximum of -x is the first minimum of x, and negation is exact.
__kernel __attribute__((reqd_work_group_size(RLOCAL, 1, 1)))
void reduce_max(__global const T* x, __global T* out, __global int* out_index, const Rows R, const int want_index,
                const int sign) {
    __local ACC best[RLOCAL];
    __local int at[RLOCAL];
    int o = get_group_id(0), lid = get_local_id(0);
    int base = kept_offset(&R, 0, o);
    ACC v = -INFINITY;
    int i = R.row_length;             // "no element yet" loses every tie
    for (int j = lid; j < R.row_length; j += RLOCAL) {
        ACC c = (ACC) sign * (ACC) x[base + row_offset(&R, 0, j)];
        if (beats(v, i, c, j)) { v = c; i = j; }
    }
    best[lid] = v;
    at[lid] = i;
    combine_partials(best, at, lid, true);
    if (lid == 0) {
        if (want_index) out_index[kept_offset(&R, 1, o)] = at[0];
        else out[kept_offset(&R, 1, o)] = (T) ((ACC) sign * best[0]);
    }
}

// Operands: 0 x, 1 out. Stable: the row maximum is subtracted before exponentiating.
__kernel void softmax_forward(__global const T* x, __global T* out, const Rows R, const int log_softmax) {
    int o = get_global_id(0);
    if (o >= R.outputs) return;
    int xb = kept_offset(&R, 0, o), ob = kept_offset(&R, 1, o);
    ACC m = -INFINITY;
    for (int j = 0; j < R.row_length; j++) m = fmax(m, (ACC) x[xb + row_offset(&R, 0, j)]);
    ACC s = 0;
    for (int j = 0; j < R.row_length; j++) s += exp((ACC) x[xb + row_offset(&R, 0, j)] - m);
    ACC lse = m + log(s);
    for (int j = 0; j < R.row_length; j++) {
        ACC v = (ACC) x[xb + row_offset(&R, 0, j)];
        out[ob + row_offset(&R, 1, j)] = (T) (log_softmax ? v - lse : exp(v - m) / s);
    }
}

// Operands: 0 y (the forward output), 1 dy, 2 dx. softmax: dx = y (dy - sum dy y); log: dx = dy - e^y sum dy.
__kernel void softmax_backward(__global const T* y, __global const T* dy, __global T* dx, const Rows R,
                               const int log_softmax) {
    int o = get_global_id(0);
    if (o >= R.outputs) return;
    int yb = kept_offset(&R, 0, o), gb = kept_offset(&R, 1, o), xb = kept_offset(&R, 2, o);
    ACC s = 0;
    for (int j = 0; j < R.row_length; j++) {
        ACC g = (ACC) dy[gb + row_offset(&R, 1, j)];
        s += log_softmax ? g : g * (ACC) y[yb + row_offset(&R, 0, j)];
    }
    for (int j = 0; j < R.row_length; j++) {
        ACC g = (ACC) dy[gb + row_offset(&R, 1, j)];
        ACC v = (ACC) y[yb + row_offset(&R, 0, j)];
        dx[xb + row_offset(&R, 2, j)] = (T) (log_softmax ? g - exp(v) * s : v * (g - s));
    }
}

// ---- two passes for few, long rows (e.g. a full sum) -----------------------------------------------------
// Pass 1: work-group g reduces chunk (g % chunks) of output (g / chunks)'s row into partial[g] (and, for max,
// its row-flat index into partial_index[g]; for min, sign = -1 and the partials hold -x). Pass 2 (reduce_finish): one work-group per output combines its
// chunks' partials with the same tree and rules. Geometry: global = groups * RLOCAL, local = RLOCAL.
__kernel __attribute__((reqd_work_group_size(RLOCAL, 1, 1)))
void reduce_partial(__global const T* x, __global ACC* partial, __global int* partial_index, const Rows R,
                    const int chunks, const int is_max, const int sign) {
    __local ACC best[RLOCAL];
    __local int at[RLOCAL];
    int g = get_group_id(0), lid = get_local_id(0);
    int o = g / chunks, c = g % chunks;
    int from = (int) ((long) R.row_length * c / chunks), to = (int) ((long) R.row_length * (c + 1) / chunks);
    int base = kept_offset(&R, 0, o);
    ACC v = is_max ? -INFINITY : 0;
    int i = R.row_length;
    for (int j = from + lid; j < to; j += RLOCAL) {
        ACC e = (ACC) sign * (ACC) x[base + row_offset(&R, 0, j)];
        if (!is_max) v += e;
        else if (beats(v, i, e, j)) { v = e; i = j; }
    }
    best[lid] = v;
    at[lid] = i;
    combine_partials(best, at, lid, is_max);
    if (lid == 0) {
        partial[g] = best[0];
        partial_index[g] = at[0];
    }
}

// What reduce_finish makes of the partials (the host passes OpenClBackend.FINISH_*, the same numbers).
#define FINISH_SUM 0
#define FINISH_MEAN 1
#define FINISH_EXTREME 2   // max/min: value times sign to out
#define FINISH_INDEX 3     // argmax/argmin: index to out_index
__kernel __attribute__((reqd_work_group_size(RLOCAL, 1, 1)))
void reduce_finish(__global const ACC* partial, __global const int* partial_index, __global T* out,
                   __global int* out_index, const Rows R, const int chunks, const int mode, const int sign) {
    __local ACC best[RLOCAL];
    __local int at[RLOCAL];
    int o = get_group_id(0), lid = get_local_id(0);
    bool is_max = mode >= FINISH_EXTREME;
    ACC v = is_max ? -INFINITY : 0;
    int i = R.row_length;
    for (int c = lid; c < chunks; c += RLOCAL) {
        ACC e = partial[o * chunks + c];
        int ei = partial_index[o * chunks + c];
        if (!is_max) v += e;
        else if (beats(v, i, e, ei)) { v = e; i = ei; }
    }
    best[lid] = v;
    at[lid] = i;
    combine_partials(best, at, lid, is_max);
    if (lid == 0) {
        int dst = kept_offset(&R, 1, o);
        if (mode == FINISH_INDEX) out_index[dst] = at[0];
        else out[dst] = (T) (mode == FINISH_MEAN ? best[0] / R.row_length : (ACC) sign * best[0]);
    }
}

// Cross-entropy per row, one work-item per row of logits [N, C] (operand 0 of Rows; operand 1 = dlogits).
// Forward (backward = 0): per_row[n] = logsumexp(row) - row[label], written. Backward (backward = 1): per_row holds
// the upstream gradient g, read: dlogits = g[n] * (softmax(row) - onehot(label)).
__kernel void cross_entropy(__global const T* logits, __global const int* labels, __global T* per_row,
                            __global T* dlogits, const Rows R, const int label_stride, const int label_offset,
                            const int row_stride, const int row_offset_, const int backward) {
    int n = get_global_id(0);
    if (n >= R.outputs) return;
    int xb = kept_offset(&R, 0, n);
    ACC m = -INFINITY;
    for (int j = 0; j < R.row_length; j++) m = fmax(m, (ACC) logits[xb + row_offset(&R, 0, j)]);
    ACC s = 0;
    for (int j = 0; j < R.row_length; j++) s += exp((ACC) logits[xb + row_offset(&R, 0, j)] - m);
    int label = labels[label_offset + n * label_stride];
    int at = row_offset_ + n * row_stride;
    if (!backward) {
        per_row[at] = (T) (m + log(s) - (ACC) logits[xb + row_offset(&R, 0, label)]);
        return;
    }
    ACC g = (ACC) per_row[at];
    int db = kept_offset(&R, 1, n);
    for (int j = 0; j < R.row_length; j++) {
        ACC p = exp((ACC) logits[xb + row_offset(&R, 0, j)] - m) / s;
        dlogits[db + row_offset(&R, 1, j)] = (T) (g * (p - (j == label ? 1 : 0)));
    }
}

// Sums over leading dims when the innermost dim is kept and contiguous (a bias gradient: the sum over the
// batch of [B, N]): one work-item per output walks the rows, so neighbouring work-items read neighbouring
// columns (coalesced on a GPU). Geometry: global = outputs rounded up to 64.
__kernel void reduce_sum_columns(__global const T* x, __global T* out, const Rows R, const int mean) {
    int o = get_global_id(0);
    if (o >= R.outputs) return;
    int base = kept_offset(&R, 0, o);
    ACC s = 0;
    for (int j = 0; j < R.row_length; j++) s += (ACC) x[base + row_offset(&R, 0, j)];
    out[kept_offset(&R, 1, o)] = (T) (mean ? s / R.row_length : s);
}

// ---- row ops with one work-group per row ------------------------------------------------------------------
// Each work-item strides over the row; the maximum and the sums go through local-memory trees. Geometry:
// global = outputs * RLOCAL, local = RLOCAL. Same operands and results as the one-work-item kernels above.

inline void combine_max(__local ACC* part, int lid) {
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = RLOCAL / 2; w > 0; w >>= 1) {
        if (lid < w) part[lid] = fmax(part[lid], part[lid + w]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

// The row's maximum (m) and sum of exp(x - m) (s), every work-item of the group getting both.
inline void row_max_and_sum(__global const T* x, const Rows* R, int k, int base, __local ACC* part, __local int* unused,
                            int lid, ACC* m, ACC* s) {
    ACC v = -INFINITY;
    for (int j = lid; j < R->row_length; j += RLOCAL) v = fmax(v, (ACC) x[base + row_offset(R, k, j)]);
    part[lid] = v;
    combine_max(part, lid);
    ACC mm = part[0];
    barrier(CLK_LOCAL_MEM_FENCE);                 // everyone has read part[0] before it is overwritten
    ACC t = 0;
    for (int j = lid; j < R->row_length; j += RLOCAL) t += exp((ACC) x[base + row_offset(R, k, j)] - mm);
    part[lid] = t;
    combine_partials(part, unused, lid, false);
    *m = mm;
    *s = part[0];
}

__kernel __attribute__((reqd_work_group_size(RLOCAL, 1, 1)))
void softmax_forward_rows(__global const T* x, __global T* out, const Rows R, const int log_softmax) {
    __local ACC part[RLOCAL];
    __local int unused[RLOCAL];
    int o = get_group_id(0), lid = get_local_id(0);
    int xb = kept_offset(&R, 0, o), ob = kept_offset(&R, 1, o);
    ACC m, s;
    row_max_and_sum(x, &R, 0, xb, part, unused, lid, &m, &s);
    ACC lse = m + log(s);
    for (int j = lid; j < R.row_length; j += RLOCAL) {
        ACC v = (ACC) x[xb + row_offset(&R, 0, j)];
        out[ob + row_offset(&R, 1, j)] = (T) (log_softmax ? v - lse : exp(v - m) / s);
    }
}

__kernel __attribute__((reqd_work_group_size(RLOCAL, 1, 1)))
void softmax_backward_rows(__global const T* y, __global const T* dy, __global T* dx, const Rows R, const int log_softmax) {
    __local ACC part[RLOCAL];
    __local int unused[RLOCAL];
    int o = get_group_id(0), lid = get_local_id(0);
    int yb = kept_offset(&R, 0, o), gb = kept_offset(&R, 1, o), xb = kept_offset(&R, 2, o);
    ACC t = 0;
    for (int j = lid; j < R.row_length; j += RLOCAL) {
        ACC g = (ACC) dy[gb + row_offset(&R, 1, j)];
        t += log_softmax ? g : g * (ACC) y[yb + row_offset(&R, 0, j)];
    }
    part[lid] = t;
    combine_partials(part, unused, lid, false);
    ACC s = part[0];
    for (int j = lid; j < R.row_length; j += RLOCAL) {
        ACC g = (ACC) dy[gb + row_offset(&R, 1, j)];
        ACC v = (ACC) y[yb + row_offset(&R, 0, j)];
        dx[xb + row_offset(&R, 2, j)] = (T) (log_softmax ? g - exp(v) * s : v * (g - s));
    }
}

__kernel __attribute__((reqd_work_group_size(RLOCAL, 1, 1)))
void cross_entropy_rows(__global const T* logits, __global const int* labels, __global T* per_row, __global T* dlogits,
                        const Rows R, const int label_stride, const int label_offset, const int row_stride,
                        const int row_offset_, const int backward) {
    __local ACC part[RLOCAL];
    __local int unused[RLOCAL];
    int n = get_group_id(0), lid = get_local_id(0);
    int xb = kept_offset(&R, 0, n);
    ACC m, s;
    row_max_and_sum(logits, &R, 0, xb, part, unused, lid, &m, &s);
    int label = labels[label_offset + n * label_stride];
    int at = row_offset_ + n * row_stride;
    if (!backward) {
        if (lid == 0) per_row[at] = (T) (m + log(s) - (ACC) logits[xb + row_offset(&R, 0, label)]);
        return;
    }
    ACC g = (ACC) per_row[at];
    int db = kept_offset(&R, 1, n);
    for (int j = lid; j < R.row_length; j += RLOCAL) {
        ACC p = exp((ACC) logits[xb + row_offset(&R, 0, j)] - m) / s;
        dlogits[db + row_offset(&R, 1, j)] = (T) (g * (p - (j == label ? 1 : 0)));
    }
}

// ---- column sums as a tiled reduction (GPUs) -----------------------------------------------------------------
// The same sums as reduce_sum_columns, with CTY work-items per column: a CTX x CTY work-group covers CTX
// neighbouring columns (coalesced reads), each work-item summing every CTY-th row, then the CTY partials of a
// column are added in local memory. CTY times the work-items for the same outputs: a GPU needs them (1024
// columns are 1024 work-items otherwise). Geometry: global = (outputs rounded up to CTX, CTY), local = (CTX, CTY).
#ifndef CTX
#define CTX 32
#endif
#ifndef CTY
#define CTY 8
#endif
__kernel __attribute__((reqd_work_group_size(CTX, CTY, 1)))
void reduce_sum_columns_tiled(__global const T* x, __global T* out, const Rows R, const int mean) {
    __local ACC part[CTY][CTX];
    int lx = get_local_id(0), ly = get_local_id(1), o = get_group_id(0) * CTX + lx;
    ACC s = 0;
    if (o < R.outputs) {
        int base = kept_offset(&R, 0, o);
        for (int j = ly; j < R.row_length; j += CTY) s += (ACC) x[base + row_offset(&R, 0, j)];
    }
    part[ly][lx] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (ly == 0 && o < R.outputs) {
        ACC t = 0;
        for (int k = 0; k < CTY; k++) t += part[k][lx];
        out[kept_offset(&R, 1, o)] = (T) (mean ? t / R.row_length : t);
    }
}
