/* fk_step_ref.c — scalar references for fk_step.c: plain serial loops in double. */
#include "../fk_guide_checks.h"

fk_status fk_ref_euler_step(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                            const float *v, int64_t ldv, float h, float *out, int64_t ldo) {
    fk_status s = fk_check_euler_args(rows, cols, x, ldx, v, ldv, out, ldo);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            out[i * ldo + j] = (float)((double)x[i * ldx + j] + (double)h * (double)v[i * ldv + j]);
    return FK_OK;
}

fk_status fk_ref_combine(int64_t rows, int64_t cols, int64_t ld, const float *base,
                         int n_terms, const float *coeffs, const float *const *terms, float *out) {
    fk_status s = fk_check_combine_args(rows, cols, ld, base, n_terms, coeffs, terms, out);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            int64_t e = i * ld + j;
            double acc = base ? (double)base[e] : 0.0;
            for (int k = 0; k < n_terms; k++) acc += (double)coeffs[k] * (double)terms[k][e];
            out[e] = (float)acc;
        }
    return FK_OK;
}
