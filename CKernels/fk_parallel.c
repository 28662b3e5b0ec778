/* fk_parallel.c — the only file that talks to OpenMP: thread count and the parallel drivers. */
#include "fk_internal.h"

#ifdef _OPENMP
#if __has_include(<omp.h>)
#include <omp.h>
#else
/* Swift's clang does not find Debian's omp.h (it lives in LLVM 14's folder); these are the
 * only entry points used. */
int omp_get_max_threads(void);
void omp_set_num_threads(int n);
int omp_get_num_threads(void);
int omp_get_thread_num(void);
#endif
#endif

int fk_has_openmp(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

fk_status fk_set_num_threads(int n_threads) {
    if (n_threads < 1) return FK_ERR_ARGUMENT;
#ifdef _OPENMP
    omp_set_num_threads(n_threads);
#endif
    return FK_OK;
}

int fk_get_num_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Inside a parallel region: this thread's share [*lo, *hi) of [0, count), contiguous and
 * balanced (shares differ by at most one `grain`; boundaries are multiples of `grain`). */
static void thread_share(int64_t count, int64_t grain, int64_t *lo, int64_t *hi) {
#ifdef _OPENMP
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
    const int64_t t = 0, nt = 1;
#endif
    const int64_t units = (count + grain - 1) / grain;
    *lo = units * t / nt * grain;
    *hi = t + 1 == nt ? count : units * (t + 1) / nt * grain;
    if (*hi > count) *hi = count;
}

/* Elements [e0, e1) of the row-major [rows, cols] index space, as tiles of at most
 * FK_TILE_ELEMENTS: blocks of whole rows where the range covers them, row segments elsewhere. */
static void run_elements(int64_t cols, int64_t e0, int64_t e1, int64_t rows_per_tile, fk_tile_fn fn,
                         void *ctx) {
    int64_t e = e0;
    while (e < e1) {
        const int64_t i = e / cols, c = e % cols;
        if (c == 0 && e1 - e >= cols && cols < FK_TILE_ELEMENTS) {
            int64_t r1 = i + rows_per_tile, full = e1 / cols;
            if (r1 > full) r1 = full;
            fn(ctx, i, r1, 0, cols);
            e = r1 * cols;
        } else {
            int64_t c1 = c + FK_TILE_ELEMENTS < cols ? c + FK_TILE_ELEMENTS : cols;
            if (c1 - c > e1 - e) c1 = c + (e1 - e);
            fn(ctx, i, i + 1, c, c1);
            e += c1 - c;
        }
    }
}

void fk_parallel_tiles(int64_t rows, int64_t cols, fk_tile_fn fn, void *ctx) {
    if (rows <= 0 || cols <= 0) return;
    /* Short rows: tiles are blocks of whole rows (about FK_TILE_ELEMENTS each). Long rows:
     * segments of at most FK_TILE_ELEMENTS of one row. Elementwise work, so the results do not
     * depend on where tiles begin. */
    const int64_t rows_per_tile = cols >= FK_TILE_ELEMENTS ? 1 : (FK_TILE_ELEMENTS + cols - 1) / cols;
    const int64_t total = rows * cols;
    if (total < FK_PARALLEL_MIN_ELEMENTS || fk_get_num_threads() == 1) {
        /* Serial, without entering an OpenMP region: even a one-thread region costs ~0.4-0.7 us
         * a call (4% of MG+Euler at n = 1e5 on one thread). */
        run_elements(cols, 0, total, rows_per_tile, fn, ctx);
        return;
    }
    /* Each thread takes one contiguous, equal share of the elements (in units of 16 = one
     * cache line of floats), so no thread waits for another's extra tile. */
#pragma omp parallel
    {
        int64_t lo, hi;
        thread_share(total, 16, &lo, &hi);
        run_elements(cols, lo, hi, rows_per_tile, fn, ctx);
    }
}

void fk_parallel_elementwise(int64_t rows, int64_t cols, int contiguous, fk_tile_fn fn, void *ctx) {
    if (contiguous && rows > 1) fk_parallel_tiles(1, rows * cols, fn, ctx);
    else fk_parallel_tiles(rows, cols, fn, ctx);
}

void fk_parallel_rows(int64_t rows, int64_t cols, fk_rows_fn fn, void *ctx) {
    if (rows <= 0) return;
    if (rows == 1 || rows * (cols > 0 ? cols : 1) < FK_PARALLEL_MIN_ELEMENTS || fk_get_num_threads() == 1) {
        fn(ctx, 0, rows); /* serial */
        return;
    }
    /* Each thread takes one contiguous, equal share of the rows (whole rows: per-row results
     * do not depend on the split). */
#pragma omp parallel
    {
        int64_t lo, hi;
        thread_share(rows, 1, &lo, &hi);
        if (lo < hi) fn(ctx, lo, hi);
    }
}

/* schedule(static): each thread takes one contiguous run of indices, so a streaming kernel's
 * chunks form one linear stream per thread (the hardware prefetchers follow it; round-robin
 * chunks cost the optimizer kernels ~15% of their bandwidth at 2 threads). Dynamic scheduling is
 * not an option anyway: it needs __kmpc_dispatch_deinit, which Swift's clang emits but Debian's
 * libomp 14 lacks. Callers make every index's work independent of the thread that runs it. */
void fk_parallel_for(int64_t count, int parallel, fk_index_fn fn, void *ctx) {
    if (!parallel || count <= 1 || fk_get_num_threads() == 1) {
        for (int64_t i = 0; i < count; i++) fn(ctx, i);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; i++) fn(ctx, i);
}
