/* fk_apg_ref.c — scalar reference for fk_apg.c, written from DESIGN.md §3 (APG) in double:
 * D = x - sigma·v (x0 space) or D = v, delta = D_c - D_u + beta·prev, threshold, projection
 * onto D_c, D_hat = D_c + (w-1)·(perp + eta·par), g = (x - D_hat)/sigma or D_hat. */
#include "../fk_guide_checks.h"

fk_status fk_ref_apg(int64_t rows, int64_t cols, const float *x, int64_t ldx,
                     const float *c, int64_t ldc, const float *u, int64_t ldu,
                     float *prev, int64_t ldp, const fk_apg_params *params,
                     float *g, int64_t ldg, float *diag) {
    fk_status s = fk_check_apg_args(rows, cols, x, ldx, c, ldc, u, ldu, prev, ldp, params, g, ldg, diag);
    if (s != FK_OK) return s;
    const int x0 = params->space == FK_APG_X0_SPACE;
    const double sigma = params->sigma, beta = params->beta, w = params->w, eta = params->eta;
    for (int64_t i = 0; i < rows; i++) {
        double nd2 = 0, dot = 0, nc2 = 0;
        for (int64_t j = 0; j < cols; j++) {
            double cv = c[i * ldc + j], uv = u[i * ldu + j];
            double xv = x0 ? (double)x[i * ldx + j] : 0.0;
            double dc = x0 ? xv - sigma * cv : cv, du = x0 ? xv - sigma * uv : uv;
            double delta = dc - du + (prev && beta != 0.0 ? beta * (double)prev[i * ldp + j] : 0.0);
            nd2 += delta * delta; dot += delta * dc; nc2 += dc * dc;
        }
        double nd = sqrt(nd2);
        double t = nd > (double)params->r ? (double)params->r / nd : 1.0; /* min(1, r/||delta||) */
        double coef = nc2 == 0.0 ? 0.0 : t * dot / nc2;                    /* <delta, D_c>/||D_c||^2 */
        if (diag) diag[i] = (float)(t * nd);
        for (int64_t j = 0; j < cols; j++) {
            double cv = c[i * ldc + j], uv = u[i * ldu + j];
            double xv = x0 ? (double)x[i * ldx + j] : 0.0;
            double dc = x0 ? xv - sigma * cv : cv, du = x0 ? xv - sigma * uv : uv;
            double delta = dc - du + (prev && beta != 0.0 ? beta * (double)prev[i * ldp + j] : 0.0);
            if (prev) prev[i * ldp + j] = (float)delta;
            double par = coef * dc, perp = t * delta - par;
            double dhat = dc + (w - 1.0) * (perp + eta * par);
            g[i * ldg + j] = (float)(x0 ? (xv - dhat) / sigma : dhat);
        }
    }
    return FK_OK;
}
