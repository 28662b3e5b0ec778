/* test_noise.c — Philox4x32-10, fk_randn and fk_randu.
 *
 * Known-answer vectors (Random123's kat_vectors for philox4x32 R=10), the references at every
 * test shape with offsets and a row stride, invariance under batch splits / column offsets /
 * thread counts / SIMD path, moments of 1e6 samples, tail frequencies and a KS distance over 1e7
 * samples, randu's range, distinct streams and seeds,
 * 64-bit rows and seeds, and bad arguments.
 */
#include "fk_test.h"

static void check_known_answers(void) {
    static const uint32_t cases[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
         0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
         0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int c = 0; c < 3; c++) {
        uint32_t out[4];
        fk_philox4x32(cases[c], cases[c] + 4, out);
        CHECK(out[0] == cases[c][6] && out[1] == cases[c][7] && out[2] == cases[c][8] && out[3] == cases[c][9]);
    }
    /* fk_randu exposes the same words: seed 0, stream 0, row 0, cols 0..3 of block 0. */
    float u[4];
    CHECK_STATUS(fk_randu(0, 0, 0, 0, 1, 4, u, 4), FK_OK);
    CHECK(u[0] == (float)(0x6627e8d5u >> 8) * 0x1.0p-24f && u[3] == (float)(0x9b00dbd8u >> 8) * 0x1.0p-24f);
    /* ... and counter {col/4, stream, row lo, row hi} with key {seed lo, seed hi}. */
    CHECK_STATUS(fk_randu(0x299f31d0a4093822ull, 0x85a308d3u, 0x0370734413198a2eLL, 4 * (int64_t)0x243f6a88, 1, 4, u, 4), FK_OK);
    CHECK(u[1] == (float)(0x94fdccebu >> 8) * 0x1.0p-24f && u[2] == (float)(0x5001e420u >> 8) * 0x1.0p-24f);
}

/* 1 if equal within relerr 1e-6; counts bitwise mismatches for the report. */
static int64_t mismatches;

static void check_shape(int64_t rows, int64_t cols, int64_t row0, int64_t col0) {
    int64_t ld = cols + 3;
    float *got = fk_test_alloc(rows * ld, 1), *want = fk_test_alloc(rows * ld, 1);
    CHECK_STATUS(fk_randn(42, 7, row0, col0, rows, cols, got, ld), FK_OK);
    CHECK_STATUS(fk_ref_randn(42, 7, row0, col0, rows, cols, want, ld), FK_OK);
    CHECK(fk_test_relerr(got, want, rows, cols, ld) <= 1e-6);
    if (!fk_test_same_bits(got, want, rows * ld)) mismatches++;
    CHECK_STATUS(fk_randu(42, 7, row0, col0, rows, cols, got, ld), FK_OK);
    CHECK_STATUS(fk_ref_randu(42, 7, row0, col0, rows, cols, want, ld), FK_OK);
    CHECK(fk_test_same_bits(got, want, rows * ld));
    free(got); free(want);
}

/* Rows 0..99 in one call equal rows 0..49 + 50..99; columns split at an odd offset too. */
static void check_splits(void) {
    enum { R = 100, C = 37 };
    float all[R * C], part[R * C];
    CHECK_STATUS(fk_randn(9, 1, 0, 0, R, C, all, C), FK_OK);
    CHECK_STATUS(fk_randn(9, 1, 0, 0, 50, C, part, C), FK_OK);
    CHECK_STATUS(fk_randn(9, 1, 50, 0, 50, C, part + 50 * C, C), FK_OK);
    CHECK(fk_test_same_bits(all, part, R * C));
    /* Columns 0..6 and 7..36 written into the same rows via the leading dimension. */
    CHECK_STATUS(fk_randn(9, 1, 0, 0, R, 7, part, C), FK_OK);
    CHECK_STATUS(fk_randn(9, 1, 0, 7, R, C - 7, part + 7, C), FK_OK);
    CHECK(fk_test_same_bits(all, part, R * C));
    /* One element at a time, at its own offsets. */
    int same = 1;
    for (int i = 0; i < R; i += 13)
        for (int j = 0; j < C; j += 5) {
            float v;
            CHECK_STATUS(fk_randn(9, 1, i, j, 1, 1, &v, 1), FK_OK);
            same &= memcmp(&v, &all[i * C + j], 4) == 0;
        }
    CHECK(same);
    /* randu too. */
    CHECK_STATUS(fk_randu(9, 1, 0, 0, R, C, all, C), FK_OK);
    CHECK_STATUS(fk_randu(9, 1, 0, 0, 31, C, part, C), FK_OK);
    CHECK_STATUS(fk_randu(9, 1, 31, 0, R - 31, C, part + 31 * C, C), FK_OK);
    CHECK(fk_test_same_bits(all, part, R * C));
}

/* Bitwise identical for 1 and 2 threads and for every SIMD path. */
static void check_invariance(void) {
    int64_t rows = 1 << 10, cols = (1 << 10) + 3, n = rows * cols;
    float *a = fk_test_alloc(n, 0), *b = fk_test_alloc(n, 0);
    fk_set_num_threads(1);
    CHECK_STATUS(fk_randn(5, 2, 3, 1, rows, cols, a, cols), FK_OK);
    fk_set_num_threads(2);
    CHECK_STATUS(fk_randn(5, 2, 3, 1, rows, cols, b, cols), FK_OK);
    CHECK(fk_test_same_bits(a, b, n));
    fk_set_num_threads(1);
    CHECK_STATUS(fk_randu(5, 2, 3, 1, rows, cols, a, cols), FK_OK);
    fk_set_num_threads(2);
    CHECK_STATUS(fk_randu(5, 2, 3, 1, rows, cols, b, cols), FK_OK);
    CHECK(fk_test_same_bits(a, b, n));
    /* One long row (column tiles). */
    CHECK_STATUS(fk_randn(5, 2, 0, 0, 1, n, a, n), FK_OK);
    fk_set_num_threads(1);
    CHECK_STATUS(fk_randn(5, 2, 0, 0, 1, n, b, n), FK_OK);
    CHECK(fk_test_same_bits(a, b, n));
    const char *paths[] = {"baseline", "avx2", "avx512", "reference"};
    CHECK_STATUS(fk_randn(5, 2, 3, 1, 64, 257, a, 257), FK_OK);
    for (int p = 0; p < 4; p++) {
        if (fk_set_simd_path(paths[p]) != FK_OK) continue;
        CHECK_STATUS(fk_randn(5, 2, 3, 1, 64, 257, b, 257), FK_OK);
        CHECK(fk_test_relerr(a, b, 64, 257, 257) <= 1e-6);
    }
    fk_set_simd_path(NULL);
    fk_set_num_threads(2);
    free(a); free(b);
}

/* Mean and variance of 1e6 samples within 5 standard errors; randu in [0, 1). */
static void check_moments(void) {
    int64_t rows = 1000, cols = 1000, n = rows * cols;
    float *z = fk_test_alloc(n, 0);
    CHECK_STATUS(fk_randn(2024, 0, 0, 0, rows, cols, z, cols), FK_OK);
    double s = 0, s2 = 0;
    int finite = 1;
    for (int64_t i = 0; i < n; i++) { s += z[i]; s2 += (double)z[i] * z[i]; finite &= isfinite(z[i]) != 0; }
    double mean = s / n, var = s2 / n - mean * mean;
    printf("randn: mean %.5f var %.5f over %lld samples\n", mean, var, (long long)n);
    CHECK(finite);
    CHECK(fabs(mean) < 5.0 / sqrt((double)n));
    CHECK(fabs(var - 1.0) < 5.0 * sqrt(2.0 / n));
    CHECK_STATUS(fk_randu(2024, 0, 0, 0, rows, cols, z, cols), FK_OK);
    s = s2 = 0;
    int in_range = 1;
    for (int64_t i = 0; i < n; i++) { s += z[i]; s2 += (double)z[i] * z[i]; in_range &= z[i] >= 0.0f && z[i] < 1.0f; }
    mean = s / n; var = s2 / n - mean * mean;
    CHECK(in_range);
    CHECK(fabs(mean - 0.5) < 5.0 * sqrt(1.0 / 12.0 / n));
    CHECK(fabs(var - 1.0 / 12.0) < 5.0 * sqrt(1.0 / 180.0 / n)); /* Var of U^2 is 4/45; of (U - 1/2)^2 is 1/180 */
    free(z);
}

/* The shape of the distribution over 1e7 samples (4 rows x 2.5e6 columns, so every Philox word
 * position and both Box–Muller outputs are in): the fractions beyond |z| > 3 and > 4 within 5
 * binomial standard deviations, and the Kolmogorov–Smirnov distance, evaluated at 1200 bin edges
 * on [-6, 6], below 2.5/sqrt(n) (a KS p-value of ~1e-5). Catches a wrong log/sin/cos polynomial
 * or range reduction that the moments would miss. */
static void check_distribution(void) {
    enum { ROWS = 4, COLS = 2500000, BINS = 1200 };
    int64_t n = (int64_t)ROWS * COLS;
    float *z = fk_test_alloc(n, 0);
    static int64_t hist[BINS + 2];
    memset(hist, 0, sizeof hist);
    CHECK_STATUS(fk_randn(77, 3, 0, 0, ROWS, COLS, z, COLS), FK_OK);
    int64_t beyond3 = 0, beyond4 = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = z[i], a = fabs(v);
        beyond3 += a > 3.0;
        beyond4 += a > 4.0;
        int b = v < -6.0 ? 0 : v >= 6.0 ? BINS + 1 : 1 + (int)((v + 6.0) * (BINS / 12.0));
        if (b > BINS) b = BINS; /* rounding at the top edge */
        hist[b]++;
    }
    double p3 = erfc(3.0 / sqrt(2.0)), p4 = erfc(4.0 / sqrt(2.0));
    double f3 = (double)beyond3 / n, f4 = (double)beyond4 / n;
    double ks = 0, cum = hist[0];
    for (int b = 1; b <= BINS; b++) {
        cum += hist[b];
        double edge = -6.0 + 12.0 * b / BINS, phi = 0.5 * erfc(-edge / sqrt(2.0));
        double d = fabs(cum / n - phi);
        if (d > ks) ks = d;
    }
    printf("randn: P(|z|>3) %.6f (want %.6f), P(|z|>4) %.7f (want %.7f), KS %.2e (limit %.2e)\n",
           f3, p3, f4, p4, ks, 2.5 / sqrt((double)n));
    CHECK(fabs(f3 - p3) < 5.0 * sqrt(p3 * (1 - p3) / n));
    CHECK(fabs(f4 - p4) < 5.0 * sqrt(p4 * (1 - p4) / n));
    CHECK(ks < 2.5 / sqrt((double)n));
    free(z);
}

static int64_t count_equal(const float *a, const float *b, int64_t n) {
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) k += a[i] == b[i];
    return k;
}

/* Streams, seeds (incl. their high 32 bits) and rows beyond 2^32 give different values. */
static void check_distinct(void) {
    enum { N = 4096 };
    float a[N], b[N];
    CHECK_STATUS(fk_randn(1, 0, 0, 0, 1, N, a, N), FK_OK);
    CHECK_STATUS(fk_randn(1, 1, 0, 0, 1, N, b, N), FK_OK);
    CHECK(count_equal(a, b, N) < 4);
    CHECK_STATUS(fk_randn(2, 0, 0, 0, 1, N, b, N), FK_OK);
    CHECK(count_equal(a, b, N) < 4);
    CHECK_STATUS(fk_randn(1 + (1ull << 32), 0, 0, 0, 1, N, b, N), FK_OK);
    CHECK(count_equal(a, b, N) < 4);
    CHECK_STATUS(fk_randn(1, 0, 1ll << 32, 0, 1, N, b, N), FK_OK);
    CHECK(count_equal(a, b, N) < 4);
    CHECK_STATUS(fk_randn(1, 0, 1, 0, 1, N, b, N), FK_OK);
    CHECK(count_equal(a, b, N) < 4);
    /* The last addressable columns work. */
    int64_t last = (int64_t)1 << 34;
    CHECK_STATUS(fk_randn(1, 0, 0, last - 5, 1, 5, b, 5), FK_OK);
    CHECK_STATUS(fk_ref_randn(1, 0, 0, last - 5, 1, 5, a, 5), FK_OK);
    CHECK(fk_test_relerr(a, b, 1, 5, 5) <= 1e-6);
}

static void check_bad_arguments(void) {
    float out[16];
    CHECK_STATUS(fk_randn(1, 0, 0, 0, -1, 4, out, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_randn(1, 0, 0, 0, 4, -1, out, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_randn(1, 0, -1, 0, 2, 4, out, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_randn(1, 0, 0, -1, 2, 4, out, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_randn(1, 0, 0, ((int64_t)1 << 34) - 3, 1, 4, out, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_randn(1, 0, INT64_MAX, 0, 2, 4, out, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_randn(1, 0, 0, 0, 2, 4, NULL, 4), FK_ERR_NULL);
    CHECK_STATUS(fk_randn(1, 0, 0, 0, 2, 4, out, 3), FK_ERR_STRIDE);
    CHECK_STATUS(fk_randu(1, 0, 0, 0, 2, 4, out, 3), FK_ERR_STRIDE);
    CHECK_STATUS(fk_ref_randn(1, 0, 0, -1, 2, 4, out, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_ref_randu(1, 0, 0, 0, 2, 4, NULL, 4), FK_ERR_NULL);
    CHECK_STATUS(fk_randn(1, 0, 0, 0, 0, 4, NULL, 4), FK_OK);
    fk_philox4x32(NULL, NULL, NULL); /* no crash */
}

int main(void) {
    check_known_answers();
    for (int s = 0; s < FK_TEST_NSHAPES; s++) {
        int64_t r = FK_TEST_SHAPES[s].rows, c = FK_TEST_SHAPES[s].cols;
        if (r * c > (1 << 20)) continue; /* the reference is slow; 1<<20 elements is plenty */
        check_shape(r, c, 0, 0);
        check_shape(r, c, 5, 3);
    }
    printf("randn vs reference: %lld of the shapes differ in some bit (within 1e-6)\n", (long long)mismatches);
    check_splits();
    check_invariance();
    check_moments();
    check_distribution();
    check_distinct();
    check_bad_arguments();
    return fk_test_done();
}
