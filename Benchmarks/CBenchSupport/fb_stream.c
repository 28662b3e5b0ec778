/* fb_stream.c — the bandwidth yardsticks: in-place axpy, STREAM triad, a read-only dot product,
 * and APG's traffic alone.
 *
 * Parallelized like CKernels' elementwise kernels (fk_parallel_tiles; keep the two in step):
 * each thread one contiguous, equal share of the elements (units of 16) run in tiles of 16384,
 * serial (outside any OpenMP region) below 32768 elements or on one thread, and a tile body
 * stamped per SIMD path with a target attribute (no -march flags). The axpy writes data it
 * has just read, so plain stores, as the kernels do in that case; the triad uses plain stores by
 * STREAM's definition (unlike fk_cfg_blend and fk_apg, which stream g from 4Mi elements on); the
 * APG traffic loop streams its output as fk_apg does. */
#define _GNU_SOURCE
#include "flowbench.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#if defined(__SSE__)
#include <immintrin.h>
#endif

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
#define FB_STREAM_MIN (4 << 20) /* fk_apg's streaming-store threshold (FK_STREAM_MIN_ELEMENTS) */
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
    const float *x; /* axpy: x;  triad: b;  APG traffic: x */
    const float *c; /* triad, APG traffic */
    const float *u; /* APG traffic */
    float *p;       /* APG traffic: prev (in place) */
    float *y;       /* axpy: y (in place);  triad: a;  APG traffic: g */
    int stream;     /* APG traffic: g with non-temporal stores */
    double *sum;    /* dot: the total, one atomic add per tile */
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

/* *sum += sum a·b over the tile, in 32 float lanes (4 AVX2 registers: independent add chains;
 * a and b read, nothing written). The order of the atomic adds varies: the total is only a sink
 * that keeps the loop from being optimized away. */
FB_INLINE void dot_body(const stream_args *k, int64_t i0, int64_t i1) {
    const float *a = k->x, *b = k->c;
    float lanes[32] = {0};
    int64_t i = i0;
    for (; i + 32 <= i1; i += 32) {
#pragma omp simd
        for (int l = 0; l < 32; l++) lanes[l] += a[i + l] * b[i + l];
    }
    double sum = 0;
    for (; i < i1; i++) sum += (double)a[i] * b[i];
    for (int l = 0; l < 32; l++) sum += lanes[l];
#pragma omp atomic
    *k->sum += sum;
}

/* prev = c - u + s·prev, g = x + prev: fk_apg's streams (x0 space with momentum) in one pass
 * and with no per-row reductions; g with non-temporal stores where 16-byte aligned, on inputs
 * where fk_apg streams g too (k->stream). */
FB_INLINE void apg_traffic_body(const stream_args *k, int64_t i0, int64_t i1) {
    const float s = k->s;
    const float *x = k->x, *c = k->c, *u = k->u;
    float *p = k->p, *g = k->y;
    int64_t i = i0;
#if defined(__SSE__)
    if (k->stream) {
        for (; i < i1 && ((uintptr_t)(g + i) & 15) != 0; i++) {
            p[i] = c[i] - u[i] + s * p[i];
            g[i] = x[i] + p[i];
        }
        for (; i + 8 <= i1; i += 8) {
            float v[8];
#pragma omp simd
            for (int l = 0; l < 8; l++) {
                const float d = c[i + l] - u[i + l] + s * p[i + l];
                p[i + l] = d;
                v[l] = x[i + l] + d;
            }
            _mm_stream_ps(g + i, _mm_loadu_ps(v));
            _mm_stream_ps(g + i + 4, _mm_loadu_ps(v + 4));
        }
    }
#endif
#pragma omp simd
    for (int64_t j = i; j < i1; j++) {
        p[j] = c[j] - u[j] + s * p[j];
        g[j] = x[j] + p[j];
    }
#if defined(__SSE__)
    if (k->stream) _mm_sfence(); /* streaming stores visible before the tile returns */
#endif
}

#define FB_AVX2_TARGET __attribute__((target("avx2,fma")))
#define FB_AVX512_TARGET __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma")))

FB_AVX512_TARGET static void axpy_avx512(const stream_args *k, int64_t i0, int64_t i1) { axpy_body(k, i0, i1); }
FB_AVX2_TARGET static void axpy_avx2(const stream_args *k, int64_t i0, int64_t i1) { axpy_body(k, i0, i1); }
static void axpy_base(const stream_args *k, int64_t i0, int64_t i1) { axpy_body(k, i0, i1); }
FB_AVX512_TARGET static void triad_avx512(const stream_args *k, int64_t i0, int64_t i1) { triad_body(k, i0, i1); }
FB_AVX2_TARGET static void triad_avx2(const stream_args *k, int64_t i0, int64_t i1) { triad_body(k, i0, i1); }
static void triad_base(const stream_args *k, int64_t i0, int64_t i1) { triad_body(k, i0, i1); }
FB_AVX512_TARGET static void dot_avx512(const stream_args *k, int64_t i0, int64_t i1) { dot_body(k, i0, i1); }
FB_AVX2_TARGET static void dot_avx2(const stream_args *k, int64_t i0, int64_t i1) { dot_body(k, i0, i1); }
static void dot_base(const stream_args *k, int64_t i0, int64_t i1) { dot_body(k, i0, i1); }
FB_AVX512_TARGET static void apgt_avx512(const stream_args *k, int64_t i0, int64_t i1) { apg_traffic_body(k, i0, i1); }
FB_AVX2_TARGET static void apgt_avx2(const stream_args *k, int64_t i0, int64_t i1) { apg_traffic_body(k, i0, i1); }
static void apgt_base(const stream_args *k, int64_t i0, int64_t i1) { apg_traffic_body(k, i0, i1); }

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
    stream_args k = {a, x, NULL, NULL, NULL, y, 0, NULL};
    int p = active_path();
    run_tiles(n, p == FB_AVX512 ? axpy_avx512 : p == FB_AVX2 ? axpy_avx2 : axpy_base, &k);
}

void fb_triad(int64_t n, float s, const float *b, const float *c, float *a) {
    stream_args k = {s, b, c, NULL, NULL, a, 0, NULL};
    int p = active_path();
    run_tiles(n, p == FB_AVX512 ? triad_avx512 : p == FB_AVX2 ? triad_avx2 : triad_base, &k);
}

double fb_dot(int64_t n, const float *a, const float *b) {
    double total = 0;
    stream_args k = {0, a, b, NULL, NULL, NULL, 0, &total};
    int p = active_path();
    run_tiles(n, p == FB_AVX512 ? dot_avx512 : p == FB_AVX2 ? dot_avx2 : dot_base, &k);
    return total;
}

void fb_apg_traffic(int64_t n, float s, const float *x, const float *c, const float *u, float *prev,
                    float *g) {
    stream_args k = {s, x, c, u, prev, g, n >= FB_STREAM_MIN, NULL};
    int p = active_path();
    run_tiles(n, p == FB_AVX512 ? apgt_avx512 : p == FB_AVX2 ? apgt_avx2 : apgt_base, &k);
}
