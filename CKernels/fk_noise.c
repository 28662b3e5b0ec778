/* fk_noise.c — counter-based Gaussian and uniform noise: Philox4x32-10 (Salmon et al. 2011,
 * "Parallel random numbers: as easy as 1, 2, 3"; the Random123 constants).
 *
 * Element (row, col) of (seed, stream) comes from ONE Philox block:
 *   counter = {col/4, stream, row & 0xffffffff, row >> 32},  key = {seed & 0xffffffff, seed >> 32}
 * giving words w0..w3; Box–Muller in double on (w0, w1) and (w2, w3) gives z0..z3 and element
 * col takes z[col % 4] (randu: w[col % 4] >> 8, times 2^-24). So a value depends only on
 * (seed, stream, row, col): never on the tiling, the batch split or the thread count.
 * Tiles are processed block by block, each block computed once for the up-to-4 columns it feeds.
 */
#include "fk_internal.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

FK_INLINE void philox_block(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
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
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

void fk_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    if (!counter || !key || !out) return;
    philox_block(counter, key, out);
}

/* Box–Muller on one word pair: u1 = (a + 0.5)·2^-32 in (0, 1), u2 = b·2^-32 in [0, 1). */
FK_INLINE void box_muller(uint32_t a, uint32_t b, float *z_cos, float *z_sin) {
    double u1 = ((double)a + 0.5) * 0x1.0p-32, u2 = (double)b * 0x1.0p-32;
    double radius = sqrt(-2.0 * log(u1));
    double angle = 6.28318530717958647692 * u2;
    *z_cos = (float)(radius * cos(angle));
    *z_sin = (float)(radius * sin(angle));
}

typedef struct noise_ctx {
    uint32_t key[2]; uint32_t stream;
    int64_t row0, col0;
    float *out; int64_t ldo;
    int normal; /* 1: randn, 0: randu */
} noise_ctx;

FK_INLINE void noise_tile(const noise_ctx *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    for (int64_t i = r0; i < r1; i++) {
        uint64_t row = (uint64_t)(k->row0 + i);
        float *o = k->out + i * k->ldo;
        for (int64_t j = c0; j < c1;) {
            uint64_t col = (uint64_t)(k->col0 + j);
            int lane = (int)(col & 3);
            int take = c1 - j < 4 - lane ? (int)(c1 - j) : 4 - lane; /* lanes [lane, lane+take) */
            uint32_t ctr[4] = {(uint32_t)(col >> 2), k->stream, (uint32_t)row, (uint32_t)(row >> 32)};
            uint32_t w[4];
            float v[4];
            philox_block(ctr, k->key, w);
            if (k->normal) {
                if (lane < 2) box_muller(w[0], w[1], &v[0], &v[1]);
                if (lane + take > 2) box_muller(w[2], w[3], &v[2], &v[3]);
            } else {
                for (int l = lane; l < lane + take; l++) v[l] = (float)(w[l] >> 8) * 0x1.0p-24f;
            }
            for (int t = 0; t < take; t++) o[j + t] = v[lane + t];
            j += take;
        }
    }
}

FK_TARGET_AVX512 static void noise_avx512(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { noise_tile(k, r0, r1, c0, c1); }
FK_TARGET_AVX2 static void noise_avx2(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { noise_tile(k, r0, r1, c0, c1); }
static void noise_baseline(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { noise_tile(k, r0, r1, c0, c1); }

static fk_tile_fn noise_kernel(fk_path path) {
    switch (path) {
    case FK_PATH_AVX512: return noise_avx512;
    case FK_PATH_AVX2: return noise_avx2;
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
