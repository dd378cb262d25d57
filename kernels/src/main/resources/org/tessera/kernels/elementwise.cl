// elementwise.cl - unary and binary ops, forward and backward, fill and dtype conversion.
//
// Geometry: 1-D NDRange of n rounded up to the host's local size (OpenClBackend: ELEMENTWISE_LOCAL, default 256,
// within the kernel's work-group limit; the dense kernels 8 to LOCAL by size), guard i < L.n.
// Operand 0 of the Layout is the output. The host instantiates one kernel per row of the op tables
// (org.tessera.backend.UnaryOp / BinaryOp), passing the row's OpenCL C formula; in the formula x is
// the input, y the output, dy the upstream gradient, a and b the binary operands, p and q parameters.

// x^p as org.tessera.backend.UnaryOp.Functions.pow: PyTorch's special exponents, then pow.
inline CT pow_scalar(CT x, CT p) {
    if (p == (CT) 0.5) return sqrt(x);
    if (p == (CT) 2) return x * x;
    if (p == (CT) 3) return x * x * x;
    if (p == (CT) -0.5) return (CT) 1 / sqrt(x);
    if (p == (CT) -1) return (CT) 1 / x;
    if (p == (CT) -2) return (CT) 1 / (x * x);
    return pow(x, p);
}

#define UNARY_KERNEL(NAME, ...)                                                             \
__kernel void unary_##NAME(__global const T* xs, __global T* ys, const Layout L,             \
                           const CT p, const CT q) {                                         \
    int i = get_global_id(0);                                                                \
    if (i >= L.n) return;                                                                    \
    CT x = (CT) xs[element_offset(&L, 1, i)];                                                \
    ys[element_offset(&L, 0, i)] = (T) (__VA_ARGS__);                                        \
}

// The saved operand is bound to both x and y: each formula reads the one its row saves.
#define UNARY_BACKWARD(NAME, ...)                                                           \
__kernel void unary_backward_##NAME(__global const T* dys, __global const T* ss,             \
                                    __global T* dxs, const Layout L, const CT p, const CT q) { \
    int i = get_global_id(0);                                                                \
    if (i >= L.n) return;                                                                    \
    CT dy = (CT) dys[element_offset(&L, 1, i)];                                              \
    CT x = (CT) ss[element_offset(&L, 2, i)];                                                \
    CT y = x;                                                                                \
    dxs[element_offset(&L, 0, i)] = (T) (__VA_ARGS__);                                       \
}

#define BINARY_KERNEL(NAME, ...)                                                            \
__kernel void binary_##NAME(__global const T* as, __global const T* bs, __global T* out,     \
                            const Layout L) {                                                \
    int i = get_global_id(0);                                                                \
    if (i >= L.n) return;                                                                    \
    CT a = (CT) as[element_offset(&L, 1, i)];                                                \
    CT b = (CT) bs[element_offset(&L, 2, i)];                                                \
    out[element_offset(&L, 0, i)] = (T) (__VA_ARGS__);                                       \
}

// Operands: 0 the gradient out, 1 dy, 2 a, 3 b (a or b may be a dummy when the formula skips it).
#define BINARY_BACKWARD(NAME, INPUT, ...)                                                   \
__kernel void binary_backward_##NAME##_##INPUT(__global const T* dys, __global const T* as,  \
                                               __global const T* bs, __global T* out,        \
                                               const Layout L) {                             \
    int i = get_global_id(0);                                                                \
    if (i >= L.n) return;                                                                    \
    CT dy = (CT) dys[element_offset(&L, 1, i)];                                              \
    CT a = (CT) as[element_offset(&L, 2, i)];                                                \
    CT b = (CT) bs[element_offset(&L, 3, i)];                                                \
    out[element_offset(&L, 0, i)] = (T) (__VA_ARGS__);                                       \
}

__kernel void fill(__global T* out, const Layout L, const CT value) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    ST(out, element_offset(&L, 0, i), value);
}

// Copy into this program's dtype from another: one kernel per source type (copy_from_float, copy_from_double, ...).
// A copy between 32/64-bit types converts with a C cast (float to int truncates, as the CPU backend).
#define CONVERT_FROM(S)                                                                     \
__kernel void copy_from_##S(__global const S* src, __global T* dst, const Layout L) {       \
    int i = get_global_id(0);                                                                \
    if (i >= L.n) return;                                                                    \
    ST(dst, element_offset(&L, 0, i), src[element_offset(&L, 1, i)]);                       \
}

// From the 16-bit types: their float value (exact), then into T.
__kernel void copy_from_f16(__global const half* src, __global T* dst, const Layout L) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    ST(dst, element_offset(&L, 0, i), vload_half(element_offset(&L, 1, i), src));
}

__kernel void copy_from_bf16(__global const ushort* src, __global T* dst, const Layout L) {
    int i = get_global_id(0);
    if (i >= L.n) return;
    ST(dst, element_offset(&L, 0, i), bf16_to_float(src[element_offset(&L, 1, i)]));
}

// Dense operands (all contiguous): each work-item takes DENSE_VEC consecutive elements, a fixed-length loop
// the compiler turns into vector loads and stores. Geometry: global = ceil(n / DENSE_VEC) rounded up to the
// local size. One int4 argument packs the element offsets and n (fewer arguments: each costs a host call).
#ifndef DENSE_VEC
#define DENSE_VEC 8     // elements per work-item in dense kernels
#endif
// Dense operands, DENSE_VEC consecutive elements per work-item. rep.x / rep.y: 0 when that input is dense like the
// output, else the length of the block it repeats (a bias row [n] added to every row of [m, n]: rep = n).
#define BINARY_DENSE(NAME, ...)                                                             \
__kernel void binary_dense_##NAME(__global const T* as, __global const T* bs, __global T* out, \
                                  const int4 at, const int2 rep) {                           \
    int oa = at.x, ob = at.y, oo = at.z, n = at.w;                                           \
    int base = get_global_id(0) * DENSE_VEC;                                                 \
    int end = min(base + DENSE_VEC, n);                                                      \
    if (rep.x == 0 && rep.y == 0 && base + DENSE_VEC <= n) {                                 \
        for (int v = 0; v < DENSE_VEC; v++) {                                                \
            CT a = (CT) as[oa + base + v];                                                   \
            CT b = (CT) bs[ob + base + v];                                                   \
            out[oo + base + v] = (T) (__VA_ARGS__);                                          \
        }                                                                                    \
        return;                                                                              \
    }                                                                                        \
    int ia = rep.x == 0 ? base : base % rep.x, ib = rep.y == 0 ? base : base % rep.y;        \
    for (int i = base; i < end; i++) {                                                       \
        CT a = (CT) as[oa + ia];                                                             \
        CT b = (CT) bs[ob + ib];                                                             \
        out[oo + i] = (T) (__VA_ARGS__);                                                     \
        if (++ia == rep.x) ia = 0;                                                           \
        if (++ib == rep.y) ib = 0;                                                           \
    }                                                                                        \
}

#define UNARY_DENSE(NAME, ...)                                                              \
__kernel void unary_dense_##NAME(__global const T* xs, __global T* ys, const int4 at,       \
                                 const CT p, const CT q) {                                   \
    int ox = at.x, oy = at.y, n = at.z;                                                      \
    int base = get_global_id(0) * DENSE_VEC;                                                 \
    int end = min(base + DENSE_VEC, n);                                                      \
    if (end - base == DENSE_VEC) {                                                           \
        for (int v = 0; v < DENSE_VEC; v++) {                                                \
            CT x = (CT) xs[ox + base + v];                                                   \
            ys[oy + base + v] = (T) (__VA_ARGS__);                                           \
        }                                                                                    \
    } else {                                                                                 \
        for (int i = base; i < end; i++) {                                                   \
            CT x = (CT) xs[ox + i];                                                          \
            ys[oy + i] = (T) (__VA_ARGS__);                                                  \
        }                                                                                    \
    }                                                                                        \
}

// ---- transpose: dst[b][j][i] = src[b][i][j] --------------------------------------------------------------
// src is [batch][rows][cols] with dense rows (row stride g.s2, batch stride g.s3, offset g.s4); dst is dense
// [batch][cols][rows]. A TT x TT tile goes through local memory (one padding column against bank conflicts), so
// both the reads and the writes walk consecutive addresses. Geometry: global = (cols, rows) rounded up to TT,
// batch; local = (TT, TT, 1).
#ifndef HALF_STORAGE      // local memory of half needs cl_khr_fp16; 16-bit data is transposed as F32 copies
#ifndef TT
#define TT 16
#endif
__kernel __attribute__((reqd_work_group_size(TT, TT, 1)))
void transpose(__global const T* src, __global T* dst, const int8 g) {
    __local T tile[TT][TT + 1];
    int rows = g.s0, cols = g.s1, b = get_global_id(2);
    int lx = get_local_id(0), ly = get_local_id(1);
    int c = get_group_id(0) * TT + lx, r = get_group_id(1) * TT + ly;
    if (r < rows && c < cols) tile[ly][lx] = src[g.s4 + b * g.s3 + r * g.s2 + c];
    barrier(CLK_LOCAL_MEM_FENCE);
    int r2 = get_group_id(1) * TT + lx, c2 = get_group_id(0) * TT + ly;
    if (r2 < rows && c2 < cols) dst[g.s5 + b * rows * cols + c2 * rows + r2] = tile[lx][ly];
}
#endif
