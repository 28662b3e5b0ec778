/* fk_apg.c — adaptive projected guidance (Sadat et al. 2024), DESIGN.md §3.
 *
 * Per row: one reduction pass for ||delta||^2, <delta, D_c>, ||D_c||^2 (8 fixed double lanes, one
 * thread per row), then one elementwise pass writing g and prev. The math is rearranged so that
 * no large terms cancel (the reference follows the textbook form in double):
 *   x0 space:  D_c - D_u = sigma·(u - c), so delta = sigma·(u - c) + beta·prev, D_c = x - sigma·c
 *   velocity:  delta = (c - u) + beta·prev, D_c = c
 * With t = min(1, r/||delta||) and p = t·<delta, D_c>/||D_c||^2 (0 where ||D_c|| = 0):
 *   D_hat = D_c + (w-1)·(t·delta - p·D_c + eta·p·D_c) = A·D_c + B·delta,
 *   A = 1 + (w-1)·(eta-1)·p,  B = (w-1)·t
 *   velocity: g = A·c + B·delta
 *   x0:       g = (x - D_hat)/sigma = A·c + ((1-A)/sigma)·x - (B/sigma)·delta
 * prev stores delta before the threshold (the momentum running sum). */
#include "fk_guide_checks.h"

/* ---- Argument checks (shared with ref/fk_apg_ref.c) --------------------------------------- */

fk_status fk_check_apg_args(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                            const float *c, int64_t ldc, const float *u, int64_t ldu,
                            const float *prev, int64_t ldp, const fk_apg_params *params,
                            const float *g, int64_t ldg, const float *diag) {
    if (params == NULL) return FK_ERR_NULL;
    const int x0 = params->space == FK_APG_X0_SPACE;
    if ((params->space != FK_APG_X0_SPACE && params->space != FK_APG_VELOCITY_SPACE) ||
        !(params->r > 0.0f) || !(fabsf(params->beta) < 1.0f) || (x0 && !(params->sigma > 0.0f)))
        return FK_ERR_ARGUMENT;
    if (!x0) x = NULL; /* not read in velocity space */
    fk_status s = fk_check_matrix(rows, cols, c, ldc);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, u, ldu);
    if (s == FK_OK && x0) s = fk_check_matrix(rows, cols, x, ldx);
    if (s == FK_OK && (prev || params->beta != 0.0f)) s = fk_check_matrix(rows, cols, prev, ldp);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, g, ldg);
    if (s == FK_OK && diag) s = fk_check_matrix(rows, 1, diag, 1);
    if (s != FK_OK) return s;
    if (fk_check_alias(g, ldg, c, ldc, rows, cols, 1) != FK_OK ||
        fk_check_alias(g, ldg, u, ldu, rows, cols, 1) != FK_OK ||
        fk_overlap(g, ldg, x, ldx, rows, cols) || fk_overlap(g, ldg, prev, ldp, rows, cols) ||
        fk_overlap(prev, ldp, c, ldc, rows, cols) || fk_overlap(prev, ldp, u, ldu, rows, cols) ||
        fk_overlap(prev, ldp, x, ldx, rows, cols))
        return FK_ERR_ALIAS;
    if (cols > 0 && (fk_vec_overlaps(diag, rows, x, ldx, cols) || fk_vec_overlaps(diag, rows, c, ldc, cols) ||
                     fk_vec_overlaps(diag, rows, u, ldu, cols) || fk_vec_overlaps(diag, rows, prev, ldp, cols) ||
                     fk_vec_overlaps(diag, rows, g, ldg, cols)))
        return FK_ERR_ALIAS;
    return FK_OK;
}

/* ---- Kernel --------------------------------------------------------------------------------- */

typedef struct apg_ctx {
    int64_t cols;
    const float *x; int64_t ldx;
    const float *c; int64_t ldc;
    const float *u; int64_t ldu;
    float *prev; int64_t ldp;
    float *g; int64_t ldg;
    float *diag;
    double w, eta, r;
    float beta, sigma;
    int variant; /* x0·4 + read_prev·2 + write_prev */
} apg_ctx;

/* delta at j (the same float expression in both passes). prev is read only when beta != 0. */
FK_INLINE float apg_delta(const float *c, const float *u, const float *p, int64_t j,
                          float beta, float sigma, int x0, int read_prev) {
    float dl = x0 ? sigma * (u[j] - c[j]) : c[j] - u[j];
    return read_prev ? dl + beta * p[j] : dl;
}

FK_INLINE void apg_rows_body(const apg_ctx *k, int64_t r0, int64_t r1, int x0, int read_prev,
                             int write_prev) {
    const int64_t n = k->cols;
    const float beta = k->beta, sigma = k->sigma;
    for (int64_t i = r0; i < r1; i++) {
        const float *c = k->c + i * k->ldc, *u = k->u + i * k->ldu;
        const float *x = x0 ? k->x + i * k->ldx : NULL;
        float *p = write_prev ? k->prev + i * k->ldp : NULL;
        float *g = k->g + i * k->ldg;

        /* Pass 1: ||delta||^2, <delta, D_c>, ||D_c||^2. */
        double add[8] = {0}, adc[8] = {0}, acc[8] = {0};
        int64_t j = 0;
        for (; j + 8 <= n; j += 8)
#pragma omp simd
            for (int l = 0; l < 8; l++) {
                double dl = apg_delta(c, u, p, j + l, beta, sigma, x0, read_prev);
                double dc = x0 ? x[j + l] - sigma * c[j + l] : c[j + l];
                add[l] += dl * dl; adc[l] += dl * dc; acc[l] += dc * dc;
            }
        for (int l = 0; j < n; j++, l++) {
            double dl = apg_delta(c, u, p, j, beta, sigma, x0, read_prev);
            double dc = x0 ? x[j] - sigma * c[j] : c[j];
            add[l] += dl * dl; adc[l] += dl * dc; acc[l] += dc * dc;
        }
#define LANES(a) (((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])))
        const double nd = sqrt(LANES(add)), dot = LANES(adc), ndc2 = LANES(acc);
#undef LANES
        /* NaN norms take t = 1 / keep NaN in p, so they reach g through delta or A. */
        const double t = nd > k->r ? k->r / nd : 1.0;
        const double pp = ndc2 == 0.0 ? 0.0 : t * dot / ndc2;
        const double a = 1.0 + (k->w - 1.0) * (k->eta - 1.0) * pp, b = (k->w - 1.0) * t;
        if (k->diag) k->diag[i] = (float)(t * nd);

        /* Pass 2: g and prev. Every input element is read before g[j] is written. */
        const float af = (float)a;
        if (x0) {
            const float ax = (float)((1.0 - a) / sigma), bx = (float)(b / sigma);
#pragma omp simd
            for (j = 0; j < n; j++) {
                float dl = apg_delta(c, u, p, j, beta, sigma, x0, read_prev);
                float gv = af * c[j] + ax * x[j] - bx * dl;
                if (write_prev) p[j] = dl;
                g[j] = gv;
            }
        } else {
            const float bf = (float)b;
#pragma omp simd
            for (j = 0; j < n; j++) {
                float dl = apg_delta(c, u, p, j, beta, sigma, x0, read_prev);
                float gv = af * c[j] + bf * dl;
                if (write_prev) p[j] = dl;
                g[j] = gv;
            }
        }
    }
}

FK_INLINE void apg_rows_switch(void *vk, int64_t r0, int64_t r1) {
    const apg_ctx *k = vk;
    switch (k->variant) {
    case 0: apg_rows_body(k, r0, r1, 0, 0, 0); break;
    case 1: apg_rows_body(k, r0, r1, 0, 0, 1); break;
    case 3: apg_rows_body(k, r0, r1, 0, 1, 1); break;
    case 4: apg_rows_body(k, r0, r1, 1, 0, 0); break;
    case 5: apg_rows_body(k, r0, r1, 1, 0, 1); break;
    case 7: apg_rows_body(k, r0, r1, 1, 1, 1); break;
    }
}

FK_TARGET_AVX512 static void apg_avx512(void *k, int64_t r0, int64_t r1) { apg_rows_switch(k, r0, r1); }
FK_TARGET_AVX2 static void apg_avx2(void *k, int64_t r0, int64_t r1) { apg_rows_switch(k, r0, r1); }
static void apg_baseline(void *k, int64_t r0, int64_t r1) { apg_rows_switch(k, r0, r1); }

fk_status fk_apg(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                 const float *c, int64_t ldc, const float *u, int64_t ldu,
                 float *prev, int64_t ldp, const fk_apg_params *params,
                 float *g, int64_t ldg, float *diag) {
    fk_status s = fk_check_apg_args(rows, cols, x, ldx, c, ldc, u, ldu, prev, ldp, params, g, ldg, diag);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE)
        return fk_ref_apg(rows, cols, x, ldx, c, ldc, u, ldu, prev, ldp, params, g, ldg, diag);
    if (rows == 0 || cols == 0) { /* empty rows: ||delta|| = 0 */
        for (int64_t i = 0; diag && i < rows; i++) diag[i] = 0.0f;
        return FK_OK;
    }
    const int x0 = params->space == FK_APG_X0_SPACE;
    apg_ctx k = {cols, x0 ? x : NULL, ldx, c, ldc, u, ldu, prev, ldp, g, ldg, diag,
                 params->w, params->eta, params->r, params->beta, params->sigma,
                 x0 * 4 + (params->beta != 0.0f) * 2 + (prev != NULL)};
    fk_parallel_rows(rows, cols, path == FK_PATH_AVX512 ? apg_avx512 : path == FK_PATH_AVX2 ? apg_avx2 : apg_baseline, &k);
    return FK_OK;
}
