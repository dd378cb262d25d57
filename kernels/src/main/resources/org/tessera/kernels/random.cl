// random.cl - Philox4x32-10 (Salmon et al., SC'11), element i from counter (counter + i) under key seed,
// exactly as org.tessera.Rng, so every backend draws the same stream; and dropout masks drawn from it.
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

// Uniform in [0, 1). F32: the top 24 bits of word 0 (exact in float). F64: 53 bits from words 0 and 1.
inline T uniform_at(ulong ctr, ulong seed) {
    uint4 w = philox(ctr, seed);
#ifdef IS_F64
    ulong bits = ((ulong) w.x << 21) | (ulong) (w.y >> 11);
    return (T) bits * 0x1.0p-53;
#else
    return (T) (w.x >> 8) * 0x1.0p-24f;
#endif
}

__kernel void random_uniform(__global T* out, const int offset, const int n, const ulong seed, const ulong counter) {
    int i = get_global_id(0);
    if (i >= n) return;
    out[offset + i] = uniform_at(counter + (ulong) i, seed);
}

// Box-Muller on words 0 and 1; u1 in (0, 1). Computed in double where the device has it, as the CPU does.
__kernel void random_normal(__global T* out, const int offset, const int n, const ulong seed, const ulong counter) {
    int i = get_global_id(0);
    if (i >= n) return;
    uint4 w = philox(counter + (ulong) i, seed);
    ACC u1 = ((ACC) w.x + (ACC) 0.5) * (ACC) 0x1.0p-32;
    ACC u2 = (ACC) w.y * (ACC) 0x1.0p-32;
    out[offset + i] = (T) (sqrt((ACC) -2 * log(u1)) * cos((ACC) 2 * ACC_PI * u2));
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
