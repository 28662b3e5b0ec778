/* fk_dense.c — dense layer y = act(x·W^T + b) over fk_sgemm, and its backward pieces.
 *
 * Forward: one GEMM into y and ONE fused pass over y adding the bias, storing the
 * pre-activation (if asked) and applying the activation in place, run on each GEMM row tile
 * while it is in cache (elementwise, so no split changes a bit) and vectorised: SiLU uses a
 * branch-free exp (below) so it costs a small fraction of the GEMM. GELU calls libm's erfcf
 * (not vectorised; correct to the last bit or so).
 * Backward: one fused pass dz = dy·act'(pre), then db by column blocks (each column summed over
 * rows in order, in double: the bits never depend on threads), dW and dx by fk_sgemm.
 * Tangent (forward mode, for Jacobian-vector products): two GEMMs (dx·W^T, x·U^T) and ONE
 * fused pass act'(pre)·(· + db) run as the second GEMM's row-tile epilogue.
 */
#include "fk_internal.h"

#include <limits.h>

/* ---- Activation math (float, vectorisable) ------------------------------------------------ */

/* Bit casts and a branch-free select: GCC (with its default -ftrapping-math) will not
 * if-convert float comparisons, so the range tests below compare the bit patterns as integers
 * and select with masks; then `omp simd` loops vectorise on every compiler. */
FK_INLINE int32_t f2bits(float f) { union { float f; int32_t i; } u = {f}; return u.i; }
FK_INLINE float bits2f(int32_t i) { union { int32_t i; float f; } u = {i}; return u.f; }
/* mask ? a : b for mask = 0 or -1. */
FK_INLINE float fsel(int32_t mask, float a, float b) {
    return bits2f((mask & f2bits(a)) | (~mask & f2bits(b)));
}

/* e^x as the sigmoid 1/(1 + e^-z) needs it (Cephes-style: x = n·ln2 + r, degree-6 polynomial
 * for e^r, 2^n built in the exponent bits). Within ~2 ulp of expf on [-87.33, 88]; +Inf above
 * 88 (and for +NaN), where expf is within 2x of FLT_MAX: inside 1/(1+e^-z) the difference is
 * below float resolution. Below -87.33 it returns e^-87.33 (~1.2e-38, not 0): 1 + that is 1,
 * so the sigmoid is exactly what it would be with 0. NaN in z reaches silu and silu_grad
 * through z itself, so x = NaN needs no lane of its own. Two selects fewer than a full expf. */
FK_INLINE float sigmoid_exp(float x) {
    const float hi = 88.0f, lo = -87.33f;
    const float magic = 12582912.0f; /* 1.5·2^23: adding it rounds to an integer in the low bits */
    int32_t ix = f2bits(x), ax = ix & 0x7fffffff;
    int32_t over = -((ix >= 0) & (ax > f2bits(hi)));   /* x > hi (or +NaN) */
    int32_t under = -((ix < 0) & (ax > f2bits(-lo)));  /* x < lo (or -NaN) */
    float xc = fsel(over, hi, fsel(under, lo, x));
    float t = xc * 1.44269504088896341f + magic;
    float n = t - magic;
    float r = xc - n * 0.693359375f; /* ln 2 in two pieces (Cody–Waite) */
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float e = p * r * r + r + 1.0f;
    /* bits(t) - bits(magic) = n; 2^n = (n + 127) << 23, n in [-126, 127] after the clamp. */
    float y = e * bits2f((int32_t)(((uint32_t)f2bits(t) - 0x4B400000u + 127u) << 23));
    return fsel(over, INFINITY, y);
}

FK_INLINE float silu(float z) { return z / (1.0f + sigmoid_exp(-z)); }

FK_INLINE float gelu(float z) { return 0.5f * z * erfcf(-z * 0.707106781186547524f); }

/* d/dz z·s(z) = s·(1 + z·(1 - s)), s = sigmoid(z). */
FK_INLINE float silu_grad(float z) {
    float s = 1.0f / (1.0f + sigmoid_exp(-z));
    return s * (1.0f + z * (1.0f - s));
}

/* d/dz z·Phi(z) = Phi(z) + z·phi(z). */
FK_INLINE float gelu_grad(float z) {
    float cdf = 0.5f * erfcf(-z * 0.707106781186547524f);
    float pdf = 0.398942280401432678f * expf(-0.5f * z * z);
    return cdf + z * pdf;
}

FK_INLINE float apply_act(float z, int act) {
    return act == FK_ACT_SILU ? silu(z) : act == FK_ACT_GELU ? gelu(z) : z;
}

FK_INLINE float act_grad(float z, int act) {
    return act == FK_ACT_SILU ? silu_grad(z) : act == FK_ACT_GELU ? gelu_grad(z) : 1.0f;
}

/* ---- Fused bias + activation pass ---------------------------------------------------------- */

typedef struct bias_act_ctx {
    float *y; int64_t ldy;
    const float *bias; /* NULL: none (z = y exactly, no +0 added) */
    int act;
    float *pre;        /* NULL: not stored; else ld = ldy */
} bias_act_ctx;

/* One row segment (identity or SiLU); act is a constant after inlining, so each variant is its
 * own simd loop. */
FK_INLINE void bias_act_segment(float *restrict y, const float *restrict bias,
                                float *restrict pre, int64_t n, int act) {
    if (bias && pre) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) { float z = y[j] + bias[j]; pre[j] = z; y[j] = apply_act(z, act); }
    } else if (bias) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) y[j] = apply_act(y[j] + bias[j], act);
    } else if (pre) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) { float z = y[j]; pre[j] = z; y[j] = apply_act(z, act); }
    } else if (act != FK_ACT_IDENTITY) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) y[j] = apply_act(y[j], act);
    }
}

/* GELU: libm's erfcf does not vectorise, so a plain loop (no simd pragma to fail on). */
FK_INLINE void bias_gelu_segment(float *restrict y, const float *restrict bias,
                                 float *restrict pre, int64_t n) {
    for (int64_t j = 0; j < n; j++) {
        float z = bias ? y[j] + bias[j] : y[j];
        if (pre) pre[j] = z;
        y[j] = gelu(z);
    }
}

FK_INLINE void bias_act_tile(const bias_act_ctx *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    for (int64_t i = r0; i < r1; i++) {
        float *y = k->y + i * k->ldy + c0;
        float *pre = k->pre ? k->pre + i * k->ldy + c0 : NULL;
        const float *bias = k->bias ? k->bias + c0 : NULL;
        switch (k->act) {
        case FK_ACT_SILU: bias_act_segment(y, bias, pre, c1 - c0, FK_ACT_SILU); break;
        case FK_ACT_GELU: bias_gelu_segment(y, bias, pre, c1 - c0); break;
        default: bias_act_segment(y, bias, pre, c1 - c0, FK_ACT_IDENTITY); break;
        }
    }
}

FK_TARGET_AVX512 static void bias_act_avx512(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { bias_act_tile(k, r0, r1, c0, c1); }
FK_TARGET_AVX2 static void bias_act_avx2(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { bias_act_tile(k, r0, r1, c0, c1); }
static void bias_act_baseline(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { bias_act_tile(k, r0, r1, c0, c1); }

static fk_tile_fn bias_act_kernel(fk_path path) {
    switch (path) {
    case FK_PATH_AVX512: return bias_act_avx512;
    case FK_PATH_AVX2: return bias_act_avx2;
    default: return bias_act_baseline;
    }
}

/* ---- Fused dz = dy·act'(pre) pass ---------------------------------------------------------- */

typedef struct grad_ctx {
    const float *dy; const float *pre; float *dz; int64_t ld; int act;
} grad_ctx;

/* dz may alias dy exactly (element j is read before it is written), so no restrict on them. */
FK_INLINE void grad_segment(const float *dy, const float *restrict pre, float *dz, int64_t n, int act) {
    if (act == FK_ACT_GELU) { /* erfcf: not vectorisable, plain loop */
        for (int64_t j = 0; j < n; j++) dz[j] = dy[j] * gelu_grad(pre[j]);
        return;
    }
    if (act == FK_ACT_IDENTITY) {
        if (dz != dy) {
#pragma omp simd
            for (int64_t j = 0; j < n; j++) dz[j] = dy[j];
        }
        return;
    }
#pragma omp simd
    for (int64_t j = 0; j < n; j++) dz[j] = dy[j] * act_grad(pre[j], act);
}

FK_INLINE void grad_tile(const grad_ctx *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    for (int64_t i = r0; i < r1; i++) {
        int64_t o = i * k->ld + c0;
        const float *pre = k->pre ? k->pre + o : NULL;
        switch (k->act) {
        case FK_ACT_SILU: grad_segment(k->dy + o, pre, k->dz + o, c1 - c0, FK_ACT_SILU); break;
        case FK_ACT_GELU: grad_segment(k->dy + o, pre, k->dz + o, c1 - c0, FK_ACT_GELU); break;
        default: grad_segment(k->dy + o, pre, k->dz + o, c1 - c0, FK_ACT_IDENTITY); break;
        }
    }
}

FK_TARGET_AVX512 static void grad_avx512(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { grad_tile(k, r0, r1, c0, c1); }
FK_TARGET_AVX2 static void grad_avx2(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { grad_tile(k, r0, r1, c0, c1); }
static void grad_baseline(void *k, int64_t r0, int64_t r1, int64_t c0, int64_t c1) { grad_tile(k, r0, r1, c0, c1); }

static fk_tile_fn grad_kernel(fk_path path) {
    switch (path) {
    case FK_PATH_AVX512: return grad_avx512;
    case FK_PATH_AVX2: return grad_avx2;
    default: return grad_baseline;
    }
}

/* ---- Fused tangent pass dy = act'(pre)·(dy + db) --------------------------------------------- */

typedef struct tangent_ctx {
    float *dy; int64_t ldy;
    const float *db;   /* NULL: none */
    const float *pre;  /* NULL for the identity */
    int act;
} tangent_ctx;

FK_INLINE void tangent_segment(float *restrict dy, const float *restrict db, const float *restrict pre,
                               int64_t n, int act) {
    if (act == FK_ACT_GELU) { /* erfcf: not vectorisable, plain loop */
        for (int64_t j = 0; j < n; j++) dy[j] = gelu_grad(pre[j]) * (db ? dy[j] + db[j] : dy[j]);
        return;
    }
    if (act == FK_ACT_IDENTITY) {
        if (db) {
#pragma omp simd
            for (int64_t j = 0; j < n; j++) dy[j] += db[j];
        }
        return;
    }
    if (db) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) dy[j] = act_grad(pre[j], act) * (dy[j] + db[j]);
    } else {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) dy[j] = act_grad(pre[j], act) * dy[j];
    }
}

FK_INLINE void tangent_rows(const tangent_ctx *k, int64_t r0, int64_t r1, int64_t n) {
    for (int64_t i = r0; i < r1; i++) {
        float *dy = k->dy + i * k->ldy;
        const float *pre = k->pre ? k->pre + i * k->ldy : NULL;
        switch (k->act) {
        case FK_ACT_SILU: tangent_segment(dy, k->db, pre, n, FK_ACT_SILU); break;
        case FK_ACT_GELU: tangent_segment(dy, k->db, pre, n, FK_ACT_GELU); break;
        default: tangent_segment(dy, k->db, pre, n, FK_ACT_IDENTITY); break;
        }
    }
}

typedef struct tangent_epilogue_ctx { tangent_ctx pass; int64_t n; } tangent_epilogue_ctx;

FK_TARGET_AVX512 static void tangent_avx512(void *c, int64_t r0, int64_t r1) {
    const tangent_epilogue_ctx *e = c; tangent_rows(&e->pass, r0, r1, e->n);
}
FK_TARGET_AVX2 static void tangent_avx2(void *c, int64_t r0, int64_t r1) {
    const tangent_epilogue_ctx *e = c; tangent_rows(&e->pass, r0, r1, e->n);
}
static void tangent_baseline(void *c, int64_t r0, int64_t r1) {
    const tangent_epilogue_ctx *e = c; tangent_rows(&e->pass, r0, r1, e->n);
}

static fk_gemm_epilogue tangent_kernel(fk_path path) {
    switch (path) {
    case FK_PATH_AVX512: return tangent_avx512;
    case FK_PATH_AVX2: return tangent_avx2;
    default: return tangent_baseline;
    }
}

/* ---- Bias gradient: column sums in a fixed row order --------------------------------------- */

#define DB_BLOCK 128 /* columns per block; each block sums all rows, in order, in double */

typedef struct db_ctx {
    const float *dz; int64_t ld, m, n; float *db; int accumulate;
} db_ctx;

FK_INLINE void db_blocks(const db_ctx *k, int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
        int64_t c0 = b * DB_BLOCK, w = k->n - c0 < DB_BLOCK ? k->n - c0 : DB_BLOCK;
        double acc[DB_BLOCK];
        for (int64_t j = 0; j < w; j++) acc[j] = 0.0;
        for (int64_t i = 0; i < k->m; i++) {
            const float *row = k->dz + i * k->ld + c0;
#pragma omp simd
            for (int64_t j = 0; j < w; j++) acc[j] += (double)row[j];
        }
        float *db = k->db + c0;
        for (int64_t j = 0; j < w; j++) db[j] = (float)(k->accumulate ? acc[j] + (double)db[j] : acc[j]);
    }
}

FK_TARGET_AVX512 static void db_avx512(void *k, int64_t b0, int64_t b1) { db_blocks(k, b0, b1); }
FK_TARGET_AVX2 static void db_avx2(void *k, int64_t b0, int64_t b1) { db_blocks(k, b0, b1); }
static void db_baseline(void *k, int64_t b0, int64_t b1) { db_blocks(k, b0, b1); }

static fk_rows_fn db_kernel(fk_path path) {
    switch (path) {
    case FK_PATH_AVX512: return db_avx512;
    case FK_PATH_AVX2: return db_avx2;
    default: return db_baseline;
    }
}

/* ---- Argument checks (shared with ref/fk_dense_ref.c, declared in fk_internal.h) ------------------------------------------------------------------------ */

static int valid_act(fk_activation act) {
    return act == FK_ACT_IDENTITY || act == FK_ACT_SILU || act == FK_ACT_GELU;
}

static int fits_int(int64_t v) { return v <= INT_MAX; }

/* A memory span for the pairwise overlap checks. */
typedef struct span { const void *p; int64_t bytes; } span;

static int any_overlap(span out, const span *others, int count) {
    for (int i = 0; i < count; i++)
        if (fk_spans_overlap(out.p, out.bytes, others[i].p, others[i].bytes)) return 1;
    return 0;
}

fk_status fk_check_bias_activation(int64_t m, int64_t n, const float *y, int64_t ldy,
                                const float *bias, fk_activation act, const float *pre) {
    if (!valid_act(act)) return FK_ERR_ARGUMENT;
    fk_status s = fk_check_matrix(m, n, y, ldy);
    if (s != FK_OK) return s;
    span y_span = {y, fk_span_bytes(m, n, ldy)}, pre_span = {pre, fk_span_bytes(m, n, ldy)};
    span b_span = {bias, m > 0 ? n * (int64_t)sizeof(float) : 0};
    if (fk_spans_overlap(y, y_span.bytes, bias, b_span.bytes) ||
        any_overlap(pre_span, (span[]){y_span, b_span}, 2))
        return FK_ERR_ALIAS;
    return FK_OK;
}

fk_status fk_check_dense_forward(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                               const float *w, int64_t ldw, const float *bias, fk_activation act,
                               const float *y, int64_t ldy, const float *pre) {
    if (!valid_act(act)) return FK_ERR_ARGUMENT;
    fk_status s = fk_check_matrix(m, k, x, ldx);
    if (s == FK_OK) s = fk_check_matrix(n, k, w, ldw);
    if (s == FK_OK) s = fk_check_matrix(m, n, y, ldy);
    if (s != FK_OK) return s;
    if (!fits_int(m) || !fits_int(n) || !fits_int(k) || !fits_int(ldx) || !fits_int(ldw) ||
        !fits_int(ldy))
        return FK_ERR_SIZE;
    int64_t out_bytes = fk_span_bytes(m, n, ldy);
    span in[3] = {{x, fk_span_bytes(m, k, ldx)}, {w, fk_span_bytes(n, k, ldw)},
                  {bias, m > 0 ? n * (int64_t)sizeof(float) : 0}};
    if (any_overlap((span){y, out_bytes}, in, 3) || any_overlap((span){pre, out_bytes}, in, 3) ||
        fk_spans_overlap(pre, out_bytes, y, out_bytes))
        return FK_ERR_ALIAS;
    return FK_OK;
}

fk_status fk_check_dense_backward(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                                const float *w, int64_t ldw, const float *pre, fk_activation act,
                                const float *dy, int64_t ldy, const float *dz, const float *dw,
                                const float *db, const float *dx) {
    if (!valid_act(act)) return FK_ERR_ARGUMENT;
    fk_status s = fk_check_matrix(m, k, x, ldx);
    if (s == FK_OK) s = fk_check_matrix(n, k, w, ldw);
    if (s == FK_OK) s = fk_check_matrix(m, n, dy, ldy);
    if (s == FK_OK) s = fk_check_matrix(m, n, dz, ldy);
    if (s == FK_OK) s = fk_check_matrix(n, k, dw, ldw);
    if (s == FK_OK && act != FK_ACT_IDENTITY) s = fk_check_matrix(m, n, pre, ldy);
    if (s != FK_OK) return s;
    if (!fits_int(m) || !fits_int(n) || !fits_int(k) || !fits_int(ldx) || !fits_int(ldw) ||
        !fits_int(ldy))
        return FK_ERR_SIZE;
    span xs = {x, fk_span_bytes(m, k, ldx)}, ws = {w, fk_span_bytes(n, k, ldw)};
    span pres = {act != FK_ACT_IDENTITY ? pre : NULL, fk_span_bytes(m, n, ldy)};
    span dys = {dy, fk_span_bytes(m, n, ldy)}, dzs = {dz, fk_span_bytes(m, n, ldy)};
    span dws = {dw, fk_span_bytes(n, k, ldw)}, dbs = {db, n * (int64_t)sizeof(float)};
    span dxs = {dx, fk_span_bytes(m, k, ldx)};
    /* dz: may equal dy exactly, nothing else. */
    if (any_overlap(dzs, (span[]){xs, ws, pres}, 3) || (dz != dy && any_overlap(dzs, &dys, 1)))
        return FK_ERR_ALIAS;
    if (any_overlap(dws, (span[]){xs, ws, pres, dys, dzs, dbs, dxs}, 7) ||
        any_overlap(dbs, (span[]){xs, ws, pres, dys, dzs, dxs}, 6) ||
        any_overlap(dxs, (span[]){xs, ws, pres, dys, dzs}, 5))
        return FK_ERR_ALIAS;
    return FK_OK;
}

fk_status fk_check_dense_tangent(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                                 const float *dx, int64_t lddx, const float *w, int64_t ldw,
                                 const float *dw, int64_t lddw, const float *db, const float *pre,
                                 fk_activation act, const float *dy, int64_t ldy, int accumulate) {
    if (!valid_act(act) || (accumulate != 0 && act != FK_ACT_IDENTITY)) return FK_ERR_ARGUMENT;
    fk_status s = fk_check_matrix(m, k, x, ldx);
    if (s == FK_OK && dx) s = fk_check_matrix(m, k, dx, lddx);
    if (s == FK_OK) s = fk_check_matrix(n, k, w, ldw);
    if (s == FK_OK) s = fk_check_matrix(n, k, dw, lddw);
    if (s == FK_OK && act != FK_ACT_IDENTITY) s = fk_check_matrix(m, n, pre, ldy);
    if (s == FK_OK) s = fk_check_matrix(m, n, dy, ldy);
    if (s != FK_OK) return s;
    if (!fits_int(m) || !fits_int(n) || !fits_int(k) || !fits_int(ldx) || !fits_int(lddx) ||
        !fits_int(ldw) || !fits_int(lddw) || !fits_int(ldy))
        return FK_ERR_SIZE;
    span in[6] = {{x, fk_span_bytes(m, k, ldx)}, {dx, dx ? fk_span_bytes(m, k, lddx) : 0},
                  {w, fk_span_bytes(n, k, ldw)}, {dw, fk_span_bytes(n, k, lddw)},
                  {db, m > 0 ? n * (int64_t)sizeof(float) : 0},
                  {act != FK_ACT_IDENTITY ? pre : NULL, fk_span_bytes(m, n, ldy)}};
    if (any_overlap((span){dy, fk_span_bytes(m, n, ldy)}, in, 6)) return FK_ERR_ALIAS;
    return FK_OK;
}

/* FK_OK if the BLAS backend is usable (an empty fk_sgemm only checks that). */
static fk_status blas_ready(void) {
    return fk_sgemm(FK_NO_TRANS, FK_NO_TRANS, 0, 0, 0, 1.0f, NULL, 0, NULL, 0, 0.0f, NULL, 0);
}

/* ---- Public kernels ------------------------------------------------------------------------- */

fk_status fk_bias_activation(int64_t m, int64_t n, float *y, int64_t ldy, const float *bias,
                             fk_activation act, float *pre) {
    fk_status s = fk_check_bias_activation(m, n, y, ldy, bias, act, pre);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_bias_activation(m, n, y, ldy, bias, act, pre);
    bias_act_ctx ctx = {y, ldy, bias, (int)act, pre};
    fk_parallel_tiles(m, n, bias_act_kernel(path), &ctx);
    return FK_OK;
}

typedef struct dense_epilogue_ctx {
    bias_act_ctx pass;
    int64_t n;
    fk_tile_fn kernel;
} dense_epilogue_ctx;

static void dense_epilogue(void *ctx, int64_t r0, int64_t r1) {
    dense_epilogue_ctx *e = ctx;
    e->kernel(&e->pass, r0, r1, 0, e->n);
}

fk_status fk_dense_forward(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                           const float *w, int64_t ldw, const float *bias, fk_activation act,
                           float *y, int64_t ldy, float *pre) {
    fk_status s = fk_check_dense_forward(m, k, n, x, ldx, w, ldw, bias, act, y, ldy, pre);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE)
        return fk_ref_dense_forward(m, k, n, x, ldx, w, ldw, bias, act, y, ldy, pre);
    /* The bias + activation pass runs on each GEMM row tile right after it is computed, by the
     * same thread, while the tile is still in cache. */
    dense_epilogue_ctx ctx = {{y, ldy, bias, (int)act, pre}, n, bias_act_kernel(path)};
    return fk_sgemm_epilogue(FK_NO_TRANS, FK_TRANS, m, n, k, 1.0f, x, ldx, w, ldw, 0.0f, y, ldy,
                             dense_epilogue, &ctx);
}

fk_status fk_dense_residual(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                            const float *w, int64_t ldw, const float *bias, float *y, int64_t ldy) {
    fk_status s = fk_check_dense_forward(m, k, n, x, ldx, w, ldw, bias, FK_ACT_IDENTITY, y, ldy, NULL);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_dense_residual(m, k, n, x, ldx, w, ldw, bias, y, ldy);
    /* y += x·W^T (GEMM with beta = 1), then + b on each row tile while it is in cache: the same
     * additions in the same order as a GEMM followed by fk_bias_activation, one pass less. */
    dense_epilogue_ctx ctx = {{y, ldy, bias, FK_ACT_IDENTITY, NULL}, n, bias_act_kernel(path)};
    return fk_sgemm_epilogue(FK_NO_TRANS, FK_TRANS, m, n, k, 1.0f, x, ldx, w, ldw, 1.0f, y, ldy,
                             bias ? dense_epilogue : NULL, &ctx);
}

fk_status fk_dense_backward(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                            const float *w, int64_t ldw, const float *pre, fk_activation act,
                            const float *dy, int64_t ldy, float *dz, float *dw, float *db,
                            float *dx, int accumulate) {
    fk_status s = fk_check_dense_backward(m, k, n, x, ldx, w, ldw, pre, act, dy, ldy, dz, dw, db, dx);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE)
        return fk_ref_dense_backward(m, k, n, x, ldx, w, ldw, pre, act, dy, ldy, dz, dw, db, dx,
                                     accumulate);
    s = blas_ready(); /* fail before writing anything */
    if (s != FK_OK) return s;

    grad_ctx g = {dy, pre, dz, ldy, (int)act};
    fk_parallel_tiles(m, n, grad_kernel(path), &g);

    if (db && n > 0) {
        /* The "rows" of this parallel loop are column blocks; each writes only its columns. */
        db_ctx d = {dz, ldy, m, n, db, accumulate};
        int64_t blocks = (n + DB_BLOCK - 1) / DB_BLOCK;
        fk_parallel_rows(blocks, m * DB_BLOCK, db_kernel(path), &d);
    }
    /* dW [n, k] (+)= dz^T [n, m] · x [m, k]. */
    s = fk_sgemm(FK_TRANS, FK_NO_TRANS, n, k, m, 1.0f, dz, ldy, x, ldx, accumulate ? 1.0f : 0.0f,
                 dw, ldw);
    if (s == FK_OK && dx)
        /* dx [m, k] = dz [m, n] · W [n, k]. */
        s = fk_sgemm(FK_NO_TRANS, FK_NO_TRANS, m, k, n, 1.0f, dz, ldy, w, ldw, 0.0f, dx, ldx);
    return s;
}

fk_status fk_dense_tangent(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                           const float *dx, int64_t lddx, const float *w, int64_t ldw,
                           const float *dw, int64_t lddw, const float *db, const float *pre,
                           fk_activation act, float *dy, int64_t ldy, int accumulate) {
    fk_status s = fk_check_dense_tangent(m, k, n, x, ldx, dx, lddx, w, ldw, dw, lddw, db, pre, act,
                                         dy, ldy, accumulate);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE)
        return fk_ref_dense_tangent(m, k, n, x, ldx, dx, lddx, w, ldw, dw, lddw, db, pre, act, dy,
                                    ldy, accumulate);
    s = blas_ready(); /* fail before writing anything */
    if (s != FK_OK) return s;
    float beta = accumulate ? 1.0f : 0.0f;
    if (dx) { /* dy (+)= dx·W^T */
        s = fk_sgemm(FK_NO_TRANS, FK_TRANS, m, n, k, 1.0f, dx, lddx, w, ldw, beta, dy, ldy);
        beta = 1.0f;
    }
    /* dy (+)= x·U^T, then the fused pass act'(pre)·(dy + db) on each row tile while in cache. */
    tangent_epilogue_ctx ctx = {{dy, ldy, db, pre, (int)act}, n};
    if (s == FK_OK)
        s = fk_sgemm_epilogue(FK_NO_TRANS, FK_TRANS, m, n, k, 1.0f, x, ldx, dw, lddw, beta, dy, ldy,
                              tangent_kernel(path), &ctx);
    return s;
}
