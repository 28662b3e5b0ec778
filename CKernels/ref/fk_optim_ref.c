/* fk_optim_ref.c — scalar reference for fk_optim.c, written from the AdamW formulas in double:
 *   m = b1·m + (1-b1)·g,  v = b2·v + (1-b2)·g^2,
 *   u = (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps),
 *   theta -= lr·(u + wd·mask·theta),  mask = 1, or with FK_OPT_CAUTIOUS 1[u·theta >= 0].
 * Lion: c = b1·m + (1-b1)·g, u = sign(c) (0 at 0, NaN at NaN), theta -= lr·(u + wd·mask·theta),
 *   m = b2·m + (1-b2)·g.   Apply update (Muon's last pass): theta -= lr·(u + wd·mask·theta).
 * Adam direction (AdamQLR): the AdamW moments and u, then dots = {sum g·u, sum u·u} in order. */
#include "../fk_internal.h"

/* theta - lr·(u + wd·mask·theta), mask = 1 or (cautious) 1[u·theta >= 0], in double. */
static float ref_decoupled(double theta, double u, double lr, double wd, int cautious) {
    const double mask = cautious ? (u * theta >= 0.0 ? 1.0 : 0.0) : 1.0;
    return (float)(theta - lr * (u + wd * mask * theta));
}

fk_status fk_ref_adamw_step(int64_t n, float *param, const float *grad, float *m, float *v,
                            const fk_adamw_params *p) {
    fk_status s = fk_check_adamw_args(n, param, grad, m, v, p);
    if (s != FK_OK) return s;
    const double b1 = p->beta1, b2 = p->beta2, t = (double)p->step;
    const double bc1 = 1.0 - pow(b1, t), bc2 = 1.0 - pow(b2, t);
    const int cautious = (p->flags & FK_OPT_CAUTIOUS) != 0;
    for (int64_t j = 0; j < n; j++) {
        const double g = grad[j];
        const double mj = b1 * (double)m[j] + (1.0 - b1) * g;
        const double vj = b2 * (double)v[j] + (1.0 - b2) * g * g;
        const double u = (mj / bc1) / (sqrt(vj / bc2) + (double)p->eps);
        const double theta = param[j];
        /* The product as the formula writes it (no underflow to a false tie in double). */
        const double mask = cautious ? (u * theta >= 0.0 ? 1.0 : 0.0) : 1.0;
        m[j] = (float)mj;
        v[j] = (float)vj;
        param[j] = (float)(theta - (double)p->lr * (u + (double)p->weight_decay * mask * theta));
    }
    return FK_OK;
}

fk_status fk_ref_lion_step(int64_t n, float *param, const float *grad, float *m, const fk_lion_params *p) {
    fk_status s = fk_check_lion_args(n, param, grad, m, p);
    if (s != FK_OK) return s;
    const double b1 = p->beta1, b2 = p->beta2;
    const int cautious = (p->flags & FK_OPT_CAUTIOUS) != 0;
    for (int64_t j = 0; j < n; j++) {
        const double g = grad[j], mj = m[j];
        const double c = b1 * mj + (1.0 - b1) * g;
        const double u = c > 0.0 ? 1.0 : c < 0.0 ? -1.0 : c; /* 0 stays 0, NaN stays NaN */
        param[j] = ref_decoupled(param[j], u, p->lr, p->weight_decay, cautious);
        m[j] = (float)(b2 * mj + (1.0 - b2) * g);
    }
    return FK_OK;
}

fk_status fk_ref_apply_update(int64_t n, float *param, const float *update, float lr, float weight_decay,
                              int32_t flags) {
    fk_status s = fk_check_apply_update_args(n, param, update, lr, weight_decay, flags);
    if (s != FK_OK) return s;
    const int cautious = (flags & FK_OPT_CAUTIOUS) != 0;
    for (int64_t j = 0; j < n; j++) param[j] = ref_decoupled(param[j], update[j], lr, weight_decay, cautious);
    return FK_OK;
}

fk_status fk_ref_adam_direction(int64_t n, const float *grad, float *m, float *v, float *u,
                                const fk_adam_direction_params *p, double dots[2]) {
    fk_status s = fk_check_adam_direction_args(n, grad, m, v, u, p, dots);
    if (s != FK_OK) return s;
    const double b1 = p->beta1, b2 = p->beta2, t = (double)p->step;
    const double bc1 = 1.0 - pow(b1, t), bc2 = 1.0 - pow(b2, t);
    double gu = 0.0, uu = 0.0;
    for (int64_t j = 0; j < n; j++) {
        const double g = grad[j];
        const double mj = b1 * (double)m[j] + (1.0 - b1) * g;
        const double vj = b2 * (double)v[j] + (1.0 - b2) * g * g;
        const double uj = (mj / bc1) / (sqrt(vj / bc2) + (double)p->eps);
        m[j] = (float)mj;
        v[j] = (float)vj;
        u[j] = (float)uj;
        gu += g * uj;
        uu += uj * uj;
    }
    dots[0] = gu;
    dots[1] = uu;
    return FK_OK;
}
