/* test_step.c — fk_euler_step / fk_combine against their references at every test shape (row
 * stride > cols) on every SIMD path of this CPU, exact aliasing, thread-count invariance,
 * NaN/Inf propagation and bad arguments. */
#include "fk_test.h"

static void check_euler(int64_t rows, int64_t cols) {
    int64_t ld = cols + 3, n = rows * ld;
    float *x = fk_test_alloc(n, 1), *v = fk_test_alloc(n, 2);
    float *got = fk_test_alloc(n, 0), *want = fk_test_alloc(n, 0), *alias = fk_test_alloc(n, 0);
    const float h = -0.0625f;

    CHECK_STATUS(fk_ref_euler_step(rows, cols, x, ld, v, ld, h, want, ld), FK_OK);
    CHECK_STATUS(fk_euler_step(rows, cols, x, ld, v, ld, h, got, ld), FK_OK);
    CHECK(fk_test_relerr(got, want, rows, cols, ld) <= 1e-6);

    /* out aliasing x, then v: the same bits as the separate output. */
    memcpy(alias, x, (size_t)(n > 0 ? n : 1) * sizeof(float));
    CHECK_STATUS(fk_euler_step(rows, cols, alias, ld, v, ld, h, alias, ld), FK_OK);
    CHECK(fk_test_relerr(alias, got, rows, cols, ld) == 0);
    memcpy(alias, v, (size_t)(n > 0 ? n : 1) * sizeof(float));
    CHECK_STATUS(fk_euler_step(rows, cols, x, ld, alias, ld, h, alias, ld), FK_OK);
    CHECK(fk_test_relerr(alias, got, rows, cols, ld) == 0);

    /* Bitwise identical for 1 and 2 threads. */
    fk_set_num_threads(1);
    CHECK_STATUS(fk_euler_step(rows, cols, x, ld, v, ld, h, got, ld), FK_OK);
    fk_set_num_threads(2);
    CHECK_STATUS(fk_euler_step(rows, cols, x, ld, v, ld, h, alias, ld), FK_OK);
    CHECK(fk_test_same_matrix(got, alias, rows, cols, ld));

    free(x); free(v); free(got); free(want); free(alias);
}

/* max |got - want| / max (|base| + sum_k |coeffs[k]·terms[k]|). */
static double combine_err(const float *got, const float *want, int64_t rows, int64_t cols, int64_t ld,
                          const float *base, int nt, const float *coeffs, const float *const *terms) {
    double maxdiff = 0, scale = 1e-30;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            int64_t e = i * ld + j;
            double mag = base ? fabs(base[e]) : 0;
            for (int k = 0; k < nt; k++) mag += fabs((double)coeffs[k] * terms[k][e]);
            if (mag > scale) scale = mag;
            double d = fabs((double)got[e] - want[e]);
            if (!(d <= maxdiff)) maxdiff = d; /* NaN sticks */
        }
    return maxdiff / scale;
}

static void check_combine(int64_t rows, int64_t cols) {
    int64_t ld = cols + 3, n = rows * ld;
    size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(float);
    float *base = fk_test_alloc(n, 3), *t[4], *got = fk_test_alloc(n, 0), *want = fk_test_alloc(n, 0);
    float *alias = fk_test_alloc(n, 0), *got1 = fk_test_alloc(n, 0);
    for (int k = 0; k < 4; k++) t[k] = fk_test_alloc(n, 10 + k);
    const float coeffs[4] = {0.5f, -1.25f, 2.0f / 3.0f, 0.1f};
    const float *const *terms = (const float *const *)t;

    for (int nt = 1; nt <= 4; nt++)
        for (int with_base = 0; with_base <= 1; with_base++) {
            const float *b = with_base ? base : NULL;
            CHECK_STATUS(fk_ref_combine(rows, cols, ld, b, nt, coeffs, terms, want), FK_OK);
            CHECK_STATUS(fk_combine(rows, cols, ld, b, nt, coeffs, terms, got), FK_OK);
            /* Relative to the terms' size: a float sum of terms that cancel (a 1x1 case does)
             * rounds relative to the terms, not to the result. */
            CHECK(combine_err(got, want, rows, cols, ld, b, nt, coeffs, terms) <= 1e-6);

            /* out aliasing the base or the last term. */
            const float *aterms[4] = {t[0], t[1], t[2], t[3]};
            if (with_base) {
                memcpy(alias, base, bytes);
                CHECK_STATUS(fk_combine(rows, cols, ld, alias, nt, coeffs, aterms, alias), FK_OK);
                CHECK(fk_test_relerr(alias, got, rows, cols, ld) == 0);
            }
            memcpy(alias, t[nt - 1], bytes);
            aterms[nt - 1] = alias;
            CHECK_STATUS(fk_combine(rows, cols, ld, b, nt, coeffs, aterms, alias), FK_OK);
            CHECK(fk_test_relerr(alias, got, rows, cols, ld) == 0);

            fk_set_num_threads(1);
            CHECK_STATUS(fk_combine(rows, cols, ld, b, nt, coeffs, terms, got1), FK_OK);
            fk_set_num_threads(2);
            CHECK_STATUS(fk_combine(rows, cols, ld, b, nt, coeffs, terms, got), FK_OK);
            CHECK(fk_test_same_matrix(got, got1, rows, cols, ld));
        }
    for (int k = 0; k < 4; k++) free(t[k]);
    free(base); free(got); free(want); free(alias); free(got1);
}

static void check_nonfinite(void) {
    float x[2 * 9], v[2 * 9], out[2 * 9];
    fk_test_fill(x, 18, 5); fk_test_fill(v, 18, 6);
    x[3] = NAN; v[9 + 4] = INFINITY;
    CHECK_STATUS(fk_euler_step(2, 9, x, 9, v, 9, -0.5f, out, 9), FK_OK);
    CHECK(isnan(out[3]));
    CHECK(isinf(out[9 + 4]) && out[9 + 4] < 0);
    CHECK(isfinite(out[0]) && isfinite(out[9]));
    const float coeffs[2] = {1.0f, 2.0f};
    const float *terms[2] = {x, v};
    CHECK_STATUS(fk_combine(2, 9, 9, NULL, 2, coeffs, terms, out), FK_OK);
    CHECK(isnan(out[3]));
    CHECK(isinf(out[9 + 4]) && out[9 + 4] > 0);
    CHECK(isfinite(out[1]));
}

static void check_bad_arguments(void) {
    float a[64] = {0}, b[64] = {0}, o[64];
    CHECK_STATUS(fk_euler_step(-1, 4, a, 4, b, 4, 1.0f, o, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_euler_step(4, -1, a, 4, b, 4, 1.0f, o, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_euler_step(4, 4, NULL, 4, b, 4, 1.0f, o, 4), FK_ERR_NULL);
    CHECK_STATUS(fk_euler_step(4, 4, a, 4, NULL, 4, 1.0f, o, 4), FK_ERR_NULL);
    CHECK_STATUS(fk_euler_step(4, 4, a, 4, b, 4, 1.0f, NULL, 4), FK_ERR_NULL);
    CHECK_STATUS(fk_euler_step(4, 4, a, 3, b, 4, 1.0f, o, 4), FK_ERR_STRIDE);
    CHECK_STATUS(fk_euler_step(4, 4, a, 4, b, 4, 1.0f, o, 3), FK_ERR_STRIDE);
    CHECK_STATUS(fk_euler_step(4, 4, a, 4, b, 4, 1.0f, a + 1, 4), FK_ERR_ALIAS);  /* partial */
    CHECK_STATUS(fk_euler_step(4, 4, a, 4, b, 4, 1.0f, b + 4, 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_euler_step(3, 4, a, 4, b, 4, 1.0f, a, 5), FK_ERR_ALIAS);      /* same ptr, other ld */
    CHECK_STATUS(fk_ref_euler_step(4, 4, a, 4, b, 4, 1.0f, a + 1, 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_euler_step(0, 4, NULL, 4, NULL, 4, 1.0f, NULL, 4), FK_OK);
    CHECK_STATUS(fk_euler_step(4, 0, NULL, 0, NULL, 0, 1.0f, NULL, 0), FK_OK);

    const float coeffs[4] = {1, 1, 1, 1};
    const float *terms[4] = {a, b, a, b}, *null_term[2] = {a, NULL};
    CHECK_STATUS(fk_combine(4, 4, 4, NULL, 0, coeffs, terms, o), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_combine(4, 4, 4, NULL, 5, coeffs, terms, o), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_combine(4, 4, 4, NULL, 2, NULL, terms, o), FK_ERR_NULL);
    CHECK_STATUS(fk_combine(4, 4, 4, NULL, 2, coeffs, NULL, o), FK_ERR_NULL);
    CHECK_STATUS(fk_combine(4, 4, 4, NULL, 2, coeffs, null_term, o), FK_ERR_NULL);
    CHECK_STATUS(fk_combine(4, 4, 4, NULL, 2, coeffs, terms, NULL), FK_ERR_NULL);
    CHECK_STATUS(fk_combine(-1, 4, 4, NULL, 2, coeffs, terms, o), FK_ERR_SIZE);
    CHECK_STATUS(fk_combine(4, 4, 3, NULL, 2, coeffs, terms, o), FK_ERR_STRIDE);
    CHECK_STATUS(fk_combine(4, 4, 4, a + 2, 2, coeffs, terms, a + 1), FK_ERR_ALIAS);
    CHECK_STATUS(fk_combine(4, 4, 4, NULL, 2, coeffs, terms, b + 3), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_combine(4, 4, 4, NULL, 2, coeffs, terms, b + 3), FK_ERR_ALIAS);
    CHECK_STATUS(fk_combine(0, 4, 4, NULL, 2, coeffs, null_term, NULL), FK_OK);
}

int main(void) {
    for (int p = 0; p < (int)(sizeof(FK_TEST_PATHS) / sizeof(FK_TEST_PATHS[0])); p++) {
        if (fk_set_simd_path(FK_TEST_PATHS[p]) != FK_OK) continue; /* not on this CPU */
        printf("path %s\n", fk_simd_path());
        for (int s = 0; s < FK_TEST_NSHAPES; s++) {
            check_euler(FK_TEST_SHAPES[s].rows, FK_TEST_SHAPES[s].cols);
            check_combine(FK_TEST_SHAPES[s].rows, FK_TEST_SHAPES[s].cols);
        }
        check_nonfinite();
    }
    fk_set_simd_path("auto");
    check_bad_arguments();
    return fk_test_done();
}
