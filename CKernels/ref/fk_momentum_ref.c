/* fk_momentum_ref.c — scalar reference for fk_momentum.c, written from DESIGN.md §3 (Momentum
 * Guidance, Algorithm 1) in double precision: per row, CFG -> m_eff -> g -> Euler -> EMA. */
#include "../fk_guide_checks.h"

/* The step's velocity d at (i, j): CFG when u is given. */
static double ref_d(const float *c, int64_t ldc, const float *u, int64_t ldu, double w,
                    int64_t i, int64_t j) {
    double cv = c[i * ldc + j];
    if (!u) return cv;
    double uv = u[i * ldu + j];
    return uv + w * (cv - uv);
}

fk_status fk_ref_cfg_mg_euler_step(int64_t rows, int64_t cols, float *x, int64_t ldx,
                                   const float *c, int64_t ldc, const float *u, int64_t ldu,
                                   float w, float *m, int64_t ldm, float h,
                                   const fk_mg_params *params, float *g, int64_t ldg,
                                   float *diag) {
    fk_status s = fk_check_mg_args(rows, cols, x, ldx, c, ldc, u, ldu, m, ldm, params, g, ldg, diag);
    if (s != FK_OK) return s;
    const int debias = (params->flags & FK_MG_DEBIAS) != 0;
    const int normalize = (params->flags & FK_MG_NORMALIZE) != 0;
    const double alpha = params->alpha, beta = params->beta, hd = h, wd = w;
    const int64_t upd = params->updates;
    /* First step (updates = 0): plain Euler. MG extrapolates only when active after that. */
    const int extrapolate = upd > 0 && params->active != 0;

    for (int64_t i = 0; i < rows; i++) {
        /* m_eff = scale·m: debias divides by 1 - beta^s; normalize rescales to ||d||. */
        double scale = debias && upd > 0 ? 1.0 / (1.0 - pow(beta, (double)upd)) : 1.0;
        if (extrapolate && normalize) {
            double nd = 0, nm = 0;
            for (int64_t j = 0; j < cols; j++) {
                double d = ref_d(c, ldc, u, ldu, wd, i, j), me = scale * (double)m[i * ldm + j];
                nd += d * d;
                nm += me * me;
            }
            double den = sqrt(nm) + (double)params->eps;
            scale = den == 0.0 ? 0.0 : scale * sqrt(nd) / den;
        }
        double corr = 0;
        for (int64_t j = 0; j < cols; j++) {
            double d = ref_d(c, ldc, u, ldu, wd, i, j);
            double mv = m[i * ldm + j];
            if (upd == 0 && !debias) mv = d; /* m = d before the first step */
            double gv = d;
            if (extrapolate) {
                double m_eff = scale * mv;
                gv = d + alpha * (d - m_eff);
                corr += (d - m_eff) * (d - m_eff);
            }
            x[i * ldx + j] = (float)((double)x[i * ldx + j] + hd * gv);
            m[i * ldm + j] = upd == 0 && !debias ? (float)d : (float)((1.0 - beta) * d + beta * mv);
            if (g) g[i * ldg + j] = (float)gv; /* c[i, j] was read above: g may alias c */
        }
        if (diag) diag[i] = (float)sqrt(corr);
    }
    return FK_OK;
}
