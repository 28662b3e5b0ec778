/* fk_gemm_ref.c — the reference GEMM: a straight triple loop with a double accumulator.
 * It is the test oracle for fk_sgemm and also the "builtin" BLAS backend (portable, slow). */
#include "../fk_internal.h"

fk_status fk_ref_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                       const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                       float *c, int64_t ldc) {
    fk_status s = fk_check_sgemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0;
            for (int64_t p = 0; p < k; p++) {
                double av = trans_a ? a[p * lda + i] : a[i * lda + p];
                double bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
                acc += av * bv;
            }
            /* beta = 0: C is not read (BLAS convention). */
            double old = beta == 0.0f ? 0.0 : (double)beta * (double)c[i * ldc + j];
            c[i * ldc + j] = (float)((double)alpha * acc + old);
        }
    return FK_OK;
}
