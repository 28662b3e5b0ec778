/* test_apg.c — fk_apg against its reference at every test shape (row stride > cols) on every
 * SIMD path of this CPU, in x0 and velocity space, with and without momentum and threshold;
 * exact aliasing (g == c, g == u); thread-count invariance; NaN/Inf; bad arguments; and the
 * semantic checks: eta = 1, r = INFINITY, beta = 0 equals fk_cfg_blend; r caps ||delta||. */
#include "fk_test.h"

static fk_apg_params apg(float w, float eta, float r, float beta, float sigma, int space) {
    fk_apg_params p = {w, eta, r, beta, sigma, space};
    return p;
}

static void check_shape(int64_t rows, int64_t cols) {
    int64_t ld = cols + 3, n = rows * ld;
    float *x = fk_test_alloc(n, 1), *c = fk_test_alloc(n, 2), *u = fk_test_alloc(n, 3), *prev0 = fk_test_alloc(n, 4);
    float *g = fk_test_alloc(n, 0), *gr = fk_test_alloc(n, 0), *dg = fk_test_alloc(rows, 0), *dr = fk_test_alloc(rows, 0);
    /* u = c + a small difference, as real cond/uncond predictions are. */
    for (int64_t e = 0; e < n; e++) u[e] = c[e] + 0.2f * u[e];
    for (int64_t e = 0; e < n; e++) prev0[e] *= 0.1f;
    int large = rows * cols > 200000;
    const float rs[2] = {INFINITY, 0.05f};
    const float betas[2] = {0.0f, -0.5f};

    for (int space = 0; space <= 1; space++)
        for (int ri = 0; ri < 2; ri++)
            for (int bi = 0; bi < 2; bi++)
                for (int with_prev = 0; with_prev <= 1; with_prev++) {
                    if (betas[bi] != 0.0f && !with_prev) continue;
                    if (large && ri == 0 && bi == 0) continue; /* keep the large shapes quick */
                    fk_apg_params p = apg(5.0f, 0.3f, ri == 0 ? INFINITY : rs[ri] * (float)sqrt((double)cols) + 1e-3f, betas[bi], 0.6f, space);
                    float *pv = with_prev ? fk_test_copy(prev0, n) : NULL, *pr = with_prev ? fk_test_copy(prev0, n) : NULL;
                    const float *xx = space == FK_APG_X0_SPACE ? x : NULL;
                    /* Two steps, so the momentum buffer is exercised. */
                    for (int step = 0; step < 2; step++) {
                        CHECK_STATUS(fk_ref_apg(rows, cols, xx, ld, c, ld, u, ld, pr, ld, &p, gr, ld, dr), FK_OK);
                        CHECK_STATUS(fk_apg(rows, cols, xx, ld, c, ld, u, ld, pv, ld, &p, g, ld, dg), FK_OK);
                        CHECK(fk_test_relerr(g, gr, rows, cols, ld) <= 1e-6);
                        CHECK(fk_test_relerr(dg, dr, rows, 1, 1) <= 1e-6);
                        if (with_prev) CHECK(fk_test_relerr(pv, pr, rows, cols, ld) <= 1e-6);
                    }
                    free(pv); free(pr);
                }

    /* g aliasing c, then u; 1 vs 2 threads. */
    for (int space = 0; space <= 1; space++) {
        fk_apg_params p = apg(5.0f, 0.3f, 0.05f * (float)sqrt((double)cols) + 1e-3f, -0.5f, 0.6f, space);
        float *p1 = fk_test_copy(prev0, n), *p2 = fk_test_copy(prev0, n), *ga = fk_test_copy(c, n), *d2 = fk_test_alloc(rows, 0);
        CHECK_STATUS(fk_apg(rows, cols, x, ld, c, ld, u, ld, p1, ld, &p, g, ld, dg), FK_OK);
        CHECK_STATUS(fk_apg(rows, cols, x, ld, ga, ld, u, ld, p2, ld, &p, ga, ld, d2), FK_OK);
        CHECK(fk_test_same_matrix(ga, g, rows, cols, ld) && fk_test_same_matrix(p1, p2, rows, cols, ld));
        memcpy(ga, u, (size_t)(n > 0 ? n : 1) * sizeof(float));
        memcpy(p2, prev0, (size_t)(n > 0 ? n : 1) * sizeof(float));
        CHECK_STATUS(fk_apg(rows, cols, x, ld, c, ld, ga, ld, p2, ld, &p, ga, ld, d2), FK_OK);
        CHECK(fk_test_same_matrix(ga, g, rows, cols, ld) && fk_test_same_matrix(p1, p2, rows, cols, ld));
        memcpy(ga, c, (size_t)(n > 0 ? n : 1) * sizeof(float)); /* the reference too */
        memcpy(p2, prev0, (size_t)(n > 0 ? n : 1) * sizeof(float));
        CHECK_STATUS(fk_ref_apg(rows, cols, x, ld, c, ld, u, ld, p2, ld, &p, gr, ld, NULL), FK_OK);
        memcpy(p2, prev0, (size_t)(n > 0 ? n : 1) * sizeof(float));
        CHECK_STATUS(fk_ref_apg(rows, cols, x, ld, ga, ld, u, ld, p2, ld, &p, ga, ld, NULL), FK_OK);
        CHECK(fk_test_same_matrix(ga, gr, rows, cols, ld));

        memcpy(p1, prev0, (size_t)(n > 0 ? n : 1) * sizeof(float));
        memcpy(p2, prev0, (size_t)(n > 0 ? n : 1) * sizeof(float));
        fk_set_num_threads(1);
        CHECK_STATUS(fk_apg(rows, cols, x, ld, c, ld, u, ld, p1, ld, &p, g, ld, dg), FK_OK);
        fk_set_num_threads(2);
        CHECK_STATUS(fk_apg(rows, cols, x, ld, c, ld, u, ld, p2, ld, &p, ga, ld, d2), FK_OK);
        CHECK(fk_test_same_matrix(ga, g, rows, cols, ld) && fk_test_same_matrix(p1, p2, rows, cols, ld) &&
              fk_test_same_bits(dg, d2, rows));
        free(p1); free(p2); free(ga); free(d2);
    }

    /* eta = 1, r = INFINITY, beta = 0 is CFG (both spaces, several sigmas). */
    const float sigmas[3] = {1.0f, 0.6f, 0.05f};
    for (int space = 0; space <= 1; space++)
        for (int k = 0; k < 3; k++) {
            fk_apg_params p = apg(4.5f, 1.0f, INFINITY, 0.0f, sigmas[k], space);
            CHECK_STATUS(fk_apg(rows, cols, x, ld, c, ld, u, ld, NULL, 0, &p, g, ld, NULL), FK_OK);
            CHECK_STATUS(fk_cfg_blend(rows, cols, c, ld, u, ld, 4.5f, gr, ld), FK_OK);
            CHECK(fk_test_relerr(g, gr, rows, cols, ld) <= 1e-6);
        }

    /* The threshold caps ||delta||: diag = min(||delta||, r). */
    {
        fk_apg_params p = apg(3.0f, 0.0f, INFINITY, 0.0f, 0.5f, FK_APG_VELOCITY_SPACE);
        float *d_inf = fk_test_alloc(rows, 0);
        CHECK_STATUS(fk_apg(rows, cols, NULL, 0, c, ld, u, ld, NULL, 0, &p, g, ld, d_inf), FK_OK);
        p.r = 0.1f;
        CHECK_STATUS(fk_apg(rows, cols, NULL, 0, c, ld, u, ld, NULL, 0, &p, g, ld, dg), FK_OK);
        for (int64_t i = 0; i < rows; i++) {
            CHECK(dg[i] <= 0.1f * (1 + 1e-6f));
            CHECK(fabsf(dg[i] - fminf(d_inf[i], 0.1f)) <= 1e-6f * fmaxf(d_inf[i], 0.1f));
        }
        free(d_inf);
    }
    free(x); free(c); free(u); free(prev0); free(g); free(gr); free(dg); free(dr);
}

/* A hand-computed velocity-space case: c = [1, 0], u = [0, 1]: delta = [1, -1], ||delta|| = √2,
 * <delta, c> = 1, ||c||^2 = 1: par = [1, 0], perp = [0, -1]; w = 3, eta = 0.5:
 * D_hat = [1, 0] + 2·([0, -1] + 0.5·[1, 0]) = [2, -2]. With r = √2/2: delta halves,
 * par = [0.5, 0], perp = [0, -0.5], D_hat = [1, 0] + 2·([0, -0.5] + [0.25, 0]) = [1.5, -1]. */
static void check_hand_case(void) {
    float c[2] = {1, 0}, u[2] = {0, 1}, g[2], diag;
    fk_apg_params p = apg(3.0f, 0.5f, INFINITY, 0.0f, 0.5f, FK_APG_VELOCITY_SPACE);
    CHECK_STATUS(fk_apg(1, 2, NULL, 0, c, 2, u, 2, NULL, 0, &p, g, 2, &diag), FK_OK);
    CHECK(fabsf(g[0] - 2.0f) <= 1e-6f && fabsf(g[1] + 2.0f) <= 1e-6f && fabsf(diag - sqrtf(2.0f)) <= 1e-6f);
    p.r = sqrtf(2.0f) / 2;
    CHECK_STATUS(fk_apg(1, 2, NULL, 0, c, 2, u, 2, NULL, 0, &p, g, 2, &diag), FK_OK);
    CHECK(fabsf(g[0] - 1.5f) <= 1e-6f && fabsf(g[1] + 1.0f) <= 1e-6f && fabsf(diag - p.r) <= 1e-6f);
    /* Momentum: prev = [1, 1], beta = -0.5: delta = [0.5, -1.5], stored in prev. */
    float prev[2] = {1, 1};
    p.r = INFINITY; p.beta = -0.5f;
    CHECK_STATUS(fk_apg(1, 2, NULL, 0, c, 2, u, 2, prev, 2, &p, g, 2, &diag), FK_OK);
    CHECK(prev[0] == 0.5f && prev[1] == -1.5f);
    /* beta = 0: prev is not read (garbage in it does not matter) but receives delta. */
    float junk[2] = {NAN, INFINITY};
    p.beta = 0.0f;
    for (int ref = 0; ref <= 1; ref++) {
        junk[0] = NAN; junk[1] = INFINITY;
        CHECK_STATUS((ref ? fk_ref_apg : fk_apg)(1, 2, NULL, 0, c, 2, u, 2, junk, 2, &p, g, 2, &diag), FK_OK);
        CHECK(junk[0] == 1.0f && junk[1] == -1.0f && fabsf(g[0] - 2.0f) <= 1e-6f && fabsf(g[1] + 2.0f) <= 1e-6f);
    }
    /* ||D_c|| = 0: no parallel part, D_hat = (w-1)·delta. */
    float z[2] = {0, 0};
    p = apg(3.0f, 0.5f, INFINITY, 0.0f, 0.5f, FK_APG_VELOCITY_SPACE);
    CHECK_STATUS(fk_apg(1, 2, NULL, 0, z, 2, u, 2, NULL, 0, &p, g, 2, NULL), FK_OK);
    CHECK(g[0] == 0.0f && g[1] == -2.0f);
}

static void check_nonfinite(void) {
    enum { R = 3, C = 13 };
    for (int space = 0; space <= 1; space++) {
        float x[R * C], c[R * C], u[R * C], g[R * C], prev[R * C], diag[R];
        fk_test_fill(x, R * C, 60); fk_test_fill(c, R * C, 61); fk_test_fill(u, R * C, 62);
        memset(prev, 0, sizeof prev);
        c[3] = NAN;          /* row 0 */
        u[C + 7] = INFINITY; /* row 1 */
        fk_apg_params p = apg(4.0f, 0.5f, 1.0f, -0.5f, 0.7f, space);
        CHECK_STATUS(fk_apg(R, C, x, C, c, C, u, C, prev, C, &p, g, C, diag), FK_OK);
        CHECK(isnan(g[3]) && isnan(diag[0]) && !isfinite(g[C + 7]));
        for (int j = 0; j < C; j++) CHECK(isfinite(g[2 * C + j]) && isfinite(prev[2 * C + j]));
        CHECK(isfinite(diag[2]));
    }
}

static void check_bad_arguments(void) {
    float x[64] = {0}, c[64] = {0}, u[64] = {0}, prev[64] = {0}, g[64], diag[8];
    fk_apg_params ok = apg(4.0f, 0.5f, 1.0f, -0.5f, 0.7f, FK_APG_X0_SPACE), p;
#define APG(P) fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, P, g, 4, diag)
    CHECK_STATUS(APG(&ok), FK_OK);
    CHECK_STATUS(APG(NULL), FK_ERR_NULL);
    p = ok; p.sigma = 0.0f;  CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.sigma = -1.0f; CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.sigma = NAN;   CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.r = 0.0f;      CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.r = -1.0f;     CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.r = NAN;       CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.beta = 1.0f;   CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.beta = -1.0f;  CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.beta = NAN;    CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.space = 2;     CHECK_STATUS(APG(&p), FK_ERR_ARGUMENT);
    p = ok; p.r = INFINITY;  CHECK_STATUS(APG(&p), FK_OK);
    p = ok; p.sigma = 0.0f; p.space = FK_APG_VELOCITY_SPACE; CHECK_STATUS(APG(&p), FK_OK); /* sigma unused */
    p = ok; p.sigma = 0.0f;
    CHECK_STATUS(fk_ref_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &p, g, 4, diag), FK_ERR_ARGUMENT);
#undef APG
    /* prev NULL: only with beta = 0 */
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, NULL, 4, &ok, g, 4, diag), FK_ERR_NULL);
    p = ok; p.beta = 0.0f;
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, NULL, 4, &p, g, 4, diag), FK_OK);
    /* x: needed in x0 space only */
    CHECK_STATUS(fk_apg(4, 4, NULL, 4, c, 4, u, 4, prev, 4, &ok, g, 4, diag), FK_ERR_NULL);
    p = ok; p.space = FK_APG_VELOCITY_SPACE;
    CHECK_STATUS(fk_apg(4, 4, NULL, 0, c, 4, u, 4, prev, 4, &p, g, 4, diag), FK_OK);
    /* sizes, NULLs, strides */
    CHECK_STATUS(fk_apg(-1, 4, x, 4, c, 4, u, 4, prev, 4, &ok, g, 4, diag), FK_ERR_SIZE);
    CHECK_STATUS(fk_apg(4, -1, x, 4, c, 4, u, 4, prev, 4, &ok, g, 4, diag), FK_ERR_SIZE);
    CHECK_STATUS(fk_apg(4, 4, x, 4, NULL, 4, u, 4, prev, 4, &ok, g, 4, diag), FK_ERR_NULL);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, NULL, 4, prev, 4, &ok, g, 4, diag), FK_ERR_NULL);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, NULL, 4, diag), FK_ERR_NULL);
    CHECK_STATUS(fk_apg(4, 4, x, 3, c, 4, u, 4, prev, 4, &ok, g, 4, diag), FK_ERR_STRIDE);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 2, &ok, g, 4, diag), FK_ERR_STRIDE);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, g, 3, diag), FK_ERR_STRIDE);
    CHECK_STATUS(fk_apg(0, 4, NULL, 4, NULL, 4, NULL, 4, NULL, 4, &ok, NULL, 4, NULL), FK_OK);
    CHECK_STATUS(fk_apg(3, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, &ok, NULL, 0, diag), FK_OK);
    CHECK(diag[0] == 0.0f && diag[2] == 0.0f);
    /* aliasing: g == c or g == u exactly; nothing else */
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, c, 4, diag), FK_OK);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, u, 4, diag), FK_OK);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, c + 1, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_apg(3, 4, x, 4, c, 4, u, 4, prev, 4, &ok, u, 5, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, x, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, prev + 2, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, c, 4, &ok, g, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, x + 4, 4, &ok, g, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, g, 4, g + 3), FK_ERR_ALIAS);
    CHECK_STATUS(fk_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, g, 4, prev), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_apg(4, 4, x, 4, c, 4, u, 4, prev, 4, &ok, x, 4, diag), FK_ERR_ALIAS);
    /* x may coincide with an input (all read only) */
    CHECK_STATUS(fk_apg(4, 4, c, 4, c, 4, u, 4, prev, 4, &ok, g, 4, diag), FK_OK);
}

int main(void) {
    for (int p = 0; p < (int)(sizeof(FK_TEST_PATHS) / sizeof(FK_TEST_PATHS[0])); p++) {
        if (fk_set_simd_path(FK_TEST_PATHS[p]) != FK_OK) continue; /* not on this CPU */
        printf("path %s\n", fk_simd_path());
        for (int s = 0; s < FK_TEST_NSHAPES; s++) check_shape(FK_TEST_SHAPES[s].rows, FK_TEST_SHAPES[s].cols);
        check_shape(2049, 2053); /* >= FK_STREAM_MIN_ELEMENTS: g written with streaming stores */
        check_hand_case();
        check_nonfinite();
    }
    fk_set_simd_path("auto");
    check_bad_arguments();
    return fk_test_done();
}
