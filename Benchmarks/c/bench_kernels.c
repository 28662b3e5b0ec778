/* bench_kernels.c — a C-only benchmark of the library as C users link it (CMake build):
 * the fused guidance kernels against an in-place axpy measured in the same run, and GEMM /
 * the dense layer against the FMA peak measured in the same run. The full benchmark (NumPy and
 * plain Swift comparisons, every kernel, every backend) is the Swift flowguide-bench.
 *
 *   build/Benchmarks/c/bench_kernels [threads]        (FLOWGUIDE_BLAS picks the backend)
 */
#include "flowbench.h"
#include "flowkernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *filled(int64_t n, float scale) {
    float *p = malloc((size_t)n * sizeof(float));
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    for (int64_t i = 0; i < n; i++) p[i] = scale * (float)((i * 2654435761u) % 2001) / 1000.0f - scale;
    return p;
}

typedef struct { int64_t rows, cols; float *x, *c, *u, *m, *prev, *g; } bufs;

/* Best time of `reps` batches of calls lasting at least min_s each, for kernel `which`. */
static double best_time(int which, bufs *b, int reps, double min_s) {
    fk_mg_params mg = {0.5f, 0.6f, 1e-8f, 0, 1, 0, 3};
    fk_apg_params apg = {4.5f, 0.0f, 10.0f, -0.5f, 0.7f, FK_APG_X0_SPACE};
    int64_t n = b->rows * b->cols;
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        int calls = 0;
        double t0 = fb_now(), t;
        do {
            switch (which) {
            case 0: fb_axpy(n, -0.01f, b->c, b->x); break;
            case 1: fk_mg_euler_step(b->rows, b->cols, b->x, b->cols, b->c, b->cols, b->m, b->cols, -0.01f, &mg, NULL, 0, NULL); break;
            case 2: fk_cfg_euler_step(b->rows, b->cols, b->x, b->cols, b->c, b->cols, b->u, b->cols, 4.0f, -0.01f); break;
            case 3: fk_cfg_mg_euler_step(b->rows, b->cols, b->x, b->cols, b->c, b->cols, b->u, b->cols, 4.0f, b->m, b->cols, -0.01f, &mg, NULL, 0, NULL); break;
            case 4: fk_apg(b->rows, b->cols, b->x, b->cols, b->c, b->cols, b->u, b->cols, b->prev, b->cols, &apg, b->g, b->cols, NULL); break;
            }
            calls++;
            t = fb_now() - t0;
        } while (t < min_s);
        if (t / calls < best) best = t / calls;
    }
    return best;
}

static void bench_kernels(void) {
    static const char *names[] = {"axpy (ref)", "mg_euler", "cfg_euler", "cfg_mg_euler", "apg"};
    static const int bytes[] = {12, 20, 16, 24, 24}; /* compulsory bytes per element */
    const int64_t sizes[] = {100352, 1000448, 10000384};
    printf("\n%-12s %-14s %10s %9s %8s\n", "n", "kernel", "us", "GB/s", "% axpy");
    for (int s = 0; s < 3; s++) {
        bufs b = {.rows = sizes[s] / 1024, .cols = 1024};
        int64_t n = b.rows * b.cols;
        b.x = filled(n, 1); b.c = filled(n, 1); b.u = filled(n, 0.5f); b.m = filled(n, 0.7f);
        b.prev = filled(n, 0.1f); b.g = filled(n, 0);
        double t[5];
        for (int round = 0; round < 2; round++) /* interleaved; the second round is kept */
            for (int k = 0; k < 5; k++) t[k] = best_time(k, &b, 5, 0.02);
        double axpy_gbs = bytes[0] * (double)n / t[0] * 1e-9;
        for (int k = 0; k < 5; k++) {
            double gbs = bytes[k] * (double)n / t[k] * 1e-9;
            printf("%-12lld %-14s %10.1f %9.1f %7.0f%%\n", (long long)n, names[k], t[k] * 1e6, gbs, 100 * gbs / axpy_gbs);
        }
        free(b.x); free(b.c); free(b.u); free(b.m); free(b.prev); free(b.g);
    }
}

static void bench_gemm(int threads) {
    const int64_t shapes[][3] = {{256, 256, 256}, {256, 512, 512}, {4096, 256, 256}, {4096, 512, 512}};
    double peak = fb_fma_peak_gflops(threads, 0.05, 3);
    printf("\nFMA peak (%s, %d threads): %.1f GFLOP/s\n", fb_fma_isa(), threads, peak);
    printf("%-18s %10s %10s %8s %12s\n", "M x K x N", "GEMM ms", "GFLOP/s", "% peak", "dense/GEMM");
    for (int s = 0; s < 4; s++) {
        int64_t m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        float *x = filled(m * k, 1), *w = filled(n * k, 0.1f), *bias = filled(n, 0.1f), *y = filled(m * n, 0);
        double tg = INFINITY, td = INFINITY;
        for (int r = 0; r < 8; r++) {
            double t0 = fb_now();
            fk_sgemm(FK_NO_TRANS, FK_TRANS, m, n, k, 1.0f, x, k, w, k, 0.0f, y, n);
            double t1 = fb_now();
            fk_dense_forward(m, k, n, x, k, w, k, bias, FK_ACT_SILU, y, n, NULL);
            double t2 = fb_now();
            if (t1 - t0 < tg) tg = t1 - t0;
            if (t2 - t1 < td) td = t2 - t1;
        }
        double gf = 2.0 * m * n * k / tg * 1e-9;
        char shape[32];
        snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)m, (long long)k, (long long)n);
        printf("%-18s %10.3f %10.1f %7.0f%% %12.3f\n", shape, tg * 1e3, gf, 100 * gf / peak, td / tg);
        free(x); free(w); free(bias); free(y);
    }
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : fk_get_num_threads();
    if (threads < 1 || fk_set_num_threads(threads) != FK_OK) {
        fprintf(stderr, "usage: bench_kernels [threads >= 1]\n");
        return 2;
    }
    fb_set_simd_path(fk_simd_path());
    printf("flowkernels %s: %d threads, simd %s, blas %s [%s] (%s), OPENBLAS_CORETYPE=%s\n", fk_version(),
           fk_get_num_threads(), fk_simd_path(), fk_blas_name(), fk_blas_kernel(), fk_blas_path(),
           getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "unset");
    bench_kernels();
    bench_gemm(threads);
    return 0;
}
