/* fk_momentum.c — Momentum Guidance (Liao et al. 2026, Algorithm 1) fused with CFG and the Euler
 * step: one elementwise pass over c, u, m, x (plus g when requested), and a per-row reduction
 * pass first only when FK_MG_NORMALIZE needs ||d|| and ||m||.
 *
 * Per element, with d = u + w·(c - u) (or d = c without CFG) and k the m_eff scale of the row:
 *   MODE_FIRST (updates = 0, no debias):   g = d;                   m = d
 *   MODE_PLAIN (inactive, or debias at 0): g = d;                   m = d + beta·(m - d)
 *   MODE_MG:                               g = d + alpha·(d - k·m); m = d + beta·(m - d)
 *   x += h·g  (the same expression as fk_euler_step, so alpha = 0 gives its bits exactly)
 * k = 1/(1 - beta^s) with debias (else 1), times ||d||/(||k·m|| + eps) per row with normalize.
 *
 * The mode, CFG on/off, g written or not and diag on/off are compile-time constants of an
 * always-inline body; a switch per tile/row picks the specialization, so every common case is
 * a tight vector loop with no per-element branches. Without diag or normalize the pass runs on
 * elementwise tiles; with either it runs on whole rows (one thread per row, 8 fixed double lanes
 * for ||d - m_eff||), so results never depend on the thread count. */
#include "fk_guide_checks.h"

/* ---- Argument checks (shared with ref/fk_momentum_ref.c) ---------------------------------- */

fk_status fk_check_mg_args(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                           const float *c, int64_t ldc, const float *u, int64_t ldu,
                           const float *m, int64_t ldm, const fk_mg_params *params,
                           const float *g, int64_t ldg, const float *diag) {
    if (params == NULL) return FK_ERR_NULL;
    if (!(params->beta >= 0.0f && params->beta < 1.0f) || !(params->eps >= 0.0f) ||
        (params->flags & ~(FK_MG_NORMALIZE | FK_MG_DEBIAS)) != 0 || params->reserved != 0 ||
        params->updates < 0)
        return FK_ERR_ARGUMENT;
    fk_status s = fk_check_matrix(rows, cols, x, ldx);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, c, ldc);
    if (s == FK_OK && u) s = fk_check_matrix(rows, cols, u, ldu);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, m, ldm);
    if (s == FK_OK && g) s = fk_check_matrix(rows, cols, g, ldg);
    if (s == FK_OK && diag) s = fk_check_matrix(rows, 1, diag, 1);
    if (s != FK_OK) return s;
    /* x, m, g pairwise disjoint and disjoint from c, u; only g == c exactly is allowed. */
    if (fk_overlap(x, ldx, c, ldc, rows, cols) || fk_overlap(x, ldx, u, ldu, rows, cols) ||
        fk_overlap(x, ldx, m, ldm, rows, cols) || fk_overlap(x, ldx, g, ldg, rows, cols) ||
        fk_overlap(m, ldm, c, ldc, rows, cols) || fk_overlap(m, ldm, u, ldu, rows, cols) ||
        fk_overlap(m, ldm, g, ldg, rows, cols) || fk_overlap(g, ldg, u, ldu, rows, cols) ||
        fk_check_alias(g, ldg, c, ldc, rows, cols, 1) != FK_OK)
        return FK_ERR_ALIAS;
    if (cols > 0 && (fk_vec_overlaps(diag, rows, x, ldx, cols) || fk_vec_overlaps(diag, rows, c, ldc, cols) ||
                     fk_vec_overlaps(diag, rows, u, ldu, cols) || fk_vec_overlaps(diag, rows, m, ldm, cols) ||
                     fk_vec_overlaps(diag, rows, g, ldg, cols)))
        return FK_ERR_ALIAS;
    return FK_OK;
}

/* ---- The fused body ------------------------------------------------------------------------- */

/* MODE_MG1 is MODE_MG with k == 1.0f (no normalize, and no debias or a debias factor that rounds
 * to 1): d - m is then one subtraction instead of a fused multiply-add by k, the same bits (1·m
 * is exact; the rows path, which keeps d - k·m, is checked against it bit for bit) with a shorter
 * dependency chain, which is worth ~7% when the arrays stream from L3. */
enum { MODE_FIRST = 0, MODE_PLAIN = 1, MODE_MG = 2, MODE_MG1 = 3 };

typedef struct mg_ctx {
    int64_t cols;
    float *x; int64_t ldx;
    const float *c; int64_t ldc;
    const float *u; int64_t ldu;
    float *m; int64_t ldm;
    float *g; int64_t ldg;
    float *diag;
    float w, h, alpha, beta;
    float scale;                  /* debias 1/(1 - beta^s), else 1 */
    float eps;
    int normalize;
    int variant;
} mg_ctx;

/* One element j; returns d - m_eff (used for diag; 0 outside MODE_MG and MODE_MG1). */
FK_INLINE float mg_elem(float *x, const float *c, const float *u, float *m, float *g, int64_t j,
                        float w, float h, float alpha, float beta, float km,
                        int mode, int cfg, int wg) {
    const float d = cfg ? u[j] + w * (c[j] - u[j]) : c[j];
    const float mo = m[j];
    float e = 0.0f, gv = d;
    if (mode == MODE_MG || mode == MODE_MG1) {
        e = mode == MODE_MG1 ? d - mo : d - km * mo;
        gv = d + alpha * e;
    }
    x[j] = x[j] + h * gv;
    /* (1-beta)·d + beta·m written as d + beta·(m - d): m == d stays exactly d (a constant
     * velocity field keeps MG an exact Euler step). */
    m[j] = mode == MODE_FIRST ? d : d + beta * (mo - d);
    if (wg) g[j] = gv; /* after c[j] was read: g may alias c */
    return e;
}

/* Columns [c0, c1) of row i with m_eff = km·m. With DIAG, returns sum (d - m_eff)^2 in 8 fixed
 * double lanes (call it on whole rows only). */
FK_INLINE double mg_span(const mg_ctx *k, int64_t i, int64_t c0, int64_t c1, float km,
                         int mode, int cfg, int wg, int diag) {
    float *x = k->x + i * k->ldx;
    const float *c = k->c + i * k->ldc;
    const float *u = cfg ? k->u + i * k->ldu : NULL;
    float *m = k->m + i * k->ldm;
    float *g = wg ? k->g + i * k->ldg : NULL;
    const float w = k->w, h = k->h, alpha = k->alpha, beta = k->beta;
    if (!diag) {
        /* Peel up to x's next 32-byte boundary: when the arrays share their alignment (as
         * allocations from one allocator usually do) no vector access then splits a cache line,
         * which matters when the data is in L2/L3. */
        int64_t a = c0 + (int64_t)((32 - ((uintptr_t)(x + c0) & 31)) & 31) / (int64_t)sizeof(float);
        if (a > c1) a = c1;
        for (int64_t j = c0; j < a; j++)
            mg_elem(x, c, u, m, g, j, w, h, alpha, beta, km, mode, cfg, wg);
#pragma omp simd
        for (int64_t j = a; j < c1; j++)
            mg_elem(x, c, u, m, g, j, w, h, alpha, beta, km, mode, cfg, wg);
        return 0.0;
    }
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = c0;
    for (; j + 8 <= c1; j += 8)
#pragma omp simd
        for (int l = 0; l < 8; l++) {
            double e = mg_elem(x, c, u, m, g, j + l, w, h, alpha, beta, km, mode, cfg, wg);
            acc[l] += e * e;
        }
    for (int l = 0; j < c1; j++, l++) {
        double e = mg_elem(x, c, u, m, g, j, w, h, alpha, beta, km, mode, cfg, wg);
        acc[l] += e * e;
    }
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

/* ||d||^2 and ||m||^2 of row i (8 fixed double lanes), for FK_MG_NORMALIZE. */
FK_INLINE void mg_norms(const mg_ctx *k, int64_t i, int cfg, double *dd, double *mm) {
    const float *c = k->c + i * k->ldc;
    const float *u = cfg ? k->u + i * k->ldu : NULL;
    const float *m = k->m + i * k->ldm;
    const float w = k->w;
    const int64_t n = k->cols;
    double ad[8] = {0, 0, 0, 0, 0, 0, 0, 0}, am[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
#pragma omp simd
        for (int l = 0; l < 8; l++) {
            double d = cfg ? u[j + l] + w * (c[j + l] - u[j + l]) : c[j + l];
            double mv = m[j + l];
            ad[l] += d * d; am[l] += mv * mv;
        }
    for (int l = 0; j < n; j++, l++) {
        double d = cfg ? u[j] + w * (c[j] - u[j]) : c[j];
        double mv = m[j];
        ad[l] += d * d; am[l] += mv * mv;
    }
    *dd = ((ad[0] + ad[4]) + (ad[2] + ad[6])) + ((ad[1] + ad[5]) + (ad[3] + ad[7]));
    *mm = ((am[0] + am[4]) + (am[2] + am[6])) + ((am[1] + am[5]) + (am[3] + am[7]));
}

/* MODE_MG on whole rows: the normalize factor (if any), the fused pass, diag (if any). */
FK_INLINE void mg_rows_body(const mg_ctx *k, int64_t r0, int64_t r1, int cfg, int wg, int diag) {
    for (int64_t i = r0; i < r1; i++) {
        float km = k->scale;
        if (k->normalize) {
            double dd, mm;
            mg_norms(k, i, cfg, &dd, &mm);
            double den = (double)k->scale * sqrt(mm) + (double)k->eps;
            /* m = 0 and eps = 0: m_eff = 0 (NaN in the norms still propagates). */
            km = den == 0.0 ? 0.0f : (float)((double)k->scale * sqrt(dd) / den);
        }
        double s = mg_span(k, i, 0, k->cols, km, MODE_MG, cfg, wg, diag);
        if (diag) k->diag[i] = (float)sqrt(s);
    }
}

FK_INLINE void mg_tiles_body(const mg_ctx *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                             int mode, int cfg, int wg) {
    for (int64_t i = r0; i < r1; i++) mg_span(k, i, c0, c1, k->scale, mode, cfg, wg, 0);
}

/* variant = mode·4 + cfg·2 + wg */
FK_INLINE void mg_tiles_switch(void *vk, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    const mg_ctx *k = vk;
    switch (k->variant) {
#define CASE(MODE, CFG, WG) case MODE * 4 + CFG * 2 + WG: mg_tiles_body(k, r0, r1, c0, c1, MODE, CFG, WG); break;
    CASE(MODE_FIRST, 0, 0) CASE(MODE_FIRST, 0, 1) CASE(MODE_FIRST, 1, 0) CASE(MODE_FIRST, 1, 1)
    CASE(MODE_PLAIN, 0, 0) CASE(MODE_PLAIN, 0, 1) CASE(MODE_PLAIN, 1, 0) CASE(MODE_PLAIN, 1, 1)
    CASE(MODE_MG, 0, 0) CASE(MODE_MG, 0, 1) CASE(MODE_MG, 1, 0) CASE(MODE_MG, 1, 1)
    CASE(MODE_MG1, 0, 0) CASE(MODE_MG1, 0, 1) CASE(MODE_MG1, 1, 0) CASE(MODE_MG1, 1, 1)
#undef CASE
    }
}

/* variant = cfg·4 + wg·2 + diag */
FK_INLINE void mg_rows_switch(void *vk, int64_t r0, int64_t r1) {
    const mg_ctx *k = vk;
    switch (k->variant) {
#define CASE(CFG, WG, DIAG) case CFG * 4 + WG * 2 + DIAG: mg_rows_body(k, r0, r1, CFG, WG, DIAG); break;
    CASE(0, 0, 0) CASE(0, 0, 1) CASE(0, 1, 0) CASE(0, 1, 1)
    CASE(1, 0, 0) CASE(1, 0, 1) CASE(1, 1, 0) CASE(1, 1, 1)
#undef CASE
    }
}

FK_TARGET_AVX512 static void mg_tiles_avx512(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { mg_tiles_switch(k, r0, r1, c0, c1); }
FK_TARGET_AVX2 static void mg_tiles_avx2(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { mg_tiles_switch(k, r0, r1, c0, c1); }
static void mg_tiles_baseline(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { mg_tiles_switch(k, r0, r1, c0, c1); }
FK_TARGET_AVX512 static void mg_rows_avx512(void *k, int64_t r0, int64_t r1) { mg_rows_switch(k, r0, r1); }
FK_TARGET_AVX2 static void mg_rows_avx2(void *k, int64_t r0, int64_t r1) { mg_rows_switch(k, r0, r1); }
static void mg_rows_baseline(void *k, int64_t r0, int64_t r1) { mg_rows_switch(k, r0, r1); }

/* ---- Entry points --------------------------------------------------------------------------- */

fk_status fk_cfg_mg_euler_step(int64_t rows, int64_t cols, float *x, int64_t ldx,
                               const float *c, int64_t ldc, const float *u, int64_t ldu, float w,
                               float *m, int64_t ldm, float h, const fk_mg_params *params,
                               float *g, int64_t ldg, float *diag) {
    fk_status s = fk_check_mg_args(rows, cols, x, ldx, c, ldc, u, ldu, m, ldm, params, g, ldg, diag);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE)
        return fk_ref_cfg_mg_euler_step(rows, cols, x, ldx, c, ldc, u, ldu, w, m, ldm, h, params,
                                        g, ldg, diag);
    if (rows == 0 || cols == 0) { /* empty rows: ||d - m_eff|| = 0 */
        for (int64_t i = 0; diag && i < rows; i++) diag[i] = 0.0f;
        return FK_OK;
    }

    const int debias = (params->flags & FK_MG_DEBIAS) != 0;
    const int64_t s_upd = params->updates;
    int mode = MODE_MG;
    if (s_upd == 0) mode = debias ? MODE_PLAIN : MODE_FIRST; /* the first step is plain Euler */
    else if (!params->active) mode = MODE_PLAIN;

    mg_ctx k = {cols, x, ldx, c, ldc, u, ldu, m, ldm, g, ldg, diag,
                w, h, params->alpha, params->beta,
                1.0f, params->eps, (params->flags & FK_MG_NORMALIZE) != 0, 0};
    if (mode == MODE_MG && debias) k.scale = (float)(1.0 / (1.0 - pow((double)params->beta, (double)s_upd)));
    const int cfg = u != NULL, wg = g != NULL;

    if (mode == MODE_MG && (diag || k.normalize)) {
        k.variant = cfg * 4 + wg * 2 + (diag != NULL);
        fk_parallel_rows(rows, cols,
                         path == FK_PATH_AVX512 ? mg_rows_avx512 : path == FK_PATH_AVX2 ? mg_rows_avx2 : mg_rows_baseline,
                         &k);
        return FK_OK;
    }
    if (diag) /* no extrapolation this step: no correction */
        for (int64_t i = 0; i < rows; i++) diag[i] = 0.0f;
    if (mode == MODE_MG && k.scale == 1.0f) mode = MODE_MG1;
    k.variant = mode * 4 + cfg * 2 + wg;
    const int contiguous = ldx == cols && ldc == cols && (!cfg || ldu == cols) && ldm == cols &&
                           (!wg || ldg == cols);
    fk_parallel_elementwise(rows, cols, contiguous,
                            path == FK_PATH_AVX512 ? mg_tiles_avx512 : path == FK_PATH_AVX2 ? mg_tiles_avx2 : mg_tiles_baseline,
                            &k);
    return FK_OK;
}

fk_status fk_mg_euler_step(int64_t rows, int64_t cols, float *x, int64_t ldx,
                           const float *d, int64_t ldd, float *m, int64_t ldm, float h,
                           const fk_mg_params *params, float *g, int64_t ldg, float *diag) {
    return fk_cfg_mg_euler_step(rows, cols, x, ldx, d, ldd, NULL, ldd, 1.0f, m, ldm, h, params,
                                g, ldg, diag);
}
