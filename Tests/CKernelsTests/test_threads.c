/* test_threads.c — every parallel kernel gives the same bits on 1, 2, 3 and 4 threads, and the
 * same bits on packed operands (ld == cols) as on padded rows.
 *
 * The parallel drivers hand each thread one equal share of the elements (or rows), so where a
 * tile starts depends on the thread count: with 3 or 4 threads the shares end at other columns
 * than with 2 (odd row lengths put them mid-row). Each kernel below runs on shapes above the
 * parallel threshold, with odd row lengths and row strides, and must give identical outputs
 * for every thread count (more threads than cores is fine: only the split matters). Packed
 * operands of the elementwise kernels run as one long row (fk_parallel_elementwise), so their
 * tiles and vector loops cross row ends: that too must change no bit. */
#include "fk_test.h"

typedef struct shape { int64_t rows, cols; } shape;
/* the last one is above FK_STREAM_MIN_ELEMENTS (4·2^20): blend, zero-star and APG stream g */
static const shape SHAPES[] = {{4099, 33}, {97, 1023}, {3, 40001}, {1, 100003}, {257, 1024}, {1025, 4099}};
#define NSHAPES ((int)(sizeof(SHAPES) / sizeof(SHAPES[0])))
static const int THREADS[] = {1, 2, 3, 4};
#define NTHREADS ((int)(sizeof(THREADS) / sizeof(THREADS[0])))

enum { K_EULER, K_COMBINE, K_BLEND, K_CFG_EULER, K_ZERO_STAR, K_MG, K_CFG_MG_DEBIAS, K_MG_G, K_MG_G_ALIAS, K_MG_NORM, K_APG,
       K_ROW_DOT, K_RANDN, K_SILU, K_COUNT };
static const char *NAMES[K_COUNT] = {"euler", "combine", "cfg_blend", "cfg_euler", "cfg_zero_star", "mg_euler",
                                     "cfg_mg_euler (debias)", "mg_euler (g out)", "mg_euler (g = c)", "mg_euler_norm", "apg", "row_dot", "randn",
                                     "bias_silu"};

/* Runs kernel `which` on fresh copies of the inputs; writes its outputs into out [rows·ld], the
 * state it updates besides (MG's EMA, APG's momentum; else a copy of c0) into out2 [rows·ld], a
 * third output (the EMA when g is in out2; else a copy of c0) into out3 and its per-row values
 * into rowout [rows]. */
static void run(int which, int64_t rows, int64_t cols, int64_t ld, const float *a, const float *b,
                const float *c0, float *out, float *out2, float *out3, float *rowout) {
    const int64_t n = rows * ld;
    float *m = out2, *prev = out2;
    memcpy(out2, c0, (size_t)n * sizeof(float));
    memcpy(out3, c0, (size_t)n * sizeof(float));
    memcpy(out, a, (size_t)n * sizeof(float));
    fk_mg_params mg = {0.5f, 0.6f, 1e-8f, 0, 1, 0, 3};
    fk_apg_params apg = {4.5f, 0.0f, 10.0f, -0.5f, 0.7f, FK_APG_X0_SPACE};
    switch (which) {
    case K_EULER: CHECK_STATUS(fk_euler_step(rows, cols, a, ld, b, ld, -0.02f, out, ld), FK_OK); break;
    case K_COMBINE: {
        const float coeffs[2] = {-0.01f, 0.03f};
        const float *terms[2] = {b, c0};
        CHECK_STATUS(fk_combine(rows, cols, ld, a, 2, coeffs, terms, out), FK_OK);
        break;
    }
    case K_CFG_EULER: CHECK_STATUS(fk_cfg_euler_step(rows, cols, out, ld, b, ld, c0, ld, 4.0f, -0.02f), FK_OK); break;
    case K_CFG_MG_DEBIAS: /* m_eff = m / (1 - beta^s): the general MG body, after CFG */
        mg.flags = FK_MG_DEBIAS;
        CHECK_STATUS(fk_cfg_mg_euler_step(rows, cols, out, ld, b, ld, a, ld, 4.0f, m, ld, -0.02f, &mg,
                                          NULL, 0, NULL), FK_OK);
        break;
    case K_MG_G: /* g written: g to out2, the EMA to out3 */
        CHECK_STATUS(fk_mg_euler_step(rows, cols, out, ld, b, ld, out3, ld, -0.02f, &mg, out2, ld, NULL), FK_OK);
        break;
    case K_MG_G_ALIAS: /* g written over the velocity (g == c, allowed): c and g in out2 */
        memcpy(out2, b, (size_t)n * sizeof(float));
        CHECK_STATUS(fk_mg_euler_step(rows, cols, out, ld, out2, ld, out3, ld, -0.02f, &mg, out2, ld, NULL), FK_OK);
        break;
    case K_BLEND: CHECK_STATUS(fk_cfg_blend(rows, cols, a, ld, b, ld, 4.0f, out, ld), FK_OK); break;
    case K_ZERO_STAR: CHECK_STATUS(fk_cfg_zero_star(rows, cols, a, ld, b, ld, 4.0f, out, ld, rowout), FK_OK); break;
    case K_MG:
    case K_MG_NORM:
        mg.flags = which == K_MG_NORM ? FK_MG_NORMALIZE : 0;
        /* plain MG runs on tiles; with normalize (and the diagnostic) on whole rows */
        CHECK_STATUS(fk_mg_euler_step(rows, cols, out, ld, b, ld, m, ld, -0.02f, &mg, NULL, 0,
                                      which == K_MG_NORM ? rowout : NULL), FK_OK);
        break;
    case K_APG:
        CHECK_STATUS(fk_apg(rows, cols, a, ld, b, ld, c0, ld, prev, ld, &apg, out, ld, rowout), FK_OK);
        break;
    case K_ROW_DOT: CHECK_STATUS(fk_row_dot(rows, cols, a, ld, b, ld, rowout), FK_OK); break;
    case K_RANDN: CHECK_STATUS(fk_randn(42, 3, 5, 7, rows, cols, out, ld), FK_OK); break;
    default: CHECK_STATUS(fk_bias_activation(rows, cols, out, ld, b, FK_ACT_SILU, NULL), FK_OK); break;
    }
}

/* A copy of the [rows, cols] matrix p (row stride ld) without the padding (row stride cols). */
static float *packed(const float *p, int64_t rows, int64_t cols, int64_t ld) {
    float *q = fk_test_alloc(rows * cols, 0);
    for (int64_t i = 0; i < rows; i++) memcpy(q + i * cols, p + i * ld, (size_t)cols * sizeof(float));
    return q;
}

/* Packed q (row stride cols) holds the same bits as p (row stride ld). */
static int same_packed(const float *q, const float *p, int64_t rows, int64_t cols, int64_t ld) {
    for (int64_t i = 0; i < rows; i++)
        if (!fk_test_same_bits(q + i * cols, p + i * ld, cols)) return 0;
    return 1;
}

static void check_kernel(int which, shape s) {
    const int64_t ld = s.cols + 5, n = s.rows * ld;
    float *a = fk_test_alloc(n, 11), *b = fk_test_alloc(n, 12), *c = fk_test_alloc(n, 13);
    float *want = fk_test_alloc(n, 0), *got = fk_test_alloc(n, 0);
    float *want2 = fk_test_alloc(n, 0), *got2 = fk_test_alloc(n, 0);
    float *want3 = fk_test_alloc(n, 0), *got3 = fk_test_alloc(n, 0);
    float *rwant = fk_test_alloc(s.rows, 0), *rgot = fk_test_alloc(s.rows, 0);
    float *pa = packed(a, s.rows, s.cols, ld), *pb = packed(b, s.rows, s.cols, ld), *pc = packed(c, s.rows, s.cols, ld);
    float *pgot = fk_test_alloc(s.rows * s.cols, 0), *pgot2 = fk_test_alloc(s.rows * s.cols, 0);
    float *pgot3 = fk_test_alloc(s.rows * s.cols, 0);
    for (int t = 0; t < NTHREADS; t++) {
        fk_set_num_threads(THREADS[t]);
        float *o = t == 0 ? want : got, *o2 = t == 0 ? want2 : got2, *o3 = t == 0 ? want3 : got3;
        float *r = t == 0 ? rwant : rgot;
        memset(r, 0, (size_t)s.rows * sizeof(float));
        run(which, s.rows, s.cols, ld, a, b, c, o, o2, o3, r);
        if (t > 0 && !(fk_test_same_matrix(got, want, s.rows, s.cols, ld) &&
                       fk_test_same_matrix(got2, want2, s.rows, s.cols, ld) &&
                       fk_test_same_matrix(got3, want3, s.rows, s.cols, ld) && fk_test_same_bits(rgot, rwant, s.rows))) {
            fprintf(stderr, "  %s [%lld, %lld]: %d threads differ from 1\n", NAMES[which], (long long)s.rows,
                    (long long)s.cols, THREADS[t]);
            CHECK(0);
        }
        /* The same values packed (ld == cols): the same bits as the padded 1-thread run. */
        memset(rgot, 0, (size_t)s.rows * sizeof(float));
        run(which, s.rows, s.cols, s.cols, pa, pb, pc, pgot, pgot2, pgot3, rgot);
        if (!(same_packed(pgot, want, s.rows, s.cols, ld) && same_packed(pgot2, want2, s.rows, s.cols, ld) &&
              same_packed(pgot3, want3, s.rows, s.cols, ld) && fk_test_same_bits(rgot, rwant, s.rows))) {
            fprintf(stderr, "  %s [%lld, %lld]: packed operands on %d threads differ from padded rows\n",
                    NAMES[which], (long long)s.rows, (long long)s.cols, THREADS[t]);
            CHECK(0);
        }
    }
    fk_set_num_threads(2);
    free(a); free(b); free(c); free(want); free(got); free(want2); free(got2); free(rwant); free(rgot);
    free(want3); free(got3); free(pa); free(pb); free(pc); free(pgot); free(pgot2); free(pgot3);
}

int main(void) {
    if (!fk_has_openmp()) {
        printf("built without OpenMP: one thread only, nothing to compare (skipped)\n");
        return 77; /* ctest SKIP_RETURN_CODE */
    }
    fk_set_num_threads(4);
    if (fk_get_num_threads() != 4) {
        printf("cannot set 4 threads (OMP_THREAD_LIMIT?): got %d (skipped)\n", fk_get_num_threads());
        return 77;
    }
    for (int p = 0; p < (int)(sizeof(FK_TEST_PATHS) / sizeof(FK_TEST_PATHS[0])); p++) {
        if (fk_set_simd_path(FK_TEST_PATHS[p]) != FK_OK) continue; /* not on this CPU */
        printf("path %s\n", fk_simd_path());
        for (int k = 0; k < K_COUNT; k++)
            for (int s = 0; s < NSHAPES; s++) check_kernel(k, SHAPES[s]);
    }
    fk_set_simd_path("auto");
    return fk_test_done();
}
