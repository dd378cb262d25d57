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
