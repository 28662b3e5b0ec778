/* fb_peak.c — measured FMA peak: independent accumulator chains, no memory traffic.
 *
 * Each thread runs NACC independent chains acc = acc·m + a (one FMA per vector per step). NACC
 * covers FMA latency x FMA ports on current x86 cores (e.g. 4 cycles x 2 ports = 8 chains), so
 * the loop is throughput bound. acc converges to a/(1-m) = 1: no overflow, no denormals. */
#include "flowbench.h"

#include <immintrin.h>
#include <stdint.h>

/* The chains are spelled out (not an array) so every compiler keeps them in registers. */
#define FB_X12(S) S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9) S(10) S(11)
#define FB_X16(S) FB_X12(S) S(12) S(13) S(14) S(15)
#define NACC 12
#define NACC512 16

static volatile float fb_sink;

__attribute__((target("avx512f"))) static void chains_avx512(int64_t iters) {
#define DECL(i) __m512 acc##i = _mm512_set1_ps(0.01f * i);
#define STEP(i) acc##i = _mm512_fmadd_ps(acc##i, m, a);
#define SUM(i) s = _mm512_add_ps(s, acc##i);
    FB_X16(DECL)
    const __m512 m = _mm512_set1_ps(0.999f), a = _mm512_set1_ps(0.001f);
    for (int64_t it = 0; it < iters; it++) { FB_X16(STEP) }
    __m512 s = _mm512_setzero_ps();
    FB_X16(SUM)
    fb_sink = _mm512_reduce_add_ps(s);
#undef DECL
#undef STEP
#undef SUM
}

__attribute__((target("avx2,fma"))) static void chains_avx2(int64_t iters) {
#define DECL(i) __m256 acc##i = _mm256_set1_ps(0.01f * i);
#define STEP(i) acc##i = _mm256_fmadd_ps(acc##i, m, a);
#define SUM(i) s = _mm256_add_ps(s, acc##i);
    FB_X12(DECL)
    const __m256 m = _mm256_set1_ps(0.999f), a = _mm256_set1_ps(0.001f);
    for (int64_t it = 0; it < iters; it++) { FB_X12(STEP) }
    __m256 s = _mm256_setzero_ps();
    FB_X12(SUM)
    float out[8];
    _mm256_storeu_ps(out, s);
    fb_sink = out[0] + out[7];
#undef DECL
#undef STEP
#undef SUM
}

/* No FMA: a multiply and an add per step (2 flops, like one FMA). */
static void chains_sse(int64_t iters) {
#define DECL(i) __m128 acc##i = _mm_set1_ps(0.01f * i);
#define STEP(i) acc##i = _mm_add_ps(_mm_mul_ps(acc##i, m), a);
#define SUM(i) s = _mm_add_ps(s, acc##i);
    FB_X12(DECL)
    const __m128 m = _mm_set1_ps(0.999f), a = _mm_set1_ps(0.001f);
    for (int64_t it = 0; it < iters; it++) { FB_X12(STEP) }
    __m128 s = _mm_setzero_ps();
    FB_X12(SUM)
    float out[4];
    _mm_storeu_ps(out, s);
    fb_sink = out[0] + out[3];
#undef DECL
#undef STEP
#undef SUM
}

static int peak_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

const char *fb_fma_isa(void) {
    int isa = peak_isa();
    return isa == 2 ? "avx512-fma" : isa == 1 ? "avx2-fma" : "sse-mul+add";
}

/* Flops per iteration of the chain loop. */
static double flops_per_iter(int isa) {
    return isa == 2 ? NACC512 * 16.0 * 2 : isa == 1 ? NACC * 8.0 * 2 : NACC * 4.0 * 2;
}

static double timed_run(int threads, int isa, int64_t iters) {
    double t0 = fb_now();
#pragma omp parallel num_threads(threads)
    {
        if (isa == 2) chains_avx512(iters);
        else if (isa == 1) chains_avx2(iters);
        else chains_sse(iters);
    }
    return fb_now() - t0;
}

double fb_fma_peak_gflops(int threads, double min_seconds, int reps) {
    if (threads < 1) threads = 1;
    if (reps < 1) reps = 1;
    int isa = peak_isa();
    int64_t iters = 1 << 16;
    timed_run(threads, isa, iters); /* warm up: threads, clocks */
    double t;
    while ((t = timed_run(threads, isa, iters)) < min_seconds) iters *= 2;
    double best = 0;
    for (int r = 0; r < reps; r++) {
        t = timed_run(threads, isa, iters);
        double g = flops_per_iter(isa) * (double)iters * threads / t * 1e-9;
        if (g > best) best = g;
    }
    return best;
}
