/* test_reduce.c — fk_row_dot / fk_row_sqnorm against their references, at every test shape,
 * with a row stride, with NaN/Inf, across thread counts, and with bad arguments. */
#include "fk_test.h"

static void check_shape(int64_t rows, int64_t cols) {
    int64_t ld = cols + 3; /* a row stride > cols */
    float *a = fk_test_alloc(rows * ld, 1), *b = fk_test_alloc(rows * ld, 2);
    float *got = fk_test_alloc(rows, 0), *want = fk_test_alloc(rows, 0), *got2 = fk_test_alloc(rows, 0);

    CHECK_STATUS(fk_ref_row_dot(rows, cols, a, ld, b, ld, want), FK_OK);
    CHECK_STATUS(fk_row_dot(rows, cols, a, ld, b, ld, got), FK_OK);
    CHECK(fk_test_relerr(got, want, rows, 1, 1) <= 1e-6);

    CHECK_STATUS(fk_ref_row_sqnorm(rows, cols, a, ld, want), FK_OK);
    CHECK_STATUS(fk_row_sqnorm(rows, cols, a, ld, got), FK_OK);
    CHECK(fk_test_relerr(got, want, rows, 1, 1) <= 1e-6);

    /* Bitwise identical for 1 and 2 threads. */
    fk_set_num_threads(1);
    CHECK_STATUS(fk_row_dot(rows, cols, a, ld, b, ld, got), FK_OK);
    fk_set_num_threads(2);
    CHECK_STATUS(fk_row_dot(rows, cols, a, ld, b, ld, got2), FK_OK);
    CHECK(fk_test_same_bits(got, got2, rows));

    free(a); free(b); free(got); free(want); free(got2);
}

static void check_nonfinite(void) {
    float a[2 * 9], b[2 * 9], out[2];
    fk_test_fill(a, 18, 3); fk_test_fill(b, 18, 4);
    a[4] = NAN;          /* row 0 */
    b[9 + 2] = INFINITY; /* row 1 */
    CHECK_STATUS(fk_row_dot(2, 9, a, 9, b, 9, out), FK_OK);
    CHECK(isnan(out[0]));
    CHECK(isinf(out[1]) || isnan(out[1]));
    CHECK_STATUS(fk_row_sqnorm(2, 9, b, 9, out), FK_OK);
    CHECK(isinf(out[1]) && out[1] > 0);
}

static void check_bad_arguments(void) {
    float a[16] = {0}, out[4];
    CHECK_STATUS(fk_row_dot(-1, 4, a, 4, a, 4, out), FK_ERR_SIZE);
    CHECK_STATUS(fk_row_dot(4, -1, a, 4, a, 4, out), FK_ERR_SIZE);
    CHECK_STATUS(fk_row_dot(4, 4, NULL, 4, a, 4, out), FK_ERR_NULL);
    CHECK_STATUS(fk_row_dot(4, 4, a, 4, a, 4, NULL), FK_ERR_NULL);
    CHECK_STATUS(fk_row_dot(4, 4, a, 3, a, 4, out), FK_ERR_STRIDE);
    CHECK_STATUS(fk_row_sqnorm(4, 4, a, 4, a + 2), FK_ERR_ALIAS); /* out inside a */
    CHECK_STATUS(fk_row_dot(0, 4, NULL, 4, NULL, 4, NULL), FK_OK); /* empty is a no-op */
}

int main(void) {
    for (int s = 0; s < FK_TEST_NSHAPES; s++) check_shape(FK_TEST_SHAPES[s].rows, FK_TEST_SHAPES[s].cols);
    check_nonfinite();
    check_bad_arguments();
    return fk_test_done();
}
