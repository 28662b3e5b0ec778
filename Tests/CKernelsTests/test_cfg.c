/* test_cfg.c — fk_cfg_blend / fk_cfg_euler_step / fk_cfg_rescale / fk_cfg_zero_star against
 * their references at every test shape (row stride > cols) on every SIMD path of this CPU,
 * exact aliasing, thread-count invariance, NaN/Inf, bad arguments and semantic checks
 * (w = 1 gives c; the CFG-Zero* scale is <c,u>/(||u||^2 + 1e-8)). */
#include "fk_test.h"

/* The kernels that write g (may alias c or u): 0 blend, 1 rescale, 2 zero-star. */
static fk_status run_g(int which, int ref, int64_t rows, int64_t cols, const float *c, const float *u,
                       int64_t ld, float w, float *g, float *scale) {
    switch (which) {
    case 0: return (ref ? fk_ref_cfg_blend : fk_cfg_blend)(rows, cols, c, ld, u, ld, w, g, ld);
    case 1: return (ref ? fk_ref_cfg_rescale : fk_cfg_rescale)(rows, cols, c, ld, u, ld, w, 0.7f, g, ld);
    default: return (ref ? fk_ref_cfg_zero_star : fk_cfg_zero_star)(rows, cols, c, ld, u, ld, w, g, ld, scale);
    }
}

static void check_shape(int64_t rows, int64_t cols) {
    int64_t ld = cols + 3, n = rows * ld;
    float *c = fk_test_alloc(n, 1), *u = fk_test_alloc(n, 2);
    float *got = fk_test_alloc(n, 0), *want = fk_test_alloc(n, 0), *other = fk_test_alloc(n, 0);
    float *sgot = fk_test_alloc(rows, 0), *swant = fk_test_alloc(rows, 0), *sother = fk_test_alloc(rows, 0);
    const float w = 4.5f;
    /* Shift c so rows have a nonzero mean (exercises the std's mean subtraction). */
    for (int64_t e = 0; e < n; e++) c[e] = 0.25f + 0.8f * c[e];

    for (int which = 0; which < 3; which++) {
        CHECK_STATUS(run_g(which, 1, rows, cols, c, u, ld, w, want, swant), FK_OK);
        CHECK_STATUS(run_g(which, 0, rows, cols, c, u, ld, w, got, sgot), FK_OK);
        CHECK(fk_test_relerr(got, want, rows, cols, ld) <= 1e-6);
        if (which == 2) CHECK(fk_test_relerr(sgot, swant, rows, 1, 1) <= 1e-6);

        /* g aliasing c, then u: the same bits as the separate output. */
        float *ac = fk_test_copy(c, n), *au = fk_test_copy(u, n);
        CHECK_STATUS(run_g(which, 0, rows, cols, ac, u, ld, w, ac, sother), FK_OK);
        CHECK(fk_test_same_matrix(ac, got, rows, cols, ld));
        CHECK_STATUS(run_g(which, 0, rows, cols, c, au, ld, w, au, sother), FK_OK);
        CHECK(fk_test_same_matrix(au, got, rows, cols, ld));
        if (which == 2) CHECK(fk_test_same_bits(sother, sgot, rows));
        /* The reference honours the same aliases. */
        memcpy(ac, c, (size_t)(n > 0 ? n : 1) * sizeof(float));
        CHECK_STATUS(run_g(which, 1, rows, cols, ac, u, ld, w, ac, sother), FK_OK);
        CHECK(fk_test_same_matrix(ac, want, rows, cols, ld));
        free(ac); free(au);

        /* Bitwise identical for 1 and 2 threads. */
        fk_set_num_threads(1);
        CHECK_STATUS(run_g(which, 0, rows, cols, c, u, ld, w, other, sother), FK_OK);
        fk_set_num_threads(2);
        CHECK_STATUS(run_g(which, 0, rows, cols, c, u, ld, w, got, sgot), FK_OK);
        CHECK(fk_test_same_matrix(other, got, rows, cols, ld));
        if (which == 2) CHECK(fk_test_same_bits(sother, sgot, rows));
    }

    /* fk_cfg_euler_step. */
    float *x = fk_test_alloc(n, 3), *xw = fk_test_copy(x, n), *x1 = fk_test_copy(x, n), *x2 = fk_test_copy(x, n);
    const float h = -0.05f;
    CHECK_STATUS(fk_ref_cfg_euler_step(rows, cols, xw, ld, c, ld, u, ld, w, h), FK_OK);
    CHECK_STATUS(fk_cfg_euler_step(rows, cols, x, ld, c, ld, u, ld, w, h), FK_OK);
    CHECK(fk_test_relerr(x, xw, rows, cols, ld) <= 1e-6);
    fk_set_num_threads(1);
    CHECK_STATUS(fk_cfg_euler_step(rows, cols, x1, ld, c, ld, u, ld, w, h), FK_OK);
    fk_set_num_threads(2);
    CHECK_STATUS(fk_cfg_euler_step(rows, cols, x2, ld, c, ld, u, ld, w, h), FK_OK);
    CHECK(fk_test_same_matrix(x1, x2, rows, cols, ld));

    /* w = 1 is no guidance: g = c (blend and CFG-Zero* exactly up to rounding; rescale with
     * g0 = c has std(c)/std(g0) = 1). */
    for (int which = 0; which < 3; which++) {
        CHECK_STATUS(run_g(which, 0, rows, cols, c, u, ld, 1.0f, got, sgot), FK_OK);
        CHECK(fk_test_relerr(got, c, rows, cols, ld) <= 1e-6);
    }

    /* CFG-Zero*: scale_out = <c,u>/(||u||^2 + 1e-8), computed here independently. */
    CHECK_STATUS(fk_cfg_zero_star(rows, cols, c, ld, u, ld, w, got, ld, sgot), FK_OK);
    for (int64_t i = 0; i < rows; i++) {
        double cu = 0, uu = 0;
        for (int64_t j = 0; j < cols; j++) {
            cu += (double)c[i * ld + j] * u[i * ld + j];
            uu += (double)u[i * ld + j] * u[i * ld + j];
        }
        swant[i] = (float)(cu / (uu + 1e-8));
    }
    CHECK(fk_test_relerr(sgot, swant, rows, 1, 1) <= 1e-6);

    free(c); free(u); free(got); free(want); free(other); free(sgot); free(swant); free(sother);
    free(x); free(xw); free(x1); free(x2);
}

/* Hand-computed small cases. */
static void check_small(void) {
    /* Rescale: c = [1, 3] (std 1), u = [0, 0], w = 2: g0 = [2, 6] (std 2);
     * phi = 0.5: f = 0.5·1/2 + 0.5 = 0.75, g = [1.5, 4.5]. */
    float c[2] = {1, 3}, u[2] = {0, 0}, g[2];
    CHECK_STATUS(fk_cfg_rescale(1, 2, c, 2, u, 2, 2.0f, 0.5f, g, 2), FK_OK);
    CHECK(fabsf(g[0] - 1.5f) < 1e-6f && fabsf(g[1] - 4.5f) < 1e-6f);
    /* phi = 1: g = g0·std(c)/std(g0) = [1, 3]. */
    CHECK_STATUS(fk_cfg_rescale(1, 2, c, 2, u, 2, 2.0f, 1.0f, g, 2), FK_OK);
    CHECK(fabsf(g[0] - 1.0f) < 1e-6f && fabsf(g[1] - 3.0f) < 1e-6f);
    /* A constant g0 (std 0): the row is g0, no division by zero. */
    float cc[5] = {2, 2, 2, 2, 2}, uc[5] = {1, 1, 1, 1, 1}, gc[5];
    CHECK_STATUS(fk_cfg_rescale(1, 5, cc, 5, uc, 5, 3.0f, 0.7f, gc, 5), FK_OK);
    for (int j = 0; j < 5; j++) CHECK(gc[j] == 4.0f);
    CHECK_STATUS(fk_ref_cfg_rescale(1, 5, cc, 5, uc, 5, 3.0f, 0.7f, gc, 5), FK_OK);
    for (int j = 0; j < 5; j++) CHECK(gc[j] == 4.0f);

    /* Zero-star: c = [2, 0], u = [1, 0]: s = 2/(1 + 1e-8), g = s·u + w·(c - s·u) ≈ [2, 0]. */
    float cz[2] = {2, 0}, uz[2] = {1, 0}, gz[2], sz;
    CHECK_STATUS(fk_cfg_zero_star(1, 2, cz, 2, uz, 2, 5.0f, gz, 2, &sz), FK_OK);
    CHECK(fabsf(sz - 2.0f) < 1e-6f && fabsf(gz[0] - 2.0f) < 1e-5f && gz[1] == 0.0f);
    /* u = 0: s = 0, g = w·c. */
    float u0[2] = {0, 0};
    CHECK_STATUS(fk_cfg_zero_star(1, 2, cz, 2, u0, 2, 5.0f, gz, 2, &sz), FK_OK);
    CHECK(sz == 0.0f && gz[0] == 10.0f);
}

static void check_nonfinite(void) {
    enum { R = 3, C = 11 };
    float c[R * C], u[R * C], g[R * C], x[R * C], s[R];
    fk_test_fill(c, R * C, 7); fk_test_fill(u, R * C, 8); fk_test_fill(x, R * C, 9);
    c[2] = NAN;          /* row 0 */
    u[C + 5] = INFINITY; /* row 1 */
    CHECK_STATUS(fk_cfg_blend(R, C, c, C, u, C, 3.0f, g, C), FK_OK);
    CHECK(isnan(g[2]) && !isfinite(g[C + 5]) && isfinite(g[2 * C]));
    CHECK_STATUS(fk_cfg_euler_step(R, C, x, C, c, C, u, C, 3.0f, -0.1f), FK_OK);
    CHECK(isnan(x[2]) && !isfinite(x[C + 5]) && isfinite(x[2 * C]));
    /* Row reductions: the bad value poisons its own row only. */
    CHECK_STATUS(fk_cfg_rescale(R, C, c, C, u, C, 3.0f, 0.7f, g, C), FK_OK);
    CHECK(isnan(g[2]) && !isfinite(g[C + 5]));
    for (int j = 0; j < C; j++) CHECK(isfinite(g[2 * C + j]));
    CHECK_STATUS(fk_cfg_zero_star(R, C, c, C, u, C, 3.0f, g, C, s), FK_OK);
    CHECK(isnan(s[0]) && !isfinite(g[C + 5]) && isfinite(s[2]));
    for (int j = 0; j < C; j++) CHECK(isnan(g[j]) && isfinite(g[2 * C + j]));
}

static void check_bad_arguments(void) {
    float a[64] = {0}, b[64] = {0}, o[64], s[8];
    /* blend (rescale and zero-star share its operand checks) */
    CHECK_STATUS(fk_cfg_blend(-1, 4, a, 4, b, 4, 2.0f, o, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_cfg_blend(4, -2, a, 4, b, 4, 2.0f, o, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_cfg_blend(4, 4, NULL, 4, b, 4, 2.0f, o, 4), FK_ERR_NULL);
    CHECK_STATUS(fk_cfg_blend(4, 4, a, 4, NULL, 4, 2.0f, o, 4), FK_ERR_NULL);
    CHECK_STATUS(fk_cfg_blend(4, 4, a, 4, b, 4, 2.0f, NULL, 4), FK_ERR_NULL);
    CHECK_STATUS(fk_cfg_blend(4, 4, a, 2, b, 4, 2.0f, o, 4), FK_ERR_STRIDE);
    CHECK_STATUS(fk_cfg_blend(4, 4, a, 4, b, 4, 2.0f, a + 1, 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_blend(4, 4, a, 4, b, 4, 2.0f, b + 5, 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_cfg_blend(4, 4, a, 4, b, 4, 2.0f, b + 5, 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_blend(0, 4, NULL, 4, NULL, 4, 2.0f, NULL, 4), FK_OK);
    /* cfg_euler_step: x must not overlap c or u at all */
    CHECK_STATUS(fk_cfg_euler_step(4, 4, a, 4, a, 4, b, 4, 2.0f, 0.1f), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_euler_step(4, 4, a, 4, b, 4, a + 3, 4, 2.0f, 0.1f), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_cfg_euler_step(4, 4, a, 4, a, 4, b, 4, 2.0f, 0.1f), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_euler_step(4, 4, NULL, 4, a, 4, b, 4, 2.0f, 0.1f), FK_ERR_NULL);
    CHECK_STATUS(fk_cfg_euler_step(4, 4, o, 3, a, 4, b, 4, 2.0f, 0.1f), FK_ERR_STRIDE);
    CHECK_STATUS(fk_cfg_euler_step(-4, 4, o, 4, a, 4, b, 4, 2.0f, 0.1f), FK_ERR_SIZE);
    /* rescale: phi in [0, 1] */
    CHECK_STATUS(fk_cfg_rescale(4, 4, a, 4, b, 4, 2.0f, -0.1f, o, 4), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_cfg_rescale(4, 4, a, 4, b, 4, 2.0f, 1.5f, o, 4), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_cfg_rescale(4, 4, a, 4, b, 4, 2.0f, NAN, o, 4), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_ref_cfg_rescale(4, 4, a, 4, b, 4, 2.0f, NAN, o, 4), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_cfg_rescale(4, 4, a, 4, b, 4, 2.0f, 0.5f, a + 2, 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_rescale(4, 4, a, 4, b, 4, 2.0f, 0.5f, o, 4), FK_OK); /* zero rows */
    /* zero-star: scale_out must not overlap anything */
    CHECK_STATUS(fk_cfg_zero_star(4, 4, a, 4, b, 4, 2.0f, o, 4, o + 3), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_zero_star(4, 4, a, 4, b, 4, 2.0f, o, 4, a), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_cfg_zero_star(4, 4, a, 4, b, 4, 2.0f, o, 4, b + 15), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_zero_star(4, 4, a, 4, b, 4, 2.0f, o, 4, s), FK_OK);
    CHECK_STATUS(fk_cfg_zero_star(4, 4, a, 4, b, 4, 2.0f, o, 4, NULL), FK_OK);
    CHECK_STATUS(fk_cfg_zero_star(4, 4, a, 3, b, 4, 2.0f, o, 4, NULL), FK_ERR_STRIDE);
    CHECK_STATUS(fk_cfg_zero_star(3, 0, NULL, 0, NULL, 0, 2.0f, NULL, 0, s), FK_OK);
    CHECK(s[0] == 0.0f && s[2] == 0.0f);
}

int main(void) {
    for (int p = 0; p < (int)(sizeof(FK_TEST_PATHS) / sizeof(FK_TEST_PATHS[0])); p++) {
        if (fk_set_simd_path(FK_TEST_PATHS[p]) != FK_OK) continue; /* not on this CPU */
        printf("path %s\n", fk_simd_path());
        for (int s = 0; s < FK_TEST_NSHAPES; s++) check_shape(FK_TEST_SHAPES[s].rows, FK_TEST_SHAPES[s].cols);
        check_shape(2049, 2053); /* >= FK_STREAM_MIN_ELEMENTS: g streamed (blend, row kernels), prefetch */
        check_small();
        check_nonfinite();
    }
    fk_set_simd_path("auto");
    check_bad_arguments();
    return fk_test_done();
}
