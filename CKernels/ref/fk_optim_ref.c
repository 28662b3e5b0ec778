/* fk_optim_ref.c — scalar reference for fk_optim.c, written from the AdamW formulas in double:
 *   m = b1·m + (1-b1)·g,  v = b2·v + (1-b2)·g^2,
 *   u = (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps),
 *   theta -= lr·(u + wd·mask·theta),  mask = 1, or with FK_OPT_CAUTIOUS 1[u·theta >= 0]. */
#include "../fk_internal.h"

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
