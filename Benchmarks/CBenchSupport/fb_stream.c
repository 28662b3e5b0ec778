/* fb_stream.c — the bandwidth yardsticks: in-place axpy and STREAM triad.
 *
 * Parallelized like CKernels' elementwise kernels (fk_parallel_tiles; keep the two in step):
 * each thread one contiguous, equal share of the elements (units of 16) run in tiles of 16384,
 * serial (outside any OpenMP region) below 32768 elements or on one thread, and a tile body
 * stamped per SIMD path with a target attribute (no -march flags). Plain stores like the kernels
 * (no non-temporal stores), so the comparison is like for like. */
#define _GNU_SOURCE
#include "flowbench.h"

#include <string.h>
#include <time.h>

#ifdef _OPENMP
#if __has_include(<omp.h>)
#include <omp.h>
#else
/* Swift's clang does not find Debian's omp.h */
int omp_get_max_threads(void);
int omp_get_num_threads(void);
int omp_get_thread_num(void);
#endif
#endif

#define FB_TILE 16384
#define FB_PARALLEL_MIN 32768
#define FB_INLINE static inline __attribute__((always_inline))

double fb_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int fb_max_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ---- SIMD path ------------------------------------------------------------------------------ */

enum { FB_BASELINE = 0, FB_AVX2 = 1, FB_AVX512 = 2 };

static int cpu_best(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq"))
        return FB_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return FB_AVX2;
#endif
    return FB_BASELINE;
}

static int fb_path = -1;

static int active_path(void) {
    if (fb_path < 0) fb_path = cpu_best();
    return fb_path;
}

static const char *path_name(int p) {
    return p == FB_AVX512 ? "avx512" : p == FB_AVX2 ? "avx2" : "baseline";
}

const char *fb_set_simd_path(const char *name) {
    int want = FB_BASELINE;
    if (name && strcmp(name, "avx512") == 0) want = FB_AVX512;
    else if (name && strcmp(name, "avx2") == 0) want = FB_AVX2;
    int best = cpu_best();
    fb_path = want > best ? best : want;
    return path_name(fb_path);
}

const char *fb_simd_path(void) { return path_name(active_path()); }

/* ---- Loops ---------------------------------------------------------------------------------- */

typedef struct stream_args {
    float s;
    const float *x; /* axpy: x;  triad: b */
    const float *c; /* triad only */
    float *y;       /* axpy: y (in place);  triad: a */
} stream_args;

typedef void (*tile_fn)(const stream_args *, int64_t, int64_t);

FB_INLINE void axpy_body(const stream_args *k, int64_t i0, int64_t i1) {
    const float a = k->s;
    const float *x = k->x;
    float *y = k->y;
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) y[i] += a * x[i];
}

FB_INLINE void triad_body(const stream_args *k, int64_t i0, int64_t i1) {
    const float s = k->s;
    const float *b = k->x, *c = k->c;
    float *a = k->y;
#pragma omp simd
    for (int64_t i = i0; i < i1; i++) a[i] = b[i] + s * c[i];
}

#define FB_AVX2_TARGET __attribute__((target("avx2,fma")))
#define FB_AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma")))

FB_AVX512_TARGET static void axpy_avx512(const stream_args *k, int64_t i0, int64_t i1) { axpy_body(k, i0, i1); }
FB_AVX2_TARGET static void axpy_avx2(const stream_args *k, int64_t i0, int64_t i1) { axpy_body(k, i0, i1); }
static void axpy_base(const stream_args *k, int64_t i0, int64_t i1) { axpy_body(k, i0, i1); }
FB_AVX512_TARGET static void triad_avx512(const stream_args *k, int64_t i0, int64_t i1) { triad_body(k, i0, i1); }
FB_AVX2_TARGET static void triad_avx2(const stream_args *k, int64_t i0, int64_t i1) { triad_body(k, i0, i1); }
static void triad_base(const stream_args *k, int64_t i0, int64_t i1) { triad_body(k, i0, i1); }

static void run_range(tile_fn fn, const stream_args *k, int64_t lo, int64_t hi) {
    for (int64_t i0 = lo; i0 < hi; i0 += FB_TILE) fn(k, i0, i0 + FB_TILE < hi ? i0 + FB_TILE : hi);
}

static void run_tiles(int64_t n, tile_fn fn, const stream_args *k) {
    if (n <= 0) return;
    if (n < FB_PARALLEL_MIN || fb_max_threads() == 1) {
        run_range(fn, k, 0, n); /* serial without entering an OpenMP region, as fk_parallel_tiles */
        return;
    }
#pragma omp parallel
    {
#ifdef _OPENMP
        const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
        const int64_t t = 0, nt = 1;
#endif
        /* One contiguous, equal share per thread in units of 16 elements, as fk_parallel_tiles. */
        const int64_t units = (n + 15) / 16;
        int64_t lo = units * t / nt * 16, hi = t + 1 == nt ? n : units * (t + 1) / nt * 16;
        run_range(fn, k, lo, hi < n ? hi : n);
    }
}
void fb_axpy(int64_t n, float a, const float *x, float *y) {
    stream_args k = {a, x, NULL, y};
    int p = active_path();
    run_tiles(n, p == FB_AVX512 ? axpy_avx512 : p == FB_AVX2 ? axpy_avx2 : axpy_base, &k);
}

void fb_triad(int64_t n, float s, const float *b, const float *c, float *a) {
    stream_args k = {s, b, c, a};
    int p = active_path();
    run_tiles(n, p == FB_AVX512 ? triad_avx512 : p == FB_AVX2 ? triad_avx2 : triad_base, &k);
}
