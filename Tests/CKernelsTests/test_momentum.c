/* test_momentum.c — fk_cfg_mg_euler_step / fk_mg_euler_step (Momentum Guidance fused with CFG
 * and the Euler step) against the reference at every test shape (row stride > cols) on every
 * SIMD path of this CPU, for every option combination; exact aliasing (g == c); thread-count
 * invariance; NaN/Inf; bad arguments; and the semantic checks of DESIGN.md §3: alpha = 0 is
 * plain Euler, beta = 0 with alpha = 1/2 is Adams–Bashforth 2, a constant velocity field is
 * unchanged, the first step is plain Euler, debias/normalize by hand, inactive window. */
#include "fk_test.h"

/* fk_test_relerr, but relative to at least 1 (the inputs' scale): the EMA (1-beta)·d + beta·m
 * of a 1x1 case can cancel to a tiny value whose float rounding is relative to d and m. */
static double err_floor(const float *got, const float *want, int64_t rows, int64_t cols, int64_t ld) {
    double maxref = 1e-30;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            if (fabs(want[i * ld + j]) > maxref) maxref = fabs(want[i * ld + j]);
    /* relerr·maxref is the max |got - want| (or Inf/NaN where they disagree on non-finites). */
    return fk_test_relerr(got, want, rows, cols, ld) * maxref / (maxref > 1.0 ? maxref : 1.0);
}

static fk_mg_params mg(float alpha, float beta, int flags, int active, int64_t updates) {
    fk_mg_params p = {alpha, beta, 1e-8f, flags, active, 0, updates};
    return p;
}

/* One option combination at one shape: kernel vs reference, outputs x, m, g, diag. */
typedef struct {
    int64_t rows, cols, ld;
    const float *x0, *c, *u, *m0;
} mg_case;

static void run_pair(const mg_case *t, const fk_mg_params *p, int with_g, int with_diag, float w, float h) {
    int64_t n = t->rows * t->ld;
    float *x = fk_test_copy(t->x0, n), *m = fk_test_copy(t->m0, n), *xr = fk_test_copy(t->x0, n), *mr = fk_test_copy(t->m0, n);
    float *g = with_g ? fk_test_alloc(n, 0) : NULL, *gr = with_g ? fk_test_alloc(n, 0) : NULL;
    float *dg = with_diag ? fk_test_alloc(t->rows, 0) : NULL, *dr = with_diag ? fk_test_alloc(t->rows, 0) : NULL;
    CHECK_STATUS(fk_ref_cfg_mg_euler_step(t->rows, t->cols, xr, t->ld, t->c, t->ld, t->u, t->ld, w,
                                          mr, t->ld, h, p, gr, t->ld, dr), FK_OK);
    CHECK_STATUS(fk_cfg_mg_euler_step(t->rows, t->cols, x, t->ld, t->c, t->ld, t->u, t->ld, w,
                                      m, t->ld, h, p, g, t->ld, dg), FK_OK);
    CHECK(err_floor(x, xr, t->rows, t->cols, t->ld) <= 1e-6);
    CHECK(err_floor(m, mr, t->rows, t->cols, t->ld) <= 1e-6);
    if (with_g) CHECK(err_floor(g, gr, t->rows, t->cols, t->ld) <= 1e-6);
    if (with_diag) CHECK(fk_test_relerr(dg, dr, t->rows, 1, 1) <= 1e-6);
    free(x); free(m); free(xr); free(mr); free(g); free(gr); free(dg); free(dr);
}

/* Runs the kernel on copies; returns x, m, g, diag (caller frees). */
static void run_mg(const mg_case *t, const float *c, const fk_mg_params *p, float w, float h,
                   float **x, float **m, float **g, float **diag, int g_is_c) {
    int64_t n = t->rows * t->ld;
    *x = fk_test_copy(t->x0, n); *m = fk_test_copy(t->m0, n);
    *g = g_is_c ? fk_test_copy(c, n) : fk_test_alloc(n, 0);
    *diag = fk_test_alloc(t->rows, 0);
    const float *cc = g_is_c ? *g : c;
    CHECK_STATUS(fk_cfg_mg_euler_step(t->rows, t->cols, *x, t->ld, cc, t->ld, t->u, t->ld, w,
                                      *m, t->ld, h, p, *g, t->ld, *diag), FK_OK);
}

static void check_shape(int64_t rows, int64_t cols) {
    int64_t ld = cols + 3, n = rows * ld;
    float *x0 = fk_test_alloc(n, 1), *c = fk_test_alloc(n, 2), *u = fk_test_alloc(n, 3), *m0 = fk_test_alloc(n, 4);
    const float w = 3.0f, h = -0.04f;
    int large = rows * cols > 200000;

    for (int cfg = 0; cfg <= 1; cfg++) {
        mg_case t = {rows, cols, ld, x0, c, cfg ? u : NULL, m0};
        for (int flags = 0; flags <= 3; flags++)
            for (int active = 0; active <= 1; active++)
                for (int64_t upd = 0; upd <= 3; upd += 3)
                    for (int opt = 0; opt < 4; opt++) {
                        /* Large shapes: the hot variants only (keeps the test quick). */
                        if (large && (opt == 1 || opt == 2 || !active || upd == 0)) continue;
                        fk_mg_params p = mg(0.5f, 0.6f, flags, active, upd);
                        run_pair(&t, &p, opt & 1, (opt >> 1) & 1, w, h);
                    }

        /* g aliasing c gives the same bits as a separate g; thread counts 1 and 2 agree. */
        for (int flags = 0; flags <= 3; flags++) {
            fk_mg_params p = mg(0.5f, 0.6f, flags, 1, 2);
            float *xa, *ma, *ga, *da, *xb, *mb, *gb, *db;
            run_mg(&t, c, &p, w, h, &xa, &ma, &ga, &da, 0);
            run_mg(&t, c, &p, w, h, &xb, &mb, &gb, &db, 1);
            CHECK(fk_test_same_matrix(xa, xb, rows, cols, ld) && fk_test_same_matrix(ma, mb, rows, cols, ld) &&
                  fk_test_same_matrix(ga, gb, rows, cols, ld) && fk_test_same_bits(da, db, rows));
            free(xb); free(mb); free(gb); free(db);
            fk_set_num_threads(1);
            run_mg(&t, c, &p, w, h, &xb, &mb, &gb, &db, 0);
            fk_set_num_threads(2);
            CHECK(fk_test_same_matrix(xa, xb, rows, cols, ld) && fk_test_same_matrix(ma, mb, rows, cols, ld) &&
                  fk_test_same_matrix(ga, gb, rows, cols, ld) && fk_test_same_bits(da, db, rows));
            free(xa); free(ma); free(ga); free(da); free(xb); free(mb); free(gb); free(db);
        }
        /* Tiles (no g, no diag) across thread counts. */
        fk_mg_params p = mg(0.5f, 0.6f, 0, 1, 2);
        float *x1 = fk_test_copy(x0, n), *m1 = fk_test_copy(m0, n), *x2 = fk_test_copy(x0, n), *m2 = fk_test_copy(m0, n);
        fk_set_num_threads(1);
        CHECK_STATUS(fk_cfg_mg_euler_step(rows, cols, x1, ld, c, ld, t.u, ld, w, m1, ld, h, &p, NULL, 0, NULL), FK_OK);
        fk_set_num_threads(2);
        CHECK_STATUS(fk_cfg_mg_euler_step(rows, cols, x2, ld, c, ld, t.u, ld, w, m2, ld, h, &p, NULL, 0, NULL), FK_OK);
        CHECK(fk_test_same_matrix(x1, x2, rows, cols, ld) && fk_test_same_matrix(m1, m2, rows, cols, ld));
        /* k = 1 (no debias, no normalize): the tiles form d - m with one subtraction, the row
         * pass (taken when diag is asked for) as d - k·m; both give the same bits. */
        float *g1 = fk_test_alloc(n, 0), *g2 = fk_test_alloc(n, 0), *dg = fk_test_alloc(rows, 0);
        memcpy(x1, x0, (size_t)n * sizeof(float)); memcpy(m1, m0, (size_t)n * sizeof(float));
        memcpy(x2, x0, (size_t)n * sizeof(float)); memcpy(m2, m0, (size_t)n * sizeof(float));
        CHECK_STATUS(fk_cfg_mg_euler_step(rows, cols, x1, ld, c, ld, t.u, ld, w, m1, ld, h, &p, g1, ld, NULL), FK_OK);
        CHECK_STATUS(fk_cfg_mg_euler_step(rows, cols, x2, ld, c, ld, t.u, ld, w, m2, ld, h, &p, g2, ld, dg), FK_OK);
        CHECK(fk_test_same_matrix(x1, x2, rows, cols, ld) && fk_test_same_matrix(m1, m2, rows, cols, ld) &&
              fk_test_same_matrix(g1, g2, rows, cols, ld));
        free(x1); free(m1); free(x2); free(m2); free(g1); free(g2); free(dg);
    }

    /* fk_mg_euler_step is the u = NULL case. */
    {
        fk_mg_params p = mg(0.5f, 0.6f, FK_MG_NORMALIZE, 1, 4);
        float *x1 = fk_test_copy(x0, n), *m1 = fk_test_copy(m0, n), *x2 = fk_test_copy(x0, n), *m2 = fk_test_copy(m0, n);
        float *d1 = fk_test_alloc(rows, 0), *d2 = fk_test_alloc(rows, 0);
        CHECK_STATUS(fk_mg_euler_step(rows, cols, x1, ld, c, ld, m1, ld, h, &p, NULL, 0, d1), FK_OK);
        CHECK_STATUS(fk_cfg_mg_euler_step(rows, cols, x2, ld, c, ld, NULL, 0, 7.0f, m2, ld, h, &p, NULL, 0, d2), FK_OK);
        CHECK(fk_test_same_matrix(x1, x2, rows, cols, ld) && fk_test_same_matrix(m1, m2, rows, cols, ld) &&
              fk_test_same_bits(d1, d2, rows));
        free(x1); free(m1); free(x2); free(m2); free(d1); free(d2);
    }

    /* alpha = 0 is plain Euler, bit for bit (any flags, with or without CFG). */
    for (int flags = 0; flags <= 3; flags++) {
        fk_mg_params p = mg(0.0f, 0.6f, flags, 1, 3);
        float *x1 = fk_test_copy(x0, n), *m1 = fk_test_copy(m0, n), *xe = fk_test_alloc(n, 0), *d = fk_test_alloc(n, 0);
        CHECK_STATUS(fk_mg_euler_step(rows, cols, x1, ld, c, ld, m1, ld, h, &p, NULL, 0, NULL), FK_OK);
        CHECK_STATUS(fk_euler_step(rows, cols, x0, ld, c, ld, h, xe, ld), FK_OK);
        CHECK(fk_test_same_matrix(x1, xe, rows, cols, ld));
        memcpy(x1, x0, (size_t)(n > 0 ? n : 1) * sizeof(float));
        CHECK_STATUS(fk_cfg_mg_euler_step(rows, cols, x1, ld, c, ld, u, ld, w, m1, ld, h, &p, NULL, 0, NULL), FK_OK);
        CHECK_STATUS(fk_cfg_blend(rows, cols, c, ld, u, ld, w, d, ld), FK_OK);
        CHECK_STATUS(fk_euler_step(rows, cols, x0, ld, d, ld, h, xe, ld), FK_OK);
        if (strcmp(fk_simd_path(), "reference") == 0) /* the ref keeps d in double: no float d */
            CHECK(err_floor(x1, xe, rows, cols, ld) <= 1e-6);
        else
            CHECK(fk_test_same_matrix(x1, xe, rows, cols, ld));
        free(x1); free(m1); free(xe); free(d);
    }
    free(x0); free(c); free(u); free(m0);
}

/* beta = 0, alpha = 1/2, uniform grid: x_{i+1} = x_i + h·(3/2·d_i - 1/2·d_{i-1}) (AB2), the
 * first step Euler. Also: the first step is plain Euler (m = d exactly, g = d, diag = 0). */
static void check_ab2_and_first_step(void) {
    enum { R = 3, C = 37, STEPS = 6 };
    float x[R * C], m[R * C], d[STEPS][R * C], g[R * C], diag[R], xe[R * C];
    double ab[R * C];
    fk_test_fill(x, R * C, 21);
    fk_test_fill(m, R * C, 22); /* garbage: the first step must ignore it */
    for (int s = 0; s < STEPS; s++) fk_test_fill(d[s], R * C, 30 + s);
    for (int e = 0; e < R * C; e++) ab[e] = x[e];
    const float h = -1.0f / STEPS;
    for (int s = 0; s < STEPS; s++) {
        fk_mg_params p = mg(0.5f, 0.0f, 0, 1, s);
        if (s == 0) CHECK_STATUS(fk_euler_step(R, C, x, C, d[0], C, h, xe, C), FK_OK);
        CHECK_STATUS(fk_mg_euler_step(R, C, x, C, d[s], C, m, C, h, &p, g, C, diag), FK_OK);
        if (s == 0) {
            CHECK(fk_test_same_bits(x, xe, R * C));
            CHECK(fk_test_same_bits(m, d[0], R * C));
            CHECK(fk_test_same_bits(g, d[0], R * C));
            CHECK(diag[0] == 0.0f && diag[R - 1] == 0.0f);
        }
        for (int e = 0; e < R * C; e++)
            ab[e] += (double)h * (s == 0 ? (double)d[0][e] : 1.5 * d[s][e] - 0.5 * d[s - 1][e]);
    }
    float abf[R * C];
    for (int e = 0; e < R * C; e++) abf[e] = (float)ab[e];
    CHECK(fk_test_relerr(x, abf, R, C, C) <= 1e-6);
}

/* A constant velocity field: N MG steps equal N Euler steps exactly, and m stays d. */
static void check_constant_field(void) {
    enum { R = 4, C = 129, STEPS = 8 };
    static float x[R * C], xe[R * C], m[R * C], d[R * C];
    fk_test_fill(x, R * C, 40); memcpy(xe, x, sizeof x);
    fk_test_fill(d, R * C, 41);
    for (int64_t s = 0; s < STEPS; s++) {
        fk_mg_params p = mg(0.5f, 0.6f, 0, 1, s);
        float h = -1.0f / STEPS - 0.01f * (float)s; /* a non-uniform grid */
        CHECK_STATUS(fk_mg_euler_step(R, C, x, C, d, C, m, C, h, &p, NULL, 0, NULL), FK_OK);
        CHECK_STATUS(fk_euler_step(R, C, xe, C, d, C, h, xe, C), FK_OK);
    }
    CHECK(fk_test_same_bits(x, xe, R * C));
    CHECK(fk_test_same_bits(m, d, R * C));
    /* With debias the EMA converges to d (m_eff = d exactly in exact arithmetic). */
    memset(m, 0, sizeof m); fk_test_fill(x, R * C, 40); memcpy(xe, x, sizeof x);
    for (int64_t s = 0; s < STEPS; s++) {
        fk_mg_params p = mg(0.5f, 0.6f, FK_MG_DEBIAS, 1, s);
        CHECK_STATUS(fk_mg_euler_step(R, C, x, C, d, C, m, C, -0.1f, &p, NULL, 0, NULL), FK_OK);
        CHECK_STATUS(fk_euler_step(R, C, xe, C, d, C, -0.1f, xe, C), FK_OK);
    }
    CHECK(fk_test_relerr(x, xe, R, C, C) <= 1e-6);
}

/* Debias, normalize and the inactive window against hand-computed values. */
static void check_hand_cases(void) {
    /* d = [3, 4], m = [1, 0], beta = 1/2, alpha = 1, updates = 1, h = -0.1, x = 0. */
    const float d[2] = {3, 4}, h = -0.1f;
    struct { int flags, active; float x[2], m[2], g[2], diag; } cases[] = {
        /* plain: m_eff = [1, 0], g = [5, 8] */
        {0, 1, {-0.5f, -0.8f}, {2, 2}, {5, 8}, 4.4721360f},
        /* debias: m_eff = m/(1 - 1/2) = [2, 0], g = [4, 8], diag = ||[1, 4]|| */
        {FK_MG_DEBIAS, 1, {-0.4f, -0.8f}, {2, 2}, {4, 8}, 4.1231056f},
        /* normalize: m_eff = m·||d||/||m|| = [5, 0], g = [1, 8], diag = ||[-2, 4]|| */
        {FK_MG_NORMALIZE, 1, {-0.1f, -0.8f}, {2, 2}, {1, 8}, 4.4721360f},
        /* both: [2, 0] rescaled to norm 5 = [5, 0] */
        {FK_MG_NORMALIZE | FK_MG_DEBIAS, 1, {-0.1f, -0.8f}, {2, 2}, {1, 8}, 4.4721360f},
        /* inactive: g = d, EMA still updates, no correction reported */
        {0, 0, {-0.3f, -0.4f}, {2, 2}, {3, 4}, 0.0f},
        {FK_MG_NORMALIZE | FK_MG_DEBIAS, 0, {-0.3f, -0.4f}, {2, 2}, {3, 4}, 0.0f},
    };
    for (int k = 0; k < (int)(sizeof cases / sizeof cases[0]); k++)
        for (int ref = 0; ref <= 1; ref++) {
            float x[2] = {0, 0}, m[2] = {1, 0}, g[2], diag;
            fk_mg_params p = mg(1.0f, 0.5f, cases[k].flags, cases[k].active, 1);
            p.eps = 0.0f;
            CHECK_STATUS((ref ? fk_ref_cfg_mg_euler_step : fk_cfg_mg_euler_step)(
                             1, 2, x, 2, d, 2, NULL, 0, 1.0f, m, 2, h, &p, g, 2, &diag), FK_OK);
            for (int j = 0; j < 2; j++) {
                CHECK(fabsf(x[j] - cases[k].x[j]) <= 1e-6f);
                CHECK(fabsf(m[j] - cases[k].m[j]) <= 1e-6f);
                CHECK(fabsf(g[j] - cases[k].g[j]) <= 1e-6f);
            }
            CHECK(fabsf(diag - cases[k].diag) <= 1e-6f);
        }
    /* Debias at updates = 0: MG off (g = d) and m = (1 - beta)·d + beta·m from m = 0. */
    {
        float x[2] = {0, 0}, m[2] = {0, 0}, g[2], diag = 1;
        fk_mg_params p = mg(1.0f, 0.5f, FK_MG_DEBIAS | FK_MG_NORMALIZE, 1, 0);
        CHECK_STATUS(fk_mg_euler_step(1, 2, x, 2, d, 2, m, 2, h, &p, g, 2, &diag), FK_OK);
        CHECK(g[0] == 3.0f && g[1] == 4.0f && m[0] == 1.5f && m[1] == 2.0f && diag == 0.0f);
        CHECK(fabsf(x[0] + 0.3f) <= 1e-7f && fabsf(x[1] + 0.4f) <= 1e-7f);
    }
    /* Normalize with m = 0 and eps = 0: m_eff = 0 (no 0/0). */
    {
        float x[2] = {0, 0}, m[2] = {0, 0}, g[2], diag;
        fk_mg_params p = mg(1.0f, 0.5f, FK_MG_NORMALIZE, 1, 1);
        p.eps = 0.0f;
        CHECK_STATUS(fk_mg_euler_step(1, 2, x, 2, d, 2, m, 2, h, &p, g, 2, &diag), FK_OK);
        CHECK(g[0] == 6.0f && g[1] == 8.0f && fabsf(diag - 5.0f) <= 1e-6f);
    }
}

static void check_nonfinite(void) {
    enum { R = 3, C = 21 };
    for (int flags = 0; flags <= 3; flags++) {
        float x[R * C], m[R * C], c[R * C], u[R * C], g[R * C], diag[R];
        fk_test_fill(x, R * C, 50); fk_test_fill(m, R * C, 51);
        fk_test_fill(c, R * C, 52); fk_test_fill(u, R * C, 53);
        c[4] = NAN;              /* row 0 */
        m[C + 6] = INFINITY;     /* row 1 */
        fk_mg_params p = mg(0.5f, 0.6f, flags, 1, 2);
        CHECK_STATUS(fk_cfg_mg_euler_step(R, C, x, C, c, C, u, C, 2.0f, m, C, -0.1f, &p, g, C, diag), FK_OK);
        CHECK(isnan(x[4]) && isnan(g[4]) && isnan(m[4]) && isnan(diag[0]));
        CHECK(!isfinite(x[C + 6]) && !isfinite(m[C + 6]) && !isfinite(diag[1]));
        for (int j = 0; j < C; j++) CHECK(isfinite(x[2 * C + j]) && isfinite(m[2 * C + j]));
        CHECK(isfinite(diag[2]));
    }
}

static void check_bad_arguments(void) {
    float x[64] = {0}, c[64] = {0}, u[64] = {0}, m[64] = {0}, g[64], diag[8];
    fk_mg_params ok = mg(0.5f, 0.6f, 0, 1, 1), p;
#define MG(P) fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, P, g, 4, diag)
    CHECK_STATUS(MG(&ok), FK_OK);
    CHECK_STATUS(MG(NULL), FK_ERR_NULL);
    p = ok; p.beta = 1.0f;  CHECK_STATUS(MG(&p), FK_ERR_ARGUMENT);
    p = ok; p.beta = -0.1f; CHECK_STATUS(MG(&p), FK_ERR_ARGUMENT);
    p = ok; p.beta = NAN;   CHECK_STATUS(MG(&p), FK_ERR_ARGUMENT);
    p = ok; p.eps = -1e-8f; CHECK_STATUS(MG(&p), FK_ERR_ARGUMENT);
    p = ok; p.eps = NAN;    CHECK_STATUS(MG(&p), FK_ERR_ARGUMENT);
    p = ok; p.reserved = 1; CHECK_STATUS(MG(&p), FK_ERR_ARGUMENT);
    p = ok; p.updates = -1; CHECK_STATUS(MG(&p), FK_ERR_ARGUMENT);
    p = ok; p.flags = 4;    CHECK_STATUS(MG(&p), FK_ERR_ARGUMENT);
    p = ok; p.beta = 0.0f;  CHECK_STATUS(MG(&p), FK_OK);
    p = ok; p.beta = NAN;
    CHECK_STATUS(fk_ref_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &p, g, 4, diag), FK_ERR_ARGUMENT);
#undef MG
    /* sizes, NULLs, strides */
    CHECK_STATUS(fk_cfg_mg_euler_step(-1, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, diag), FK_ERR_SIZE);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, -1, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, diag), FK_ERR_SIZE);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, NULL, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, diag), FK_ERR_NULL);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, NULL, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, diag), FK_ERR_NULL);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, NULL, 4, -0.1f, &ok, g, 4, diag), FK_ERR_NULL);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 3, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, diag), FK_ERR_STRIDE);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 3, 2.0f, m, 4, -0.1f, &ok, g, 4, diag), FK_ERR_STRIDE);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 2, -0.1f, &ok, g, 4, diag), FK_ERR_STRIDE);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 1, diag), FK_ERR_STRIDE);
    CHECK_STATUS(fk_mg_euler_step(4, 4, x, 4, c, 4, m, 4, -0.1f, &ok, NULL, 0, NULL), FK_OK);
    CHECK_STATUS(fk_mg_euler_step(0, 4, NULL, 4, NULL, 4, NULL, 4, -0.1f, &ok, NULL, 0, NULL), FK_OK);
    CHECK_STATUS(fk_mg_euler_step(3, 0, NULL, 0, NULL, 0, NULL, 0, -0.1f, &ok, NULL, 0, diag), FK_OK);
    CHECK(diag[0] == 0.0f && diag[2] == 0.0f);
    /* aliasing: g == c exactly is allowed; every other overlap is FK_ERR_ALIAS */
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, c, 4, diag), FK_OK);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, c + 1, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(3, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, c, 5, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, u, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, x, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, m + 8, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, x, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, x + 2, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, x, 4, -0.1f, &ok, g, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, c + 4, 4, -0.1f, &ok, g, 4, diag), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, m + 12), FK_ERR_ALIAS);
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, g), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_cfg_mg_euler_step(4, 4, x, 4, c, 4, u, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, x + 1), FK_ERR_ALIAS);
    /* c and u may overlap each other (both inputs) */
    CHECK_STATUS(fk_cfg_mg_euler_step(4, 4, x, 4, c, 4, c, 4, 2.0f, m, 4, -0.1f, &ok, g, 4, diag), FK_OK);
}

int main(void) {
    for (int p = 0; p < (int)(sizeof(FK_TEST_PATHS) / sizeof(FK_TEST_PATHS[0])); p++) {
        if (fk_set_simd_path(FK_TEST_PATHS[p]) != FK_OK) continue; /* not on this CPU */
        printf("path %s\n", fk_simd_path());
        for (int s = 0; s < FK_TEST_NSHAPES; s++) {
            /* On the reference path the kernel is the oracle: large shapes would compare it
             * with itself, slowly. */
            if (strcmp(FK_TEST_PATHS[p], "reference") == 0 && FK_TEST_SHAPES[s].rows * FK_TEST_SHAPES[s].cols > 200000) continue;
            check_shape(FK_TEST_SHAPES[s].rows, FK_TEST_SHAPES[s].cols);
        }
        check_ab2_and_first_step();
        check_constant_field();
        check_hand_cases();
        check_nonfinite();
    }
    fk_set_simd_path("auto");
    check_bad_arguments();
    return fk_test_done();
}
