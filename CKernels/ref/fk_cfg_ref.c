/* fk_cfg_ref.c — scalar references for fk_cfg.c: plain serial loops in double. */
#include "../fk_guide_checks.h"

fk_status fk_ref_cfg_blend(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                           const float *u, int64_t ldu, float w, float *g, int64_t ldg) {
    fk_status s = fk_check_cfg_args(rows, cols, c, ldc, u, ldu, g, ldg, NULL);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double cv = c[i * ldc + j], uv = u[i * ldu + j];
            g[i * ldg + j] = (float)(uv + (double)w * (cv - uv));
        }
    return FK_OK;
}

fk_status fk_ref_cfg_euler_step(int64_t rows, int64_t cols, float *x, int64_t ldx,
                                const float *c, int64_t ldc, const float *u, int64_t ldu,
                                float w, float h) {
    fk_status s = fk_check_cfg_euler_args(rows, cols, x, ldx, c, ldc, u, ldu);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double cv = c[i * ldc + j], uv = u[i * ldu + j];
            double v = uv + (double)w * (cv - uv);
            x[i * ldx + j] = (float)((double)x[i * ldx + j] + (double)h * v);
        }
    return FK_OK;
}

fk_status fk_ref_cfg_rescale(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                             const float *u, int64_t ldu, float w, float phi,
                             float *g, int64_t ldg) {
    fk_status s = fk_check_cfg_args(rows, cols, c, ldc, u, ldu, g, ldg, NULL);
    if (s == FK_OK) s = fk_check_rescale_phi(phi);
    if (s != FK_OK || cols == 0) return s;
    for (int64_t i = 0; i < rows; i++) {
        const float *cr = c + i * ldc, *ur = u + i * ldu;
        /* Two-pass population std of c and of g0 = u + w·(c - u). */
        double mc = 0, mg = 0, first = (double)ur[0] + (double)w * ((double)cr[0] - (double)ur[0]);
        int constant = 1; /* an exactly constant g0 has std 0 (the guard), whatever the rounding */
        for (int64_t j = 0; j < cols; j++) {
            double g0 = (double)ur[j] + (double)w * ((double)cr[j] - (double)ur[j]);
            mc += cr[j];
            mg += g0;
            if (!(g0 == first)) constant = 0;
        }
        mc /= cols; mg /= cols;
        double vc = 0, vg = 0;
        for (int64_t j = 0; j < cols; j++) {
            double g0 = (double)ur[j] + (double)w * ((double)cr[j] - (double)ur[j]);
            vc += ((double)cr[j] - mc) * ((double)cr[j] - mc);
            vg += (g0 - mg) * (g0 - mg);
        }
        double std_c = sqrt(vc / cols), std_g = constant ? 0.0 : sqrt(vg / cols);
        double factor = std_g > 0 ? (double)phi * std_c / std_g + (1.0 - (double)phi) : 1.0;
        for (int64_t j = 0; j < cols; j++) {
            double g0 = (double)ur[j] + (double)w * ((double)cr[j] - (double)ur[j]);
            g[i * ldg + j] = (float)(factor * g0);
        }
    }
    return FK_OK;
}

fk_status fk_ref_cfg_zero_star(int64_t rows, int64_t cols, const float *c, int64_t ldc,
                               const float *u, int64_t ldu, float w,
                               float *g, int64_t ldg, float *scale_out) {
    fk_status s = fk_check_cfg_args(rows, cols, c, ldc, u, ldu, g, ldg, scale_out);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < rows; i++) {
        double cu = 0, uu = 0;
        for (int64_t j = 0; j < cols; j++) {
            cu += (double)c[i * ldc + j] * (double)u[i * ldu + j];
            uu += (double)u[i * ldu + j] * (double)u[i * ldu + j];
        }
        double sc = cu / (uu + 1e-8);
        if (scale_out) scale_out[i] = (float)sc;
        for (int64_t j = 0; j < cols; j++) {
            double su = sc * (double)u[i * ldu + j];
            g[i * ldg + j] = (float)(su + (double)w * ((double)c[i * ldc + j] - su));
        }
    }
    return FK_OK;
}
