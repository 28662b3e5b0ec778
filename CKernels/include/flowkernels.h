/*
 * flowkernels.h — the C kernels behind FlowGuide.
 *
 * FlowGuide samples flow-matching (rectified-flow) models with guidance. This library holds the
 * hot loops: fused guidance + solver-step kernels, per-sample reductions, a dense layer over BLAS
 * GEMM with its backward pieces, fused optimizer updates (AdamW, Lion, Muon's last pass) for
 * training, and a counter-based Gaussian noise generator. Swift (module FlowGuide) does the
 * stepping, scheduling, model wiring and training loop on top of it.
 *
 * Conventions (DESIGN.md §2), the same for every function here:
 *   - Time is the noise level sigma in [0, 1]: sigma = 1 is pure noise, sigma = 0 is data.
 *     Path x_s = (1-s)·x0 + s·eps, velocity v = eps - x0, Euler step x <- x + h·v with
 *     h = sigma_next - sigma < 0. Denoised estimate x0_hat = x - sigma·v.
 *   - Data is float32, batch-major: a matrix [rows, cols] is `rows` samples of `cols` floats,
 *     row i starting at p + i·ld. The leading dimension (row stride, in floats) ld >= cols.
 *     Every per-sample norm or dot product is over one row, never across rows.
 *   - CFG form: g = u + w·(c - u), c conditional and u unconditional velocity; w = 1 is no guidance.
 *   - Determinism: every kernel gives bitwise identical results for any OpenMP thread count.
 *     Row reductions are computed by one thread per row with a fixed blocking (double
 *     accumulators in fixed lanes), so the summation order never depends on the thread count.
 *     GEMM results may differ between BLAS backends (their summation orders differ).
 *   - Sizes are int64_t. rows = 0 or cols = 0 is a valid no-op. A negative size, a NULL pointer
 *     where data is needed, or ld < cols returns an error status; nothing aborts.
 *   - NaN and Inf in inputs propagate to the outputs they touch; they never crash a kernel.
 *   - Aliasing: an output may alias an input only where the function says so, and then only
 *     exactly (same pointer, same ld). Any other overlap returns FK_ERR_ALIAS.
 *   - No kernel allocates; where scratch is needed the caller passes it.
 *   - Kernels run OpenMP-parallel (over rows or row tiles) above a size threshold; small inputs
 *     stay serial. fk_set_num_threads or OMP_NUM_THREADS set the thread count.
 *   - SIMD: the AVX-512, AVX2+FMA or baseline code path is chosen at run time from cpuid
 *     (fk_simd_path reports it; FLOWGUIDE_SIMD=avx512|avx2|baseline|reference forces one).
 *
 * Every function returns fk_status: FK_OK (0) or a negative error; fk_status_string names it.
 * Every kernel has a scalar reference twin, fk_ref_<name>, with the same arguments: it is the
 * test oracle (straight loops, double-precision accumulation, serial).
 */
#ifndef FLOWKERNELS_H
#define FLOWKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define FK_API
#else
#define FK_API __attribute__((visibility("default")))
#endif

#define FK_VERSION_MAJOR 0
#define FK_VERSION_MINOR 1
#define FK_VERSION_PATCH 0

/* ---------------------------------------------------------------------------------------------
 * Status
 * ------------------------------------------------------------------------------------------- */

typedef enum fk_status {
    FK_OK = 0,
    FK_ERR_NULL = -1,        /* a required pointer is NULL */
    FK_ERR_SIZE = -2,        /* a size is negative, or too large for the operation */
    FK_ERR_STRIDE = -3,      /* a leading dimension is smaller than the row length */
    FK_ERR_ARGUMENT = -4,    /* a parameter is out of its domain (e.g. beta outside [0, 1)) */
    FK_ERR_ALIAS = -5,       /* buffers overlap in a way the function does not allow */
    FK_ERR_BLAS = -6,        /* the BLAS backend could not be loaded or failed its check */
    FK_ERR_UNSUPPORTED = -7  /* the request is valid but not available in this build/CPU */
} fk_status;

/* A static, human-readable name for a status ("ok", "null pointer", ...). Never NULL. */
FK_API const char *fk_status_string(fk_status status);

/* The library version as "MAJOR.MINOR.PATCH". */
FK_API const char *fk_version(void);

/* ---------------------------------------------------------------------------------------------
 * Threads and code paths
 * ------------------------------------------------------------------------------------------- */

/* Sets the OpenMP thread count of this library's kernels, GEMM included: the BLAS itself is kept
 * single-threaded and fk_sgemm runs fixed row tiles of C on these threads, so GEMM bits do not
 * depend on the thread count either. n_threads >= 1, else FK_ERR_ARGUMENT. */
FK_API fk_status fk_set_num_threads(int n_threads);

/* The thread count kernels will use (OMP_NUM_THREADS or the last fk_set_num_threads; 1 in a
 * build without OpenMP). */
FK_API int fk_get_num_threads(void);

/* 1 if the library was built with OpenMP, else 0. */
FK_API int fk_has_openmp(void);

/* The SIMD path the kernels run: "avx512", "avx2", "baseline" or "reference". */
FK_API const char *fk_simd_path(void);

/* Forces a SIMD path by name (same names as above; NULL or "auto" = detect from cpuid).
 * FK_ERR_UNSUPPORTED if the CPU lacks it, FK_ERR_ARGUMENT for an unknown name. */
FK_API fk_status fk_set_simd_path(const char *name);

/* ---------------------------------------------------------------------------------------------
 * Per-sample reductions (bitwise identical for any thread count)
 *   a, b: [rows, cols], lda, ldb >= cols.  out: [rows], must not overlap a or b.
 * ------------------------------------------------------------------------------------------- */

/* out[i] = sum_j a[i,j]·b[i,j], accumulated in double. */
FK_API fk_status fk_row_dot(int64_t rows, int64_t cols,
                            const float *a, int64_t lda,
                            const float *b, int64_t ldb,
                            float *out);

/* out[i] = sum_j a[i,j]^2, accumulated in double. */
FK_API fk_status fk_row_sqnorm(int64_t rows, int64_t cols,
                               const float *a, int64_t lda,
                               float *out);

/* ---------------------------------------------------------------------------------------------
 * Elementwise step and combination
 * ------------------------------------------------------------------------------------------- */

/* out = x + h·v  (an Euler step or a solver stage).
 *   x, v, out: [rows, cols]. out may alias x or v. */
FK_API fk_status fk_euler_step(int64_t rows, int64_t cols,
                               const float *x, int64_t ldx,
                               const float *v, int64_t ldv,
                               float h,
                               float *out, int64_t ldo);

/* out = base + sum_k coeffs[k]·terms[k]   for k < n_terms, 1 <= n_terms <= 4
 * (Heun, midpoint, RK4 and Adams–Bashforth combinations).
 *   base, terms[k], out: [rows, cols], all with leading dimension ld.
 *   base may be NULL (treated as zero). out may alias base or any term.
 *   n_terms outside [1, 4] -> FK_ERR_ARGUMENT; coeffs, terms or a terms[k] NULL -> FK_ERR_NULL
 *   (terms[k] only when the matrix is not empty). */
FK_API fk_status fk_combine(int64_t rows, int64_t cols, int64_t ld,
                            const float *base,
                            int n_terms, const float *coeffs,
                            const float *const *terms,
                            float *out);

/* ---------------------------------------------------------------------------------------------
 * CFG (classifier-free guidance) branch combiners
 *   c: conditional velocity, u: unconditional velocity, both [rows, cols].
 * ------------------------------------------------------------------------------------------- */

/* g = u + w·(c - u).  g may alias c or u. */
FK_API fk_status fk_cfg_blend(int64_t rows, int64_t cols,
                              const float *c, int64_t ldc,
                              const float *u, int64_t ldu,
                              float w,
                              float *g, int64_t ldg);

/* x += h·(u + w·(c - u)), one pass.  x must not overlap c or u. */
FK_API fk_status fk_cfg_euler_step(int64_t rows, int64_t cols,
                                   float *x, int64_t ldx,
                                   const float *c, int64_t ldc,
                                   const float *u, int64_t ldu,
                                   float w, float h);

/* CFG rescale (Lin et al. 2023): g0 = u + w·(c - u), then per sample
 *   g = phi·g0·std(c)/std(g0) + (1 - phi)·g0,
 * std over the row (population std, divide by cols); where std(g0) = 0 the row is g0.
 * phi in [0, 1] (else, or NaN, FK_ERR_ARGUMENT). g may alias c or u.
 * One reduction pass + one elementwise pass per row. */
FK_API fk_status fk_cfg_rescale(int64_t rows, int64_t cols,
                                const float *c, int64_t ldc,
                                const float *u, int64_t ldu,
                                float w, float phi,
                                float *g, int64_t ldg);

/* CFG-Zero* (Fan et al. 2025): per sample s = <c, u> / (||u||^2 + 1e-8),
 *   g = s·u + w·(c - s·u).
 * scale_out: [rows] or NULL; receives s per sample (must not overlap c, u, g). g may alias c or u.
 * (The optional zero-init of the first steps is the sampler's job: it sets g = 0.) */
FK_API fk_status fk_cfg_zero_star(int64_t rows, int64_t cols,
                                  const float *c, int64_t ldc,
                                  const float *u, int64_t ldu,
                                  float w,
                                  float *g, int64_t ldg,
                                  float *scale_out);

/* ---------------------------------------------------------------------------------------------
 * Momentum Guidance (Liao et al. 2026, Algorithm 1), fused with the Euler step
 *
 * Per sample, with d the step's velocity (after any branch combiner) and m the EMA state:
 *   if params->updates == 0 and not debias:  m = d            (first step: plain Euler)
 *   m_eff = m                                  (debias: m / (1 - beta^updates); off while 0)
 *   normalize:  m_eff = m_eff·||d|| / (||m_eff|| + eps)       (per-sample; a reduction first;
 *                                              m_eff = 0 where ||m_eff|| + eps = 0)
 *   g = d + alpha·(d - m_eff)   if active, else g = d
 *   x += h·g
 *   m = (1 - beta)·d + beta·m                  (EMA of the UNMODIFIED velocity; always updated)
 * updates == 0 is always a plain Euler step (g = d exactly, normalize not applied): without
 * debias m becomes d exactly; with debias m = (1 - beta)·d + beta·m (m was zeroed by the caller).
 * The caller increments `updates` after each call (fk_mg_params is read-only here).
 * Errors: params NULL -> FK_ERR_NULL; beta outside [0, 1) or NaN, eps < 0 or NaN, unknown flag
 * bits, reserved != 0 or updates < 0 -> FK_ERR_ARGUMENT.
 * ------------------------------------------------------------------------------------------- */

enum {
    FK_MG_NORMALIZE = 1,  /* use m·||d||/(||m||+eps) in place of m */
    FK_MG_DEBIAS = 2      /* m starts at 0; use m/(1-beta^s) after s updates; MG off while s = 0 */
};

typedef struct fk_mg_params {
    float alpha;      /* extrapolation strength (default 0.5); alpha = 0 is plain Euler */
    float beta;       /* EMA decay in [0, 1) (default 0.6) */
    float eps;        /* normalize guard (default 1e-8), >= 0 */
    int32_t flags;    /* FK_MG_NORMALIZE | FK_MG_DEBIAS */
    int32_t active;   /* 1: extrapolate; 0: outside the sigma window (EMA still updates) */
    int32_t reserved; /* must be 0 */
    int64_t updates;  /* EMA updates made so far in this sampling run (s), >= 0 */
} fk_mg_params;

/* The fused CFG -> MG -> Euler step: one pass over c, u, m, x (plus a per-row reduction pass
 * when FK_MG_NORMALIZE is set).
 *   x: [rows, cols] state, updated in place.
 *   c: [rows, cols] the velocity; with u != NULL the conditional velocity.
 *   u: [rows, cols] unconditional velocity, or NULL for no CFG (then d = c and w is ignored).
 *   d = u + w·(c - u) when u != NULL, else d = c.
 *   m: [rows, cols] EMA state, updated in place; ldm is its leading dimension.
 *   g: [rows, cols] receives the applied velocity g, or NULL.
 *   diag: [rows] receives ||d - m_eff|| per sample (the MG correction size), or NULL;
 *         0 where the step does not extrapolate (active = 0 or updates = 0).
 * Aliasing: x, m, g pairwise disjoint and disjoint from c, u; g may alias c (then c is
 * overwritten after it is read). diag disjoint from everything. */
FK_API fk_status fk_cfg_mg_euler_step(int64_t rows, int64_t cols,
                                      float *x, int64_t ldx,
                                      const float *c, int64_t ldc,
                                      const float *u, int64_t ldu,
                                      float w,
                                      float *m, int64_t ldm,
                                      float h,
                                      const fk_mg_params *params,
                                      float *g, int64_t ldg,
                                      float *diag);

/* MG + Euler without CFG: fk_cfg_mg_euler_step with u = NULL. */
FK_API fk_status fk_mg_euler_step(int64_t rows, int64_t cols,
                                  float *x, int64_t ldx,
                                  const float *d, int64_t ldd,
                                  float *m, int64_t ldm,
                                  float h,
                                  const fk_mg_params *params,
                                  float *g, int64_t ldg,
                                  float *diag);

/* ---------------------------------------------------------------------------------------------
 * APG, adaptive projected guidance (Sadat et al. 2024)
 *
 * With D_c, D_u the conditional/unconditional predictions (x0 space: D = x - sigma·v; velocity
 * space: D = v), per sample:
 *   delta = D_c - D_u + beta·prev          (prev: the momentum buffer, then prev = delta)
 *   delta *= min(1, r/||delta||)           (r = INFINITY: no threshold)
 *   par  = (<delta, D_c>/||D_c||^2)·D_c,  perp = delta - par   (par = 0 where ||D_c|| = 0)
 *   D_hat = D_c + (w - 1)·(perp + eta·par)
 *   g = (x - D_hat)/sigma   in x0 space,   g = D_hat   in velocity space.
 * With eta = 1, r = INFINITY, beta = 0 this equals CFG. One reduction pass + one elementwise
 * pass per row.
 * ------------------------------------------------------------------------------------------- */

enum {
    FK_APG_X0_SPACE = 0,       /* default: project the denoised estimates */
    FK_APG_VELOCITY_SPACE = 1  /* project the velocities */
};

typedef struct fk_apg_params {
    float w;          /* guidance scale (CFG form; 1 = none) */
    float eta;        /* weight of the parallel component (0 = drop it) */
    float r;          /* norm threshold > 0, INFINITY for none */
    float beta;       /* momentum, <= 0 in the paper (e.g. -0.5); 0 = none; |beta| < 1 */
    float sigma;      /* the current noise level; > 0 in x0 space */
    int32_t space;    /* FK_APG_X0_SPACE or FK_APG_VELOCITY_SPACE */
} fk_apg_params;

/* x: [rows, cols] current state (read in x0 space; may be NULL in velocity space).
 * c, u: [rows, cols] conditional / unconditional velocities.
 * prev: [rows, cols] momentum buffer (zero it at the start of a run), updated in place;
 *       may be NULL when beta = 0 (with beta = 0 it is not read, only written if given).
 *       ldp is its leading dimension.
 * g: [rows, cols] the guided velocity; may alias c or u; must not overlap x or prev.
 * diag: [rows] receives ||delta|| after the threshold, or NULL.
 * Errors: params NULL, or prev NULL with beta != 0 -> FK_ERR_NULL; r <= 0 or NaN, |beta| >= 1
 * or NaN, sigma <= 0 or NaN in x0 space, unknown space -> FK_ERR_ARGUMENT. prev must not overlap
 * x, c, u or g; diag must not overlap anything. */
FK_API fk_status fk_apg(int64_t rows, int64_t cols,
                        const float *x, int64_t ldx,
                        const float *c, int64_t ldc,
                        const float *u, int64_t ldu,
                        float *prev, int64_t ldp,
                        const fk_apg_params *params,
                        float *g, int64_t ldg,
                        float *diag);

/* ---------------------------------------------------------------------------------------------
 * Gaussian and uniform noise: Philox4x32-10, addressed by (seed, stream, row, col)
 *
 * The value at (row, col) depends only on (seed, stream, row, col): the same for any thread
 * count, batch size or split. Exactly: one Philox4x32-10 block (Random123 constants) with
 *   counter = {col/4 (fits 32 bits), stream, row & 0xffffffff, row >> 32},
 *   key     = {seed & 0xffffffff, seed >> 32}
 * gives words w0..w3; Box–Muller:
 *   u1 = (w0 + 0.5)·2^-32, u2 = w1·2^-32, z0 = sqrt(-2 ln u1)·cos(2 pi u2), z1 = ...·sin(2 pi u2),
 *   z2, z3 likewise from (w2, w3);  element col is z[col % 4] rounded to float.
 * Evaluating this in double (fk_ref_randn) reproduces fk_randn to 1e-6 max-norm relative error
 * (each element within a few float ulps). fk_randn evaluates it in float with its own polynomials:
 * ln u1 with 1 - u1 taken from ~w0 (exact near u1 = 1), the angle reduced exactly from the bits
 * of w1 (octant w1 >> 29); so the last float bits may differ between SIMD paths (FMA or not),
 * never between thread counts, batch splits or tilings on one path.
 * Use distinct streams for independent purposes (initial noise, training noise, ...).
 *   out: [rows, cols], ldo >= cols; values for rows row0..row0+rows-1, cols col0..col0+cols-1.
 *   row0, col0 >= 0 and col0 + cols <= 2^34 (else FK_ERR_SIZE).
 * ------------------------------------------------------------------------------------------- */

FK_API fk_status fk_randn(uint64_t seed, uint32_t stream,
                          int64_t row0, int64_t col0,
                          int64_t rows, int64_t cols,
                          float *out, int64_t ldo);

/* Uniform in [0, 1): element col is (w[col % 4] >> 8)·2^-24, w the same Philox words. */
FK_API fk_status fk_randu(uint64_t seed, uint32_t stream,
                          int64_t row0, int64_t col0,
                          int64_t rows, int64_t cols,
                          float *out, int64_t ldo);

/* The raw Philox4x32-10 block for (counter, key), for tests against published vectors.
 * (NULL arguments: does nothing.) */
FK_API void fk_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

/* ---------------------------------------------------------------------------------------------
 * BLAS: loaded at run time (dlopen), swappable without relinking
 *
 * The backend is chosen, in order, by: fk_blas_load(name); the FLOWGUIDE_BLAS environment
 * variable; the build-time default (CMake FK_DEFAULT_BLAS / SwiftPM trait). Names:
 *   "system"    libblas.so.3: whatever Debian's alternatives (or LD_LIBRARY_PATH) point at
 *   "openblas"  libopenblas.so.0
 *   "blis"      libblis.so.4
 *   "reference" the netlib reference BLAS (<multiarch>/blas/libblas.so.3)
 *   "builtin"   this library's own portable GEMM (no BLAS needed; slow)
 *   or a path to any shared library exporting cblas_sgemm.
 * If the chosen library cannot be loaded the first GEMM returns FK_ERR_BLAS (no silent fallback).
 *
 * OpenBLAS fast path: on a CPU with AVX-512, when OPENBLAS_CORETYPE is NOT set, OpenBLAS is
 * loaded with OPENBLAS_CORETYPE=SkylakeX (Debian's build otherwise picks an AVX2 kernel) and
 * checked against the builtin GEMM; if the check fails it is reloaded with its own choice.
 * A value already in the environment always wins. FLOWGUIDE_OPENBLAS_FASTPATH=0 disables it;
 * for testing on CPUs without AVX-512, FLOWGUIDE_OPENBLAS_FASTPATH=force applies it regardless of
 * the CPU and FLOWGUIDE_OPENBLAS_FASTPATH_CORE=<core> replaces SkylakeX (e.g. Haswell).
 * fk_blas_load(NULL) or "" loads the default (FLOWGUIDE_BLAS, then the build-time default).
 * Backends stay loaded once used, so switching back is cheap. Every backend is kept
 * single-threaded: fk_sgemm parallelises over row tiles itself (fk_set_num_threads).
 * ------------------------------------------------------------------------------------------- */

/* Loads (or switches to) the named backend now. FK_ERR_BLAS if it cannot be loaded. */
FK_API fk_status fk_blas_load(const char *name);

/* The active backend's family ("openblas", "blis", "reference", "builtin", "unknown") —
 * loads the default backend first if none is loaded yet. Never NULL. */
FK_API const char *fk_blas_name(void);

/* The file the GEMM comes from (resolved path), "builtin", or "" if loading failed. */
FK_API const char *fk_blas_path(void);

/* The backend's own kernel/core name where it reports one (OpenBLAS: openblas_get_corename,
 * e.g. "Haswell" or "SkylakeX"; BLIS: the architecture string), else "". */
FK_API const char *fk_blas_kernel(void);

/* Why the active backend failed to load (the dlerror text, or an unknown name), else "". */
FK_API const char *fk_blas_error(void);

enum { FK_NO_TRANS = 0, FK_TRANS = 1 };

/* Row-major C = alpha·op(A)·op(B) + beta·C through the loaded backend's cblas_sgemm.
 * C is split into row tiles whose height depends only on m (about m/8 rounded up to a multiple
 * of 64, between 64 and 512); each tile is one single-threaded BLAS call, and the tiles run in
 * parallel. Results are bitwise identical for any thread count on a given backend.
 *   op(A): [m, k], op(B): [k, n], C: [m, n]; A is [m, k] (lda >= k) or, transposed, [k, m]
 *   (lda >= m); likewise B. C must not overlap A or B. Sizes must fit a 32-bit int
 *   (FK_ERR_SIZE otherwise). */
FK_API fk_status fk_sgemm(int trans_a, int trans_b,
                          int64_t m, int64_t n, int64_t k,
                          float alpha,
                          const float *a, int64_t lda,
                          const float *b, int64_t ldb,
                          float beta,
                          float *c, int64_t ldc);

/* ---------------------------------------------------------------------------------------------
 * Dense layer: y = act(x·W^T + b), and its backward pieces
 * ------------------------------------------------------------------------------------------- */

typedef enum fk_activation {
    FK_ACT_IDENTITY = 0,
    FK_ACT_SILU = 1,   /* z·sigmoid(z) */
    FK_ACT_GELU = 2    /* exact: z·Phi(z) = 0.5·z·(1 + erf(z/sqrt(2))) */
} fk_activation;

/* y = act(x·W^T + b): one cblas_sgemm, then one fused bias + activation pass.
 *   x: [m, k] (ldx >= k), W: [n, k] (ldw >= k; PyTorch's Linear layout), bias: [n] or NULL.
 *   y: [m, n] (ldy >= n), must not overlap x, W, bias.
 *   pre: [m, n] receives z = x·W^T + b (needed by the backward pass) or NULL; ld = ldy. */
FK_API fk_status fk_dense_forward(int64_t m, int64_t k, int64_t n,
                                  const float *x, int64_t ldx,
                                  const float *w, int64_t ldw,
                                  const float *bias,
                                  fk_activation act,
                                  float *y, int64_t ldy,
                                  float *pre);

/* A residual dense layer without activation: y += x·W^T + b (a GEMM with beta = 1, the bias
 * added on each row tile while it is in cache). Bitwise the same as fk_sgemm(..., beta = 1)
 * followed by fk_bias_activation(FK_ACT_IDENTITY), with one pass over y less.
 *   x: [m, k] (ldx >= k), W: [n, k] (ldw >= k), bias: [n] or NULL.
 *   y: [m, n] (ldy >= n), read and written; must not overlap x, W, bias. */
FK_API fk_status fk_dense_residual(int64_t m, int64_t k, int64_t n,
                                   const float *x, int64_t ldx,
                                   const float *w, int64_t ldw,
                                   const float *bias,
                                   float *y, int64_t ldy);

/* Backward of fk_dense_forward. Given dy = dL/dy:
 *   dz = dy ⊙ act'(pre)                      (written into dz; dz may alias dy)
 *   dW (+)= dz^T·x    [n, k], ld = ldw       (accumulate != 0 adds to dW, else overwrites)
 *   db (+)= sum over rows of dz   [n]         (NULL to skip; fixed row order: deterministic)
 *   dx = dz·W         [m, k], ld = ldx       (NULL to skip, e.g. for the first layer)
 *   x, w, pre, dy as in the forward pass (pre may be NULL for FK_ACT_IDENTITY);
 *   dz: [m, n] with leading dimension ldy. dW, db, dx must not overlap anything else. */
FK_API fk_status fk_dense_backward(int64_t m, int64_t k, int64_t n,
                                   const float *x, int64_t ldx,
                                   const float *w, int64_t ldw,
                                   const float *pre,
                                   fk_activation act,
                                   const float *dy, int64_t ldy,
                                   float *dz,
                                   float *dw, float *db,
                                   float *dx,
                                   int accumulate);

/* Tangent (forward-mode derivative) of fk_dense_forward along a direction: with the input
 * moving by dx and the parameters by (U, db),
 *   dy (+)= act'(pre) ⊙ (dx·W^T + x·U^T + db)
 * Two GEMMs and one fused pass (the pass runs on each row tile of the second GEMM).
 *   x:   [m, k] (ldx >= k): the layer's input at the linearisation point
 *   dx:  [m, k] (lddx >= k): the input's tangent, or NULL for a constant input
 *   w:   [n, k] (ldw >= k): W (PyTorch's Linear layout)
 *   dw:  [n, k] (lddw >= k): W's tangent U
 *   db:  [n]: the bias's tangent, or NULL (zero)
 *   pre: [m, n] (ld = ldy): the forward pass's pre-activation (NULL allowed for FK_ACT_IDENTITY)
 *   dy:  [m, n] (ldy >= n): the output's tangent; must not overlap any input
 *   accumulate: nonzero adds to dy (a residual branch); FK_ACT_IDENTITY only, else FK_ERR_ARGUMENT.
 * Bitwise identical for any thread count on a given BLAS backend (as fk_sgemm). */
FK_API fk_status fk_dense_tangent(int64_t m, int64_t k, int64_t n,
                                  const float *x, int64_t ldx,
                                  const float *dx, int64_t lddx,
                                  const float *w, int64_t ldw,
                                  const float *dw, int64_t lddw,
                                  const float *db,
                                  const float *pre,
                                  fk_activation act,
                                  float *dy, int64_t ldy,
                                  int accumulate);

/* The fused pass alone (for models that call fk_sgemm themselves):
 *   y[i,j] = act(y[i,j] + bias[j]) in place; pre receives the pre-activation or NULL. */
FK_API fk_status fk_bias_activation(int64_t m, int64_t n,
                                    float *y, int64_t ldy,
                                    const float *bias,
                                    fk_activation act,
                                    float *pre);

/* ---------------------------------------------------------------------------------------------
 * Optimizers: one fused pass over the flat parameter vector
 *
 * AdamW (Loshchilov & Hutter 2019) with optional cautious weight decay (Chen et al. 2025,
 * arXiv 2510.12402). Per element, with g the gradient and t = params->step:
 *   m = beta1·m + (1 - beta1)·g
 *   v = beta2·v + (1 - beta2)·g^2
 *   u = m_hat / (sqrt(v_hat) + eps),   m_hat = m/(1 - beta1^t),  v_hat = v/(1 - beta2^t)
 *   plain:     theta -= lr·(u + weight_decay·theta)
 *   cautious:  theta -= lr·(u + weight_decay·mask·theta),  mask = 1[u·theta >= 0]
 *              (decay only where the update and the parameter agree in sign; mask = 1 on ties,
 *              i.e. where u or theta is zero; the sign of the exact product, no underflow)
 * Elementwise, so bitwise identical for any thread count; NaN/Inf in any input propagate to that
 * element's outputs. The bias corrections are computed once per call in double.
 * ------------------------------------------------------------------------------------------- */

enum {
    FK_OPT_CAUTIOUS = 1   /* cautious weight decay (mask above); without it: plain AdamW */
};

typedef struct fk_adamw_params {
    float lr;            /* learning rate, finite and >= 0 */
    float beta1;         /* first-moment decay, in [0, 1) (typically 0.9) */
    float beta2;         /* second-moment decay, in [0, 1) (typically 0.999) */
    float eps;           /* denominator guard, finite and > 0 (typically 1e-8) */
    float weight_decay;  /* decoupled decay lambda, finite and >= 0 (0 = none) */
    int32_t flags;       /* 0 or FK_OPT_CAUTIOUS */
    int64_t step;        /* this update's number t >= 1 (1 on the first call), for bias correction */
} fk_adamw_params;

/* One AdamW update of n parameters, in place.
 *   n:     number of parameters (>= 0; 0 is a no-op)
 *   param: [n] parameters theta, updated
 *   grad:  [n] gradient of the loss at param, read only
 *   m:     [n] first moment (zero before the first step), updated
 *   v:     [n] second moment (zero before the first step), updated
 *   p:     hyperparameters and the step number, read only
 * The four vectors must not overlap (FK_ERR_ALIAS). Errors: p NULL, or a vector NULL with
 * n > 0 -> FK_ERR_NULL; n < 0 -> FK_ERR_SIZE; a hyperparameter outside its domain (or NaN),
 * step < 1 or unknown flag bits -> FK_ERR_ARGUMENT. Nothing is written on error. */
FK_API fk_status fk_adamw_step(int64_t n, float *param, const float *grad, float *m, float *v,
                               const fk_adamw_params *p);

/* Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), per element:
 *   c = beta1·m + (1 - beta1)·g
 *   u = sign(c)                       (sign(±0) = ±0, sign(NaN) = NaN)
 *   plain:     theta -= lr·(u + weight_decay·theta)
 *   cautious:  theta -= lr·(u + weight_decay·mask·theta),  mask = 1[u·theta >= 0] (1 on ties)
 *   m = beta2·m + (1 - beta2)·g
 * Elementwise, so bitwise identical for any thread count. Typical settings: beta1 0.9,
 * beta2 0.99, an lr 3-10x smaller and a weight decay 3-10x larger than AdamW's. */
typedef struct fk_lion_params {
    float lr;            /* learning rate, finite and >= 0 */
    float beta1;         /* interpolation of m and g for the update direction, in [0, 1) (0.9) */
    float beta2;         /* momentum decay, in [0, 1) (0.99) */
    float weight_decay;  /* decoupled decay lambda, finite and >= 0 (0 = none) */
    int32_t flags;       /* 0 or FK_OPT_CAUTIOUS */
} fk_lion_params;

/* One Lion update of n parameters, in place.
 *   n:     number of parameters (>= 0; 0 is a no-op)
 *   param: [n] parameters theta, updated
 *   grad:  [n] gradient of the loss at param, read only
 *   m:     [n] momentum (zero before the first step), updated
 *   p:     hyperparameters, read only
 * The three vectors must not overlap (FK_ERR_ALIAS). Errors: p NULL, or a vector NULL with
 * n > 0 -> FK_ERR_NULL; n < 0 -> FK_ERR_SIZE; a hyperparameter outside its domain (or NaN) or
 * unknown flag bits -> FK_ERR_ARGUMENT. Nothing is written on error. */
FK_API fk_status fk_lion_step(int64_t n, float *param, const float *grad, float *m,
                              const fk_lion_params *p);

/* The last pass of an optimizer whose update direction u was computed elsewhere (Muon's
 * Newton-Schulz output), per element:
 *   plain:     theta -= lr·(u + weight_decay·theta)
 *   cautious:  theta -= lr·(u + weight_decay·mask·theta),  mask = 1[u·theta >= 0] (1 on ties)
 *   n:            number of parameters (>= 0; 0 is a no-op)
 *   param:        [n] parameters theta, updated
 *   update:       [n] update direction u, read only
 *   lr:           learning rate, finite and >= 0
 *   weight_decay: decoupled decay lambda, finite and >= 0
 *   flags:        0 or FK_OPT_CAUTIOUS
 * param and update must not overlap (FK_ERR_ALIAS). Errors as fk_lion_step. */
FK_API fk_status fk_apply_update(int64_t n, float *param, const float *update, float lr,
                                 float weight_decay, int32_t flags);

/* Adam's preconditioned direction, for optimizers that choose the step size themselves
 * (AdamQLR: Clarke, Su & Hernández-Lobato, ICML 2024). Per element, with t = params->step:
 *   m = beta1·m + (1 - beta1)·g,   v = beta2·v + (1 - beta2)·g^2
 *   u = m_hat / (sqrt(v_hat) + eps)          (the Adam direction is d = -u)
 * and the two sums the step size needs:
 *   dots[0] = sum_j g_j·u_j   (= -g^T d)      dots[1] = sum_j u_j^2   (= |d|^2)
 * summed in float lanes within blocks of 512 elements and in double across blocks (a relative
 * error of a few 1e-7 of the sum of |terms|), over fixed chunks added in chunk order: bitwise
 * identical for any thread count. Then fk_apply_update(n, param, u, alpha, weight_decay, flags) makes the step. */
typedef struct fk_adam_direction_params {
    float beta1;         /* first-moment decay, in [0, 1) */
    float beta2;         /* second-moment decay, in [0, 1) */
    float eps;           /* denominator guard, finite and > 0 */
    int64_t step;        /* this update's number t >= 1, for bias correction */
} fk_adam_direction_params;

/* One moment update and direction.
 *   n:    number of parameters (>= 0; 0 gives dots = {0, 0})
 *   grad: [n] gradient, read only
 *   m, v: [n] moments (zero before the first step), updated
 *   u:    [n] receives the direction's negative, m_hat/(sqrt(v_hat) + eps)
 *   p:    hyperparameters and step, read only
 *   dots: [2] receives sum g·u and sum u·u
 * The four vectors must not overlap (FK_ERR_ALIAS). Errors: p or dots NULL, or a vector NULL
 * with n > 0 -> FK_ERR_NULL; n < 0 -> FK_ERR_SIZE; a hyperparameter outside its domain or
 * step < 1 -> FK_ERR_ARGUMENT. Nothing is written on error. */
FK_API fk_status fk_adam_direction(int64_t n, const float *grad, float *m, float *v, float *u,
                                   const fk_adam_direction_params *p, double dots[2]);

/* ---------------------------------------------------------------------------------------------
 * Scalar references (test oracles): same arguments and semantics as the kernels above,
 * straight serial loops with double-precision arithmetic, no SIMD, no threads.
 * ------------------------------------------------------------------------------------------- */

FK_API fk_status fk_ref_row_dot(int64_t rows, int64_t cols, const float *a, int64_t lda,
                                const float *b, int64_t ldb, float *out);
FK_API fk_status fk_ref_row_sqnorm(int64_t rows, int64_t cols, const float *a, int64_t lda,
                                   float *out);
FK_API fk_status fk_ref_euler_step(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                                   const float *v, int64_t ldv, float h, float *out, int64_t ldo);
FK_API fk_status fk_ref_combine(int64_t rows, int64_t cols, int64_t ld, const float *base,
                                int n_terms, const float *coeffs, const float *const *terms,
                                float *out);
FK_API fk_status fk_ref_cfg_blend(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                                  const float *u, int64_t ldu, float w, float *g, int64_t ldg);
FK_API fk_status fk_ref_cfg_euler_step(int64_t rows, int64_t cols, float *x, int64_t ldx,
                                       const float *c, int64_t ldc, const float *u, int64_t ldu,
                                       float w, float h);
FK_API fk_status fk_ref_cfg_rescale(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                                    const float *u, int64_t ldu, float w, float phi,
                                    float *g, int64_t ldg);
FK_API fk_status fk_ref_cfg_zero_star(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                                      const float *u, int64_t ldu, float w,
                                      float *g, int64_t ldg, float *scale_out);
FK_API fk_status fk_ref_cfg_mg_euler_step(int64_t rows, int64_t cols, float *x, int64_t ldx,
                                          const float *c, int64_t ldc,
                                          const float *u, int64_t ldu, float w,
                                          float *m, int64_t ldm, float h,
                                          const fk_mg_params *params,
                                          float *g, int64_t ldg, float *diag);
FK_API fk_status fk_ref_apg(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                            const float *c, int64_t ldc, const float *u, int64_t ldu,
                            float *prev, int64_t ldp, const fk_apg_params *params,
                            float *g, int64_t ldg, float *diag);
FK_API fk_status fk_ref_randn(uint64_t seed, uint32_t stream, int64_t row0, int64_t col0,
                              int64_t rows, int64_t cols, float *out, int64_t ldo);
FK_API fk_status fk_ref_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                              float alpha, const float *a, int64_t lda,
                              const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
FK_API fk_status fk_ref_dense_forward(int64_t m, int64_t k, int64_t n,
                                      const float *x, int64_t ldx, const float *w, int64_t ldw,
                                      const float *bias, fk_activation act,
                                      float *y, int64_t ldy, float *pre);
FK_API fk_status fk_ref_bias_activation(int64_t m, int64_t n, float *y, int64_t ldy,
                                        const float *bias, fk_activation act, float *pre);
FK_API fk_status fk_ref_randu(uint64_t seed, uint32_t stream, int64_t row0, int64_t col0,
                              int64_t rows, int64_t cols, float *out, int64_t ldo);
FK_API fk_status fk_ref_dense_backward(int64_t m, int64_t k, int64_t n,
                                       const float *x, int64_t ldx, const float *w, int64_t ldw,
                                       const float *pre, fk_activation act,
                                       const float *dy, int64_t ldy, float *dz,
                                       float *dw, float *db, float *dx, int accumulate);
FK_API fk_status fk_ref_dense_residual(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                                       const float *w, int64_t ldw, const float *bias, float *y,
                                       int64_t ldy);
FK_API fk_status fk_ref_dense_tangent(int64_t m, int64_t k, int64_t n,
                                      const float *x, int64_t ldx, const float *dx, int64_t lddx,
                                      const float *w, int64_t ldw, const float *dw, int64_t lddw,
                                      const float *db, const float *pre, fk_activation act,
                                      float *dy, int64_t ldy, int accumulate);
FK_API fk_status fk_ref_adamw_step(int64_t n, float *param, const float *grad, float *m, float *v,
                                   const fk_adamw_params *p);
FK_API fk_status fk_ref_lion_step(int64_t n, float *param, const float *grad, float *m,
                                  const fk_lion_params *p);
FK_API fk_status fk_ref_adam_direction(int64_t n, const float *grad, float *m, float *v, float *u,
                                       const fk_adam_direction_params *p, double dots[2]);
FK_API fk_status fk_ref_apply_update(int64_t n, float *param, const float *update, float lr,
                                     float weight_decay, int32_t flags);

#ifdef __cplusplus
}
#endif

#endif /* FLOWKERNELS_H */
