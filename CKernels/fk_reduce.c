/* fk_reduce.c — per-sample reductions: dot product and squared norm of each row.
 *
 * The pattern every kernel family follows:
 *   1. validate the arguments (sizes, NULLs, strides, aliasing) and return a status;
 *   2. FK_PATH_REFERENCE -> the fk_ref_* twin;
 *   3. otherwise a row (or tile) body written once as an always-inline function and stamped
 *      out per SIMD path by tiny wrappers with a target attribute; the parallel driver calls
 *      the wrapper of the active path.
 */
#include "fk_internal.h"

typedef struct reduce_ctx {
    int64_t cols;
    const float *a; int64_t lda;
    const float *b; int64_t ldb; /* NULL: squared norm */
    float *out;
} reduce_ctx;

FK_INLINE void reduce_rows(const reduce_ctx *k, int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; i++) {
        const float *a = k->a + i * k->lda;
        k->out[i] = (float)(k->b ? fk_dot_lanes(a, k->b + i * k->ldb, k->cols)
                                 : fk_sqnorm_lanes(a, k->cols));
    }
}

FK_TARGET_AVX512 static void reduce_avx512(void *k, int64_t r0, int64_t r1) { reduce_rows(k, r0, r1); }
FK_TARGET_AVX2 static void reduce_avx2(void *k, int64_t r0, int64_t r1) { reduce_rows(k, r0, r1); }
static void reduce_baseline(void *k, int64_t r0, int64_t r1) { reduce_rows(k, r0, r1); }

static fk_rows_fn reduce_kernel(fk_path path) {
    switch (path) {
    case FK_PATH_AVX512: return reduce_avx512;
    case FK_PATH_AVX2: return reduce_avx2;
    default: return reduce_baseline;
    }
}

static fk_status check_reduce(int64_t rows, int64_t cols, const float *a, int64_t lda,
                              const float *b, int64_t ldb, const float *out, int need_b) {
    fk_status s = fk_check_matrix(rows, cols, a, lda);
    if (s == FK_OK && need_b) s = fk_check_matrix(rows, cols, b, ldb);
    if (s == FK_OK) s = fk_check_matrix(rows, 1, out, 1);
    if (s != FK_OK) return s;
    int64_t out_bytes = rows * (int64_t)sizeof(float);
    if (fk_spans_overlap(out, out_bytes, a, fk_span_bytes(rows, cols, lda)) ||
        (need_b && fk_spans_overlap(out, out_bytes, b, fk_span_bytes(rows, cols, ldb))))
        return FK_ERR_ALIAS;
    return FK_OK;
}

fk_status fk_row_dot(int64_t rows, int64_t cols, const float *a, int64_t lda,
                     const float *b, int64_t ldb, float *out) {
    fk_status s = check_reduce(rows, cols, a, lda, b, ldb, out, 1);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_row_dot(rows, cols, a, lda, b, ldb, out);
    reduce_ctx k = {cols, a, lda, b, ldb, out};
    fk_parallel_rows(rows, cols, reduce_kernel(path), &k);
    return FK_OK;
}

fk_status fk_row_sqnorm(int64_t rows, int64_t cols, const float *a, int64_t lda, float *out) {
    fk_status s = check_reduce(rows, cols, a, lda, NULL, 0, out, 0);
    if (s != FK_OK) return s;
    fk_path path = fk_active_path();
    if (path == FK_PATH_REFERENCE) return fk_ref_row_sqnorm(rows, cols, a, lda, out);
    reduce_ctx k = {cols, a, lda, NULL, 0, out};
    fk_parallel_rows(rows, cols, reduce_kernel(path), &k);
    return FK_OK;
}
