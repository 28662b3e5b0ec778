/*
 * blas_select.c — choose the BLAS behind fk_sgemm at run time, without relinking.
 *
 * Usage: blas_select [NAME]   NAME: system, openblas, blis, reference, builtin or a library path
 *                             (default: blis).
 * Loads NAME (if it cannot be loaded: says why and uses the built-in GEMM), computes one GEMM
 * with 1 and with 2 threads, checks that both are bitwise identical, and compares them with the
 * built-in GEMM (a different summation order: close, not necessarily equal).
 *
 * Build against the installed library:  cc blas_select.c $(pkg-config --cflags --libs flowkernels)
 * docs/c-api.md quotes this file (CI compiles and runs it).
 */
#include <flowkernels.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { M = 256, N = 128, K = 64 };

/* C [M, N] = A [M, K] · B^T, B [N, K] (the dense layer's layout). */
static fk_status gemm(const float *a, const float *b, float *c) {
    return fk_sgemm(FK_NO_TRANS, FK_TRANS, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
}

int main(int argc, char **argv) {
    static float a[M * K], b[N * K], one[M * N], two[M * N], builtin[M * N];
    const char *name = argc > 1 ? argv[1] : "blis";
    if (fk_randn(1, 0, 0, 0, M, K, a, K) != FK_OK || fk_randn(2, 0, 0, 0, N, K, b, K) != FK_OK) return 1;

    /* Switch the backend now. A backend that cannot be loaded is an error, never a silent fallback. */
    if (fk_blas_load(name) != FK_OK) {
        fprintf(stderr, "blas_select: no %s: %s; using builtin\n", name, fk_blas_error());
        if (fk_blas_load("builtin") != FK_OK) return 1;
    }
    printf("backend %s [%s] (%s)\n", fk_blas_name(), fk_blas_kernel(), fk_blas_path());

    /* The thread count never changes the bits: the BLAS runs single-threaded on fixed row tiles. */
    if (fk_set_num_threads(1) != FK_OK || gemm(a, b, one) != FK_OK) return 1;
    if (fk_set_num_threads(2) != FK_OK || gemm(a, b, two) != FK_OK) return 1;
    int identical = memcmp(one, two, sizeof one) == 0;

    if (fk_blas_load("builtin") != FK_OK || gemm(a, b, builtin) != FK_OK) return 1;
    double largest = 0;
    for (int i = 0; i < M * N; i++) {
        double difference = fabs((double)two[i] - builtin[i]);
        if (difference > largest) largest = difference;
    }
    printf("1 vs 2 threads: bitwise identical: %s; largest difference to the built-in GEMM: %.1e\n",
           identical ? "yes" : "no", largest);
    return identical && largest < 1e-3 ? 0 : 1;
}
