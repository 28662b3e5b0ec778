/* fk_apg.c — adaptive projected guidance (Sadat et al. 2024), DESIGN.md §3.
 *
 * Per row: one reduction pass for ||delta||^2, <delta, D_c>, ||D_c||^2 (blocked float lanes into
 * double, fk_internal.h; one thread per row) that also stores delta into prev, then one
 * elementwise pass writing g (streaming stores on large inputs). The math is rearranged so that
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
    int stream;  /* large input: g with non-temporal stores, next row prefetched (fk_stream_worth) */
} apg_ctx;

/* delta at j (the same float expression in both passes). prev is read only when beta != 0. */
FK_INLINE float apg_delta(const float *c, const float *u, const float *p, int64_t j,
                          float beta, float sigma, int x0, int read_prev) {
    float dl = x0 ? sigma * (u[j] - c[j]) : c[j] - u[j];
    return read_prev ? dl + beta * p[j] : dl;
}

/* D_c at j (x0 space: x - sigma·c; velocity space: c). */
FK_INLINE float apg_dc(const float *x, const float *c, int64_t j, float sigma, int x0) {
    return x0 ? x[j] - sigma * c[j] : c[j];
}

/* Pass 2 at j: g. delta is in prev already when kept (pass 1 stored it), else recomputed. */
FK_INLINE float apg_out(const float *x, const float *c, const float *u, const float *p, int64_t j,
                        float beta, float sigma, float af, float ax, float bx, int x0,
                        int read_prev, int write_prev) {
    const float dl = write_prev ? p[j] : apg_delta(c, u, p, j, beta, sigma, x0, read_prev);
    return x0 ? af * c[j] + ax * x[j] - bx * dl : af * c[j] + bx * dl;
}

/* Large inputs: the next row's inputs are prefetched while this row computes (half of them in
 * each pass, one line of each per 32 elements), so the memory stream does not pause for the
 * L1-resident work. q: the column of the line to fetch. */
FK_INLINE void apg_prefetch_next(const apg_ctx *k, const float *x, const float *c, const float *u,
                                 const float *p, int64_t q, int x0, int write_prev) {
    if (x0) __builtin_prefetch(x + k->ldx + q);
    __builtin_prefetch(c + k->ldc + q);
    __builtin_prefetch(u + k->ldu + q);
    if (write_prev) __builtin_prefetch(p + k->ldp + q, 1);
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

        /* Pass 1: ||delta||^2, <delta, D_c>, ||D_c||^2 in blocked float lanes (fk_internal.h);
         * delta replaces prev here (its old value is read only for this element), so pass 2
         * reads it instead of recomputing it. */
        double add[8] = {0}, adc[8] = {0}, acc[8] = {0};
        for (int64_t j0 = 0; j0 < n; j0 += FK_RED_BLOCK) {
            const int64_t j1 = j0 + FK_RED_BLOCK < n ? j0 + FK_RED_BLOCK : n;
            float fdd[FK_RED_LANES] = {0}, fdc[FK_RED_LANES] = {0}, fcc[FK_RED_LANES] = {0};
            int64_t j = j0;
            for (; j + FK_RED_LANES <= j1; j += FK_RED_LANES) {
                if (k->stream && i + 1 < r1 && (j & 31) == 0)
                    apg_prefetch_next(k, x, c, u, p, j / 2, x0, write_prev);
#pragma omp simd
                for (int l = 0; l < FK_RED_LANES; l++) {
                    const float dl = apg_delta(c, u, p, j + l, beta, sigma, x0, read_prev);
                    const float dc = apg_dc(x, c, j + l, sigma, x0);
                    if (write_prev) p[j + l] = dl;
                    fdd[l] += dl * dl; fdc[l] += dl * dc; fcc[l] += dc * dc;
                }
            }
            for (int l = 0; j < j1; j++, l = (l + 1) & 7) { /* the row's last < 16: in double */
                const float dlf = apg_delta(c, u, p, j, beta, sigma, x0, read_prev);
                const double dl = dlf, dc = apg_dc(x, c, j, sigma, x0);
                if (write_prev) p[j] = dlf;
                add[l] += dl * dl; adc[l] += dl * dc; acc[l] += dc * dc;
            }
            fk_red_fold(add, fdd); fk_red_fold(adc, fdc); fk_red_fold(acc, fcc);
        }
        const double nd = sqrt(fk_lanes_sum(add)), dot = fk_lanes_sum(adc), ndc2 = fk_lanes_sum(acc);
        /* NaN norms take t = 1 / keep NaN in p, so they reach g through delta or A. */
        const double t = nd > k->r ? k->r / nd : 1.0;
        const double pp = ndc2 == 0.0 ? 0.0 : t * dot / ndc2;
        const double a = 1.0 + (k->w - 1.0) * (k->eta - 1.0) * pp, b = (k->w - 1.0) * t;
        if (k->diag) k->diag[i] = (float)(t * nd);

        /* Pass 2: g (inputs re-read from L1/L2). Every input element is read before g[j] is
         * written. x0: g = af·c + ax·x - bx·delta; velocity: g = af·c + bx·delta. */
        const float af = (float)a;
        const float ax = x0 ? (float)((1.0 - a) / sigma) : 0.0f;
        const float bx = x0 ? (float)(b / sigma) : (float)b;
        int64_t j = 0;
        if (k->stream) {
            for (; j < n && !fk_stream_aligned(g + j); j++)
                g[j] = apg_out(x, c, u, p, j, beta, sigma, af, ax, bx, x0, read_prev, write_prev);
            for (const int64_t js = j; j + 8 <= n; j += 8) {
                if (i + 1 < r1 && ((j - js) & 31) == 0)
                    apg_prefetch_next(k, x, c, u, p, n / 2 + (j - js) / 2, x0, write_prev);
                float gv[8];
#pragma omp simd
                for (int l = 0; l < 8; l++)
                    gv[l] = apg_out(x, c, u, p, j + l, beta, sigma, af, ax, bx, x0, read_prev, write_prev);
                fk_stream8(g + j, gv);
            }
        }
#pragma omp simd
        for (int64_t jj = j; jj < n; jj++)
            g[jj] = apg_out(x, c, u, p, jj, beta, sigma, af, ax, bx, x0, read_prev, write_prev);
    }
    if (k->stream) fk_stream_fence();
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
                 x0 * 4 + (params->beta != 0.0f) * 2 + (prev != NULL), 0};
    /* g is written once and not re-read here: on large inputs, skip its read-for-ownership. If
     * g is c or u its lines are already in cache (read in pass 1), so plain stores are right. */
    k.stream = fk_stream_worth(rows, cols) && g != c && g != u;
    fk_parallel_rows(rows, cols, path == FK_PATH_AVX512 ? apg_avx512 : path == FK_PATH_AVX2 ? apg_avx2 : apg_baseline, &k);
    return FK_OK;
}
