// common.cl - types and the strided-layout helper shared by every Tessera program.
//
// A program is built once per dtype with -D options set by the host:
//   T        storage type of the tensors (float, double or int)
//   CT       compute type: float for float data, double for double and int data (when the device has
//            fp64), so integer ops round exactly like the CPU backend (compute in double, truncate)
//   ACC      accumulation type of reductions: double when the device has fp64, else float
//   HAS_FP64 defined when cl_khr_fp64 is available
#ifdef HAS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#ifndef MAX_RANK
#define MAX_RANK 8      // dims of a layout after merging; the host refuses more
#endif
#ifndef MAX_OPERANDS
#define MAX_OPERANDS 4  // views walked together by one elementwise kernel (e.g. dy, a, b, out)
#endif

// Operands of one shape walked together in row-major order; dims of size 1 dropped and mergeable dims
// merged by the host (org.tessera.backend.Coalesced). Operand 0 is the output.
typedef struct {
    int rank;
    int n;
    int shape[MAX_RANK];
    int strides[MAX_OPERANDS][MAX_RANK];
    int offset[MAX_OPERANDS];
} Layout;

// Offset of the i-th element (row-major) of operand k. Dense operands merge to rank 1 (or 0), which takes
// no division: a uniform branch that lets the compiler vectorise plain strided loads across work-items.
inline int element_offset(const Layout* L, int k, int i) {
    if (L->rank <= 1) return L->offset[k] + (L->rank == 0 ? 0 : i * L->strides[k][0]);
    int off = L->offset[k];
    for (int d = L->rank - 1; d >= 0; d--) {
        int s = L->shape[d];
        off += (i % s) * L->strides[k][d];
        i /= s;
    }
    return off;
}

// bfloat16: the top half of a float. Round to nearest even, NaN to 0xffff (as PyTorch 1.13's vectorised conversion;
// org.tessera.backend.Half).
inline float bf16_to_float(ushort h) { return as_float(((uint) h) << 16); }
inline ushort float_to_bf16(float f) {
    uint x = as_uint(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (ushort) 0xffff;
    return (ushort) ((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

// Element access for the program's storage type. F16 (T = half, IS_F16) and BF16 (T = ushort, IS_BF16) store 16
// bits and compute in float: vload_half / vstore_half_rte need no cl_khr_fp16, bf16 is two shifts. A double is
// rounded to float first, as PyTorch converts. Programs of 16-bit types hold only the fill and copy kernels: every
// other op on 16-bit data runs on F32 copies (org.tessera.backend.HalfStaging).
#if defined(IS_F16)
// vstore_half_rte leaves a NaN's bits to the device (PoCL: 0x7fff); PyTorch and the CPU backend write 0x7e00 with the sign
inline void store_f16(__global half* p, int i, float v) {
    if (isnan(v)) ((__global ushort*) p)[i] = (ushort) (0x7e00u | ((as_uint(v) >> 16) & 0x8000u));
    else vstore_half_rte(v, i, p);
}
#define LD(p, i) ((CT) vload_half((i), (p)))
#define ST(p, i, v) store_f16((p), (i), (float) (v))
#elif defined(IS_BF16)
#define LD(p, i) ((CT) bf16_to_float((p)[i]))
#define ST(p, i, v) ((p)[i] = float_to_bf16((float) (v)))
#else
#define LD(p, i) ((CT) (p)[i])
#define ST(p, i, v) ((p)[i] = (T) (v))
#endif
