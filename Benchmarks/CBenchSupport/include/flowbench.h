/*
 * flowbench.h — reference loops for the kernel benchmarks (flowguide-bench), not part of the
 * library: an in-place axpy and a STREAM triad (the bandwidth yardsticks, parallelized and tiled
 * the way CKernels' elementwise kernels are), an FMA-peak loop (the GEMM yardstick), and a clock.
 *
 * The loops use the calling thread's OpenMP thread count (the same runtime the kernels use, so
 * fk_set_num_threads sets both) and the SIMD path chosen with fb_set_simd_path.
 */
#ifndef FLOWBENCH_H
#define FLOWBENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Monotonic wall clock in seconds. */
double fb_now(void);

/* OpenMP's thread count for the next parallel region (1 without OpenMP). */
int fb_max_threads(void);

/* Picks the SIMD path of the reference loops: "avx512", "avx2" or anything else for the
 * baseline. Falls back to what the CPU has. Returns the path now in use. */
const char *fb_set_simd_path(const char *name);
const char *fb_simd_path(void);

/* y += a·x, in place (reads x and y, writes y: 12 bytes per element). */
void fb_axpy(int64_t n, float a, const float *x, float *y);

/* STREAM triad a = b + s·c (reads b and c, writes a: 12 bytes per element counted the STREAM
 * way, i.e. without the write-allocate read of a). */
void fb_triad(int64_t n, float s, const float *b, const float *c, float *a);

/* sum a·b: the read-only yardstick (reads a and b, writes nothing: 8 bytes per element), for
 * the kernels that only read their [B, D] operands (row reductions). The summation order, and so
 * the last bits of the result, vary from call to call. */
double fb_dot(int64_t n, const float *a, const float *b);

/* fk_apg's memory traffic without its math: prev = c - u + s·prev, g = x + prev in one pass
 * (reads x, c, u, prev; writes prev in place and g: 24 bytes per element, as fk_apg in x0 space
 * with momentum; g with non-temporal stores from 4Mi elements on, as fk_apg). The floor for
 * APG's access pattern. prev and g must not overlap each other or x, c, u. */
void fb_apg_traffic(int64_t n, float s, const float *x, const float *c, const float *u, float *prev,
                    float *g);

/* Measured single-precision FMA throughput in GFLOP/s (an FMA counts 2 flops) with `threads`
 * threads, each running independent FMA chains for at least min_seconds; best of `reps`. */
double fb_fma_peak_gflops(int threads, double min_seconds, int reps);

/* The instruction set the FMA-peak loop used: "avx512-fma", "avx2-fma" or "sse-mul+add". */
const char *fb_fma_isa(void);

#ifdef __cplusplus
}
#endif

#endif /* FLOWBENCH_H */
