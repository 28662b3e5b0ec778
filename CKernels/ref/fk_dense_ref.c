/* fk_dense_ref.c — scalar references for fk_dense.c: serial loops, all arithmetic in double,
 * the activations written straight from their definitions (libm exp / erfc in double):
 *   SiLU(z) = z / (1 + e^-z)             SiLU'(z) = s·(1 + z·(1 - s)), s = 1 / (1 + e^-z)
 *   GELU(z) = z·Phi(z) = 0.5·z·(1 + erf(z/sqrt 2)) = 0.5·z·erfc(-z/sqrt 2)   (no cancellation)
 *   GELU'(z) = Phi(z) + z·phi(z),  phi(z) = e^(-z²/2) / sqrt(2 pi)
 */
#include "../fk_internal.h"

static double ref_act(double z, fk_activation act) {
    switch (act) {
    case FK_ACT_SILU: return z / (1.0 + exp(-z));
    case FK_ACT_GELU: return 0.5 * z * erfc(-z / sqrt(2.0));
    default: return z;
    }
}

static double ref_act_grad(double z, fk_activation act) {
    switch (act) {
    case FK_ACT_SILU: {
        double s = 1.0 / (1.0 + exp(-z));
        return s * (1.0 + z * (1.0 - s));
    }
    case FK_ACT_GELU:
        return 0.5 * erfc(-z / sqrt(2.0)) + z * exp(-0.5 * z * z) / 2.50662827463100050242 /* sqrt(2 pi) */;
    default: return 1.0;
    }
}

fk_status fk_ref_bias_activation(int64_t m, int64_t n, float *y, int64_t ldy, const float *bias,
                                 fk_activation act, float *pre) {
    fk_status s = fk_check_bias_activation(m, n, y, ldy, bias, act, pre);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double z = (double)y[i * ldy + j];
            if (bias) z += (double)bias[j];
            if (pre) pre[i * ldy + j] = (float)z;
            y[i * ldy + j] = (float)ref_act(z, act);
        }
    return FK_OK;
}

fk_status fk_ref_dense_forward(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                               const float *w, int64_t ldw, const float *bias, fk_activation act,
                               float *y, int64_t ldy, float *pre) {
    fk_status s = fk_check_dense_forward(m, k, n, x, ldx, w, ldw, bias, act, y, ldy, pre);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double z = 0;
            for (int64_t p = 0; p < k; p++) z += (double)x[i * ldx + p] * (double)w[j * ldw + p];
            if (bias) z += (double)bias[j];
            if (pre) pre[i * ldy + j] = (float)z;
            y[i * ldy + j] = (float)ref_act(z, act);
        }
    return FK_OK;
}

fk_status fk_ref_dense_backward(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                                const float *w, int64_t ldw, const float *pre, fk_activation act,
                                const float *dy, int64_t ldy, float *dz, float *dw, float *db,
                                float *dx, int accumulate) {
    fk_status s = fk_check_dense_backward(m, k, n, x, ldx, w, ldw, pre, act, dy, ldy, dz, dw, db, dx);
    if (s != FK_OK) return s;
    /* dz = dy · act'(pre) */
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double g = act == FK_ACT_IDENTITY ? 1.0 : ref_act_grad((double)pre[i * ldy + j], act);
            dz[i * ldy + j] = (float)((double)dy[i * ldy + j] * g);
        }
    /* db[j] (+)= sum_i dz[i, j] */
    if (db)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0;
            for (int64_t i = 0; i < m; i++) acc += (double)dz[i * ldy + j];
            db[j] = (float)(accumulate ? acc + (double)db[j] : acc);
        }
    /* dW[j, p] (+)= sum_i dz[i, j] · x[i, p] */
    for (int64_t j = 0; j < n; j++)
        for (int64_t p = 0; p < k; p++) {
            double acc = 0;
            for (int64_t i = 0; i < m; i++) acc += (double)dz[i * ldy + j] * (double)x[i * ldx + p];
            dw[j * ldw + p] = (float)(accumulate ? acc + (double)dw[j * ldw + p] : acc);
        }
    /* dx[i, p] = sum_j dz[i, j] · W[j, p] */
    if (dx)
        for (int64_t i = 0; i < m; i++)
            for (int64_t p = 0; p < k; p++) {
                double acc = 0;
                for (int64_t j = 0; j < n; j++) acc += (double)dz[i * ldy + j] * (double)w[j * ldw + p];
                dx[i * ldx + p] = (float)acc;
            }
    return FK_OK;
}

fk_status fk_ref_dense_tangent(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                               const float *dx, int64_t lddx, const float *w, int64_t ldw,
                               const float *dw, int64_t lddw, const float *db, const float *pre,
                               fk_activation act, float *dy, int64_t ldy, int accumulate) {
    fk_status s = fk_check_dense_tangent(m, k, n, x, ldx, dx, lddx, w, ldw, dw, lddw, db, pre, act,
                                         dy, ldy, accumulate);
    if (s != FK_OK) return s;
    /* dy[i, j] (+)= act'(pre[i, j]) · (sum_p dx[i, p]·W[j, p] + x[i, p]·U[j, p] + db[j]) */
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double z = db ? (double)db[j] : 0.0;
            for (int64_t p = 0; p < k; p++) {
                if (dx) z += (double)dx[i * lddx + p] * (double)w[j * ldw + p];
                z += (double)x[i * ldx + p] * (double)dw[j * lddw + p];
            }
            double g = act == FK_ACT_IDENTITY ? 1.0 : ref_act_grad((double)pre[i * ldy + j], act);
            dy[i * ldy + j] = (float)(accumulate ? (double)dy[i * ldy + j] + g * z : g * z);
        }
    return FK_OK;
}

fk_status fk_ref_dense_residual(int64_t m, int64_t k, int64_t n, const float *x, int64_t ldx,
                                const float *w, int64_t ldw, const float *bias, float *y, int64_t ldy) {
    fk_status s = fk_check_dense_forward(m, k, n, x, ldx, w, ldw, bias, FK_ACT_IDENTITY, y, ldy, NULL);
    if (s != FK_OK) return s;
    /* y[i, j] += sum_p x[i, p]·W[j, p] + b[j] */
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double z = (double)y[i * ldy + j] + (bias ? (double)bias[j] : 0.0);
            for (int64_t p = 0; p < k; p++) z += (double)x[i * ldx + p] * (double)w[j * ldw + p];
            y[i * ldy + j] = (float)z;
        }
    return FK_OK;
}
