/* fk_test.h — the small harness shared by the C tests (header-only).
 *
 * CHECK(cond) records a failure and goes on; each test binary ends with fk_test_done(), which
 * prints "N passed, M failed" and returns the exit code for ctest.
 */
#ifndef FK_TEST_H
#define FK_TEST_H

#include "flowkernels.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fk_test_passed, fk_test_failed;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (cond) fk_test_passed++;                                                          \
        else {                                                                               \
            fk_test_failed++;                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                                    \
    } while (0)

#define CHECK_STATUS(expr, expected)                                                         \
    do {                                                                                     \
        fk_status s_ = (expr);                                                               \
        if (s_ == (expected)) fk_test_passed++;                                              \
        else {                                                                               \
            fk_test_failed++;                                                                \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %s\n", __FILE__, __LINE__, \
                    #expr, (int)s_, fk_status_string(s_), #expected);                        \
        }                                                                                    \
    } while (0)

static inline int fk_test_done(void) {
    printf("%d passed, %d failed\n", fk_test_passed, fk_test_failed);
    return fk_test_failed ? 1 : 0;
}

/* The sizes every kernel is tested at (rows x cols), incl. empty, odd and large. */
typedef struct { int64_t rows, cols; } fk_shape;
static const fk_shape FK_TEST_SHAPES[] = {
    {0, 0}, {0, 5}, {3, 0}, {1, 1}, {1, 7}, {7, 1}, {3, 7}, {1, 1023}, {5, 1023},
    {1023, 3}, {64, 257}, {1, 1 << 20}, {1 << 10, 1 << 10}, {4099, 33},
};
#define FK_TEST_NSHAPES ((int)(sizeof(FK_TEST_SHAPES) / sizeof(FK_TEST_SHAPES[0])))

/* Deterministic pseudo-random floats in [-1, 1) (splitmix64), independent of the library. */
static inline uint64_t fk_test_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline void fk_test_fill(float *p, int64_t n, uint64_t seed) {
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) p[i] = (float)((double)(fk_test_next(&s) >> 11) * 0x1.0p-52 - 1.0);
}

/* Allocates n floats (at least 1) filled from seed; NULL-safe free. */
static inline float *fk_test_alloc(int64_t n, uint64_t seed) {
    float *p = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    fk_test_fill(p, n > 0 ? n : 1, seed);
    return p;
}

/* Max-norm relative error of got against want over [rows, cols] with leading dimension ld:
 * max|got - want| / max(max|want|, tiny). NaN in exactly one of them, or Inf of different
 * value, counts as infinite error; equal non-finite values as zero. */
static inline double fk_test_relerr(const float *got, const float *want, int64_t rows, int64_t cols, int64_t ld) {
    double maxdiff = 0, maxref = 1e-30;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            float g = got[i * ld + j], w = want[i * ld + j];
            if (isnan(g) || isnan(w) || isinf(g) || isinf(w)) {
                int same = (isnan(g) && isnan(w)) || (g == w);
                if (!same) return INFINITY;
                continue;
            }
            double d = fabs((double)g - (double)w);
            if (d > maxdiff) maxdiff = d;
            if (fabs((double)w) > maxref) maxref = fabs((double)w);
        }
    return maxdiff / maxref;
}

/* 1 if the two buffers are bitwise identical. */
static inline int fk_test_same_bits(const float *a, const float *b, int64_t n) {
    return n <= 0 || memcmp(a, b, (size_t)n * sizeof(float)) == 0;
}

/* Every SIMD path name; tests skip those fk_set_simd_path rejects on this CPU. */
static const char *const FK_TEST_PATHS[] __attribute__((unused)) = {"baseline", "avx2", "avx512", "reference"};

/* 1 if the [rows, cols] parts (not the row padding) are bitwise identical. */
static inline int fk_test_same_matrix(const float *a, const float *b, int64_t rows, int64_t cols, int64_t ld) {
    for (int64_t i = 0; i < rows; i++)
        if (!fk_test_same_bits(a + i * ld, b + i * ld, cols)) return 0;
    return 1;
}

/* A malloc'd copy of n floats (at least one allocated). */
static inline float *fk_test_copy(const float *p, int64_t n) {
    float *q = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    if (!q) { fprintf(stderr, "out of memory\n"); exit(2); }
    memcpy(q, p, (size_t)(n > 0 ? n : 1) * sizeof(float));
    return q;
}

#endif /* FK_TEST_H */
