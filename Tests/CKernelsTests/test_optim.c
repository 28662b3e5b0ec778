/* test_optim.c — fk_adamw_step, fk_lion_step, fk_apply_update and fk_adam_direction against their references (plain and cautious, several steps) at sizes
 * 0, 1, 7, 1023 and 1<<20 on every SIMD path of this CPU, thread-count invariance, the cautious
 * mask on ties, NaN/Inf propagation and bad arguments. */
#include "fk_test.h"

static const int64_t SIZES[] = {0, 1, 7, 8, 1023, 16385, 1 << 20};
#define NSIZES ((int)(sizeof(SIZES) / sizeof(SIZES[0])))

static fk_adamw_params params(int cautious, int64_t step) {
    fk_adamw_params p = {1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f, cautious ? FK_OPT_CAUTIOUS : 0, step};
    return p;
}

/* Three consecutive steps from random state (m, v >= 0 from a previous history) vs the reference. */
static void check_against_reference(int64_t n, int cautious) {
    float *theta = fk_test_alloc(n, 1), *m = fk_test_alloc(n, 2), *v = fk_test_alloc(n, 3);
    for (int64_t j = 0; j < n; j++) v[j] = v[j] * v[j] * 0.01f; /* a second moment is >= 0 */
    float *rt = fk_test_copy(theta, n), *rm = fk_test_copy(m, n), *rv = fk_test_copy(v, n);
    for (int64_t step = 1; step <= 3; step++) {
        float *g = fk_test_alloc(n, 10 + (uint64_t)step);
        fk_adamw_params p = params(cautious, step);
        CHECK_STATUS(fk_adamw_step(n, theta, g, m, v, &p), FK_OK);
        CHECK_STATUS(fk_ref_adamw_step(n, rt, g, rm, rv, &p), FK_OK);
        free(g);
    }
    CHECK(fk_test_relerr(theta, rt, 1, n, n) <= 1e-6);
    CHECK(fk_test_relerr(m, rm, 1, n, n) <= 1e-6);
    CHECK(fk_test_relerr(v, rv, 1, n, n) <= 1e-6);
    free(theta); free(m); free(v); free(rt); free(rm); free(rv);
}

/* The same call with 1 and 2 threads gives the same bits. */
static void check_threads(int64_t n, int cautious) {
    float *g = fk_test_alloc(n, 4);
    float *t1 = fk_test_alloc(n, 5), *m1 = fk_test_alloc(n, 6), *v1 = fk_test_alloc(n, 7);
    for (int64_t j = 0; j < n; j++) v1[j] = fabsf(v1[j]);
    float *t2 = fk_test_copy(t1, n), *m2 = fk_test_copy(m1, n), *v2 = fk_test_copy(v1, n);
    fk_adamw_params p = params(cautious, 7);
    fk_set_num_threads(1);
    CHECK_STATUS(fk_adamw_step(n, t1, g, m1, v1, &p), FK_OK);
    fk_set_num_threads(2);
    CHECK_STATUS(fk_adamw_step(n, t2, g, m2, v2, &p), FK_OK);
    CHECK(fk_test_same_bits(t1, t2, n) && fk_test_same_bits(m1, m2, n) && fk_test_same_bits(v1, v2, n));
    free(g); free(t1); free(m1); free(v1); free(t2); free(m2); free(v2);
}

/* Element by element: the cautious mask decays where u·theta >= 0 (ties included) only. */
static void check_cautious_mask(void) {
    /* m = v = 0, step 1: u = g/(|g| + eps) ~ sign(g); g = 0 gives u = 0 exactly. */
    /* The last two: u ~ ±1e-23 (g/(|g| + eps) with g = ±1e-31) and theta = 1e-23, so u·theta
     * underflows to zero in float; the decay term is as large as the update there. */
    float theta[9] = {1.0f, -1.0f, 1.0f, -1.0f, 0.0f, 2.0f, -0.0f, 1e-23f, 1e-23f};
    float grad[9] = {0.5f, -0.5f, -0.5f, 0.5f, 0.5f, 0.0f, 0.5f, 1e-31f, -1e-31f};
    /* u sign:         +     -      -      +     +     0     +     +       -
     * mask:           1     1      0      0     1     1     1     1       0   */
    const int mask[9] = {1, 1, 0, 0, 1, 1, 1, 1, 0};
    float m[9] = {0}, v[9] = {0}, rt[9], rm[9] = {0}, rv[9] = {0};
    memcpy(rt, theta, sizeof theta);
    fk_adamw_params p = {0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, FK_OPT_CAUTIOUS, 1};
    const float theta0[9] = {1.0f, -1.0f, 1.0f, -1.0f, 0.0f, 2.0f, -0.0f, 1e-23f, 1e-23f};
    CHECK_STATUS(fk_adamw_step(9, theta, grad, m, v, &p), FK_OK);
    CHECK_STATUS(fk_ref_adamw_step(9, rt, grad, rm, rv, &p), FK_OK);
    for (int j = 0; j < 9; j++) {
        /* Recompute u as the kernel does and check the decay term was (not) applied. */
        double g = grad[j];
        double mh = (0.1 * g) / 0.1, vh = (0.001 * g * g) / 0.001;
        double u = mh / (sqrt(vh) + (double)1e-8f);
        double want = theta0[j] - 0.1 * (u + 0.5 * mask[j] * theta0[j]);
        CHECK(fabs((double)theta[j] - want) <= 1e-6 * fabs(want));
        CHECK(fabs((double)rt[j] - want) <= 1e-6 * fabs(want));
    }
}

static void check_nonfinite(void) {
    float theta[16], g[16], m[16] = {0}, v[16] = {0};
    fk_test_fill(theta, 16, 8); fk_test_fill(g, 16, 9);
    g[2] = NAN; g[9] = INFINITY; theta[5] = NAN; theta[12] = -INFINITY;
    for (int cautious = 0; cautious <= 1; cautious++) {
        float t[16], mm[16], vv[16];
        memcpy(t, theta, sizeof t); memcpy(mm, m, sizeof mm); memcpy(vv, v, sizeof vv);
        fk_adamw_params p = params(cautious, 1);
        CHECK_STATUS(fk_adamw_step(16, t, g, mm, vv, &p), FK_OK);
        CHECK(isnan(t[2]) && isnan(mm[2]) && isnan(vv[2]));
        CHECK(isnan(t[9]) && isinf(mm[9]) && isinf(vv[9])); /* Inf/Inf */
        CHECK(isnan(t[5]));
        CHECK(!isfinite(t[12]));
        for (int j = 0; j < 16; j++)
            if (j != 2 && j != 9 && j != 5 && j != 12) CHECK(isfinite(t[j]));
    }
    /* A NaN second moment with a finite first moment (beta1 = 0 forgot the NaN) stays NaN. */
    float t1[8] = {1, 1, 1, 1, 1, 1, 1, 1}, g1[8] = {1, 1, 1, 1, 1, 1, 1, 1}, m1[8] = {0}, v1[8] = {0};
    v1[3] = NAN;
    fk_adamw_params p = {0.1f, 0.0f, 0.5f, 1e-8f, 0.0f, 0, 2};
    CHECK_STATUS(fk_adamw_step(8, t1, g1, m1, v1, &p), FK_OK);
    CHECK(isnan(t1[3]) && isfinite(t1[2]) && isfinite(t1[4]));
}

static void check_bad_arguments(void) {
    float a[32] = {0}, b[32] = {0}, c[32] = {0}, d[32] = {0};
    fk_adamw_params ok = params(1, 1), p;
    CHECK_STATUS(fk_adamw_step(8, a, b, c, d, NULL), FK_ERR_NULL);
    CHECK_STATUS(fk_adamw_step(8, NULL, b, c, d, &ok), FK_ERR_NULL);
    CHECK_STATUS(fk_adamw_step(8, a, NULL, c, d, &ok), FK_ERR_NULL);
    CHECK_STATUS(fk_adamw_step(8, a, b, NULL, d, &ok), FK_ERR_NULL);
    CHECK_STATUS(fk_adamw_step(8, a, b, c, NULL, &ok), FK_ERR_NULL);
    CHECK_STATUS(fk_adamw_step(0, NULL, NULL, NULL, NULL, &ok), FK_OK);
    CHECK_STATUS(fk_adamw_step(-1, a, b, c, d, &ok), FK_ERR_SIZE);
    CHECK_STATUS(fk_adamw_step(8, a, a + 4, c, d, &ok), FK_ERR_ALIAS);
    CHECK_STATUS(fk_adamw_step(8, a, b, c, c + 7, &ok), FK_ERR_ALIAS);
    CHECK_STATUS(fk_adamw_step(8, a, b, b, d, &ok), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_adamw_step(8, a, b, c, c, &ok), FK_ERR_ALIAS);
    p = ok; p.lr = -1e-3f;        CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.lr = NAN;           CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.lr = INFINITY;      CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.beta1 = 1.0f;       CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.beta1 = -0.1f;      CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.beta2 = 1.0f;       CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.beta2 = NAN;        CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.eps = 0.0f;         CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.eps = -1e-8f;       CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.weight_decay = -1;  CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.weight_decay = NAN; CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.step = 0;           CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.step = -3;          CHECK_STATUS(fk_ref_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.flags = 2;          CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    p = ok; p.flags = 2;          CHECK_STATUS(fk_adamw_step(0, NULL, NULL, NULL, NULL, &p), FK_ERR_ARGUMENT);
    /* Nothing written on error. */
    a[0] = 3.0f; b[0] = 1.0f;
    p = ok; p.step = 0;
    CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_ERR_ARGUMENT);
    CHECK(a[0] == 3.0f && c[0] == 0.0f && d[0] == 0.0f);
    /* lr = 0: only the moments move; beta = 0 is allowed. */
    p = ok; p.lr = 0.0f; p.beta1 = 0.0f; p.beta2 = 0.0f;
    CHECK_STATUS(fk_adamw_step(8, a, b, c, d, &p), FK_OK);
    CHECK(a[0] == 3.0f && c[0] == 1.0f && d[0] == 1.0f);
}

/* ---- Lion and apply_update ------------------------------------------------------------------ */

static fk_lion_params lion_params(int cautious) {
    fk_lion_params p = {1e-3f, 0.9f, 0.99f, 0.1f, cautious ? FK_OPT_CAUTIOUS : 0};
    return p;
}

/* Three consecutive Lion steps and three update passes vs the references. */
static void check_lion_against_reference(int64_t n, int cautious) {
    float *theta = fk_test_alloc(n, 21), *m = fk_test_alloc(n, 22);
    float *rt = fk_test_copy(theta, n), *rm = fk_test_copy(m, n);
    fk_lion_params p = lion_params(cautious);
    for (int step = 1; step <= 3; step++) {
        float *g = fk_test_alloc(n, 30 + (uint64_t)step);
        CHECK_STATUS(fk_lion_step(n, theta, g, m, &p), FK_OK);
        CHECK_STATUS(fk_ref_lion_step(n, rt, g, rm, &p), FK_OK);
        CHECK_STATUS(fk_apply_update(n, theta, g, 1e-2f, 0.3f, p.flags), FK_OK);
        CHECK_STATUS(fk_ref_apply_update(n, rt, g, 1e-2f, 0.3f, p.flags), FK_OK);
        free(g);
    }
    CHECK(fk_test_relerr(theta, rt, 1, n, n) <= 1e-6);
    CHECK(fk_test_relerr(m, rm, 1, n, n) <= 1e-6);
    free(theta); free(m); free(rt); free(rm);
}

static void check_lion_threads(int64_t n, int cautious) {
    float *g = fk_test_alloc(n, 24), *t1 = fk_test_alloc(n, 25), *m1 = fk_test_alloc(n, 26);
    float *t2 = fk_test_copy(t1, n), *m2 = fk_test_copy(m1, n);
    fk_lion_params p = lion_params(cautious);
    fk_set_num_threads(1);
    CHECK_STATUS(fk_lion_step(n, t1, g, m1, &p), FK_OK);
    CHECK_STATUS(fk_apply_update(n, t1, g, 1e-2f, 0.3f, p.flags), FK_OK);
    fk_set_num_threads(2);
    CHECK_STATUS(fk_lion_step(n, t2, g, m2, &p), FK_OK);
    CHECK_STATUS(fk_apply_update(n, t2, g, 1e-2f, 0.3f, p.flags), FK_OK);
    CHECK(fk_test_same_bits(t1, t2, n) && fk_test_same_bits(m1, m2, n));
    free(g); free(t1); free(m1); free(t2); free(m2);
}

/* sign(0) = 0 and the cautious mask on ties, element by element against the formula. */
static void check_lion_ties(void) {
    /* c = 0.9·m + 0.1·g:   +     -     -     +     0     0     +     -      0 */
    float theta[9] = {1.0f, -1.0f, 1.0f, -1.0f, 2.0f, 0.0f, -0.0f, 1e-30f, -3.0f};
    float grad[9] = {0.5f, -0.5f, -0.5f, 0.5f, 0.0f, 0.0f, 0.5f, -1e-30f, 0.0f};
    float m[9] = {0}, rm[9] = {0}, rt[9];
    const double u[9] = {1, -1, -1, 1, 0, 0, 1, -1, 0};
    const int mask[9] = {1, 1, 0, 0, 1, 1, 1, 0, 1};
    const float theta0[9] = {1.0f, -1.0f, 1.0f, -1.0f, 2.0f, 0.0f, -0.0f, 1e-30f, -3.0f};
    memcpy(rt, theta, sizeof theta);
    fk_lion_params p = {0.1f, 0.9f, 0.99f, 0.5f, FK_OPT_CAUTIOUS};
    CHECK_STATUS(fk_lion_step(9, theta, grad, m, &p), FK_OK);
    CHECK_STATUS(fk_ref_lion_step(9, rt, grad, rm, &p), FK_OK);
    for (int j = 0; j < 9; j++) {
        double want = theta0[j] - 0.1 * (u[j] + 0.5 * mask[j] * theta0[j]);
        CHECK(fabs((double)theta[j] - want) <= 1e-6 * fabs(want));
        CHECK(fabs((double)rt[j] - want) <= 1e-6 * fabs(want));
        CHECK(m[j] == rm[j]);
    }
    /* Plain Lion decays everywhere: element 2 (opposite signs) gets the decay too. */
    float t2[9], m2[9] = {0};
    memcpy(t2, theta0, sizeof t2);
    p.flags = 0;
    CHECK_STATUS(fk_lion_step(9, t2, grad, m2, &p), FK_OK);
    CHECK(fabs((double)t2[2] - (1.0 - 0.1 * (-1.0 + 0.5))) <= 1e-6);
    /* apply_update: the same mask with a given u. */
    float ut[9], uu[9];
    memcpy(ut, theta0, sizeof ut);
    for (int j = 0; j < 9; j++) uu[j] = (float)u[j];
    CHECK_STATUS(fk_apply_update(9, ut, uu, 0.1f, 0.5f, FK_OPT_CAUTIOUS), FK_OK);
    for (int j = 0; j < 9; j++) {
        double want = theta0[j] - 0.1 * (u[j] + 0.5 * mask[j] * theta0[j]);
        CHECK(fabs((double)ut[j] - want) <= 1e-6 * fabs(want));
    }
}

static void check_lion_nonfinite(void) {
    float theta[16], g[16], m[16] = {0};
    fk_test_fill(theta, 16, 8); fk_test_fill(g, 16, 9);
    g[2] = NAN; g[9] = INFINITY; theta[5] = NAN; theta[12] = -INFINITY;
    for (int cautious = 0; cautious <= 1; cautious++) {
        float t[16], mm[16];
        memcpy(t, theta, sizeof t); memcpy(mm, m, sizeof mm);
        fk_lion_params p = lion_params(cautious);
        CHECK_STATUS(fk_lion_step(16, t, g, mm, &p), FK_OK);
        CHECK(isnan(t[2]) && isnan(mm[2]));
        CHECK(isfinite(t[9]) && isinf(mm[9])); /* sign(Inf) = 1: the step stays bounded */
        CHECK(isnan(t[5]));
        CHECK(!isfinite(t[12]));
        for (int j = 0; j < 16; j++)
            if (j != 2 && j != 5 && j != 12) CHECK(isfinite(t[j]));
        float ut[16];
        memcpy(ut, theta, sizeof ut);
        CHECK_STATUS(fk_apply_update(16, ut, g, 0.1f, 0.1f, p.flags), FK_OK);
        CHECK(isnan(ut[2]) && !isfinite(ut[9]) && isnan(ut[5]) && !isfinite(ut[12]) && isfinite(ut[0]));
    }
}

static void check_lion_bad_arguments(void) {
    float a[32] = {0}, b[32] = {0}, c[32] = {0};
    fk_lion_params ok = lion_params(1), p;
    CHECK_STATUS(fk_lion_step(8, a, b, c, NULL), FK_ERR_NULL);
    CHECK_STATUS(fk_lion_step(8, NULL, b, c, &ok), FK_ERR_NULL);
    CHECK_STATUS(fk_lion_step(8, a, NULL, c, &ok), FK_ERR_NULL);
    CHECK_STATUS(fk_lion_step(8, a, b, NULL, &ok), FK_ERR_NULL);
    CHECK_STATUS(fk_lion_step(0, NULL, NULL, NULL, &ok), FK_OK);
    CHECK_STATUS(fk_lion_step(-1, a, b, c, &ok), FK_ERR_SIZE);
    CHECK_STATUS(fk_lion_step(8, a, a + 4, c, &ok), FK_ERR_ALIAS);
    CHECK_STATUS(fk_lion_step(8, a, b, b + 7, &ok), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_lion_step(8, a, b, a, &ok), FK_ERR_ALIAS);
    p = ok; p.lr = -1e-3f;        CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.lr = NAN;           CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.lr = INFINITY;      CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.beta1 = 1.0f;       CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.beta1 = -0.1f;      CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.beta2 = 1.0f;       CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.beta2 = NAN;        CHECK_STATUS(fk_ref_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.weight_decay = -1;  CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.weight_decay = NAN; CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.flags = 2;          CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    p = ok; p.flags = 2;          CHECK_STATUS(fk_lion_step(0, NULL, NULL, NULL, &p), FK_ERR_ARGUMENT);
    /* Nothing written on error; lr = 0 moves only the momentum. */
    a[0] = 3.0f; b[0] = 1.0f;
    p = ok; p.lr = -1;
    CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_ERR_ARGUMENT);
    CHECK(a[0] == 3.0f && c[0] == 0.0f);
    p = ok; p.lr = 0.0f; p.beta2 = 0.0f;
    CHECK_STATUS(fk_lion_step(8, a, b, c, &p), FK_OK);
    CHECK(a[0] == 3.0f && c[0] == 1.0f);

    CHECK_STATUS(fk_apply_update(8, NULL, b, 0.1f, 0.1f, 0), FK_ERR_NULL);
    CHECK_STATUS(fk_apply_update(8, a, NULL, 0.1f, 0.1f, 0), FK_ERR_NULL);
    CHECK_STATUS(fk_apply_update(0, NULL, NULL, 0.1f, 0.1f, 0), FK_OK);
    CHECK_STATUS(fk_apply_update(-2, a, b, 0.1f, 0.1f, 0), FK_ERR_SIZE);
    CHECK_STATUS(fk_apply_update(8, a, a + 1, 0.1f, 0.1f, 0), FK_ERR_ALIAS);
    CHECK_STATUS(fk_apply_update(8, a, b, -0.1f, 0.1f, 0), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_apply_update(8, a, b, NAN, 0.1f, 0), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_apply_update(8, a, b, 0.1f, INFINITY, 0), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_ref_apply_update(8, a, b, 0.1f, -1.0f, 0), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_apply_update(8, a, b, 0.1f, 0.1f, 4), FK_ERR_ARGUMENT);
    CHECK(a[0] == 3.0f);
}

/* ---- Adam direction (AdamQLR) ---------------------------------------------------------------- */

static void check_direction_against_reference(int64_t n) {
    float *m = fk_test_alloc(n, 41), *v = fk_test_alloc(n, 42), *u = fk_test_alloc(n, 43), *ur = fk_test_alloc(n, 43);
    for (int64_t j = 0; j < n; j++) v[j] = v[j] * v[j] * 0.01f;
    float *rm = fk_test_copy(m, n), *rv = fk_test_copy(v, n);
    for (int64_t step = 1; step <= 3; step++) {
        float *g = fk_test_alloc(n, 50 + (uint64_t)step);
        fk_adam_direction_params p = {0.9f, 0.999f, 1e-8f, step};
        double dots[2] = {-1, -1}, rdots[2] = {-2, -2};
        CHECK_STATUS(fk_adam_direction(n, g, m, v, u, &p, dots), FK_OK);
        CHECK_STATUS(fk_ref_adam_direction(n, g, rm, rv, ur, &p, rdots), FK_OK);
        CHECK(fk_test_relerr(u, ur, 1, n, n) <= 1e-6);
        /* g·u cancels (random signs): the error is relative to the sum of |g·u|. */
        double scale = 0;
        for (int64_t j = 0; j < n; j++) scale += fabs((double)g[j] * (double)ur[j]);
        CHECK(fabs(dots[0] - rdots[0]) <= 2e-6 * scale);     /* float lanes within 512-blocks */
        CHECK(fabs(dots[1] - rdots[1]) <= 2e-6 * rdots[1]);
        free(g);
    }
    CHECK(fk_test_relerr(m, rm, 1, n, n) <= 1e-6);
    CHECK(fk_test_relerr(v, rv, 1, n, n) <= 1e-6);
    free(m); free(v); free(u); free(ur); free(rm); free(rv);
}

static void check_direction_threads(int64_t n) {
    float *g = fk_test_alloc(n, 44), *m1 = fk_test_alloc(n, 45), *v1 = fk_test_alloc(n, 46);
    for (int64_t j = 0; j < n; j++) v1[j] = fabsf(v1[j]);
    float *m2 = fk_test_copy(m1, n), *v2 = fk_test_copy(v1, n), *u1 = fk_test_alloc(n, 0), *u2 = fk_test_alloc(n, 0);
    fk_adam_direction_params p = {0.9f, 0.99f, 1e-8f, 4};
    double d1[2], d2[2];
    fk_set_num_threads(1);
    CHECK_STATUS(fk_adam_direction(n, g, m1, v1, u1, &p, d1), FK_OK);
    fk_set_num_threads(2);
    CHECK_STATUS(fk_adam_direction(n, g, m2, v2, u2, &p, d2), FK_OK);
    CHECK(fk_test_same_bits(u1, u2, n) && fk_test_same_bits(m1, m2, n) && fk_test_same_bits(v1, v2, n));
    CHECK(memcmp(d1, d2, sizeof d1) == 0);
    free(g); free(m1); free(v1); free(m2); free(v2); free(u1); free(u2);
}

/* From FK_STREAM_MIN_ELEMENTS (4·2^20) on, u goes out with non-temporal stores when it is
 * 16-byte aligned: the same values as plain stores (a misaligned u takes the plain path). */
static void check_direction_streamed_stores(void) {
    const int64_t n = ((int64_t)4 << 20) + 37;
    float *g = fk_test_alloc(n, 61), *m1 = fk_test_alloc(n, 62), *v1 = fk_test_alloc(n, 63);
    for (int64_t j = 0; j < n; j++) v1[j] = fabsf(v1[j]);
    float *m2 = fk_test_copy(m1, n), *v2 = fk_test_copy(v1, n), *m3 = fk_test_copy(m1, n), *v3 = fk_test_copy(v1, n);
    float *u1 = fk_test_alloc(n, 0), *u2 = fk_test_alloc(n + 1, 0), *u3 = fk_test_alloc(n, 0);
    CHECK(((uintptr_t)u1 & 15) == 0 && ((uintptr_t)(u2 + 1) & 15) != 0);
    fk_adam_direction_params p = {0.9f, 0.999f, 1e-8f, 2};
    double d1[2], d2[2], d3[2];
    CHECK_STATUS(fk_adam_direction(n, g, m1, v1, u1, &p, d1), FK_OK);
    CHECK_STATUS(fk_adam_direction(n, g, m2, v2, u2 + 1, &p, d2), FK_OK);
    CHECK_STATUS(fk_ref_adam_direction(n, g, m3, v3, u3, &p, d3), FK_OK);
    CHECK(fk_test_same_bits(u1, u2 + 1, n) && fk_test_same_bits(m1, m2, n) && fk_test_same_bits(v1, v2, n));
    CHECK(memcmp(d1, d2, sizeof d1) == 0);
    CHECK(fk_test_relerr(u1, u3, 1, n, n) <= 1e-6);
    free(g); free(m1); free(v1); free(m2); free(v2); free(m3); free(v3); free(u1); free(u2); free(u3);
}

static void check_direction_nonfinite_and_arguments(void) {
    float g[16], m[16] = {0}, v[16] = {0}, u[16];
    fk_test_fill(g, 16, 47);
    g[3] = NAN;
    fk_adam_direction_params p = {0.9f, 0.999f, 1e-8f, 1};
    double dots[2];
    CHECK_STATUS(fk_adam_direction(16, g, m, v, u, &p, dots), FK_OK);
    CHECK(isnan(u[3]) && isnan(dots[0]) && isnan(dots[1]) && isfinite(u[2]) && isfinite(u[4]));
    /* u = g/(|g| + eps) on the first step: g·u = |g| (sum 10.251), u·u = 1 where g != 0 (8 of 9). */
    float g2[9] = {0.5f, -0.5f, 2.0f, 0.0f, -1e-3f, 3.0f, -3.0f, 1.0f, 0.25f}, m2[9] = {0}, v2[9] = {0}, u2[9];
    CHECK_STATUS(fk_adam_direction(9, g2, m2, v2, u2, &p, dots), FK_OK);
    CHECK(fabs(dots[0] - 10.251) < 1e-5 && fabs(dots[1] - 8.0) < 1e-4);
    /* Bad arguments; nothing written on error. */
    fk_adam_direction_params bad = p;
    u2[0] = 5.0f;
    CHECK_STATUS(fk_adam_direction(9, g2, m2, v2, u2, NULL, dots), FK_ERR_NULL);
    CHECK_STATUS(fk_adam_direction(9, g2, m2, v2, u2, &p, NULL), FK_ERR_NULL);
    CHECK_STATUS(fk_adam_direction(9, NULL, m2, v2, u2, &p, dots), FK_ERR_NULL);
    CHECK_STATUS(fk_adam_direction(9, g2, m2, v2, NULL, &p, dots), FK_ERR_NULL);
    CHECK_STATUS(fk_adam_direction(-1, g2, m2, v2, u2, &p, dots), FK_ERR_SIZE);
    CHECK_STATUS(fk_adam_direction(9, g2, m2, m2 + 3, u2, &p, dots), FK_ERR_ALIAS);
    CHECK_STATUS(fk_adam_direction(9, g2, m2, v2, g2, &p, dots), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_adam_direction(9, g2, m2, v2, v2, &p, dots), FK_ERR_ALIAS);
    bad = p; bad.beta1 = 1.0f; CHECK_STATUS(fk_adam_direction(9, g2, m2, v2, u2, &bad, dots), FK_ERR_ARGUMENT);
    bad = p; bad.beta2 = NAN;  CHECK_STATUS(fk_adam_direction(9, g2, m2, v2, u2, &bad, dots), FK_ERR_ARGUMENT);
    bad = p; bad.eps = 0.0f;   CHECK_STATUS(fk_adam_direction(9, g2, m2, v2, u2, &bad, dots), FK_ERR_ARGUMENT);
    bad = p; bad.step = 0;     CHECK_STATUS(fk_adam_direction(9, g2, m2, v2, u2, &bad, dots), FK_ERR_ARGUMENT);
    CHECK(u2[0] == 5.0f);
    dots[0] = dots[1] = 3.0;
    CHECK_STATUS(fk_adam_direction(0, NULL, NULL, NULL, NULL, &p, dots), FK_OK);
    CHECK(dots[0] == 0.0 && dots[1] == 0.0);
}

int main(void) {
    for (int p = 0; p < (int)(sizeof(FK_TEST_PATHS) / sizeof(FK_TEST_PATHS[0])); p++) {
        if (fk_set_simd_path(FK_TEST_PATHS[p]) != FK_OK) continue; /* not on this CPU */
        printf("path %s\n", fk_simd_path());
        for (int s = 0; s < NSIZES; s++)
            for (int cautious = 0; cautious <= 1; cautious++) {
                check_against_reference(SIZES[s], cautious);
                check_threads(SIZES[s], cautious);
            }
        for (int s = 0; s < NSIZES; s++)
            for (int cautious = 0; cautious <= 1; cautious++) {
                check_lion_against_reference(SIZES[s], cautious);
                check_lion_threads(SIZES[s], cautious);
            }
        check_cautious_mask();
        check_nonfinite();
        check_lion_ties();
        check_lion_nonfinite();
        for (int s = 0; s < NSIZES; s++) {
            check_direction_against_reference(SIZES[s]);
            check_direction_threads(SIZES[s]);
        }
        check_direction_streamed_stores();
        check_direction_nonfinite_and_arguments();
    }
    fk_set_simd_path("auto");
    check_bad_arguments();
    check_lion_bad_arguments();
    return fk_test_done();
}
