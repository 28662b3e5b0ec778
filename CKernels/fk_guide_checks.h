/*
 * fk_guide_checks.h — argument validation of the step, CFG, MG and APG kernels (not installed).
 *
 * Each kernel and its fk_ref_* twin call the same check, so both return the same status for the
 * same bad arguments. The checks are defined next to the kernels (fk_step.c, fk_cfg.c,
 * fk_momentum.c, fk_apg.c); the math is not shared.
 */
#ifndef FK_GUIDE_CHECKS_H
#define FK_GUIDE_CHECKS_H

#include "fk_internal.h"

fk_status fk_check_euler_args(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                              const float *v, int64_t ldv, const float *out, int64_t ldo);
fk_status fk_check_combine_args(int64_t rows, int64_t cols, int64_t ld, const float *base,
                                int n_terms, const float *coeffs, const float *const *terms,
                                const float *out);
/* fk_cfg_blend, fk_cfg_rescale (phi checked separately), fk_cfg_zero_star (scale_out may be NULL). */
fk_status fk_check_cfg_args(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                            const float *u, int64_t ldu, const float *g, int64_t ldg,
                            const float *scale_out);
fk_status fk_check_cfg_euler_args(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                                  const float *c, int64_t ldc, const float *u, int64_t ldu);
fk_status fk_check_rescale_phi(float phi);
fk_status fk_check_mg_args(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                           const float *c, int64_t ldc, const float *u, int64_t ldu,
                           const float *m, int64_t ldm, const fk_mg_params *params,
                           const float *g, int64_t ldg, const float *diag);
fk_status fk_check_apg_args(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                            const float *c, int64_t ldc, const float *u, int64_t ldu,
                            const float *prev, int64_t ldp, const fk_apg_params *params,
                            const float *g, int64_t ldg, const float *diag);

/* 1 if a [rows] vector (NULL: never) overlaps the [rows, cols] operand p (NULL: never). */
FK_INLINE int fk_vec_overlaps(const float *vec, int64_t rows, const float *p, int64_t ld,
                              int64_t cols) {
    return fk_spans_overlap(vec, rows * (int64_t)sizeof(float), p, fk_span_bytes(rows, cols, ld));
}

#endif /* FK_GUIDE_CHECKS_H */
