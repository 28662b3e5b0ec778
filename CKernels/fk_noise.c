/* fk_noise.c — counter-based Gaussian and uniform noise: Philox4x32-10 (Salmon et al. 2011,
 * "Parallel random numbers: as easy as 1, 2, 3"; the Random123 constants).
 *
 * Element (row, col) of (seed, stream) comes from ONE Philox block:
 *   counter = {col/4, stream, row & 0xffffffff, row >> 32},  key = {seed & 0xffffffff, seed >> 32}
 * giving words w0..w3; Box–Muller on (w0, w1) and (w2, w3) gives z0..z3 and element col takes
 * z[col % 4] (randu: w[col % 4] >> 8, times 2^-24). So a value depends only on
 * (seed, stream, row, col): never on the tiling, the batch split or the thread count.
 *
 * Speed: a row's whole blocks go through ONE loop whose body is the full pipeline for one block
 * (10 Philox rounds, two Box–Mullers, four stores), so the compiler vectorizes it across blocks
 * (8 blocks per AVX2 vector). Box–Muller is in float with our own polynomials (no libm calls):
 *  - ln u1, u1 = (w0 + 0.5)·2^-32, as e·ln2 + log1p(f), 1 + f in [sqrt(1/2), sqrt(2)). For
 *    u1 >= 1/2, f comes from the complement d = 1 - u1 = (~w0 + 0.5)·2^-32 (f = -d, or 1 - 2d
 *    with e = -1), so -ln u1 keeps full relative precision as u1 -> 1 (float u1 would round to 1).
 *    log1p(f): the Cephes logf polynomial (~1 ulp).
 *  - cos/sin(2 pi w1/2^32): reduced exactly in integers — octant o = w1 >> 29, and the angle
 *    within it a = (pi/4)·m/2^29 in [0, pi/4] with m = the low 29 bits (or 2^29 minus them in
 *    odd octants) — then the Cephes sinf/cosf polynomials and an octant swap/sign.
 *  - sqrt: Newton on 1/sqrt from the bit-trick guess plus a residual step (~1 ulp).
 * Each result is within a few float ulps (measured <= 1.3e-7 relative on the radius, <= 4e-7 on
 * cos/sin, the latter only where the double reference's own 2 pi u2 rounding dominates) of the
 * double-precision definition (fk_ref_randn). The AVX2/AVX-512 paths compute Philox with
 * intrinsics (8 blocks a vector) and the float part as portable C the compiler vectorizes.
 * Partial blocks at a row's ends and the last < 8 whole blocks use the portable loop.
 * Bitwise: every value must not depend on which of those loops (vector body or scalar remainder)
 * computed it, so this file turns off implicit a·b + c contraction and fuses only where written
 * (MADD: fmaf on the FMA paths), identically everywhere. It also tells gcc that float compares
 * do not trap (no-trapping-math), else it will not if-convert, hence not vectorize, the selects.
 */
#include "fk_internal.h"

#include <string.h>

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off", "no-trapping-math")
#endif

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

/* One Philox4x32-10 block, on scalars so it vectorizes across blocks in a loop. */
FK_INLINE void philox10(uint32_t *w0, uint32_t *w1, uint32_t *w2, uint32_t *w3, uint32_t k0,
                        uint32_t k1) {
    uint32_t c0 = *w0, c1 = *w1, c2 = *w2, c3 = *w3;
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0; /* the key bump after the last round is unused */
        k1 += PHILOX_W1;
    }
    *w0 = c0; *w1 = c1; *w2 = c2; *w3 = c3;
}

void fk_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    if (!counter || !key || !out) return;
    uint32_t w0 = counter[0], w1 = counter[1], w2 = counter[2], w3 = counter[3];
    philox10(&w0, &w1, &w2, &w3, key[0], key[1]);
    out[0] = w0; out[1] = w1; out[2] = w2; out[3] = w3;
}

/* a·b + c: fused (one rounding) on the FMA paths, two roundings on the baseline. Explicit, so the
 * vector loop and its scalar remainder round alike (implicit contraction is off in this file). */
#define MADD(a, b, c) (fma ? __builtin_fmaf((a), (b), (c)) : (a) * (b) + (c))

FK_INLINE float as_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
FK_INLINE uint32_t as_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* -2 ln u1 for u1 = (a + 0.5)·2^-32 (in (0, 1); the result is in (0, 46]). */
FK_INLINE float minus_two_log_u1(uint32_t a, int fma) {
    const float sqrt_half = 0.70710678118654752f;
    /* u1 < 1/2: v = a + 0.5 = 2^k·m, m in [1, 2), then m in [sqrt(1/2), sqrt(2)). */
    float v = (float)(int32_t)(a & 0x7fffffffu) + 0.5f;
    uint32_t vb = as_bits(v);
    int32_t k = (int32_t)(vb >> 23) - 127 - 32;
    float m = as_float((vb & 0x007fffffu) | 0x3f800000u);
    int halve = m > 1.41421356237309505f;
    float f_lo = (halve ? 0.5f * m : m) - 1.0f; /* exact (Sterbenz) */
    int32_t e_lo = k + halve;
    /* u1 >= 1/2: d = 1 - u1 = (~a + 0.5)·2^-32 in (0, 1/2]. */
    float d = ((float)(int32_t)(~a & 0x7fffffffu) + 0.5f) * 0x1.0p-32f;
    int below = d > 1.0f - sqrt_half;            /* u1 < sqrt(1/2): use 2·u1 = 1 + (1 - 2d) */
    float f_hi = below ? 1.0f - 2.0f * d : -d;   /* 1 - 2d is exact (Sterbenz) */
    int32_t e_hi = below ? -1 : 0;
    int hi = (a >> 31) != 0;
    float f = hi ? f_hi : f_lo, e = (float)(hi ? e_hi : e_lo);
    /* log1p(f) on [sqrt(1/2) - 1, sqrt(2) - 1]: Cephes logf, ln2 split in two parts. */
    float z = f * f;
    float p = 7.0376836292e-2f;
    p = MADD(p, f, -1.1514610310e-1f);
    p = MADD(p, f, 1.1676998740e-1f);
    p = MADD(p, f, -1.2420140846e-1f);
    p = MADD(p, f, 1.4249322787e-1f);
    p = MADD(p, f, -1.6668057665e-1f);
    p = MADD(p, f, 2.0000714765e-1f);
    p = MADD(p, f, -2.4999993993e-1f);
    p = MADD(p, f, 3.3333331174e-1f);
    float y = p * f * z;
    y = MADD(e, -2.12194440e-4f, y);
    y = MADD(-0.5f, z, y);
    float ln = MADD(e, 0.693359375f, f + y);
    return -2.0f * ln;
}

/* cos and sin of 2 pi b/2^32, reduced to [0, pi/4] exactly in integers. */
FK_INLINE void cos_sin_turn(uint32_t b, float *c_out, float *s_out, int fma) {
    uint32_t o = b >> 29, low = b & 0x1fffffffu;
    uint32_t m = (o & 1) ? 0x20000000u - low : low;
    float x = (float)(int32_t)m * 0x1.921fb6p-30f; /* (pi/4)·2^-29 */
    float z = x * x;
    float s = MADD(MADD(-1.9515295891e-4f, z, 8.3321608736e-3f), z, -1.6666654611e-1f);
    s = MADD(s * z, x, x);
    float c = MADD(MADD(2.443315711809948e-5f, z, -1.388731625493765e-3f), z, 4.166664568298827e-2f);
    c = MADD(c * z, z, MADD(-0.5f, z, 1.0f));
    /* Octant o: theta = o·pi/4 + (odd o ? pi/4 - x : x). */
    int swap = ((o + 1) & 2) != 0;
    float cv = swap ? s : c, sv = swap ? c : s;
    *c_out = ((o + 2) & 4) ? -cv : cv;
    *s_out = (o & 4) ? -sv : sv;
}

/* sqrt(t) for t in (0, 46] by Newton on 1/sqrt(t) from the bit-trick guess (rel. err 1.8e-3 ->
 * 4.6e-6 -> 3e-11), then one residual correction: ~1 ulp. (sqrtf would not vectorize under gcc's
 * default -fmath-errno: it keeps a call for negative arguments.) */
FK_INLINE float sqrt_pos(float t, int fma) {
    float y = as_float(0x5f375a86u - (as_bits(t) >> 1));
    float half_t = 0.5f * t;
    y = y * MADD(-half_t * y, y, 1.5f);
    y = y * MADD(-half_t * y, y, 1.5f);
    float r = t * y;
    return MADD(0.5f * y, MADD(-r, r, t), r);
}

FK_INLINE void box_muller(uint32_t a, uint32_t b, float *z_cos, float *z_sin, int fma) {
    float radius = sqrt_pos(minus_two_log_u1(a, fma), fma);
    float c, s;
    cos_sin_turn(b, &c, &s, fma);
    *z_cos = radius * c;
    *z_sin = radius * s;
}

typedef struct noise_ctx {
    uint32_t key[2]; uint32_t stream;
    int64_t row0, col0;
    float *out; int64_t ldo;
    int normal; /* 1: randn, 0: randu */
} noise_ctx;

/* Words -> values for one block: Box–Muller (randn) or w >> 8 times 2^-24 (randu). */
FK_INLINE void block_values(int normal, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3,
                            float *o, int fma) {
    if (normal) {
        box_muller(w0, w1, &o[0], &o[1], fma);
        box_muller(w2, w3, &o[2], &o[3], fma);
    } else {
        o[0] = (float)(int32_t)(w0 >> 8) * 0x1.0p-24f;
        o[1] = (float)(int32_t)(w1 >> 8) * 0x1.0p-24f;
        o[2] = (float)(int32_t)(w2 >> 8) * 0x1.0p-24f;
        o[3] = (float)(int32_t)(w3 >> 8) * 0x1.0p-24f;
    }
}

/* Blocks blk0 .. blk0+n-1 of one row, element 4l + q of o from block blk0 + l. Portable C that
 * the compiler vectorizes across blocks. */
FK_INLINE void noise_blocks(const noise_ctx *k, uint64_t row, uint32_t blk0, int64_t n,
                            float *restrict o, int fma) {
    const uint32_t k0 = k->key[0], k1 = k->key[1], stream = k->stream;
    const uint32_t row_lo = (uint32_t)row, row_hi = (uint32_t)(row >> 32);
    /* Two loops, not one with a test inside: a vectorized loop would compute both branches. */
    if (k->normal) {
#pragma omp simd
        for (int64_t l = 0; l < n; l++) {
            uint32_t w0 = blk0 + (uint32_t)l, w1 = stream, w2 = row_lo, w3 = row_hi;
            philox10(&w0, &w1, &w2, &w3, k0, k1);
            block_values(1, w0, w1, w2, w3, &o[4 * l], fma);
        }
    } else {
#pragma omp simd
        for (int64_t l = 0; l < n; l++) {
            uint32_t w0 = blk0 + (uint32_t)l, w1 = stream, w2 = row_lo, w3 = row_hi;
            philox10(&w0, &w1, &w2, &w3, k0, k1);
            block_values(0, w0, w1, w2, w3, &o[4 * l], fma);
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* hi and lo 32 bits of m·c in each of 8 lanes (m: the multiplier broadcast). Compilers turn
 * the portable (uint64_t)a·b into widen/narrow shuffles; even/odd vpmuludq + blends is ~2x less. */
FK_TARGET_AVX2 FK_INLINE void mul_hi_lo8(__m256i c, __m256i m, __m256i *hi, __m256i *lo) {
    __m256i even = _mm256_mul_epu32(c, m);                       /* lanes 0, 2, 4, 6 */
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(c, 32), m); /* lanes 1, 3, 5, 7 */
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

/* Philox4x32-10 for blocks blk0 .. blk0+7 of one row: w[q][l] = word q of block blk0 + l. */
FK_TARGET_AVX2 FK_INLINE void philox8(const noise_ctx *k, uint64_t row, uint32_t blk0,
                                      uint32_t w[4][8]) {
    __m256i c0 = _mm256_add_epi32(_mm256_set1_epi32((int)blk0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i c1 = _mm256_set1_epi32((int)k->stream);
    __m256i c2 = _mm256_set1_epi32((int)(uint32_t)row), c3 = _mm256_set1_epi32((int)(uint32_t)(row >> 32));
    const __m256i m0 = _mm256_set1_epi32((int)PHILOX_M0), m1 = _mm256_set1_epi32((int)PHILOX_M1);
    uint32_t k0 = k->key[0], k1 = k->key[1];
    for (int round = 0; round < 10; round++) {
        __m256i hi0, lo0, hi1, lo1;
        mul_hi_lo8(c0, m0, &hi0, &lo0);
        mul_hi_lo8(c2, m1, &hi1, &lo1);
        c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32((int)k0));
        c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32((int)k1));
        c1 = lo1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    _mm256_storeu_si256((__m256i *)w[0], c0);
    _mm256_storeu_si256((__m256i *)w[1], c1);
    _mm256_storeu_si256((__m256i *)w[2], c2);
    _mm256_storeu_si256((__m256i *)w[3], c3);
}

/* noise_blocks with the Philox part in AVX2 intrinsics, 8 blocks at a time (the same words, so
 * the same values: the float part is the same code). */
FK_TARGET_AVX2 FK_INLINE void noise_blocks_x8(const noise_ctx *k, uint64_t row, uint32_t blk0,
                                              int64_t n, float *restrict o) {
    const int normal = k->normal;
    int64_t b = 0;
    for (; b + 8 <= n; b += 8) {
        uint32_t w[4][8];
        philox8(k, row, blk0 + (uint32_t)b, w);
        float *ob = o + 4 * b;
        if (normal) {
#pragma omp simd
            for (int l = 0; l < 8; l++) block_values(1, w[0][l], w[1][l], w[2][l], w[3][l], &ob[4 * l], 1);
        } else {
#pragma omp simd
            for (int l = 0; l < 8; l++) block_values(0, w[0][l], w[1][l], w[2][l], w[3][l], &ob[4 * l], 1);
        }
    }
    noise_blocks(k, row, blk0 + (uint32_t)b, n - b, o + 4 * b, 1);
}
FK_TARGET_AVX512 static void blocks_avx512(const noise_ctx *k, uint64_t row, uint32_t blk0, int64_t n, float *o) { noise_blocks_x8(k, row, blk0, n, o); }
FK_TARGET_AVX2 static void blocks_avx2(const noise_ctx *k, uint64_t row, uint32_t blk0, int64_t n, float *o) { noise_blocks_x8(k, row, blk0, n, o); }
#endif
static void blocks_baseline(const noise_ctx *k, uint64_t row, uint32_t blk0, int64_t n, float *o) { noise_blocks(k, row, blk0, n, o, 0); }

typedef void (*blocks_fn)(const noise_ctx *k, uint64_t row, uint32_t blk0, int64_t n, float *o);

/* Columns [g, g + take) (global indices) of one block into o, via a 4-value buffer. */
FK_INLINE void noise_partial(const noise_ctx *k, uint64_t row, uint64_t g, int64_t take,
                             float *o, int fma) {
    float v[4];
    noise_blocks(k, row, (uint32_t)(g >> 2), 1, v, fma);
    memcpy(o, v + (g & 3), (size_t)take * sizeof(float));
}

/* A tile: per row, the partial block at each end and the whole blocks between (blocks()). */
FK_INLINE void noise_tile(const noise_ctx *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                          blocks_fn blocks, int fma) {
    for (int64_t i = r0; i < r1; i++) {
        uint64_t row = (uint64_t)(k->row0 + i);
        float *o = k->out + i * k->ldo;
        int64_t j = c0;
        uint64_t g = (uint64_t)(k->col0 + j);
        if (g & 3) { /* head: the rest of a block */
            int64_t take = 4 - (int64_t)(g & 3) < c1 - j ? 4 - (int64_t)(g & 3) : c1 - j;
            noise_partial(k, row, g, take, o + j, fma);
            j += take;
            g += (uint64_t)take;
        }
        int64_t whole = (c1 - j) / 4;
        blocks(k, row, (uint32_t)(g >> 2), whole, o + j);
        j += 4 * whole;
        g += 4 * (uint64_t)whole;
        if (j < c1) noise_partial(k, row, g, c1 - j, o + j, fma); /* tail */
    }
}

#if defined(__x86_64__) || defined(__i386__)
FK_TARGET_AVX512 static void noise_avx512(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { noise_tile(k, r0, r1, c0, c1, blocks_avx512, 1); }
FK_TARGET_AVX2 static void noise_avx2(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { noise_tile(k, r0, r1, c0, c1, blocks_avx2, 1); }
#endif
static void noise_baseline(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { noise_tile(k, r0, r1, c0, c1, blocks_baseline, 0); }

static fk_tile_fn noise_kernel(fk_path path) {
    switch (path) {
#if defined(__x86_64__) || defined(__i386__)
    case FK_PATH_AVX512: return noise_avx512;
    case FK_PATH_AVX2: return noise_avx2;
#endif
    default: return noise_baseline;
    }
}

fk_status fk_check_noise(int64_t row0, int64_t col0, int64_t rows, int64_t cols, const float *out,
                         int64_t ldo) {
    fk_status s = fk_check_matrix(rows, cols, out, ldo);
    if (s != FK_OK) return s;
    if (row0 < 0 || col0 < 0) return FK_ERR_SIZE;
    if (rows > INT64_MAX - row0) return FK_ERR_SIZE;
    if (col0 > ((int64_t)1 << 34) || cols > ((int64_t)1 << 34) - col0) return FK_ERR_SIZE;
    return FK_OK;
}

static fk_status noise(int normal, uint64_t seed, uint32_t stream, int64_t row0, int64_t col0,
                       int64_t rows, int64_t cols, float *out, int64_t ldo) {
    fk_status s = fk_check_noise(row0, col0, rows, cols, out, ldo);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE)
        return normal ? fk_ref_randn(seed, stream, row0, col0, rows, cols, out, ldo)
                      : fk_ref_randu(seed, stream, row0, col0, rows, cols, out, ldo);
    noise_ctx k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}, stream, row0, col0, out, ldo, normal};
    fk_parallel_tiles(rows, cols, noise_kernel(path), &k);
    return FK_OK;
}

fk_status fk_randn(uint64_t seed, uint32_t stream, int64_t row0, int64_t col0, int64_t rows,
                   int64_t cols, float *out, int64_t ldo) {
    return noise(1, seed, stream, row0, col0, rows, cols, out, ldo);
}

fk_status fk_randu(uint64_t seed, uint32_t stream, int64_t row0, int64_t col0, int64_t rows,
                   int64_t cols, float *out, int64_t ldo) {
    return noise(0, seed, stream, row0, col0, rows, cols, out, ldo);
}
