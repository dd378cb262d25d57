// random.cl - Philox4x32-10 (Salmon et al., SC'11) under key seed, element i of a draw being element counter + i
// of the stream exactly as org.tessera.Rng defines it, so every backend draws the same numbers; and dropout
// masks drawn from it.
// Geometry: one element per work-item, global = n rounded up to 64 (host LOCAL), guard i < n.
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

inline uint4 philox(ulong ctr, ulong seed) {
    uint c0 = (uint) ctr, c1 = (uint) (ctr >> 32), c2 = 0, c3 = 0;
    uint k0 = (uint) seed, k1 = (uint) (seed >> 32);
    for (int r = 0; r < 10; r++) {
        uint hi0 = mul_hi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
        uint hi1 = mul_hi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    return (uint4) (c0, c1, c2, c3);
}

// The stream as org.tessera.Rng defines it: element s takes word s % 4 of block s / 4 (F32 uniforms) or words
// 2 (s % 2) and 2 (s % 2) + 1 of block s / 2 (F64 uniforms, normals). Each work-item computes its block itself.
inline uint word_of(uint4 w, int k) {
    return k == 0 ? w.x : k == 1 ? w.y : k == 2 ? w.z : w.w;
}

// Uniform in [0, 1). F32: the top 24 bits of a word (exact in float). F64: 53 bits from a pair of words.
inline T uniform_at(ulong s, ulong seed) {
#ifdef IS_F64
    uint4 w = philox(s >> 1, seed);
    uint hi = (s & 1) ? w.z : w.x, lo = (s & 1) ? w.w : w.y;
    ulong bits = ((ulong) hi << 21) | (ulong) (lo >> 11);
    return (T) bits * 0x1.0p-53;
#else
    uint4 w = philox(s >> 2, seed);
    return (T) (word_of(w, (int) (s & 3)) >> 8) * 0x1.0p-24f;
#endif
}

__kernel void random_uniform(__global T* out, const int offset, const int n, const ulong seed, const ulong counter) {
    int i = get_global_id(0);
    if (i >= n) return;
    out[offset + i] = uniform_at(counter + (ulong) i, seed);
}

// Box-Muller on words 0 and 1: sqrt(-2 log u1) cos(2 pi u2), u1 in (0, 1), u2 in [0, 1). With double precision
// the log and the cosine are org.tessera.Rng's own (logUnit, cosTurns), the same operations in the same order with
// no contraction into fused multiply-adds, so every such device gives the CPU's bits; without it, float libm.
#ifdef HAS_FP64
#pragma OPENCL FP_CONTRACT OFF
// fdlibm's coefficients (e_log.c, k_cos.c, k_sin.c), as in Rng.java
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10
#define LG1 6.666666666666735130e-01
#define LG2 3.999999999940941908e-01
#define LG3 2.857142874366239149e-01
#define LG4 2.222219843214978396e-01
#define LG5 1.818357216161805012e-01
#define LG6 1.531383769920937332e-01
#define LG7 1.479819860511658591e-01
#define COS1 4.16666666666666019037e-02
#define COS2 -1.38888888888741095749e-03
#define COS3 2.48015872894767294178e-05
#define COS4 -2.75573143513906633035e-07
#define COS5 2.08757232129817482790e-09
#define COS6 -1.13596475577881948265e-11
#define SIN1 -1.66666666666666324348e-01
#define SIN2 8.33333333332248946124e-03
#define SIN3 -1.98412698298579493134e-04
#define SIN4 2.75573137070700676789e-06
#define SIN5 -2.50507602534068634195e-08
#define SIN6 1.58969099521155010221e-10
#define TURN_UNIT (6.283185307179586 * 0x1.0p-32)

inline double log_unit(double u) {
    long bits = as_long(u);
    int k = (int) ((bits >> 52) & 0x7ff) - 1023;
    double m = as_double((bits & 0x000fffffffffffffL) | 0x3ff0000000000000L);
    if (m > 1.4142135623730951) {
        m = m * 0.5;
        k += 1;
    }
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double dk = (double) k;
    double z = s * s, w = z * z;
    double t1 = w * (LG2 + w * (LG4 + w * LG6));
    double t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    double r = t2 + t1;
    double hfsq = 0.5 * f * f;
    return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f);
}

inline double cos_turns(uint w) {
    uint quarter = (w + 0x20000000u) >> 30;
    int rest = as_int(w - (quarter << 30));
    double x = (double) rest * TURN_UNIT;
    double z = x * x;
    if ((quarter & 1u) == 0) {
        double c = 1.0 - (0.5 * z - z * (z * (COS1 + z * (COS2 + z * (COS3 + z * (COS4 + z * (COS5 + z * COS6)))))));
        return quarter == 0 ? c : -c;
    }
    double sn = x + z * x * (SIN1 + z * (SIN2 + z * (SIN3 + z * (SIN4 + z * (SIN5 + z * SIN6)))));
    return quarter == 1 ? -sn : sn;
}
#endif

__kernel void random_normal(__global T* out, const int offset, const int n, const ulong seed, const ulong counter) {
    int i = get_global_id(0);
    if (i >= n) return;
    ulong s = counter + (ulong) i;
    uint4 w = philox(s >> 1, seed);
    uint w1 = (s & 1) ? w.z : w.x, w2 = (s & 1) ? w.w : w.y;
#ifdef HAS_FP64
    double u1 = ((double) w1 + 0.5) * 0x1.0p-32;
    out[offset + i] = (T) (sqrt(-2.0 * log_unit(u1)) * cos_turns(w2));
#else
    float u1 = ((float) w1 + 0.5f) * 0x1.0p-32f;
    out[offset + i] = (T) (sqrt(-2.0f * log(u1)) * cos(2.0f * M_PI_F * (float) w2 * 0x1.0p-32f));
#endif
}

// Inverted dropout: mask = u >= p ? scale : 0 (scale = 1 / (1 - p)), out = x * mask, in T's precision as the
// CPU backend does, so both keep the same elements. offsets: x, out, mask.
__kernel void dropout(__global const T* x, __global T* out, __global T* mask, const int4 offsets, const int n,
                      const T p, const T scale, const ulong seed, const ulong counter) {
    int i = get_global_id(0);
    if (i >= n) return;
    T m = uniform_at(counter + (ulong) i, seed) >= p ? scale : (T) 0;
    mask[offsets.z + i] = m;
    out[offsets.y + i] = x[offsets.x + i] * m;
}
