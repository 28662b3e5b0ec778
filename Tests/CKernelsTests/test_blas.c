/* test_blas.c — the run-time BLAS backend and fk_sgemm.
 *
 * fk_sgemm against fk_ref_sgemm (all four transpose combos, odd sizes incl. 0 and 1, leading
 * dimensions above the minimum, alpha/beta, k = 0), bad arguments, every backend name loaded and
 * switched in one process, a bogus name, and the thread setter.
 *
 * Environment read by this test (ctest sets them for its variants):
 *   FK_TEST_EXPECT_BLAS=<family>  the family the default backend must report (e.g. with
 *                                 FLOWGUIDE_BLAS=blis, or LD_LIBRARY_PATH=.../blis-openmp).
 *   FK_TEST_FASTPATH=apply|fail|preset  exercise the OpenBLAS fast path in a fresh process
 *                                 (forced on this CPU with a core it can run, Sandybridge).
 * GEMM tolerance: 1e-5 max-norm relative (BLAS accumulates in float; the reference in double).
 */
#define _GNU_SOURCE
#include "fk_test.h"
#include "fk_internal.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#define GEMM_TOL 1e-5

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

/* fk_sgemm vs fk_ref_sgemm for one case; also checks that C's padding is untouched. */
static void check_gemm_case(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, float beta,
                            int64_t pad, const char *label) {
    int64_t a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
    int64_t lda = a_cols + pad, ldb = b_cols + pad, ldc = n + pad;
    float *a = fk_test_alloc(a_rows * lda, 11), *b = fk_test_alloc(b_rows * ldb, 12);
    float *c = fk_test_alloc(m * ldc, 13), *r = fk_test_alloc(m * ldc, 13);
    CHECK_STATUS(fk_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), FK_OK);
    CHECK_STATUS(fk_ref_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, r, ldc), FK_OK);
    double err = fk_test_relerr(c, r, m, n, ldc);
    if (!(err <= GEMM_TOL))
        fprintf(stderr, "  [%s] ta=%d tb=%d m=%lld n=%lld k=%lld: relerr %g\n", label, ta, tb,
                (long long)m, (long long)n, (long long)k, err);
    CHECK(err <= GEMM_TOL);
    int pad_ok = 1; /* columns n..ldc-1 of C are not part of it */
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = n; j < ldc; j++) pad_ok &= memcmp(&c[i * ldc + j], &r[i * ldc + j], 4) == 0;
    CHECK(pad_ok);
    free(a); free(b); free(c); free(r);
}

/* The GEMM checks run against whichever backend is active. */
static void check_gemm_all(const char *label) {
    static const int64_t sizes[][3] = {
        {0, 0, 0}, {0, 5, 3}, {4, 0, 3}, {1, 1, 1}, {1, 7, 1}, {7, 1, 5}, {3, 5, 0},
        {17, 9, 33}, {67, 45, 53}, {129, 31, 257}, {300, 200, 100},
    };
    static const float ab[][2] = {{1.0f, 0.0f}, {0.5f, -1.25f}, {-2.0f, 1.0f}};
    for (int t = 0; t < 4; t++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int c = 0; c < 3; c++)
                check_gemm_case(t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2], ab[c][0],
                                ab[c][1], (s + c) % 2 ? 3 : 0, label);
}

/* k = 0: C = beta·C, and beta = 0 overwrites (NaN in C does not survive). */
static void check_k_zero(void) {
    float c[6] = {1, 2, 3, 4, NAN, 6};
    CHECK_STATUS(fk_sgemm(FK_NO_TRANS, FK_NO_TRANS, 2, 3, 0, 1.0f, NULL, 0, NULL, 3, 2.0f, c, 3), FK_OK);
    CHECK(c[0] == 2 && c[2] == 6 && c[5] == 12 && isnan(c[4]));
    CHECK_STATUS(fk_sgemm(FK_TRANS, FK_TRANS, 2, 3, 0, 1.0f, NULL, 2, NULL, 0, 0.0f, c, 3), FK_OK);
    int zero = 1;
    for (int i = 0; i < 6; i++) zero &= c[i] == 0.0f;
    CHECK(zero);
}

static void check_bad_arguments(void) {
    float a[64] = {0}, b[64] = {0}, c[64] = {0};
    CHECK_STATUS(fk_sgemm(2, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_sgemm(0, -1, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2), FK_ERR_ARGUMENT);
    CHECK_STATUS(fk_sgemm(0, 0, -1, 2, 2, 1, a, 2, b, 2, 0, c, 2), FK_ERR_SIZE);
    CHECK_STATUS(fk_sgemm(0, 0, 2, -1, 2, 1, a, 2, b, 2, 0, c, 2), FK_ERR_SIZE);
    CHECK_STATUS(fk_sgemm(0, 0, 2, 2, -1, 1, a, 2, b, 2, 0, c, 2), FK_ERR_SIZE);
    CHECK_STATUS(fk_sgemm(0, 0, 2, 3, 4, 1, a, 3, b, 3, 0, c, 3), FK_ERR_STRIDE); /* lda < k */
    CHECK_STATUS(fk_sgemm(1, 0, 5, 3, 4, 1, a, 4, b, 3, 0, c, 3), FK_ERR_STRIDE); /* A^T: lda < m */
    CHECK_STATUS(fk_sgemm(0, 1, 2, 5, 4, 1, a, 4, b, 3, 0, c, 5), FK_ERR_STRIDE); /* B^T: ldb < k */
    CHECK_STATUS(fk_sgemm(0, 0, 2, 5, 4, 1, a, 4, b, 5, 0, c, 4), FK_ERR_STRIDE); /* ldc < n */
    CHECK_STATUS(fk_sgemm(0, 0, 2, 2, 2, 1, NULL, 2, b, 2, 0, c, 2), FK_ERR_NULL);
    CHECK_STATUS(fk_sgemm(0, 0, 2, 2, 2, 1, a, 2, NULL, 2, 0, c, 2), FK_ERR_NULL);
    CHECK_STATUS(fk_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, NULL, 2), FK_ERR_NULL);
    /* Sizes beyond a 32-bit int (never touched: validation fails first). */
    CHECK_STATUS(fk_sgemm(0, 0, (int64_t)INT_MAX + 1, 1, 1, 1, a, 1, b, 1, 0, c, 1), FK_ERR_SIZE);
    CHECK_STATUS(fk_sgemm(0, 0, 1, 1, 1, 1, a, (int64_t)INT_MAX + 1, b, 1, 0, c, 1), FK_ERR_SIZE);
    CHECK_STATUS(fk_sgemm(0, 0, 1, 1, (int64_t)INT_MAX + 1, 1, a, (int64_t)INT_MAX + 1, b, 1, 0, c, 1), FK_ERR_SIZE);
    /* C overlapping A or B. */
    CHECK_STATUS(fk_sgemm(0, 0, 4, 4, 4, 1, a, 4, b, 4, 0, a + 8, 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_sgemm(0, 0, 4, 4, 4, 1, a, 4, b, 4, 0, b, 4), FK_ERR_ALIAS);
    CHECK_STATUS(fk_sgemm(0, 0, 4, 4, 4, 1, a, 4, b, 4, 0, a + 16, 4), FK_OK); /* adjacent */
    /* The reference validates the same way. */
    CHECK_STATUS(fk_ref_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, b + 1, 2), FK_ERR_ALIAS);
    CHECK_STATUS(fk_ref_sgemm(3, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2), FK_ERR_ARGUMENT);
    /* Empty products are no-ops, NULLs allowed. */
    CHECK_STATUS(fk_sgemm(0, 0, 0, 3, 2, 1, NULL, 2, b, 3, 0, NULL, 3), FK_OK);
    CHECK_STATUS(fk_sgemm(0, 0, 3, 0, 2, 1, a, 2, NULL, 0, 0, NULL, 0), FK_OK);
}

static void print_backend(const char *what) {
    printf("%s: blas %s (%s) kernel '%s', simd %s, threads %d\n", what, fk_blas_name(),
           fk_blas_path(), fk_blas_kernel(), fk_simd_path(), fk_get_num_threads());
}

/* 1 if the library behind a backend name is installed (probed independently of fk_blas). */
static int installed(const char *name) {
    const char *file = strcmp(name, "system") == 0     ? "libblas.so.3"
                       : strcmp(name, "openblas") == 0 ? "libopenblas.so.0"
                       : strcmp(name, "blis") == 0     ? "libblis.so.4"
                                                       : NULL;
    if (strcmp(name, "builtin") == 0) return 1;
    if (strcmp(name, "reference") == 0)
        return access("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", R_OK) == 0 ||
               access("/usr/lib/aarch64-linux-gnu/blas/libblas.so.3", R_OK) == 0;
    void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (h) dlclose(h);
    return h != NULL;
}

/* Every backend name loads and reports its family; switching back and forth in one process. */
static void check_switching(void) {
    static const char *names[] = {"system", "openblas", "blis", "reference", "builtin"};
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 5; i++) {
            const char *name = names[i];
            if (!installed(name)) {
                printf("backend %s: not installed, skipped\n", name);
                continue;
            }
            CHECK_STATUS(fk_blas_load(name), FK_OK);
            const char *family = fk_blas_name();
            if (strcmp(name, "system") == 0)
                CHECK(strcmp(family, "openblas") == 0 || strcmp(family, "blis") == 0 ||
                      strcmp(family, "reference") == 0);
            else
                CHECK(strcmp(family, name) == 0);
            CHECK(fk_blas_path()[0] != 0);
            CHECK(fk_blas_error()[0] == 0);
            if (strcmp(name, "openblas") == 0 || strcmp(name, "blis") == 0) CHECK(fk_blas_kernel()[0] != 0);
            if (strcmp(name, "builtin") == 0) CHECK(strcmp(fk_blas_path(), "builtin") == 0 && fk_blas_kernel()[0] == 0);
            if (round == 0) {
                char what[32];
                snprintf(what, sizeof what, "backend %s", name);
                print_backend(what);
                check_gemm_case(0, 1, 67, 45, 53, 1.0f, 0.0f, 2, name);
                check_gemm_case(1, 0, 33, 17, 9, 0.5f, 2.0f, 0, name);
            }
        }
    /* A file path works too. */
    if (installed("reference")) {
        const char *p = access("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", R_OK) == 0
                            ? "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"
                            : "/usr/lib/aarch64-linux-gnu/blas/libblas.so.3";
        CHECK_STATUS(fk_blas_load(p), FK_OK);
        CHECK(strcmp(fk_blas_name(), "reference") == 0);
        check_gemm_case(1, 1, 20, 30, 40, 1.0f, 0.0f, 1, "path");
    }
}

/* Unknown names and missing files: FK_ERR_BLAS from the load and from every GEMM after it. */
static void check_bogus(void) {
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4];
    CHECK_STATUS(fk_blas_load("no-such-blas"), FK_ERR_BLAS);
    CHECK(strcmp(fk_blas_name(), "unknown") == 0);
    CHECK(fk_blas_path()[0] == 0);
    CHECK(strstr(fk_blas_error(), "no-such-blas") != NULL);
    CHECK_STATUS(fk_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2), FK_ERR_BLAS);
    CHECK_STATUS(fk_blas_load("/nonexistent/libnothing.so"), FK_ERR_BLAS);
    CHECK(fk_blas_error()[0] != 0);
    printf("bogus path: %s\n", fk_blas_error());
    CHECK_STATUS(fk_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2), FK_ERR_BLAS);
    /* Back to the default. */
    CHECK_STATUS(fk_blas_load(NULL), FK_OK);
    CHECK_STATUS(fk_sgemm(0, 0, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2), FK_OK);
    CHECK(c[0] == 1 && c[1] == 2 && c[2] == 3 && c[3] == 4);
}

/* The BLAS stays single-threaded whatever fk_set_num_threads says (fk_sgemm parallelises over
 * fixed tiles itself), checked through OpenBLAS's own getter; and GEMM gives the same bits for
 * 1 and 2 threads on every backend. */
static void check_threads(void) {
    const char *backends[] = {"openblas", "blis", "reference", "builtin"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(backends[i], "builtin") != 0 && !installed(backends[i])) continue;
        CHECK_STATUS(fk_blas_load(backends[i]), FK_OK);
        int64_t m = 300, n = 200, k = 100;
        float *a = fk_test_alloc(m * k, 41), *b = fk_test_alloc(k * n, 42);
        float *c1 = fk_test_alloc(m * n, 0), *c2 = fk_test_alloc(m * n, 0);
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                CHECK_STATUS(fk_set_num_threads(1), FK_OK);
                CHECK_STATUS(fk_sgemm(ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c1, n), FK_OK);
                CHECK_STATUS(fk_set_num_threads(2), FK_OK);
                CHECK_STATUS(fk_sgemm(ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c2, n), FK_OK);
                CHECK(fk_test_same_bits(c1, c2, m * n));
            }
        free(a); free(b); free(c1); free(c2);
    }
    if (installed("openblas")) {
        CHECK_STATUS(fk_blas_load("openblas"), FK_OK);
        void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
        int (*get)(void) = h ? (int (*)(void))dlsym(h, "openblas_get_num_threads") : NULL;
        CHECK(get != NULL);
        CHECK_STATUS(fk_set_num_threads(2), FK_OK);
        if (get) CHECK(get() == 1);
        if (h) dlclose(h);
    }
    CHECK_STATUS(fk_blas_load(NULL), FK_OK);
}

/* The OpenBLAS fast path, forced with a core every AVX CPU runs (the real one, SkylakeX, would
 * SIGILL on CPUs without AVX-512). Runs first in a fresh process: OpenBLAS reads
 * OPENBLAS_CORETYPE only when it is first loaded. */
static void check_fastpath(const char *mode) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx") || !installed("openblas")) {
        printf("fast path: needs AVX and OpenBLAS, skipped\n");
        return;
    }
    setenv("FLOWGUIDE_OPENBLAS_FASTPATH", "force", 1);
    setenv("FLOWGUIDE_OPENBLAS_FASTPATH_CORE", "Sandybridge", 1);
    if (strcmp(mode, "preset") == 0) setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    else unsetenv("OPENBLAS_CORETYPE");
    if (strcmp(mode, "fail") == 0) fk_blas_test_fail_fastpath_check(1);
    CHECK_STATUS(fk_blas_load("openblas"), FK_OK);
    print_backend("fast path");
    CHECK(strcmp(fk_blas_name(), "openblas") == 0);
    const char *core = getenv("OPENBLAS_CORETYPE");
    if (strcmp(mode, "apply") == 0) {
        CHECK(strcmp(fk_blas_kernel(), "Sandybridge") == 0);
        CHECK(core == NULL); /* set only around the dlopen */
    } else if (strcmp(mode, "fail") == 0) {
        CHECK(strcmp(fk_blas_kernel(), "Sandybridge") != 0); /* reloaded with its own choice */
        CHECK(core == NULL);
    } else {
        CHECK(strcmp(fk_blas_kernel(), "Haswell") == 0); /* the user's value wins, untouched */
        CHECK(core != NULL && strcmp(core, "Haswell") == 0);
    }
    fk_blas_test_fail_fastpath_check(0);
#else
    (void)mode;
    printf("fast path: x86-64 only, skipped\n");
#endif
}

int main(void) {
    const char *fastpath = env("FK_TEST_FASTPATH");
    if (fastpath) {
        check_fastpath(fastpath);
        check_gemm_all("fast path");
        return fk_test_done();
    }
    print_backend("default");
    const char *expect = env("FK_TEST_EXPECT_BLAS");
    if (expect) {
        if (strcmp(fk_blas_name(), expect) != 0)
            fprintf(stderr, "default backend is %s, expected %s (%s)\n", fk_blas_name(), expect, fk_blas_error());
        CHECK(strcmp(fk_blas_name(), expect) == 0);
    }
    check_gemm_all("default");
    check_k_zero();
    check_bad_arguments();
    check_switching();
    check_bogus();
    check_threads();
    return fk_test_done();
}
