/* fk_optim.c — optimizer updates: ONE fused elementwise pass over the parameter vector.
 *
 * fk_lion_step (Lion), fk_apply_update (Muon's and AdamQLR's last pass) and fk_adam_direction
 * (AdamQLR's moments, with two dot products summed per chunk, chunks added in order) follow the
 * same pattern.
 *
 * fk_adamw_step reads param, grad, m, v once and writes param, m, v once (7 streams of n
 * floats: memory-bound). The pass is cut into fixed chunks of FK_TILE_ELEMENTS that run in
 * parallel (fk_parallel_for) above FK_PARALLEL_MIN_ELEMENTS; every element's arithmetic is
 * independent of the chunking, so the bits never depend on the thread count.
 *
 * Vectorization: the chunk body works on blocks of 8 elements with `omp simd` loops; sqrt goes
 * through SSE/AVX sqrtps (sqrtf in a loop keeps a scalar errno call under gcc's default
 * -fmath-errno), and the cautious mask compares sign bits as integers (gcc does not if-convert
 * float compares under -ftrapping-math). IEEE sqrt and division are correctly rounded, so the
 * paths differ only where the compiler contracts a·b + c into an FMA.
 */
#include "fk_internal.h"

#include <stdlib.h>

/* ---- Argument checks (shared with ref/fk_optim_ref.c) --------------------------------------- */

fk_status fk_check_adamw_args(int64_t n, const float *param, const float *grad, const float *m,
                              const float *v, const fk_adamw_params *p) {
    if (p == NULL) return FK_ERR_NULL;
    /* Written so that NaN fails every test. */
    if (!(p->lr >= 0.0f && p->lr < INFINITY) || !(p->beta1 >= 0.0f && p->beta1 < 1.0f) ||
        !(p->beta2 >= 0.0f && p->beta2 < 1.0f) || !(p->eps > 0.0f && p->eps < INFINITY) ||
        !(p->weight_decay >= 0.0f && p->weight_decay < INFINITY) || p->step < 1 ||
        (p->flags & ~FK_OPT_CAUTIOUS) != 0)
        return FK_ERR_ARGUMENT;
    if (n < 0) return FK_ERR_SIZE;
    if (n == 0) return FK_OK;
    if (param == NULL || grad == NULL || m == NULL || v == NULL) return FK_ERR_NULL;
    const int64_t bytes = n * (int64_t)sizeof(float);
    if (fk_spans_overlap(param, bytes, grad, bytes) || fk_spans_overlap(param, bytes, m, bytes) ||
        fk_spans_overlap(param, bytes, v, bytes) || fk_spans_overlap(grad, bytes, m, bytes) ||
        fk_spans_overlap(grad, bytes, v, bytes) || fk_spans_overlap(m, bytes, v, bytes))
        return FK_ERR_ALIAS;
    return FK_OK;
}

fk_status fk_check_lion_args(int64_t n, const float *param, const float *grad, const float *m,
                             const fk_lion_params *p) {
    if (p == NULL) return FK_ERR_NULL;
    if (!(p->lr >= 0.0f && p->lr < INFINITY) || !(p->beta1 >= 0.0f && p->beta1 < 1.0f) ||
        !(p->beta2 >= 0.0f && p->beta2 < 1.0f) ||
        !(p->weight_decay >= 0.0f && p->weight_decay < INFINITY) || (p->flags & ~FK_OPT_CAUTIOUS) != 0)
        return FK_ERR_ARGUMENT;
    if (n < 0) return FK_ERR_SIZE;
    if (n == 0) return FK_OK;
    if (param == NULL || grad == NULL || m == NULL) return FK_ERR_NULL;
    const int64_t bytes = n * (int64_t)sizeof(float);
    if (fk_spans_overlap(param, bytes, grad, bytes) || fk_spans_overlap(param, bytes, m, bytes) ||
        fk_spans_overlap(grad, bytes, m, bytes))
        return FK_ERR_ALIAS;
    return FK_OK;
}

fk_status fk_check_apply_update_args(int64_t n, const float *param, const float *update, float lr,
                                     float weight_decay, int32_t flags) {
    if (!(lr >= 0.0f && lr < INFINITY) || !(weight_decay >= 0.0f && weight_decay < INFINITY) ||
        (flags & ~FK_OPT_CAUTIOUS) != 0)
        return FK_ERR_ARGUMENT;
    if (n < 0) return FK_ERR_SIZE;
    if (n == 0) return FK_OK;
    if (param == NULL || update == NULL) return FK_ERR_NULL;
    const int64_t bytes = n * (int64_t)sizeof(float);
    if (fk_spans_overlap(param, bytes, update, bytes)) return FK_ERR_ALIAS;
    return FK_OK;
}

fk_status fk_check_adam_direction_args(int64_t n, const float *grad, const float *m, const float *v,
                                       const float *u, const fk_adam_direction_params *p,
                                       const double *dots) {
    if (p == NULL || dots == NULL) return FK_ERR_NULL;
    if (!(p->beta1 >= 0.0f && p->beta1 < 1.0f) || !(p->beta2 >= 0.0f && p->beta2 < 1.0f) ||
        !(p->eps > 0.0f && p->eps < INFINITY) || p->step < 1)
        return FK_ERR_ARGUMENT;
    if (n < 0) return FK_ERR_SIZE;
    if (n == 0) return FK_OK;
    if (grad == NULL || m == NULL || v == NULL || u == NULL) return FK_ERR_NULL;
    const int64_t bytes = n * (int64_t)sizeof(float);
    const float *vec[4] = {grad, m, v, u};
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++)
            if (fk_spans_overlap(vec[a], bytes, vec[b], bytes)) return FK_ERR_ALIAS;
    return FK_OK;
}

/* ---- AdamW ------------------------------------------------------------------------------------ */

typedef struct adamw_ctx {
    int64_t n;
    float *param;
    const float *grad;
    float *m, *v;
    float lr, beta1, beta2, one_minus_beta1, one_minus_beta2;
    float c1, c2;   /* bias corrections 1/(1 - beta1^t), 1/(1 - beta2^t) */
    float eps, wd;
    int cautious;
} adamw_ctx;

FK_INLINE int32_t opt_bits(float f) { union { float f; int32_t i; } u = {f}; return u.i; }
FK_INLINE float opt_float(int32_t i) { union { int32_t i; float f; } u = {i}; return u.f; }

/* The cautious decay: wd unless u and theta have strictly opposite signs (the sign of the exact
 * product u·theta, so a tie — either one zero — decays, and no underflow to a false tie).
 * Sign bits compared as integers so gcc vectorizes it. */
FK_INLINE float opt_cautious_decay(float wd, float u, float theta) {
    const int32_t bu = opt_bits(u), bt = opt_bits(theta);
    const int32_t opposite = -(((bu ^ bt) < 0) & ((bu & 0x7fffffff) != 0) & ((bt & 0x7fffffff) != 0));
    return opt_float(~opposite & opt_bits(wd));
}

/* The moment updates of element j; returns m_hat and v_hat. */
FK_INLINE void adamw_moments(const adamw_ctx *k, int64_t j, float *m_hat, float *v_hat) {
    const float g = k->grad[j];
    const float mj = k->beta1 * k->m[j] + k->one_minus_beta1 * g;
    const float vj = k->beta2 * k->v[j] + k->one_minus_beta2 * (g * g);
    k->m[j] = mj;
    k->v[j] = vj;
    *m_hat = mj * k->c1;
    *v_hat = vj * k->c2;
}

/* The parameter update of element j from u = m_hat/(sqrt(v_hat) + eps). */
FK_INLINE void adamw_apply(const adamw_ctx *k, int64_t j, float m_hat, float root, int cautious) {
    const float u = m_hat / (root + k->eps);
    const float theta = k->param[j];
    const float decay = cautious ? opt_cautious_decay(k->wd, u, theta) : k->wd;
    k->param[j] = theta - k->lr * (u + decay * theta);
}

/* sqrt of 8 values that are >= 0 or NaN (v_hat), correctly rounded on every path. */
FK_INLINE void adamw_sqrt8(float out[8], const float in[8]) {
#if defined(__SSE__)
    _mm_storeu_ps(out, _mm_sqrt_ps(_mm_loadu_ps(in)));
    _mm_storeu_ps(out + 4, _mm_sqrt_ps(_mm_loadu_ps(in + 4)));
#else
    for (int l = 0; l < 8; l++) out[l] = sqrtf(in[l]);
#endif
}

FK_INLINE void adamw_span(const adamw_ctx *k, int64_t j0, int64_t j1, int cautious) {
    int64_t j = j0;
    for (; j + 8 <= j1; j += 8) {
        float m_hat[8], v_hat[8], root[8];
#pragma omp simd
        for (int l = 0; l < 8; l++) adamw_moments(k, j + l, &m_hat[l], &v_hat[l]);
        adamw_sqrt8(root, v_hat);
#pragma omp simd
        for (int l = 0; l < 8; l++) adamw_apply(k, j + l, m_hat[l], root[l], cautious);
    }
    for (; j < j1; j++) {
        float m_hat, v_hat;
        adamw_moments(k, j, &m_hat, &v_hat);
        adamw_apply(k, j, m_hat, sqrtf(v_hat), cautious);
    }
}

/* Chunk i: elements [i·FK_TILE_ELEMENTS, min(n, (i+1)·FK_TILE_ELEMENTS)). */
FK_INLINE void adamw_chunk(void *vk, int64_t i) {
    const adamw_ctx *k = vk;
    int64_t j0 = i * FK_TILE_ELEMENTS, j1 = j0 + FK_TILE_ELEMENTS < k->n ? j0 + FK_TILE_ELEMENTS : k->n;
    if (k->cautious) adamw_span(k, j0, j1, 1);
    else adamw_span(k, j0, j1, 0);
}

FK_TARGET_AVX512 static void adamw_avx512(void *k, int64_t i) { adamw_chunk(k, i); }
FK_TARGET_AVX2 static void adamw_avx2(void *k, int64_t i) { adamw_chunk(k, i); }
static void adamw_baseline(void *k, int64_t i) { adamw_chunk(k, i); }

fk_status fk_adamw_step(int64_t n, float *param, const float *grad, float *m, float *v,
                        const fk_adamw_params *p) {
    fk_status s = fk_check_adamw_args(n, param, grad, m, v, p);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_adamw_step(n, param, grad, m, v, p);
    if (n == 0) return FK_OK;
    const double t = (double)p->step;
    adamw_ctx k = {n, param, grad, m, v,
                   p->lr, p->beta1, p->beta2, 1.0f - p->beta1, 1.0f - p->beta2,
                   (float)(1.0 / (1.0 - pow((double)p->beta1, t))),
                   (float)(1.0 / (1.0 - pow((double)p->beta2, t))),
                   p->eps, p->weight_decay, (p->flags & FK_OPT_CAUTIOUS) != 0};
    const int64_t chunks = (n + FK_TILE_ELEMENTS - 1) / FK_TILE_ELEMENTS;
    fk_parallel_for(chunks, n >= FK_PARALLEL_MIN_ELEMENTS,
                    path == FK_PATH_AVX512 ? adamw_avx512 : path == FK_PATH_AVX2 ? adamw_avx2 : adamw_baseline,
                    &k);
    return FK_OK;
}

/* ---- Lion ------------------------------------------------------------------------------------- */

typedef struct lion_ctx {
    int64_t n;
    float *param;
    const float *grad;
    float *m;
    const float *update;   /* fk_apply_update: the given direction (grad and m unused) */
    float lr, beta1, beta2, one_minus_beta1, one_minus_beta2, wd;
    int cautious;
} lion_ctx;

/* sign(c) as bits: ±1 for a nonzero number, c itself for ±0 and NaN (integer ops only). */
FK_INLINE float opt_sign(float c) {
    const int32_t b = opt_bits(c), a = b & 0x7fffffff;
    const int32_t number = -((a != 0) & (a <= 0x7f800000));
    return opt_float((number & ((b & (int32_t)0x80000000) | 0x3f800000)) | (~number & b));
}

FK_INLINE void lion_element(const lion_ctx *k, int64_t j, int cautious) {
    const float g = k->grad[j], mj = k->m[j];
    const float u = opt_sign(k->beta1 * mj + k->one_minus_beta1 * g);
    const float theta = k->param[j];
    const float decay = cautious ? opt_cautious_decay(k->wd, u, theta) : k->wd;
    k->param[j] = theta - k->lr * (u + decay * theta);
    k->m[j] = k->beta2 * mj + k->one_minus_beta2 * g;
}

/* fk_apply_update's span: one simd loop over restrict locals (clang does not vectorize the
 * element function through the context pointer here). */
FK_INLINE void update_span(const lion_ctx *k, int64_t j0, int64_t j1, int cautious) {
    float *restrict theta = k->param;
    const float *restrict update = k->update;
    const float lr = k->lr, wd = k->wd;
#pragma omp simd
    for (int64_t j = j0; j < j1; j++) {
        const float u = update[j], t = theta[j];
        const float decay = cautious ? opt_cautious_decay(wd, u, t) : wd;
        theta[j] = t - lr * (u + decay * t);
    }
}

FK_INLINE void lion_span(const lion_ctx *k, int64_t j0, int64_t j1, int cautious, int lion) {
    if (!lion) {
        update_span(k, j0, j1, cautious);
        return;
    }
    int64_t j = j0;
    for (; j + 8 <= j1; j += 8) {
#pragma omp simd
        for (int l = 0; l < 8; l++) lion_element(k, j + l, cautious);
    }
    for (; j < j1; j++) lion_element(k, j, cautious);
}

/* Chunk i: elements [i·FK_TILE_ELEMENTS, min(n, (i+1)·FK_TILE_ELEMENTS)). */
FK_INLINE void lion_chunk(void *vk, int64_t i) {
    const lion_ctx *k = vk;
    int64_t j0 = i * FK_TILE_ELEMENTS, j1 = j0 + FK_TILE_ELEMENTS < k->n ? j0 + FK_TILE_ELEMENTS : k->n;
    const int lion = k->update == NULL;
    if (lion && k->cautious) lion_span(k, j0, j1, 1, 1);
    else if (lion) lion_span(k, j0, j1, 0, 1);
    else if (k->cautious) lion_span(k, j0, j1, 1, 0);
    else lion_span(k, j0, j1, 0, 0);
}

FK_TARGET_AVX512 static void lion_avx512(void *k, int64_t i) { lion_chunk(k, i); }
FK_TARGET_AVX2 static void lion_avx2(void *k, int64_t i) { lion_chunk(k, i); }
static void lion_baseline(void *k, int64_t i) { lion_chunk(k, i); }

static void lion_run(lion_ctx *k, fk_path path) {
    const int64_t chunks = (k->n + FK_TILE_ELEMENTS - 1) / FK_TILE_ELEMENTS;
    fk_parallel_for(chunks, k->n >= FK_PARALLEL_MIN_ELEMENTS,
                    path == FK_PATH_AVX512 ? lion_avx512 : path == FK_PATH_AVX2 ? lion_avx2 : lion_baseline, k);
}

fk_status fk_lion_step(int64_t n, float *param, const float *grad, float *m, const fk_lion_params *p) {
    fk_status s = fk_check_lion_args(n, param, grad, m, p);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_lion_step(n, param, grad, m, p);
    if (n == 0) return FK_OK;
    lion_ctx k = {n, param, grad, m, NULL, p->lr, p->beta1, p->beta2, 1.0f - p->beta1, 1.0f - p->beta2,
                  p->weight_decay, (p->flags & FK_OPT_CAUTIOUS) != 0};
    lion_run(&k, path);
    return FK_OK;
}

fk_status fk_apply_update(int64_t n, float *param, const float *update, float lr, float weight_decay,
                          int32_t flags) {
    fk_status s = fk_check_apply_update_args(n, param, update, lr, weight_decay, flags);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_apply_update(n, param, update, lr, weight_decay, flags);
    if (n == 0) return FK_OK;
    lion_ctx k = {n, param, NULL, NULL, update, lr, 0, 0, 0, 0, weight_decay, (flags & FK_OPT_CAUTIOUS) != 0};
    lion_run(&k, path);
    return FK_OK;
}

/* ---- Adam direction (AdamQLR) --------------------------------------------------------------- */

/* u is written and not read here: on large inputs (fk_stream_worth) it goes out with
 * non-temporal stores, which skip the read-for-ownership of every line (7 streams of traffic
 * for 6 of data otherwise). Same values either way. */
typedef struct direction_ctx {
    adamw_ctx moments;  /* grad, m, v, the decays and bias corrections (param, lr, wd unused) */
    float *u;
    double *partial;    /* [chunks][2]: each chunk's sum g·u and sum u·u */
    int stream_u;       /* store u with non-temporal stores (fk_stream_worth, u 16-byte aligned) */
} direction_ctx;

FK_INLINE void direction_chunk(void *vk, int64_t i) {
    const direction_ctx *k = vk;
    const adamw_ctx *a = &k->moments;
    int64_t j0 = i * FK_TILE_ELEMENTS, j1 = j0 + FK_TILE_ELEMENTS < a->n ? j0 + FK_TILE_ELEMENTS : a->n;
    double gu[8] = {0, 0, 0, 0, 0, 0, 0, 0}, uu[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    /* The sums use the blocked float lanes of fk_internal.h (16 float lanes folded into 8 double
     * lanes every FK_RED_BLOCK elements; chunks start on block boundaries), so the order depends
     * only on n. Locals with restrict: clang does not vectorize the division through k. */
    const float eps = a->eps;
    const float *restrict grad = a->grad;
    float *restrict out = k->u;
    const int stream = k->stream_u;
    float fgu[FK_RED_LANES] = {0}, fuu[FK_RED_LANES] = {0};
    int64_t j = j0;
    for (; j + FK_RED_LANES <= j1; j += FK_RED_LANES) {
        float m_hat[FK_RED_LANES], v_hat[FK_RED_LANES], root[FK_RED_LANES], u[FK_RED_LANES];
#pragma omp simd
        for (int l = 0; l < FK_RED_LANES; l++) adamw_moments(a, j + l, &m_hat[l], &v_hat[l]);
        adamw_sqrt8(root, v_hat);
        adamw_sqrt8(root + 8, v_hat + 8);
#pragma omp simd
        for (int l = 0; l < FK_RED_LANES; l++) {
            u[l] = m_hat[l] / (root[l] + eps);
            fgu[l] += grad[j + l] * u[l];
            fuu[l] += u[l] * u[l];
        }
        if (stream) {
            fk_stream8(out + j, u);
            fk_stream8(out + j + 8, u + 8);
        } else {
#pragma omp simd
            for (int l = 0; l < FK_RED_LANES; l++) out[j + l] = u[l];
        }
        if ((j + FK_RED_LANES - j0) % FK_RED_BLOCK == 0) {
            fk_red_fold(gu, fgu);
            fk_red_fold(uu, fuu);
            for (int l = 0; l < FK_RED_LANES; l++) fgu[l] = fuu[l] = 0.0f;
        }
    }
    fk_red_fold(gu, fgu);
    fk_red_fold(uu, fuu);
    for (int l = 0; j < j1; j++, l++) { /* the last n % 16 elements, in double */
        float m_hat, v_hat;
        adamw_moments(a, j, &m_hat, &v_hat);
        const float u = m_hat / (sqrtf(v_hat) + eps);
        out[j] = u;
        gu[l % 8] += (double)grad[j] * (double)u;
        uu[l % 8] += (double)u * (double)u;
    }
    if (stream) fk_stream_fence();
    k->partial[2 * i] = fk_lanes_sum(gu);
    k->partial[2 * i + 1] = fk_lanes_sum(uu);
}

FK_TARGET_AVX512 static void direction_avx512(void *k, int64_t i) { direction_chunk(k, i); }
FK_TARGET_AVX2 static void direction_avx2(void *k, int64_t i) { direction_chunk(k, i); }
static void direction_baseline(void *k, int64_t i) { direction_chunk(k, i); }

fk_status fk_adam_direction(int64_t n, const float *grad, float *m, float *v, float *u,
                            const fk_adam_direction_params *p, double dots[2]) {
    fk_status s = fk_check_adam_direction_args(n, grad, m, v, u, p, dots);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_adam_direction(n, grad, m, v, u, p, dots);
    dots[0] = dots[1] = 0.0;
    if (n == 0) return FK_OK;
    const int64_t chunks = (n + FK_TILE_ELEMENTS - 1) / FK_TILE_ELEMENTS;
    double stack_partial[2 * 64];
    double *partial = chunks <= 64 ? stack_partial : malloc((size_t)chunks * 2 * sizeof(double));
    if (partial == NULL) return FK_ERR_SIZE; /* no memory for the chunk sums */
    const double t = (double)p->step;
    direction_ctx k = {{n, NULL, grad, m, v, 0.0f, p->beta1, p->beta2, 1.0f - p->beta1, 1.0f - p->beta2,
                        (float)(1.0 / (1.0 - pow((double)p->beta1, t))),
                        (float)(1.0 / (1.0 - pow((double)p->beta2, t))), p->eps, 0.0f, 0},
                       u, partial, fk_stream_worth(1, n) && fk_stream_aligned(u)};
    fk_parallel_for(chunks, n >= FK_PARALLEL_MIN_ELEMENTS,
                    path == FK_PATH_AVX512 ? direction_avx512
                    : path == FK_PATH_AVX2 ? direction_avx2 : direction_baseline,
                    &k);
    for (int64_t i = 0; i < chunks; i++) {
        dots[0] += partial[2 * i];
        dots[1] += partial[2 * i + 1];
    }
    if (partial != stack_partial) free(partial);
    return FK_OK;
}
