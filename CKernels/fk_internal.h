/*
 * fk_internal.h — shared by the library's C files; not installed.
 *
 * What lives here: argument checks, the overlap test, the parallel drivers (fk_parallel.c is
 * the only file that talks to OpenMP), the SIMD path switch (fk_cpu.c), and the fixed-lane
 * double-precision row reductions every reduction kernel uses (so all of them sum in the same,
 * thread-count independent order).
 */
#ifndef FK_INTERNAL_H
#define FK_INTERNAL_H

#include "flowkernels.h"

#include <math.h>
#include <stdint.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

/* Inputs smaller than this many elements run serially (OpenMP start-up costs more). */
#define FK_PARALLEL_MIN_ELEMENTS 32768
/* Elementwise kernels split work into tiles of about this many elements. */
#define FK_TILE_ELEMENTS 16384

#define FK_INLINE static inline __attribute__((always_inline))
#define FK_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define FK_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma")))

/* ---- SIMD path (fk_cpu.c) ---------------------------------------------------------------- */

typedef enum fk_path {
    FK_PATH_REFERENCE = 0, /* the fk_ref_* functions (for bisecting) */
    FK_PATH_BASELINE = 1,  /* x86-64 baseline (SSE2) or the target's default */
    FK_PATH_AVX2 = 2,      /* AVX2 + FMA */
    FK_PATH_AVX512 = 3     /* AVX-512 F/VL/DQ */
} fk_path;

/* The active path: FLOWGUIDE_SIMD or fk_set_simd_path, else the best the CPU has. */
fk_path fk_active_path(void);
/* 1 if the CPU (and OS) supports AVX-512 F/VL/DQ. */
int fk_cpu_has_avx512(void);

/* ---- Argument checks (fk_status.c) -------------------------------------------------------- */

/* A [rows, cols] operand with leading dimension ld: sizes >= 0, ld >= cols, p != NULL unless
 * the matrix is empty. */
fk_status fk_check_matrix(int64_t rows, int64_t cols, const void *p, int64_t ld);
/* 1 if the byte ranges [a, a+abytes) and [b, b+bbytes) overlap (NULL or empty never does). */
int fk_spans_overlap(const void *a, int64_t abytes, const void *b, int64_t bbytes);
/* 1 if the memory spans of two [rows, cols] operands overlap (NULL never overlaps). */
int fk_overlap(const void *a, int64_t lda, const void *b, int64_t ldb, int64_t rows, int64_t cols);
/* 1 if a and b are the same operand (same pointer, same ld). */
FK_INLINE int fk_same(const void *a, int64_t lda, const void *b, int64_t ldb) {
    return a == b && lda == ldb;
}
/* FK_OK unless out partially overlaps in (exact aliasing allowed when allow_exact != 0). */
fk_status fk_check_alias(const void *out, int64_t ldo, const void *in, int64_t ldi,
                         int64_t rows, int64_t cols, int allow_exact);
/* Span in bytes of a [rows, cols] float operand: ((rows-1)·ld + cols)·4, 0 if empty. */
int64_t fk_span_bytes(int64_t rows, int64_t cols, int64_t ld);

/* ---- Parallel drivers (fk_parallel.c) ----------------------------------------------------- */

/* Elementwise work on rows [r0, r1) x columns [c0, c1). */
typedef void (*fk_tile_fn)(void *ctx, int64_t r0, int64_t r1, int64_t c0, int64_t c1);
/* Calls fn over tiles covering [rows, cols] (blocks of whole rows, or segments of one row
 * starting at any column), in parallel when rows·cols >= FK_PARALLEL_MIN_ELEMENTS and more than
 * one thread is set: each thread takes one contiguous, equal share of the elements. Where tiles
 * begin depends on the thread count, so fn must compute every element independently of its tile.
 * (All three drivers run serially, outside any OpenMP region, when one thread is set.) */
void fk_parallel_tiles(int64_t rows, int64_t cols, fk_tile_fn fn, void *ctx);
/* fk_parallel_tiles for elementwise kernels whose tile function uses no column index of its own
 * (no bias[j], no counter per column): with contiguous != 0 (the ld of every operand the call
 * reads or writes == cols: no gaps between rows) the matrix runs as one row of rows·cols
 * elements, so no loop stops at a row end (MG+Euler at [98, 1024]: ~2% faster on one thread). */
void fk_parallel_elementwise(int64_t rows, int64_t cols, int contiguous, fk_tile_fn fn, void *ctx);

/* Calls fn(ctx, i) for i in [0, count), in parallel when parallel != 0 and more than one thread
 * is set (GEMM tiles, optimizer chunks). */
typedef void (*fk_index_fn)(void *ctx, int64_t i);
void fk_parallel_for(int64_t count, int parallel, fk_index_fn fn, void *ctx);

/* Row work on rows [r0, r1) (whole rows: for kernels with per-row reductions); in parallel
 * when rows·cols >= FK_PARALLEL_MIN_ELEMENTS and more than one thread is set, each thread taking
 * one equal run of rows. */
typedef void (*fk_rows_fn)(void *ctx, int64_t r0, int64_t r1);
void fk_parallel_rows(int64_t rows, int64_t cols, fk_rows_fn fn, void *ctx);

/* ---- BLAS backend (fk_blas.c) ------------------------------------------------------------ */

/* The argument checks shared by fk_sgemm and fk_ref_sgemm (same statuses from both). */
/* Test hook: nonzero makes the OpenBLAS fast-path check fail (exercises the reload). */
void fk_blas_test_fail_fastpath_check(int fail);
/* fk_sgemm with an epilogue: right after each row tile [r0, r1) of C is computed, on the same
 * thread, epilogue(ctx, r0, r1) runs while the tile is still in cache (the dense layer's bias +
 * activation). The arguments are checked as fk_sgemm checks them; epilogue may be NULL. */
typedef void (*fk_gemm_epilogue)(void *ctx, int64_t r0, int64_t r1);
fk_status fk_sgemm_epilogue(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                            const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                            float *c, int64_t ldc, fk_gemm_epilogue epilogue, void *ctx);
fk_status fk_check_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                         const float *a, int64_t lda, const float *b, int64_t ldb,
                         const float *c, int64_t ldc);

/* ---- Dense-layer argument checks (fk_dense.c; the kernels and their references share them) - */

fk_status fk_check_bias_activation(int64_t m, int64_t n, const float *y, int64_t ldy,
                                   const float *bias, fk_activation act, const float *pre);
fk_status fk_check_dense_forward(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                                 const float *w, int64_t ldw, const float *bias,
                                 fk_activation act, const float *y, int64_t ldy,
                                 const float *pre);
fk_status fk_check_dense_backward(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                                  const float *w, int64_t ldw, const float *pre,
                                  fk_activation act, const float *dy, int64_t ldy,
                                  const float *dz, const float *dw, const float *db,
                                  const float *dx);

fk_status fk_check_dense_tangent(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                                 const float *dx, int64_t lddx, const float *w, int64_t ldw,
                                 const float *dw, int64_t lddw, const float *db, const float *pre,
                                 fk_activation act, const float *dy, int64_t ldy, int accumulate);

/* ---- Noise argument check (fk_noise.c; shared with its reference) ------------------------- */

/* out: [rows, cols] with ldo; row0, col0 >= 0; row0 + rows fits; col0 + cols <= 2^34. */
fk_status fk_check_noise(int64_t row0, int64_t col0, int64_t rows, int64_t cols, const float *out,
                         int64_t ldo);

/* ---- Optimizer argument check (fk_optim.c; shared with its reference) --------------------- */

/* p != NULL with every hyperparameter in its domain; n >= 0; the four vectors non-NULL and
 * pairwise disjoint when n > 0. */
fk_status fk_check_adamw_args(int64_t n, const float *param, const float *grad, const float *m,
                              const float *v, const fk_adamw_params *p);
/* The same for fk_lion_step (three vectors) and fk_apply_update (two). */
fk_status fk_check_lion_args(int64_t n, const float *param, const float *grad, const float *m,
                             const fk_lion_params *p);
/* fk_adam_direction: p and dots non-NULL, p in its domain, the four vectors disjoint. */
fk_status fk_check_adam_direction_args(int64_t n, const float *grad, const float *m, const float *v,
                                       const float *u, const fk_adam_direction_params *p,
                                       const double *dots);
fk_status fk_check_apply_update_args(int64_t n, const float *param, const float *update, float lr,
                                     float weight_decay, int32_t flags);

/* ---- Fixed-lane row reductions ------------------------------------------------------------ */

/* The fixed tree that sums 8 double lanes. */
FK_INLINE double fk_lanes_sum(const double a[8]) {
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* 16 double lanes (4 AVX2 registers: independent add chains, so the loop is not bound by the
 * add latency), element j goes to lane j % 16; lanes l and l + 8 are added, then the fixed
 * tree. The order depends only on n, so every caller (and every thread count) gets the same
 * bits on a given path. */
FK_INLINE double fk_dot_lanes(const float *a, const float *b, int64_t n) {
    double acc[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 16 <= n; j += 16)
        for (int l = 0; l < 16; l++) acc[l] += (double)a[j + l] * (double)b[j + l];
    for (int l = 0; j < n; j++, l++) acc[l] += (double)a[j] * (double)b[j];
    double half[8];
    for (int l = 0; l < 8; l++) half[l] = acc[l] + acc[l + 8];
    return fk_lanes_sum(half);
}

FK_INLINE double fk_sqnorm_lanes(const float *a, int64_t n) {
    return fk_dot_lanes(a, a, n);
}

/* Blocked float lanes, for the fused row kernels whose reduction pass would otherwise be
 * compute-bound (float -> double conversions and half-width double math): a row is cut into
 * blocks of FK_RED_BLOCK elements; inside a block, element j goes to float lane j % FK_RED_LANES
 * (16 lanes = 2 AVX2 registers per sum: independent FMA chains); at the end of each block its
 * lanes are added into 8 double lanes (fk_red_fold), summed by fk_lanes_sum at the end of the
 * row. The row's last n % FK_RED_LANES elements go straight into the double lanes (tail element
 * t into lane t % 8), so rows shorter than FK_RED_LANES are summed in double throughout. A float
 * lane adds at most 32 terms, so the float rounding is a few ulp of the block's partial sums;
 * across blocks the sum is double. The order depends only on n (thread-count invariant). Not for
 * sums that cancel by design (a variance as E[d^2] - E[d]^2): fk_cfg_rescale keeps double lanes. */
#define FK_RED_LANES 16
#define FK_RED_BLOCK 512

FK_INLINE void fk_red_fold(double d[8], const float f[FK_RED_LANES]) {
#pragma omp simd
    for (int l = 0; l < 8; l++) d[l] += (double)f[l] + (double)f[l + 8];
}

/* ---- Non-temporal (streaming) stores -------------------------------------------------------- */

/* Outputs of at least this many elements that are written once and not read again by the kernel
 * go around the cache (no read-for-ownership: 4 B/elem less traffic). Below it, the output and
 * the caller's next reads of it likely still fit in the last-level cache. */
#define FK_STREAM_MIN_ELEMENTS (4 << 20)

FK_INLINE int fk_stream_worth(int64_t rows, int64_t cols) {
#if defined(__SSE__)
    return rows * cols >= FK_STREAM_MIN_ELEMENTS;
#else
    return 0; /* no streaming store on this target */
#endif
}

/* 1 if dst may start a run of fk_stream8 stores (16-byte aligned). */
FK_INLINE int fk_stream_aligned(const float *dst) {
    return ((uintptr_t)dst & 15) == 0;
}

/* Stores v[0..7] at dst (16-byte aligned) with non-temporal stores. SSE is part of the x86-64
 * baseline, so this compiles in every SIMD path (vmovntps under AVX). */
FK_INLINE void fk_stream8(float *dst, const float v[8]) {
#if defined(__SSE__)
    _mm_stream_ps(dst, _mm_loadu_ps(v));
    _mm_stream_ps(dst + 4, _mm_loadu_ps(v + 4));
#else
    for (int l = 0; l < 8; l++) dst[l] = v[l];
#endif
}

/* Orders this thread's streaming stores before its later stores (and the parallel region's end). */
FK_INLINE void fk_stream_fence(void) {
#if defined(__SSE__)
    _mm_sfence();
#endif
}

#endif /* FK_INTERNAL_H */
