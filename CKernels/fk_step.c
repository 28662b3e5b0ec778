/* fk_step.c — elementwise solver pieces: the Euler step out = x + h·v and the linear combination
 * out = base + sum_k coeffs[k]·terms[k] (Heun, midpoint, RK4, Adams–Bashforth).
 *
 * Both are pure elementwise passes: tiles (fk_parallel_elementwise), `#pragma omp simd` inner loops
 * (the only aliases allowed are exact, so iterations never depend on each other). */
#include "fk_guide_checks.h"

/* ---- Argument checks (shared with ref/fk_step_ref.c) -------------------------------------- */

fk_status fk_check_euler_args(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                              const float *v, int64_t ldv, const float *out, int64_t ldo) {
    fk_status s = fk_check_matrix(rows, cols, x, ldx);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, v, ldv);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, out, ldo);
    if (s == FK_OK) s = fk_check_alias(out, ldo, x, ldx, rows, cols, 1);
    if (s == FK_OK) s = fk_check_alias(out, ldo, v, ldv, rows, cols, 1);
    return s;
}

fk_status fk_check_combine_args(int64_t rows, int64_t cols, int64_t ld, const float *base,
                                int n_terms, const float *coeffs, const float *const *terms,
                                const float *out) {
    if (n_terms < 1 || n_terms > 4) return FK_ERR_ARGUMENT;
    if (coeffs == NULL || terms == NULL) return FK_ERR_NULL;
    fk_status s = fk_check_matrix(rows, cols, out, ld);
    if (s == FK_OK && base) s = fk_check_matrix(rows, cols, base, ld);
    for (int k = 0; s == FK_OK && k < n_terms; k++) s = fk_check_matrix(rows, cols, terms[k], ld);
    if (s == FK_OK && base) s = fk_check_alias(out, ld, base, ld, rows, cols, 1);
    for (int k = 0; s == FK_OK && k < n_terms; k++)
        s = fk_check_alias(out, ld, terms[k], ld, rows, cols, 1);
    return s;
}

/* ---- Euler step ----------------------------------------------------------------------------- */

typedef struct euler_ctx {
    const float *x; int64_t ldx;
    const float *v; int64_t ldv;
    float *out; int64_t ldo;
    float h;
} euler_ctx;

FK_INLINE void euler_tile(const euler_ctx *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    const float h = k->h;
    for (int64_t i = r0; i < r1; i++) {
        const float *x = k->x + i * k->ldx, *v = k->v + i * k->ldv;
        float *o = k->out + i * k->ldo;
#pragma omp simd
        for (int64_t j = c0; j < c1; j++) o[j] = x[j] + h * v[j];
    }
}

FK_TARGET_AVX512 static void euler_avx512(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { euler_tile(k, r0, r1, c0, c1); }
FK_TARGET_AVX2 static void euler_avx2(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { euler_tile(k, r0, r1, c0, c1); }
static void euler_baseline(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { euler_tile(k, r0, r1, c0, c1); }

fk_status fk_euler_step(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                        const float *v, int64_t ldv, float h, float *out, int64_t ldo) {
    fk_status s = fk_check_euler_args(rows, cols, x, ldx, v, ldv, out, ldo);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_euler_step(rows, cols, x, ldx, v, ldv, h, out, ldo);
    euler_ctx k = {x, ldx, v, ldv, out, ldo, h};
    fk_parallel_elementwise(rows, cols, ldx == cols && ldv == cols && ldo == cols,
                            path == FK_PATH_AVX512 ? euler_avx512 : path == FK_PATH_AVX2 ? euler_avx2 : euler_baseline,
                            &k);
    return FK_OK;
}

/* ---- Linear combination --------------------------------------------------------------------- */

typedef struct combine_ctx {
    int64_t ld;
    const float *base;
    const float *t[4];
    float a[4];
    float *out;
    int variant; /* (n_terms - 1)·2 + (base != NULL) */
} combine_ctx;

/* NT terms, with or without a base: both compile-time constants at every call site, so each
 * variant is a straight loop over exactly the streams it needs. */
FK_INLINE void combine_span(const combine_ctx *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                            int nt, int has_base) {
    const float a0 = k->a[0], a1 = k->a[1], a2 = k->a[2], a3 = k->a[3];
    for (int64_t i = r0; i < r1; i++) {
        const int64_t off = i * k->ld;
        const float *b = has_base ? k->base + off : NULL;
        const float *t0 = k->t[0] + off;
        const float *t1 = nt > 1 ? k->t[1] + off : NULL;
        const float *t2 = nt > 2 ? k->t[2] + off : NULL;
        const float *t3 = nt > 3 ? k->t[3] + off : NULL;
        float *o = k->out + off;
#pragma omp simd
        for (int64_t j = c0; j < c1; j++) {
            float acc = has_base ? b[j] + a0 * t0[j] : a0 * t0[j];
            if (nt > 1) acc += a1 * t1[j];
            if (nt > 2) acc += a2 * t2[j];
            if (nt > 3) acc += a3 * t3[j];
            o[j] = acc;
        }
    }
}

FK_INLINE void combine_tile(void *vk, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    const combine_ctx *k = vk;
    switch (k->variant) {
#define CASE(NT, B) case (NT - 1) * 2 + B: combine_span(k, r0, r1, c0, c1, NT, B); break;
    CASE(1, 0) CASE(1, 1) CASE(2, 0) CASE(2, 1) CASE(3, 0) CASE(3, 1) CASE(4, 0) CASE(4, 1)
#undef CASE
    }
}

FK_TARGET_AVX512 static void combine_avx512(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { combine_tile(k, r0, r1, c0, c1); }
FK_TARGET_AVX2 static void combine_avx2(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { combine_tile(k, r0, r1, c0, c1); }
static void combine_baseline(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { combine_tile(k, r0, r1, c0, c1); }

fk_status fk_combine(int64_t rows, int64_t cols, int64_t ld, const float *base,
                     int n_terms, const float *coeffs, const float *const *terms, float *out) {
    fk_status s = fk_check_combine_args(rows, cols, ld, base, n_terms, coeffs, terms, out);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE)
        return fk_ref_combine(rows, cols, ld, base, n_terms, coeffs, terms, out);
    if (rows == 0 || cols == 0) return FK_OK;
    combine_ctx k = {ld, base, {NULL, NULL, NULL, NULL}, {0, 0, 0, 0}, out,
                     (n_terms - 1) * 2 + (base != NULL)};
    for (int t = 0; t < n_terms; t++) { k.t[t] = terms[t]; k.a[t] = coeffs[t]; }
    fk_parallel_elementwise(rows, cols, ld == cols,
                            path == FK_PATH_AVX512 ? combine_avx512 : path == FK_PATH_AVX2 ? combine_avx2 : combine_baseline,
                            &k);
    return FK_OK;
}
