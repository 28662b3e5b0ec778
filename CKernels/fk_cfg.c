/* fk_cfg.c — classifier-free guidance branch combiners (DESIGN.md §3):
 *   fk_cfg_blend       g = u + w·(c - u)                           elementwise (tiles)
 *   fk_cfg_euler_step  x += h·(u + w·(c - u))                      elementwise (tiles)
 *   fk_cfg_rescale     CFG, then per-row std rescale (Lin et al.)   rows: 1 reduction + 1 pass
 *   fk_cfg_zero_star   CFG-Zero* per-row projection scale           rows: 1 reduction + 1 pass
 * Row reductions run on one thread per row in a fixed order (rescale: 8 double lanes, summed by
 * fk_lanes_sum; zero-star: blocked float lanes into 8 double lanes, fk_red_fold in fk_internal.h),
 * so results do not depend on the thread count. Large outputs are written with streaming stores
 * (fk_stream_worth). */
#include "fk_guide_checks.h"

/* ---- Argument checks (shared with ref/fk_cfg_ref.c) ---------------------------------------- */

fk_status fk_check_cfg_args(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                            const float *u, int64_t ldu, const float *g, int64_t ldg,
                            const float *scale_out) {
    fk_status s = fk_check_matrix(rows, cols, c, ldc);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, u, ldu);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, g, ldg);
    if (s == FK_OK && scale_out) s = fk_check_matrix(rows, 1, scale_out, 1);
    if (s == FK_OK) s = fk_check_alias(g, ldg, c, ldc, rows, cols, 1);
    if (s == FK_OK) s = fk_check_alias(g, ldg, u, ldu, rows, cols, 1);
    if (s == FK_OK && cols > 0 &&
        (fk_vec_overlaps(scale_out, rows, c, ldc, cols) || fk_vec_overlaps(scale_out, rows, u, ldu, cols) ||
         fk_vec_overlaps(scale_out, rows, g, ldg, cols)))
        s = FK_ERR_ALIAS;
    return s;
}

fk_status fk_check_cfg_euler_args(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                                  const float *c, int64_t ldc, const float *u, int64_t ldu) {
    fk_status s = fk_check_matrix(rows, cols, x, ldx);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, c, ldc);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, u, ldu);
    if (s == FK_OK) s = fk_check_alias(x, ldx, c, ldc, rows, cols, 0);
    if (s == FK_OK) s = fk_check_alias(x, ldx, u, ldu, rows, cols, 0);
    return s;
}

fk_status fk_check_rescale_phi(float phi) {
    return phi >= 0.0f && phi <= 1.0f ? FK_OK : FK_ERR_ARGUMENT; /* NaN fails both */
}

/* ---- Shared context -------------------------------------------------------------------------- */

typedef struct cfg_ctx {
    int64_t cols;
    float *x; int64_t ldx;
    const float *c; int64_t ldc;
    const float *u; int64_t ldu;
    float *g; int64_t ldg;
    float *scale_out;
    float w, h, phi;
    int stream; /* large input: g with non-temporal stores (row kernels: next row prefetched) */
} cfg_ctx;

/* Row kernels on large inputs: prefetch the line at column q of the next row of c and u, so the
 * memory stream does not pause while a row's L1-resident passes compute (as in fk_apg.c: the
 * first half of the next row during the reduction pass, the second half during the output pass,
 * one line of each per 32 elements). */
FK_INLINE void cfg_prefetch_next(const cfg_ctx *k, const float *c, const float *u, int64_t q) {
    __builtin_prefetch(c + k->ldc + q);
    __builtin_prefetch(u + k->ldu + q);
}

/* ---- fk_cfg_blend ---------------------------------------------------------------------------- */

FK_INLINE void blend_tile(const cfg_ctx *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    const float w = k->w;
    for (int64_t i = r0; i < r1; i++) {
        const float *c = k->c + i * k->ldc, *u = k->u + i * k->ldu; /* g may be c or u */
        float *g = k->g + i * k->ldg;
        int64_t j = c0;
        if (k->stream) { /* large g: non-temporal stores (no read-for-ownership of g's lines) */
            for (; j < c1 && !fk_stream_aligned(g + j); j++) g[j] = u[j] + w * (c[j] - u[j]);
            for (; j + 8 <= c1; j += 8) {
                float gv[8];
#pragma omp simd
                for (int l = 0; l < 8; l++) gv[l] = u[j + l] + w * (c[j + l] - u[j + l]);
                fk_stream8(g + j, gv);
            }
        }
#pragma omp simd
        for (int64_t jj = j; jj < c1; jj++) g[jj] = u[jj] + w * (c[jj] - u[jj]);
    }
    if (k->stream) fk_stream_fence();
}

FK_TARGET_AVX512 static void blend_avx512(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { blend_tile(k, r0, r1, c0, c1); }
FK_TARGET_AVX2 static void blend_avx2(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { blend_tile(k, r0, r1, c0, c1); }
static void blend_baseline(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { blend_tile(k, r0, r1, c0, c1); }

fk_status fk_cfg_blend(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                       const float *u, int64_t ldu, float w, float *g, int64_t ldg) {
    fk_status s = fk_check_cfg_args(rows, cols, c, ldc, u, ldu, g, ldg, NULL);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_cfg_blend(rows, cols, c, ldc, u, ldu, w, g, ldg);
    cfg_ctx k = {cols, NULL, 0, c, ldc, u, ldu, g, ldg, NULL, w, 0, 0, 0};
    k.stream = fk_stream_worth(rows, cols) && g != c && g != u; /* g = c or u: lines in cache */
    fk_parallel_elementwise(rows, cols, ldc == cols && ldu == cols && ldg == cols,
                            path == FK_PATH_AVX512 ? blend_avx512 : path == FK_PATH_AVX2 ? blend_avx2 : blend_baseline,
                            &k);
    return FK_OK;
}

/* ---- fk_cfg_euler_step ----------------------------------------------------------------------- */

FK_INLINE void cfg_euler_tile(const cfg_ctx *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    const float w = k->w, h = k->h;
    for (int64_t i = r0; i < r1; i++) {
        const float *c = k->c + i * k->ldc, *u = k->u + i * k->ldu;
        float *x = k->x + i * k->ldx;
#pragma omp simd
        for (int64_t j = c0; j < c1; j++) x[j] += h * (u[j] + w * (c[j] - u[j]));
    }
}

FK_TARGET_AVX512 static void cfg_euler_avx512(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { cfg_euler_tile(k, r0, r1, c0, c1); }
FK_TARGET_AVX2 static void cfg_euler_avx2(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { cfg_euler_tile(k, r0, r1, c0, c1); }
static void cfg_euler_baseline(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { cfg_euler_tile(k, r0, r1, c0, c1); }

fk_status fk_cfg_euler_step(int64_t rows, int64_t cols, float *x, int64_t ldx,
                            const float *c, int64_t ldc, const float *u, int64_t ldu,
                            float w, float h) {
    fk_status s = fk_check_cfg_euler_args(rows, cols, x, ldx, c, ldc, u, ldu);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_cfg_euler_step(rows, cols, x, ldx, c, ldc, u, ldu, w, h);
    cfg_ctx k = {cols, x, ldx, c, ldc, u, ldu, NULL, 0, NULL, w, h, 0, 0};
    fk_parallel_elementwise(rows, cols, ldx == cols && ldc == cols && ldu == cols,
                            path == FK_PATH_AVX512 ? cfg_euler_avx512 : path == FK_PATH_AVX2 ? cfg_euler_avx2 : cfg_euler_baseline,
                            &k);
    return FK_OK;
}

/* ---- fk_cfg_rescale -------------------------------------------------------------------------- */

/* Per row: one pass for the means and variances of c and g0 = u + w·(c - u), then g = f·g0 with
 * f = phi·std(c)/std(g0) + 1 - phi. The pass forms g0 in double: std(g0) of nearly constant
 * short rows is ill-conditioned, and float-rounded g0 would make f wrong by ~1e-5. The sums are
 * of values shifted by the row's first element, so a constant row gives a variance of exactly
 * 0 (and the std(g0) = 0 guard holds). */
FK_INLINE void rescale_rows(const cfg_ctx *k, int64_t r0, int64_t r1) {
    const float w = k->w;
    const int64_t n = k->cols;
    for (int64_t i = r0; i < r1; i++) {
        const float *c = k->c + i * k->ldc, *u = k->u + i * k->ldu;
        float *g = k->g + i * k->ldg;
        const double wd = w, kc = c[0], kg = u[0] + wd * ((double)c[0] - u[0]);
        double sc[8] = {0}, sc2[8] = {0}, sg[8] = {0}, sg2[8] = {0};
        int64_t j = 0;
        for (; j + 8 <= n; j += 8) {
            if (k->stream && i + 1 < r1 && (j & 31) == 0) cfg_prefetch_next(k, c, u, j / 2);
#pragma omp simd
            for (int l = 0; l < 8; l++) {
                double dc = (double)c[j + l] - kc;
                double dg = (u[j + l] + wd * ((double)c[j + l] - u[j + l])) - kg;
                sc[l] += dc; sc2[l] += dc * dc; sg[l] += dg; sg2[l] += dg * dg;
            }
        }
        for (int l = 0; j < n; j++, l++) {
            double dc = (double)c[j] - kc;
            double dg = (u[j] + wd * ((double)c[j] - u[j])) - kg;
            sc[l] += dc; sc2[l] += dc * dc; sg[l] += dg; sg2[l] += dg * dg;
        }
        double mc = fk_lanes_sum(sc) / n, mg = fk_lanes_sum(sg) / n;
        double vc = fk_lanes_sum(sc2) / n - mc * mc, vg = fk_lanes_sum(sg2) / n - mg * mg;
        if (vc < 0) vc = 0; /* rounding; NaN stays NaN */
        if (vg < 0) vg = 0;
        double stdg = sqrt(vg);
        /* std(g0) = 0: the row is g0. NaN std(g0) also takes f = 1: g0 then holds the NaN/Inf. */
        const float f = stdg > 0 ? (float)(k->phi * sqrt(vc) / stdg + (1.0 - k->phi)) : 1.0f;
        j = 0;
        if (k->stream) {
            for (; j < n && !fk_stream_aligned(g + j); j++) g[j] = f * (u[j] + w * (c[j] - u[j]));
            for (const int64_t js = j; j + 8 <= n; j += 8) {
                if (i + 1 < r1 && ((j - js) & 31) == 0) cfg_prefetch_next(k, c, u, n / 2 + (j - js) / 2);
                float gv[8];
#pragma omp simd
                for (int l = 0; l < 8; l++) gv[l] = f * (u[j + l] + w * (c[j + l] - u[j + l]));
                fk_stream8(g + j, gv);
            }
        }
#pragma omp simd
        for (int64_t jj = j; jj < n; jj++) g[jj] = f * (u[jj] + w * (c[jj] - u[jj]));
    }
    if (k->stream) fk_stream_fence();
}

FK_TARGET_AVX512 static void rescale_avx512(void *k, int64_t r0, int64_t r1) { rescale_rows(k, r0, r1); }
FK_TARGET_AVX2 static void rescale_avx2(void *k, int64_t r0, int64_t r1) { rescale_rows(k, r0, r1); }
static void rescale_baseline(void *k, int64_t r0, int64_t r1) { rescale_rows(k, r0, r1); }

fk_status fk_cfg_rescale(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                         const float *u, int64_t ldu, float w, float phi, float *g, int64_t ldg) {
    fk_status s = fk_check_cfg_args(rows, cols, c, ldc, u, ldu, g, ldg, NULL);
    if (s == FK_OK) s = fk_check_rescale_phi(phi);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_cfg_rescale(rows, cols, c, ldc, u, ldu, w, phi, g, ldg);
    if (cols == 0) return FK_OK;
    cfg_ctx k = {cols, NULL, 0, c, ldc, u, ldu, g, ldg, NULL, w, 0, phi, 0};
    k.stream = fk_stream_worth(rows, cols) && g != c && g != u; /* as in fk_apg */
    fk_parallel_rows(rows, cols,
                     path == FK_PATH_AVX512 ? rescale_avx512 : path == FK_PATH_AVX2 ? rescale_avx2 : rescale_baseline,
                     &k);
    return FK_OK;
}

/* ---- fk_cfg_zero_star ------------------------------------------------------------------------ */

/* Per row: one pass for <c, u> and ||u||^2 (blocked float lanes, fk_internal.h), then
 * g = s·u + w·(c - s·u). */
FK_INLINE float zero_star_out(const float *c, const float *u, int64_t j, float sf, float w) {
    const float su = sf * u[j];
    return su + w * (c[j] - su);
}

FK_INLINE void zero_star_rows(const cfg_ctx *k, int64_t r0, int64_t r1) {
    const float w = k->w;
    const int64_t n = k->cols;
    for (int64_t i = r0; i < r1; i++) {
        const float *c = k->c + i * k->ldc, *u = k->u + i * k->ldu;
        float *g = k->g + i * k->ldg;
        double cu[8] = {0}, uu[8] = {0};
        for (int64_t j0 = 0; j0 < n; j0 += FK_RED_BLOCK) {
            const int64_t j1 = j0 + FK_RED_BLOCK < n ? j0 + FK_RED_BLOCK : n;
            float fcu[FK_RED_LANES] = {0}, fuu[FK_RED_LANES] = {0};
            int64_t j = j0;
            for (; j + FK_RED_LANES <= j1; j += FK_RED_LANES) {
                if (k->stream && i + 1 < r1 && (j & 31) == 0) cfg_prefetch_next(k, c, u, j / 2);
#pragma omp simd
                for (int l = 0; l < FK_RED_LANES; l++) {
                    fcu[l] += c[j + l] * u[j + l]; fuu[l] += u[j + l] * u[j + l];
                }
            }
            for (int l = 0; j < j1; j++, l = (l + 1) & 7) { /* the row's last < 16: in double */
                cu[l] += (double)c[j] * u[j]; uu[l] += (double)u[j] * u[j];
            }
            fk_red_fold(cu, fcu); fk_red_fold(uu, fuu);
        }
        const float sf = (float)(fk_lanes_sum(cu) / (fk_lanes_sum(uu) + 1e-8));
        if (k->scale_out) k->scale_out[i] = sf;
        int64_t j = 0;
        if (k->stream) {
            for (; j < n && !fk_stream_aligned(g + j); j++) g[j] = zero_star_out(c, u, j, sf, w);
            for (const int64_t js = j; j + 8 <= n; j += 8) {
                if (i + 1 < r1 && ((j - js) & 31) == 0) cfg_prefetch_next(k, c, u, n / 2 + (j - js) / 2);
                float gv[8];
#pragma omp simd
                for (int l = 0; l < 8; l++) gv[l] = zero_star_out(c, u, j + l, sf, w);
                fk_stream8(g + j, gv);
            }
        }
#pragma omp simd
        for (int64_t jj = j; jj < n; jj++) g[jj] = zero_star_out(c, u, jj, sf, w);
    }
    if (k->stream) fk_stream_fence();
}

FK_TARGET_AVX512 static void zero_star_avx512(void *k, int64_t r0, int64_t r1) { zero_star_rows(k, r0, r1); }
FK_TARGET_AVX2 static void zero_star_avx2(void *k, int64_t r0, int64_t r1) { zero_star_rows(k, r0, r1); }
static void zero_star_baseline(void *k, int64_t r0, int64_t r1) { zero_star_rows(k, r0, r1); }

fk_status fk_cfg_zero_star(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                           const float *u, int64_t ldu, float w, float *g, int64_t ldg,
                           float *scale_out) {
    fk_status s = fk_check_cfg_args(rows, cols, c, ldc, u, ldu, g, ldg, scale_out);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE)
        return fk_ref_cfg_zero_star(rows, cols, c, ldc, u, ldu, w, g, ldg, scale_out);
    if (cols == 0) { /* empty rows: s = 0 / (0 + 1e-8) = 0 (and c, u, g may be NULL) */
        for (int64_t i = 0; scale_out && i < rows; i++) scale_out[i] = 0.0f;
        return FK_OK;
    }
    cfg_ctx k = {cols, NULL, 0, c, ldc, u, ldu, g, ldg, scale_out, w, 0, 0, 0};
    k.stream = fk_stream_worth(rows, cols) && g != c && g != u; /* as in fk_apg */
    fk_parallel_rows(rows, cols,
                     path == FK_PATH_AVX512 ? zero_star_avx512 : path == FK_PATH_AVX2 ? zero_star_avx2 : zero_star_baseline,
                     &k);
    return FK_OK;
}
