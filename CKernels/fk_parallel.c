/* fk_parallel.c — the only file that talks to OpenMP: thread count and the parallel drivers. */
#include "fk_internal.h"

#ifdef _OPENMP
#if __has_include(<omp.h>)
#include <omp.h>
#else
/* Swift's clang does not find Debian's omp.h (it lives in LLVM 14's folder); these are the
 * only two entry points used. */
int omp_get_max_threads(void);
void omp_set_num_threads(int n);
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

static inline void tile_call(fk_tile_fn fn, void *ctx, int64_t t, int64_t chunks_per_row,
                             int64_t rows_per_tile, int64_t col_chunk, int64_t rows, int64_t cols) {
    int64_t rb = t / chunks_per_row, cb = t % chunks_per_row;
    int64_t r0 = rb * rows_per_tile, r1 = r0 + rows_per_tile < rows ? r0 + rows_per_tile : rows;
    int64_t c0 = cb * col_chunk, c1 = c0 + col_chunk < cols ? c0 + col_chunk : cols;
    fn(ctx, r0, r1, c0, c1);
}

void fk_parallel_tiles(int64_t rows, int64_t cols, fk_tile_fn fn, void *ctx) {
    if (rows <= 0 || cols <= 0) return;
    /* Long rows: tiles are column chunks of one row. Short rows: tiles are blocks of rows. */
    int64_t col_chunk = cols >= FK_TILE_ELEMENTS ? FK_TILE_ELEMENTS : cols;
    int64_t chunks_per_row = (cols + col_chunk - 1) / col_chunk;
    int64_t rows_per_tile = cols >= FK_TILE_ELEMENTS ? 1 : (FK_TILE_ELEMENTS + cols - 1) / cols;
    int64_t row_blocks = (rows + rows_per_tile - 1) / rows_per_tile;
    int64_t tiles = row_blocks * chunks_per_row;
    if (rows * cols < FK_PARALLEL_MIN_ELEMENTS || tiles == 1) {
        /* Serial, without entering an OpenMP region (that alone costs ~0.4 us a call). The
         * tiles are the same, so the results are too. */
        for (int64_t t = 0; t < tiles; t++) tile_call(fn, ctx, t, chunks_per_row, rows_per_tile, col_chunk, rows, cols);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < tiles; t++) tile_call(fn, ctx, t, chunks_per_row, rows_per_tile, col_chunk, rows, cols);
}

void fk_parallel_rows(int64_t rows, int64_t cols, fk_rows_fn fn, void *ctx) {
    if (rows <= 0) return;
    int64_t rows_per_block = cols >= FK_TILE_ELEMENTS ? 1 : (FK_TILE_ELEMENTS + cols) / (cols + 1);
    if (rows_per_block < 1) rows_per_block = 1;
    int64_t blocks = (rows + rows_per_block - 1) / rows_per_block;
    if (rows * (cols > 0 ? cols : 1) < FK_PARALLEL_MIN_ELEMENTS || blocks == 1) {
        fn(ctx, 0, rows); /* serial: one call covers the same rows as the blocks would */
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < blocks; b++) {
        int64_t r0 = b * rows_per_block, r1 = r0 + rows_per_block < rows ? r0 + rows_per_block : rows;
        fn(ctx, r0, r1);
    }
}

/* schedule(static): each thread takes one contiguous run of indices, so a streaming kernel's
 * chunks form one linear stream per thread (the hardware prefetchers follow it; round-robin
 * chunks cost the optimizer kernels ~15% of their bandwidth at 2 threads). Dynamic scheduling is
 * not an option anyway: it needs __kmpc_dispatch_deinit, which Swift's clang emits but Debian's
 * libomp 14 lacks. Callers make every index's work independent of the thread that runs it. */
void fk_parallel_for(int64_t count, int parallel, fk_index_fn fn, void *ctx) {
    if (!parallel || count <= 1) {
        for (int64_t i = 0; i < count; i++) fn(ctx, i);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; i++) fn(ctx, i);
}
