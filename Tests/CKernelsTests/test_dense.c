/* test_dense.c — fk_dense_forward, fk_bias_activation and fk_dense_backward.
 *
 * Against the references (identity, SiLU, GELU; with and without bias / pre / db / dx; leading
 * dimensions above the minimum; accumulate mode; dz aliasing dy), NaN/Inf in x and bias, bad
 * arguments, central finite differences in double of a scalar loss, and bitwise thread
 * invariance of the fused passes and of db.
 * Tolerances: 1e-6 where no GEMM is involved; 1e-5 through a GEMM (the BLAS accumulates in
 * float, the reference in double); 1e-4 against finite differences.
 * FK_TEST_EXPECT_BLAS=<family>: the default backend must report it (ctest variants).
 */
#include "fk_test.h"

#define GEMM_TOL 1e-5

static const fk_activation ACTS[] = {FK_ACT_IDENTITY, FK_ACT_SILU, FK_ACT_GELU};

typedef struct { int64_t m, k, n; } dims;
static const dims SHAPES[] = {
    {0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {1, 1, 1}, {1, 7, 3}, {7, 5, 1},
    {33, 17, 65}, {129, 64, 257}, {1000, 33, 70}, {257, 300, 129},
};
#define NSHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))

/* Values in [-scale, scale). */
static float *alloc_scaled(int64_t n, uint64_t seed, float scale) {
    float *p = fk_test_alloc(n, seed);
    for (int64_t i = 0; i < (n > 0 ? n : 1); i++) p[i] *= scale;
    return p;
}

static void check_forward_shape(dims d, fk_activation act, int with_bias, int with_pre) {
    int64_t m = d.m, k = d.k, n = d.n, ldx = k + 2, ldw = k + 1, ldy = n + 3;
    float *x = alloc_scaled(m * ldx, 1, 2.0f), *w = alloc_scaled(n * ldw, 2, 0.5f);
    float *bias = with_bias ? alloc_scaled(n, 3, 1.0f) : NULL;
    float *y = fk_test_alloc(m * ldy, 4), *yr = fk_test_alloc(m * ldy, 4);
    float *pre = with_pre ? fk_test_alloc(m * ldy, 5) : NULL, *prer = with_pre ? fk_test_alloc(m * ldy, 5) : NULL;
    CHECK_STATUS(fk_dense_forward(m, k, n, x, ldx, w, ldw, bias, act, y, ldy, pre), FK_OK);
    CHECK_STATUS(fk_ref_dense_forward(m, k, n, x, ldx, w, ldw, bias, act, yr, ldy, prer), FK_OK);
    double e = fk_test_relerr(y, yr, m, n, ldy);
    if (!(e <= GEMM_TOL))
        fprintf(stderr, "  forward %lldx%lldx%lld act %d: relerr %g\n", (long long)m, (long long)k, (long long)n, act, e);
    CHECK(e <= GEMM_TOL);
    if (with_pre) CHECK(fk_test_relerr(pre, prer, m, n, ldy) <= GEMM_TOL);
    CHECK(fk_test_same_bits(y, yr, 0));
    /* Padding columns untouched. */
    int pad_ok = 1;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = n; j < ldy; j++) pad_ok &= memcmp(&y[i * ldy + j], &yr[i * ldy + j], 4) == 0;
    CHECK(pad_ok);
    free(x); free(w); free(bias); free(y); free(yr); free(pre); free(prer);
}

/* The fused pass alone, over a wide range of pre-activations incl. the saturated tails. */
static void check_bias_activation(void) {
    for (int a = 0; a < 3; a++)
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            int64_t m = 301, n = 517, ld = n + 5;
            float *y = alloc_scaled(m * ld, 7, 30.0f), *yr = malloc(sizeof(float) * m * ld);
            float *bias = with_bias ? alloc_scaled(n, 8, 3.0f) : NULL;
            float *pre = fk_test_alloc(m * ld, 9), *prer = fk_test_alloc(m * ld, 9);
            y[5] = 88.5f; y[6] = -88.5f; y[7] = 100.0f; y[8] = -100.0f; y[9] = 1e-30f; y[10] = -0.0f;
            memcpy(yr, y, sizeof(float) * m * ld);
            CHECK_STATUS(fk_bias_activation(m, n, y, ld, bias, ACTS[a], pre), FK_OK);
            CHECK_STATUS(fk_ref_bias_activation(m, n, yr, ld, bias, ACTS[a], prer), FK_OK);
            double e = fk_test_relerr(y, yr, m, n, ld);
            if (!(e <= 1e-6)) fprintf(stderr, "  bias_activation act %d bias %d: relerr %g\n", a, with_bias, e);
            CHECK(e <= 1e-6);
            CHECK(fk_test_relerr(pre, prer, m, n, ld) <= 1e-6);
            /* Elementwise relative error too (the max-norm hides small values). */
            double worst = 0;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    double g = y[i * ld + j], r = yr[i * ld + j];
                    double rel = fabs(g - r) / fmax(fabs(r), 1e-6);
                    if (rel > worst) worst = rel;
                }
            if (!(worst <= 1e-5)) fprintf(stderr, "  bias_activation act %d: worst elementwise %g\n", a, worst);
            CHECK(worst <= 1e-5);
            /* Bitwise identical for 1 and 2 threads. */
            float *y1 = malloc(sizeof(float) * m * ld), *y2 = malloc(sizeof(float) * m * ld);
            memcpy(y1, pre, sizeof(float) * m * ld);
            memcpy(y2, pre, sizeof(float) * m * ld);
            fk_set_num_threads(1);
            CHECK_STATUS(fk_bias_activation(m, n, y1, ld, bias, ACTS[a], NULL), FK_OK);
            fk_set_num_threads(2);
            CHECK_STATUS(fk_bias_activation(m, n, y2, ld, bias, ACTS[a], NULL), FK_OK);
            CHECK(fk_test_same_bits(y1, y2, m * ld));
            free(y); free(yr); free(bias); free(pre); free(prer); free(y1); free(y2);
        }
    /* No bias, identity, no pre: nothing changes (not even -0 -> +0). */
    float v[3] = {-0.0f, 1.0f, NAN};
    CHECK_STATUS(fk_bias_activation(1, 3, v, 3, NULL, FK_ACT_IDENTITY, NULL), FK_OK);
    CHECK(signbit(v[0]) && v[1] == 1.0f && isnan(v[2]));
}

/* NaN/Inf in x and in the bias propagate exactly like the reference. */
static void check_nonfinite(void) {
    int64_t m = 6, k = 9, n = 7;
    float *x = alloc_scaled(m * k, 21, 1.0f), *w = alloc_scaled(n * k, 22, 1.0f), *b = alloc_scaled(n, 23, 1.0f);
    x[1 * k + 3] = NAN;
    x[2 * k + 4] = INFINITY;
    x[3 * k + 0] = -INFINITY;
    b[2] = NAN;
    b[4] = INFINITY;
    b[5] = -INFINITY;
    for (int a = 0; a < 3; a++) {
        float y[6 * 7], yr[6 * 7], pre[6 * 7], prer[6 * 7];
        CHECK_STATUS(fk_dense_forward(m, k, n, x, k, w, k, b, ACTS[a], y, n, pre), FK_OK);
        CHECK_STATUS(fk_ref_dense_forward(m, k, n, x, k, w, k, b, ACTS[a], yr, n, prer), FK_OK);
        CHECK(fk_test_relerr(y, yr, m, n, n) <= GEMM_TOL);
        CHECK(fk_test_relerr(pre, prer, m, n, n) <= GEMM_TOL);
        int row_nan = 1, col_nan = 1;
        for (int64_t j = 0; j < n; j++) row_nan &= isnan(y[1 * n + j]);
        for (int64_t i = 0; i < m; i++) col_nan &= isnan(y[i * n + 2]);
        CHECK(row_nan && col_nan);
        CHECK(isinf(pre[0 * n + 4]) && isinf(pre[2 * n + 0]));
    }
    free(x); free(w); free(b);
}

static void check_forward_bad_arguments(void) {
    float x[64] = {0}, w[64] = {0}, b[8] = {0}, y[64], pre[64];
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 3, b, (fk_activation)7, y, 4, NULL), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_dense_forward(-1, 3, 4, x, 3, w, 3, b, FK_ACT_SILU, y, 4, NULL), FK_ERR_SIZE);
    CHECK_STATUS(fk_dense_forward(2, -3, 4, x, 3, w, 3, b, FK_ACT_SILU, y, 4, NULL), FK_ERR_SIZE);
    CHECK_STATUS(fk_dense_forward(2, 3, -4, x, 3, w, 3, b, FK_ACT_SILU, y, 4, NULL), FK_ERR_SIZE);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, NULL, 3, w, 3, b, FK_ACT_SILU, y, 4, NULL), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, NULL, 3, b, FK_ACT_SILU, y, 4, NULL), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 3, b, FK_ACT_SILU, NULL, 4, NULL), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 2, w, 3, b, FK_ACT_SILU, y, 4, NULL), FK_ERR_STRIDE);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 2, b, FK_ACT_SILU, y, 4, NULL), FK_ERR_STRIDE);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 3, b, FK_ACT_SILU, y, 3, NULL), FK_ERR_STRIDE);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 3, b, FK_ACT_SILU, x + 2, 4, NULL), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 3, b, FK_ACT_SILU, w, 4, NULL), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 3, y + 1, FK_ACT_SILU, y, 4, NULL), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 3, b, FK_ACT_SILU, y, 4, y), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 3, b, FK_ACT_SILU, y, 4, x), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_forward(2, 3, 4, x, 3, w, 3, b, FK_ACT_SILU, y, 4, pre), FK_OK);
    CHECK_STATUS(fk_dense_forward(0, 3, 4, NULL, 3, w, 3, NULL, FK_ACT_GELU, NULL, 4, NULL), FK_OK);
    CHECK_STATUS(fk_ref_dense_forward(2, 3, 4, x, 3, w, 3, b, FK_ACT_SILU, x + 2, 4, NULL), FK_ERR_ALIAS);
    CHECK_STATUS(fk_bias_activation(2, 4, y, 4, y + 2, FK_ACT_SILU, NULL), FK_ERR_ALIAS);
    CHECK_STATUS(fk_bias_activation(2, 4, y, 4, b, FK_ACT_SILU, y + 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_bias_activation(2, 4, y, 4, b, (fk_activation)-1, NULL), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_bias_activation(2, 4, NULL, 4, b, FK_ACT_SILU, NULL), FK_ERR_NULL);
    CHECK_STATUS(fk_bias_activation(2, 4, y, 3, b, FK_ACT_SILU, NULL), FK_ERR_STRIDE);
}

/* ---- Backward ---------------------------------------------------------------------------- */

static void check_backward_shape(dims d, fk_activation act, int accumulate, int with_db, int with_dx,
                                 int dz_is_dy) {
    int64_t m = d.m, k = d.k, n = d.n, ldx = k + 1, ldw = k + 2, ldy = n + 3;
    float *x = alloc_scaled(m * ldx, 31, 1.0f), *w = alloc_scaled(n * ldw, 32, 0.5f);
    float *pre = alloc_scaled(m * ldy, 33, 4.0f), *dy = alloc_scaled(m * ldy, 34, 1.0f);
    float *dy2 = malloc(sizeof(float) * (m * ldy > 0 ? m * ldy : 1));
    memcpy(dy2, dy, sizeof(float) * (m * ldy > 0 ? m * ldy : 1));
    float *dz = dz_is_dy ? dy : fk_test_alloc(m * ldy, 35), *dzr = fk_test_alloc(m * ldy, 35);
    float *dw = fk_test_alloc(n * ldw, 36), *dwr = fk_test_alloc(n * ldw, 36);
    float *db = with_db ? fk_test_alloc(n, 37) : NULL, *dbr = with_db ? fk_test_alloc(n, 37) : NULL;
    float *dx = with_dx ? fk_test_alloc(m * ldx, 38) : NULL, *dxr = with_dx ? fk_test_alloc(m * ldx, 38) : NULL;
    const float *p = act == FK_ACT_IDENTITY ? NULL : pre;
    CHECK_STATUS(fk_dense_backward(m, k, n, x, ldx, w, ldw, p, act, dy, ldy, dz, dw, db, dx, accumulate), FK_OK);
    CHECK_STATUS(fk_ref_dense_backward(m, k, n, x, ldx, w, ldw, p, act, dy2, ldy, dzr, dwr, dbr, dxr, accumulate), FK_OK);
    double edz = fk_test_relerr(dz, dzr, m, n, ldy), edw = fk_test_relerr(dw, dwr, n, k, ldw);
    double edb = with_db ? fk_test_relerr(db, dbr, 1, n, n) : 0, edx = with_dx ? fk_test_relerr(dx, dxr, m, k, ldx) : 0;
    if (!(edz <= 1e-6 && edw <= GEMM_TOL && edb <= 1e-6 && edx <= GEMM_TOL))
        fprintf(stderr, "  backward %lldx%lldx%lld act %d acc %d: dz %g dW %g db %g dx %g\n", (long long)m,
                (long long)k, (long long)n, act, accumulate, edz, edw, edb, edx);
    CHECK(edz <= 1e-6);
    CHECK(edw <= GEMM_TOL);
    CHECK(edb <= 1e-6);
    CHECK(edx <= GEMM_TOL);
    free(x); free(w); free(pre); free(dy); free(dy2); if (!dz_is_dy) free(dz);
    free(dzr); free(dw); free(dwr); free(db); free(dbr); free(dx); free(dxr);
}

/* The test's own double-precision activations (for the finite differences). */
static double act_d(double z, fk_activation act) {
    if (act == FK_ACT_SILU) return z / (1.0 + exp(-z));
    if (act == FK_ACT_GELU) return 0.5 * z * (1.0 + erf(z / sqrt(2.0)));
    return z;
}

/* L = sum_ij g_ij · act((x W^T + b)_ij), everything in double. */
static double loss_d(int m, int k, int n, const double *x, const double *w, const double *b,
                     const double *g, fk_activation act) {
    double L = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double z = b[j];
            for (int p = 0; p < k; p++) z += x[i * k + p] * w[j * k + p];
            L += g[i * n + j] * act_d(z, act);
        }
    return L;
}

/* Central differences of L in every parameter vs dW, db, dx from the kernel. */
static void check_finite_differences(void) {
    enum { M = 3, K = 4, N = 5 };
    for (int a = 0; a < 3; a++) {
        fk_activation act = ACTS[a];
        float xf[M * K], wf[N * K], bf[N], g[M * N], y[M * N], pre[M * N], dz[M * N];
        float dw[N * K], db[N], dx[M * K];
        fk_test_fill(xf, M * K, 41); fk_test_fill(wf, N * K, 42); fk_test_fill(bf, N, 43); fk_test_fill(g, M * N, 44);
        for (int i = 0; i < M * K; i++) xf[i] *= 2.0f;
        CHECK_STATUS(fk_dense_forward(M, K, N, xf, K, wf, K, bf, act, y, N, pre), FK_OK);
        CHECK_STATUS(fk_dense_backward(M, K, N, xf, K, wf, K, pre, act, g, N, dz, dw, db, dx, 0), FK_OK);
        double x[M * K], w[N * K], b[N], gd[M * N];
        for (int i = 0; i < M * K; i++) x[i] = xf[i];
        for (int i = 0; i < N * K; i++) w[i] = wf[i];
        for (int i = 0; i < N; i++) b[i] = bf[i];
        for (int i = 0; i < M * N; i++) gd[i] = g[i];
        const double h = 1e-5;
        double maxdiff = 0, maxref = 1e-30;
        struct { double *p; int count; const float *grad; } params[3] = {{x, M * K, dx}, {w, N * K, dw}, {b, N, db}};
        for (int q = 0; q < 3; q++)
            for (int i = 0; i < params[q].count; i++) {
                double keep = params[q].p[i];
                params[q].p[i] = keep + h;
                double lp = loss_d(M, K, N, x, w, b, gd, act);
                params[q].p[i] = keep - h;
                double lm = loss_d(M, K, N, x, w, b, gd, act);
                params[q].p[i] = keep;
                double fd = (lp - lm) / (2 * h);
                maxdiff = fmax(maxdiff, fabs(fd - params[q].grad[i]));
                maxref = fmax(maxref, fabs(fd));
            }
        double e = maxdiff / maxref;
        if (!(e <= 1e-4)) fprintf(stderr, "  finite differences act %d: relerr %g\n", a, e);
        CHECK(e <= 1e-4);
    }
}

/* accumulate = 1 adds to dW and db: equals the overwrite result plus the old values. */
static void check_accumulate(void) {
    int64_t m = 37, k = 19, n = 23;
    float *x = alloc_scaled(m * k, 51, 1.0f), *w = alloc_scaled(n * k, 52, 1.0f);
    float *pre = alloc_scaled(m * n, 53, 3.0f), *dy = alloc_scaled(m * n, 54, 1.0f), *dz = fk_test_alloc(m * n, 0);
    float *dw0 = alloc_scaled(n * k, 55, 1.0f), *db0 = alloc_scaled(n, 56, 1.0f);
    float *dw = malloc(sizeof(float) * n * k), *db = malloc(sizeof(float) * n);
    float *dwf = fk_test_alloc(n * k, 0), *dbf = fk_test_alloc(n, 0);
    memcpy(dw, dw0, sizeof(float) * n * k);
    memcpy(db, db0, sizeof(float) * n);
    CHECK_STATUS(fk_dense_backward(m, k, n, x, k, w, k, pre, FK_ACT_SILU, dy, n, dz, dw, db, NULL, 1), FK_OK);
    CHECK_STATUS(fk_dense_backward(m, k, n, x, k, w, k, pre, FK_ACT_SILU, dy, n, dz, dwf, dbf, NULL, 0), FK_OK);
    for (int64_t i = 0; i < n * k; i++) dwf[i] += dw0[i];
    for (int64_t i = 0; i < n; i++) dbf[i] += db0[i];
    CHECK(fk_test_relerr(dw, dwf, n, k, k) <= 1e-6);
    CHECK(fk_test_relerr(db, dbf, 1, n, n) <= 1e-6);
    /* m = 0: overwrite gives zeros, accumulate leaves them alone. */
    memcpy(dw, dw0, sizeof(float) * n * k);
    memcpy(db, db0, sizeof(float) * n);
    CHECK_STATUS(fk_dense_backward(0, k, n, NULL, k, w, k, NULL, FK_ACT_SILU, NULL, n, NULL, dw, db, NULL, 1), FK_OK);
    CHECK(fk_test_same_bits(dw, dw0, n * k) && fk_test_same_bits(db, db0, n));
    CHECK_STATUS(fk_dense_backward(0, k, n, NULL, k, w, k, NULL, FK_ACT_SILU, NULL, n, NULL, dw, db, NULL, 0), FK_OK);
    int zero = 1;
    for (int64_t i = 0; i < n * k; i++) zero &= dw[i] == 0.0f;
    for (int64_t i = 0; i < n; i++) zero &= db[i] == 0.0f;
    CHECK(zero);
    free(x); free(w); free(pre); free(dy); free(dz); free(dw0); free(db0); free(dw); free(db); free(dwf); free(dbf);
}

/* dz and db are bitwise identical for 1 and 2 threads (db: fixed row order per column). */
static void check_backward_threads(void) {
    int64_t m = 4099, k = 16, n = 300;
    float *x = alloc_scaled(m * k, 61, 1.0f), *w = alloc_scaled(n * k, 62, 1.0f);
    float *pre = alloc_scaled(m * n, 63, 3.0f), *dy = alloc_scaled(m * n, 64, 1.0f);
    float *dz1 = fk_test_alloc(m * n, 0), *dz2 = fk_test_alloc(m * n, 0), *dzr = fk_test_alloc(m * n, 0);
    float *dw = fk_test_alloc(n * k, 0), *dwr = fk_test_alloc(n * k, 0);
    float *db1 = fk_test_alloc(n, 0), *db2 = fk_test_alloc(n, 0), *dbr = fk_test_alloc(n, 0);
    for (int a = 0; a < 3; a++) {
        fk_set_num_threads(1);
        CHECK_STATUS(fk_dense_backward(m, k, n, x, k, w, k, pre, ACTS[a], dy, n, dz1, dw, db1, NULL, 0), FK_OK);
        fk_set_num_threads(2);
        CHECK_STATUS(fk_dense_backward(m, k, n, x, k, w, k, pre, ACTS[a], dy, n, dz2, dw, db2, NULL, 0), FK_OK);
        CHECK(fk_test_same_bits(dz1, dz2, m * n));
        CHECK(fk_test_same_bits(db1, db2, n));
        CHECK_STATUS(fk_ref_dense_backward(m, k, n, x, k, w, k, pre, ACTS[a], dy, n, dzr, dwr, dbr, NULL, 0), FK_OK);
        CHECK(fk_test_relerr(db1, dbr, 1, n, n) <= 1e-6);
        CHECK(fk_test_relerr(dz1, dzr, m, n, n) <= 1e-6);
    }
    free(x); free(w); free(pre); free(dy); free(dz1); free(dz2); free(dzr); free(dw); free(dwr);
    free(db1); free(db2); free(dbr);
}

static void check_backward_bad_arguments(void) {
    float x[64] = {0}, w[64] = {0}, pre[64] = {0}, dy[64] = {0}, dz[64], dw[64], db[8], dx[64];
    /* m = 2, k = 3, n = 4 */
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, 9, dy, 4, dz, dw, db, dx, 0), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_dense_backward(-2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, dz, dw, db, dx, 0), FK_ERR_SIZE);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, NULL, FK_ACT_SILU, dy, 4, dz, dw, db, dx, 0), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, NULL, FK_ACT_IDENTITY, dy, 4, dz, dw, db, dx, 0), FK_OK);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, dz, NULL, db, dx, 0), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, NULL, dw, db, dx, 0), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 3, dz, dw, db, dx, 0), FK_ERR_STRIDE);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, dy + 1, dw, db, dx, 0), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, pre, dw, db, dx, 0), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, dz, x, db, dx, 0), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, dz, dw, dz + 1, dx, 0), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, dz, dw, db, dw + 2, 0), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, dz, dw, db, w, 0), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, dy, dw, db, dx, 0), FK_OK);
    CHECK_STATUS(fk_ref_dense_backward(2, 3, 4, x, 3, w, 3, pre, FK_ACT_SILU, dy, 4, dz, x, db, dx, 0), FK_ERR_ALIAS);
}

/* ---- Tangent ---------------------------------------------------------------------------------- */

static void check_tangent_shape(dims d, fk_activation act, int with_dx, int with_db, int accumulate) {
    int64_t m = d.m, k = d.k, n = d.n, ldx = k + 1, lddx = k + 3, ldw = k + 2, lddw = k, ldy = n + 1;
    float *x = alloc_scaled(m * ldx, 71, 1.0f), *dx = with_dx ? alloc_scaled(m * lddx, 72, 1.0f) : NULL;
    float *w = alloc_scaled(n * ldw, 73, 0.5f), *dw = alloc_scaled(n * lddw, 74, 0.5f);
    float *db = with_db ? alloc_scaled(n, 75, 1.0f) : NULL, *pre = alloc_scaled(m * ldy, 76, 4.0f);
    float *dy = fk_test_alloc(m * ldy, 77), *dyr = fk_test_alloc(m * ldy, 77);
    const float *p = act == FK_ACT_IDENTITY ? NULL : pre;
    CHECK_STATUS(fk_dense_tangent(m, k, n, x, ldx, dx, lddx, w, ldw, dw, lddw, db, p, act, dy, ldy, accumulate), FK_OK);
    CHECK_STATUS(fk_ref_dense_tangent(m, k, n, x, ldx, dx, lddx, w, ldw, dw, lddw, db, p, act, dyr, ldy, accumulate), FK_OK);
    double e = fk_test_relerr(dy, dyr, m, n, ldy);
    if (!(e <= GEMM_TOL))
        fprintf(stderr, "  tangent %lldx%lldx%lld act %d dx %d db %d acc %d: relerr %g\n", (long long)m,
                (long long)k, (long long)n, act, with_dx, with_db, accumulate, e);
    CHECK(e <= GEMM_TOL);
    /* Padding columns untouched. */
    int pad_ok = 1;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = n; j < ldy; j++) pad_ok &= memcmp(&dy[i * ldy + j], &dyr[i * ldy + j], 4) == 0;
    CHECK(pad_ok);
    free(x); free(dx); free(w); free(dw); free(db); free(pre); free(dy); free(dyr);
}

/* The tangent is the derivative: (f(x + h·dx; W + h·U, b + h·db) - f(x - h·dx; ...)) / 2h. */
static void check_tangent_finite_differences(void) {
    const int m = 5, k = 4, n = 3;
    for (int a = 0; a < 3; a++) {
        float *x = alloc_scaled(m * k, 81, 1.0f), *dx = alloc_scaled(m * k, 82, 1.0f);
        float *w = alloc_scaled(n * k, 83, 1.0f), *dw = alloc_scaled(n * k, 84, 1.0f);
        float *b = alloc_scaled(n, 85, 1.0f), *db = alloc_scaled(n, 86, 1.0f);
        float pre[15], y[15], dy[15];
        CHECK_STATUS(fk_dense_forward(m, k, n, x, k, w, k, b, ACTS[a], y, n, pre), FK_OK);
        CHECK_STATUS(fk_dense_tangent(m, k, n, x, k, dx, k, w, k, dw, k, db, pre, ACTS[a], dy, n, 0), FK_OK);
        double worst = 0, h = 1e-5;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double f[2];
                for (int side = 0; side < 2; side++) {
                    double s = side ? -h : h, z = (double)b[j] + s * (double)db[j];
                    for (int q = 0; q < k; q++)
                        z += ((double)x[i * k + q] + s * dx[i * k + q]) * ((double)w[j * k + q] + s * dw[j * k + q]);
                    f[side] = act_d(z, ACTS[a]);
                }
                double fd = (f[0] - f[1]) / (2 * h), err = fabs(fd - (double)dy[i * n + j]) / (1 + fabs(fd));
                if (err > worst) worst = err;
            }
        CHECK(worst <= 1e-5);
        free(x); free(dx); free(w); free(dw); free(b); free(db);
    }
}

static void check_tangent_threads_and_nonfinite(void) {
    int64_t m = 4099, k = 16, n = 300;
    float *x = alloc_scaled(m * k, 91, 1.0f), *dx = alloc_scaled(m * k, 92, 1.0f);
    float *w = alloc_scaled(n * k, 93, 1.0f), *dw = alloc_scaled(n * k, 94, 1.0f), *db = alloc_scaled(n, 95, 1.0f);
    float *pre = alloc_scaled(m * n, 96, 3.0f), *d1 = fk_test_alloc(m * n, 0), *d2 = fk_test_alloc(m * n, 0);
    pre[5] = NAN; pre[n + 7] = INFINITY; dx[3] = NAN;
    for (int a = 0; a < 3; a++) {
        fk_set_num_threads(1);
        CHECK_STATUS(fk_dense_tangent(m, k, n, x, k, dx, k, w, k, dw, k, db, pre, ACTS[a], d1, n, 0), FK_OK);
        fk_set_num_threads(2);
        CHECK_STATUS(fk_dense_tangent(m, k, n, x, k, dx, k, w, k, dw, k, db, pre, ACTS[a], d2, n, 0), FK_OK);
        CHECK(fk_test_same_bits(d1, d2, m * n));
        CHECK(isnan(d1[0]));                         /* row 0 reads the NaN of dx */
        if (ACTS[a] != FK_ACT_IDENTITY) CHECK(isnan(d1[n + 7]) || isinf(d1[n + 7]) || d1[n + 7] == d1[n + 7]);
        CHECK(isfinite(d1[2 * n + 1]));               /* a row without NaN/Inf stays finite */
    }
    free(x); free(dx); free(w); free(dw); free(db); free(pre); free(d1); free(d2);
}

static void check_tangent_bad_arguments(void) {
    float x[64] = {0}, dx[64] = {0}, w[64] = {0}, dw[64] = {0}, db[8] = {0}, pre[64] = {0}, dy[64];
    /* m = 2, k = 3, n = 4 */
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, pre, FK_ACT_SILU, dy, 4, 0), FK_OK);
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, NULL, 0, w, 3, dw, 3, NULL, NULL, FK_ACT_IDENTITY, dy, 4, 1), FK_OK);
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, pre, 9, dy, 4, 0), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, pre, FK_ACT_SILU, dy, 4, 1), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_dense_tangent(-2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, pre, FK_ACT_SILU, dy, 4, 0), FK_ERR_SIZE);
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, NULL, FK_ACT_SILU, dy, 4, 0), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, NULL, 3, db, pre, FK_ACT_SILU, dy, 4, 0), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, pre, FK_ACT_SILU, NULL, 4, 0), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 2, w, 3, dw, 3, db, pre, FK_ACT_SILU, dy, 4, 0), FK_ERR_STRIDE);
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, pre, FK_ACT_SILU, dx + 1, 4, 0), FK_ERR_ALIAS);
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, pre, FK_ACT_SILU, pre, 4, 0), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, pre, FK_ACT_SILU, x, 4, 0), FK_ERR_ALIAS);
    /* Nothing written on error. */
    dy[0] = 7.0f;
    CHECK_STATUS(fk_dense_tangent(2, 3, 4, x, 3, dx, 3, w, 3, dw, 3, db, NULL, FK_ACT_GELU, dy, 4, 0), FK_ERR_NULL);
    CHECK(dy[0] == 7.0f);
}

/* ---- Residual layer ---------------------------------------------------------------------------- */

static void check_residual_shape(dims d, int with_bias) {
    int64_t m = d.m, k = d.k, n = d.n, ldx = k + 1, ldw = k + 2, ldy = n + 3;
    float *x = alloc_scaled(m * ldx, 101, 1.0f), *w = alloc_scaled(n * ldw, 102, 0.5f);
    float *bias = with_bias ? alloc_scaled(n, 103, 1.0f) : NULL;
    float *y = alloc_scaled(m * ldy, 104, 2.0f), *yr = fk_test_copy(y, m * ldy > 0 ? m * ldy : 1);
    float *y2 = fk_test_copy(y, m * ldy > 0 ? m * ldy : 1);
    CHECK_STATUS(fk_dense_residual(m, k, n, x, ldx, w, ldw, bias, y, ldy), FK_OK);
    CHECK_STATUS(fk_ref_dense_residual(m, k, n, x, ldx, w, ldw, bias, yr, ldy), FK_OK);
    CHECK(fk_test_relerr(y, yr, m, n, ldy) <= GEMM_TOL);
    /* Bitwise the same as the GEMM with beta = 1 followed by the bias pass. */
    CHECK_STATUS(fk_sgemm(FK_NO_TRANS, FK_TRANS, m, n, k, 1.0f, x, ldx, w, ldw, 1.0f, y2, ldy), FK_OK);
    CHECK_STATUS(fk_bias_activation(m, n, y2, ldy, bias, FK_ACT_IDENTITY, NULL), FK_OK);
    CHECK(fk_test_same_matrix(y, y2, m, n, ldy));
    free(x); free(w); free(bias); free(y); free(yr); free(y2);
}

static void check_residual_bad_arguments(void) {
    float x[64] = {0}, w[64] = {0}, b[8] = {0}, y[64] = {0};
    CHECK_STATUS(fk_dense_residual(2, 3, 4, x, 3, w, 3, b, y, 4), FK_OK);
    CHECK_STATUS(fk_dense_residual(-2, 3, 4, x, 3, w, 3, b, y, 4), FK_ERR_SIZE);
    CHECK_STATUS(fk_dense_residual(2, 3, 4, NULL, 3, w, 3, b, y, 4), FK_ERR_NULL);
    CHECK_STATUS(fk_dense_residual(2, 3, 4, x, 3, w, 3, b, y, 3), FK_ERR_STRIDE);
    CHECK_STATUS(fk_dense_residual(2, 3, 4, x, 3, w, 3, b, x + 2, 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_dense_residual(2, 3, 4, x, 3, w, 3, y + 1, y, 4), FK_ERR_ALIAS);
    y[0] = 5.0f;
    x[0] = NAN;
    CHECK_STATUS(fk_dense_residual(2, 3, 4, x, 3, w, 3, b, y, 4), FK_OK);
    CHECK(isnan(y[0]) && !isnan(y[4]));  /* row 0 reads the NaN, row 1 does not */
}

int main(void) {
    printf("blas %s (%s) kernel '%s', simd %s\n", fk_blas_name(), fk_blas_path(), fk_blas_kernel(), fk_simd_path());
    const char *expect = getenv("FK_TEST_EXPECT_BLAS");
    if (expect && expect[0]) CHECK(strcmp(fk_blas_name(), expect) == 0);
    for (int s = 0; s < NSHAPES; s++)
        for (int a = 0; a < 3; a++) {
            check_forward_shape(SHAPES[s], ACTS[a], 1, 1);
            check_forward_shape(SHAPES[s], ACTS[a], (s + a) % 2, 0);
            check_backward_shape(SHAPES[s], ACTS[a], 0, 1, 1, 0);
            check_backward_shape(SHAPES[s], ACTS[a], 1, (s + a) % 2, (s + a + 1) % 2, 1);
        }
    check_bias_activation();
    check_nonfinite();
    check_forward_bad_arguments();
    check_finite_differences();
    check_accumulate();
    check_backward_threads();
    check_backward_bad_arguments();
    for (int s = 0; s < NSHAPES; s++)
        for (int a = 0; a < 3; a++) {
            check_tangent_shape(SHAPES[s], ACTS[a], 1, 1, 0);
            check_tangent_shape(SHAPES[s], ACTS[a], (s + a) % 2, (s + a + 1) % 2, 0);
            if (ACTS[a] == FK_ACT_IDENTITY) check_tangent_shape(SHAPES[s], ACTS[a], s % 2, 1, 1);
        }
    check_tangent_finite_differences();
    check_tangent_threads_and_nonfinite();
    check_tangent_bad_arguments();
    for (int s = 0; s < NSHAPES; s++) check_residual_shape(SHAPES[s], s % 2);
    check_residual_bad_arguments();
    return fk_test_done();
}
