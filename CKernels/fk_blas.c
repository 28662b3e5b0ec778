/* fk_blas.c — the only file that knows about BLAS: it loads a cblas_sgemm at run time.
 *
 * Nothing here includes cblas.h or links a BLAS: the library is opened with dlopen (RTLD_NOW |
 * RTLD_LOCAL) on first use, so the backend is swappable without relinking. Choice, in order:
 * fk_blas_load(name) > env FLOWGUIDE_BLAS > the build default FK_DEFAULT_BLAS ("system").
 *   "system"    libblas.so.3 (Debian alternatives or LD_LIBRARY_PATH decide what it is)
 *   "openblas"  libopenblas.so.0
 *   "blis"      libblis.so.4
 *   "reference" the netlib BLAS in /usr/lib/<multiarch>/blas/
 *   "builtin"   fk_ref_sgemm, no dlopen
 *   a name containing '/': that file.
 * A failed load is remembered as the active backend: fk_blas_load and every later GEMM return
 * FK_ERR_BLAS (no silent fallback), and fk_blas_error() says why.
 *
 * OpenBLAS fast path (see flowkernels.h): Debian's OpenBLAS picks an AVX2 kernel on AVX-512
 * CPUs unless OPENBLAS_CORETYPE says otherwise, and OpenBLAS reads that variable only while it
 * initialises (at dlopen). So, when the CPU has AVX-512, OPENBLAS_CORETYPE is unset and
 * FLOWGUIDE_OPENBLAS_FASTPATH != "0", OPENBLAS_CORETYPE=SkylakeX is set just around the dlopen
 * and removed right after; if the loaded library is OpenBLAS, a small GEMM is checked against
 * fk_ref_sgemm and on a mismatch the library is closed and opened again without the variable.
 * For tests on CPUs without AVX-512: FLOWGUIDE_OPENBLAS_FASTPATH=force applies it regardless
 * of the CPU, and FLOWGUIDE_OPENBLAS_FASTPATH_CORE=<name> replaces SkylakeX (use a core the CPU
 * can run, e.g. Haswell). An OPENBLAS_CORETYPE already in the environment is never touched.
 *
 * Determinism: GEMM results must not depend on the thread count (DESIGN.md §2), and OpenBLAS
 * and BLIS change their summation order with their own thread count. So the BLAS is kept
 * single-threaded (its setter, or BLIS_NUM_THREADS=1 around its initialisation when it has no
 * exported setter and the variable is unset) and fk_sgemm splits C into row tiles whose size
 * depends only on the shape, computed by this library's OpenMP threads.
 *
 * Backends are cached by name and never closed once published (a GEMM may be running on
 * another thread), so switching back and forth is cheap and safe; each is immutable once
 * published through an atomic pointer. Loading and the environment juggling run under a mutex.
 */
#define _GNU_SOURCE /* dladdr */
#include "fk_internal.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FK_DEFAULT_BLAS
#define FK_DEFAULT_BLAS "system"
#endif
#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* The few CBLAS values used (from the CBLAS standard; cblas.h is deliberately not included). */
enum { FK_CBLAS_ROW_MAJOR = 101, FK_CBLAS_NO_TRANS = 111, FK_CBLAS_TRANS = 112 };

typedef void (*cblas_sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k,
                               float alpha, const float *a, int lda, const float *b, int ldb,
                               float beta, float *c, int ldc);
typedef char *(*openblas_corename_fn)(void);
typedef void (*openblas_threads_fn)(int);
typedef int (*bli_arch_query_fn)(void);            /* arch_t is a C enum */
typedef const char *(*bli_arch_string_fn)(int);
typedef void (*bli_threads_fn)(int64_t);           /* dim_t is int64_t in Debian's BLIS */

typedef struct fk_backend {
    struct fk_backend *next; /* the cache of successfully loaded backends */
    int ok;
    int builtin;
    void *handle;
    cblas_sgemm_fn sgemm;
    openblas_threads_fn openblas_threads;
    bli_threads_fn blis_threads;
    char family[16];
    char path[PATH_MAX];
    char kernel[64];
    char error[512];
    char request[]; /* the name it was loaded by */
} fk_backend;

static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static fk_backend *current;       /* atomic: the active backend (or failure), NULL before use */
static fk_backend *cache;         /* under blas_lock */
static int test_fail_fastpath;    /* test hook: treat the fast-path check as failed */

void fk_blas_test_fail_fastpath_check(int fail) { test_fail_fastpath = fail; }

/* ---- Small helpers ------------------------------------------------------------------------ */

static void copy_str(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

static void publish(fk_backend *b) {
    __atomic_store_n(&current, b, __ATOMIC_RELEASE);
}

/* Library files for a backend name; returns how many (0 = unknown name). */
static int resolve_name(const char *name, const char *files[2]) {
    if (strchr(name, '/')) { files[0] = name; return 1; }
    if (strcmp(name, "system") == 0) { files[0] = "libblas.so.3"; return 1; }
    if (strcmp(name, "openblas") == 0) { files[0] = "libopenblas.so.0"; return 1; }
    if (strcmp(name, "blis") == 0) { files[0] = "libblis.so.4"; return 1; }
    if (strcmp(name, "reference") == 0) {
#if defined(__aarch64__)
        files[0] = "/usr/lib/aarch64-linux-gnu/blas/libblas.so.3";
        files[1] = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";
#else
        files[0] = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";
        files[1] = "/usr/lib/aarch64-linux-gnu/blas/libblas.so.3";
#endif
        return 2;
    }
    return 0;
}

/* ---- The OpenBLAS fast path ---------------------------------------------------------------- */

/* The core to force for this dlopen, or NULL for none. */
static const char *fastpath_core(void) {
    if (getenv("OPENBLAS_CORETYPE")) return NULL; /* the user's choice always wins */
    const char *mode = getenv("FLOWGUIDE_OPENBLAS_FASTPATH");
    if (mode && strcmp(mode, "0") == 0) return NULL;
    if (!(mode && strcmp(mode, "force") == 0) && !fk_cpu_has_avx512()) return NULL;
    const char *core = getenv("FLOWGUIDE_OPENBLAS_FASTPATH_CORE");
    return core && core[0] ? core : "SkylakeX";
}

/* 1 if f agrees with fk_ref_sgemm on a small odd-sized product, all four transpose combos. */
static int gemm_matches_reference(cblas_sgemm_fn f) {
    enum { M = 67, N = 45, K = 53 };
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N);
    float *c = malloc(sizeof(float) * M * N), *r = malloc(sizeof(float) * M * N);
    int good = a && b && c && r;
    uint32_t s = 12345;
    for (int i = 0; good && i < M * K; i++) a[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) * 0x1.0p-23f - 1.0f;
    for (int i = 0; good && i < K * N; i++) b[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) * 0x1.0p-23f - 1.0f;
    for (int t = 0; good && t < 4; t++) {
        int ta = t & 1, tb = t >> 1;
        int lda = ta ? M : K, ldb = tb ? K : N;
        for (int i = 0; i < M * N; i++) c[i] = r[i] = (float)(i % 7) - 3.0f;
        f(FK_CBLAS_ROW_MAJOR, ta ? FK_CBLAS_TRANS : FK_CBLAS_NO_TRANS,
          tb ? FK_CBLAS_TRANS : FK_CBLAS_NO_TRANS, M, N, K, 1.25f, a, lda, b, ldb, 0.5f, c, N);
        fk_ref_sgemm(ta, tb, M, N, K, 1.25f, a, lda, b, ldb, 0.5f, r, N);
        double maxdiff = 0, maxref = 1e-30;
        for (int i = 0; i < M * N; i++) {
            double d = fabs((double)c[i] - (double)r[i]);
            if (!(d <= maxdiff)) maxdiff = d; /* NaN counts as a mismatch */
            if (fabs((double)r[i]) > maxref) maxref = fabs((double)r[i]);
        }
        if (!(maxdiff <= 1e-4 * maxref)) good = 0;
    }
    free(a); free(b); free(c); free(r);
    return good;
}

/* ---- Loading -------------------------------------------------------------------------------- */

/* Keeps the BLAS single-threaded (fk_sgemm parallelises over its own fixed tiles). With a setter
 * that is one call. Without one (blis-openmp's libblas.so.3 hides BLIS's symbols), BLIS reads
 * BLIS_NUM_THREADS when it initialises, on its first call: set it for a 1x1x1 warm-up GEMM
 * unless the user set it (then the user's value wins, and GEMM bits may follow it). */
static void pin_single_thread(const fk_backend *b) {
    if (b->openblas_threads) b->openblas_threads(1);
    if (b->blis_threads) b->blis_threads(1);
    if (b->openblas_threads || b->blis_threads) return;
    int set_env = getenv("BLIS_NUM_THREADS") == NULL;
    if (set_env) setenv("BLIS_NUM_THREADS", "1", 1);
    float one = 1.0f, out = 0.0f;
    b->sgemm(FK_CBLAS_ROW_MAJOR, FK_CBLAS_NO_TRANS, FK_CBLAS_NO_TRANS, 1, 1, 1, 1.0f, &one, 1, &one, 1,
             0.0f, &out, 1);
    if (set_env) unsetenv("BLIS_NUM_THREADS");
}

/* Opens one file into b (handle, symbols, family, path, kernel). 0 on success, else b->error. */
static int open_library(fk_backend *b, const char *file) {
    const char *core = fastpath_core();
    if (core) setenv("OPENBLAS_CORETYPE", core, 1);
    void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (core) unsetenv("OPENBLAS_CORETYPE");
    if (!h) { copy_str(b->error, sizeof b->error, dlerror()); return -1; }

    cblas_sgemm_fn f = (cblas_sgemm_fn)dlsym(h, "cblas_sgemm");
    if (!f) {
        snprintf(b->error, sizeof b->error, "%s does not export cblas_sgemm", file);
        dlclose(h);
        return -1;
    }
    openblas_corename_fn corename = (openblas_corename_fn)dlsym(h, "openblas_get_corename");
    if (core && corename && (test_fail_fastpath || !gemm_matches_reference(f))) {
        /* The forced kernel is wrong here: reopen with OpenBLAS's own choice. dlclose unloads
         * it (nothing else holds it) so the reopen initialises it afresh. */
        dlclose(h);
        h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
        if (!h) { copy_str(b->error, sizeof b->error, dlerror()); return -1; }
        f = (cblas_sgemm_fn)dlsym(h, "cblas_sgemm");
        corename = (openblas_corename_fn)dlsym(h, "openblas_get_corename");
        if (!f || !gemm_matches_reference(f)) {
            snprintf(b->error, sizeof b->error, "%s failed the GEMM check", file);
            dlclose(h);
            return -1;
        }
    }
    b->handle = h;
    b->sgemm = f;
    b->openblas_threads = (openblas_threads_fn)dlsym(h, "openblas_set_num_threads");
    b->blis_threads = (bli_threads_fn)dlsym(h, "bli_thread_set_num_threads");
    pin_single_thread(b);

    /* Family from the file that really holds cblas_sgemm (libblas.so.3 is a symlink chain). */
    Dl_info info;
    char resolved[PATH_MAX];
    const char *where = file;
    if (dladdr((void *)f, &info) && info.dli_fname) where = info.dli_fname;
    copy_str(b->path, sizeof b->path, realpath(where, resolved) ? resolved : where);
    const char *family = strstr(b->path, "openblas") ? "openblas"
                         : strstr(b->path, "blis")   ? "blis"
                         : strstr(b->path, "/blas/") ? "reference"
                                                     : "unknown";
    copy_str(b->family, sizeof b->family, family);

    bli_arch_query_fn arch_id = (bli_arch_query_fn)dlsym(h, "bli_arch_query_id");
    bli_arch_string_fn arch_str = (bli_arch_string_fn)dlsym(h, "bli_arch_string");
    if (corename) copy_str(b->kernel, sizeof b->kernel, corename());
    else if (arch_id && arch_str) copy_str(b->kernel, sizeof b->kernel, arch_str(arch_id()));
    return 0;
}

/* A new backend for name (never NULL unless out of memory); b->ok says whether it loaded. */
static fk_backend *load_backend(const char *name) {
    size_t len = strlen(name);
    fk_backend *b = calloc(1, sizeof *b + len + 1);
    if (!b) return NULL;
    memcpy(b->request, name, len + 1);
    if (strcmp(name, "builtin") == 0) {
        b->ok = b->builtin = 1;
        copy_str(b->family, sizeof b->family, "builtin");
        copy_str(b->path, sizeof b->path, "builtin");
        return b;
    }
    const char *files[2];
    int n = resolve_name(name, files);
    if (n == 0) {
        snprintf(b->error, sizeof b->error,
                 "unknown BLAS backend '%s' (expected system, openblas, blis, reference, builtin "
                 "or a path)", name);
        return b;
    }
    for (int i = 0; i < n && !b->ok; i++) b->ok = open_library(b, files[i]) == 0;
    if (b->ok) b->error[0] = 0;
    return b;
}

/* Under blas_lock: the cached backend for name, or a fresh load (cached when it worked). */
static fk_backend *find_or_load(const char *name) {
    for (fk_backend *b = cache; b; b = b->next)
        if (strcmp(b->request, name) == 0) return b;
    fk_backend *b = load_backend(name);
    if (b && b->ok) { b->next = cache; cache = b; }
    return b;
}

static const char *default_name(void) {
    const char *env = getenv("FLOWGUIDE_BLAS");
    return env && env[0] ? env : FK_DEFAULT_BLAS;
}

/* The out-of-memory "backend": a failure that needs no allocation. */
static fk_backend no_memory = {.error = "out of memory while loading the BLAS backend",
                               .family = "unknown"};

static const fk_backend *active_backend(void) {
    fk_backend *b = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    if (b) return b;
    pthread_mutex_lock(&blas_lock);
    b = current;
    if (!b) {
        b = find_or_load(default_name());
        publish(b ? b : &no_memory);
        b = current;
    }
    pthread_mutex_unlock(&blas_lock);
    return b;
}

/* ---- Public: backend choice and reporting ------------------------------------------------- */

fk_status fk_blas_load(const char *name) {
    if (name == NULL || name[0] == 0) name = default_name();
    pthread_mutex_lock(&blas_lock);
    fk_backend *b = find_or_load(name);
    publish(b ? b : &no_memory);
    int ok = b && b->ok;
    pthread_mutex_unlock(&blas_lock);
    return ok ? FK_OK : FK_ERR_BLAS;
}

const char *fk_blas_name(void) {
    const fk_backend *b = active_backend();
    return b->ok ? b->family : "unknown";
}

const char *fk_blas_path(void) {
    const fk_backend *b = active_backend();
    return b->ok ? b->path : "";
}

const char *fk_blas_kernel(void) {
    const fk_backend *b = active_backend();
    return b->ok ? b->kernel : "";
}

const char *fk_blas_error(void) {
    return active_backend()->error;
}

/* ---- GEMM ----------------------------------------------------------------------------------- */

fk_status fk_check_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                         const float *a, int64_t lda, const float *b, int64_t ldb,
                         const float *c, int64_t ldc) {
    if ((trans_a != FK_NO_TRANS && trans_a != FK_TRANS) ||
        (trans_b != FK_NO_TRANS && trans_b != FK_TRANS))
        return FK_ERR_ARGUMENT;
    if (m < 0 || n < 0 || k < 0) return FK_ERR_SIZE;
    /* Stored shapes: A is [m, k] or, transposed, [k, m]; B is [k, n] or [n, k]. */
    int64_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
    int64_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
    fk_status s = fk_check_matrix(a_rows, a_cols, a, lda);
    if (s == FK_OK) s = fk_check_matrix(b_rows, b_cols, b, ldb);
    if (s == FK_OK) s = fk_check_matrix(m, n, c, ldc);
    if (s != FK_OK) return s;
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX ||
        ldc > INT_MAX)
        return FK_ERR_SIZE;
    int64_t c_bytes = fk_span_bytes(m, n, ldc);
    if (fk_spans_overlap(c, c_bytes, a, fk_span_bytes(a_rows, a_cols, lda)) ||
        fk_spans_overlap(c, c_bytes, b, fk_span_bytes(b_rows, b_cols, ldb)))
        return FK_ERR_ALIAS;
    return FK_OK;
}

/* GEMMs smaller than this (m·n·k) run as one serial call. */
#define FK_GEMM_PARALLEL_MIN_FLOPS (1 << 18)

/* Rows of C per tile: about an eighth of m, a multiple of 64, at least 64 and at most 512.
 * A function of m only, so every element's summation order is fixed by the shape, whatever the
 * thread count. */
static int64_t gemm_tile_rows(int64_t m) {
    int64_t t = (m + 7) / 8;
    t = (t + 63) / 64 * 64;
    if (t > 512) t = 512;
    return t < m ? t : m;
}

typedef struct gemm_job {
    const fk_backend *be;
    int trans_a, trans_b;
    int64_t m, n, k;
    float alpha;
    const float *a; int64_t lda;
    const float *b; int64_t ldb;
    float beta;
    float *c; int64_t ldc;
    int64_t tile_rows;
    fk_gemm_epilogue epilogue; void *epilogue_ctx;
} gemm_job;

/* C rows [r0, r1) = alpha·op(A)[r0:r1, :]·op(B) + beta·C[r0:r1, :]. */
static void gemm_tile(void *ctx, int64_t t) {
    const gemm_job *j = ctx;
    int64_t r0 = t * j->tile_rows, rows = j->m - r0 < j->tile_rows ? j->m - r0 : j->tile_rows;
    const float *a = j->trans_a ? j->a + r0 : j->a + r0 * j->lda; /* op(A) rows = A columns if transposed */
    float *c = j->c + r0 * j->ldc;
    if (j->be->builtin)
        fk_ref_sgemm(j->trans_a, j->trans_b, rows, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb, j->beta, c, j->ldc);
    else
        j->be->sgemm(FK_CBLAS_ROW_MAJOR, j->trans_a ? FK_CBLAS_TRANS : FK_CBLAS_NO_TRANS,
                     j->trans_b ? FK_CBLAS_TRANS : FK_CBLAS_NO_TRANS, (int)rows, (int)j->n, (int)j->k,
                     j->alpha, a, (int)j->lda, j->b, (int)j->ldb, j->beta, c, (int)j->ldc);
    if (j->epilogue) j->epilogue(j->epilogue_ctx, r0, r0 + rows);
}

fk_status fk_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                   float *c, int64_t ldc) {
    return fk_sgemm_epilogue(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL, NULL);
}

fk_status fk_sgemm_epilogue(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                            const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                            float *c, int64_t ldc, fk_gemm_epilogue epilogue, void *epilogue_ctx) {
    fk_status s = fk_check_sgemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc);
    if (s != FK_OK) return s;
    const fk_backend *be = active_backend();
    if (!be->ok) return FK_ERR_BLAS;
    if (m == 0 || n == 0) return FK_OK;
    if (k == 0) {
        /* C = beta·C ourselves: some BLAS reject k = 0. beta = 0 overwrites (BLAS convention:
         * C is not read, so NaN in it does not survive). */
        for (int64_t i = 0; i < m; i++) {
            float *row = c + i * ldc;
            if (beta == 0.0f)
                for (int64_t j = 0; j < n; j++) row[j] = 0.0f;
            else
                for (int64_t j = 0; j < n; j++) row[j] *= beta;
        }
        if (epilogue) epilogue(epilogue_ctx, 0, m);
        return FK_OK;
    }
    gemm_job job = {be, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, gemm_tile_rows(m),
                   epilogue, epilogue_ctx};
    int64_t tiles = (m + job.tile_rows - 1) / job.tile_rows;
    fk_parallel_for(tiles, m * n * k >= FK_GEMM_PARALLEL_MIN_FLOPS, gemm_tile, &job);
    return FK_OK;
}
