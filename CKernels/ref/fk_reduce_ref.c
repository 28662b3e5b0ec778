/* fk_reduce_ref.c — scalar references for fk_reduce.c: plain serial loops in double. */
#include "../fk_internal.h"

fk_status fk_ref_row_dot(int64_t rows, int64_t cols, const float *a, int64_t lda,
                         const float *b, int64_t ldb, float *out) {
    fk_status s = fk_check_matrix(rows, cols, a, lda);
    if (s == FK_OK) s = fk_check_matrix(rows, cols, b, ldb);
    if (s == FK_OK) s = fk_check_matrix(rows, 1, out, 1);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < rows; i++) {
        double acc = 0;
        for (int64_t j = 0; j < cols; j++) acc += (double)a[i * lda + j] * (double)b[i * ldb + j];
        out[i] = (float)acc;
    }
    return FK_OK;
}

fk_status fk_ref_row_sqnorm(int64_t rows, int64_t cols, const float *a, int64_t lda, float *out) {
    return fk_ref_row_dot(rows, cols, a, lda, a, lda, out);
}
