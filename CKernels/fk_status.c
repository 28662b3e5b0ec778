/* fk_status.c — status strings, version, argument and aliasing checks. */
#include "fk_internal.h"

#define FK_STR2(x) #x
#define FK_STR(x) FK_STR2(x)

const char *fk_version(void) {
    return FK_STR(FK_VERSION_MAJOR) "." FK_STR(FK_VERSION_MINOR) "." FK_STR(FK_VERSION_PATCH);
}

const char *fk_status_string(fk_status status) {
    switch (status) {
    case FK_OK: return "ok";
    case FK_ERR_NULL: return "null pointer";
    case FK_ERR_SIZE: return "invalid size";
    case FK_ERR_STRIDE: return "leading dimension smaller than row length";
    case FK_ERR_ARGUMENT: return "argument out of range";
    case FK_ERR_ALIAS: return "buffers overlap";
    case FK_ERR_BLAS: return "BLAS backend unavailable";
    case FK_ERR_UNSUPPORTED: return "unsupported on this build or CPU";
    }
    return "unknown status";
}

fk_status fk_check_matrix(int64_t rows, int64_t cols, const void *p, int64_t ld) {
    if (rows < 0 || cols < 0) return FK_ERR_SIZE;
    if (ld < cols || ld < 0) return FK_ERR_STRIDE;
    if (rows == 0 || cols == 0) return FK_OK;
    if (p == NULL) return FK_ERR_NULL;
    /* The span must be addressable: ((rows-1)·ld + cols)·4 bytes without overflow. */
    if (rows - 1 > (INT64_MAX / 4 - cols) / (ld > 0 ? ld : 1)) return FK_ERR_SIZE;
    return FK_OK;
}

int64_t fk_span_bytes(int64_t rows, int64_t cols, int64_t ld) {
    if (rows <= 0 || cols <= 0) return 0;
    return ((rows - 1) * ld + cols) * (int64_t)sizeof(float);
}

int fk_spans_overlap(const void *a, int64_t abytes, const void *b, int64_t bbytes) {
    if (a == NULL || b == NULL || abytes <= 0 || bbytes <= 0) return 0;
    uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return pa < pb + (uintptr_t)bbytes && pb < pa + (uintptr_t)abytes;
}

int fk_overlap(const void *a, int64_t lda, const void *b, int64_t ldb, int64_t rows, int64_t cols) {
    return fk_spans_overlap(a, fk_span_bytes(rows, cols, lda), b, fk_span_bytes(rows, cols, ldb));
}

fk_status fk_check_alias(const void *out, int64_t ldo, const void *in, int64_t ldi,
                         int64_t rows, int64_t cols, int allow_exact) {
    if (allow_exact && fk_same(out, ldo, in, ldi)) return FK_OK;
    return fk_overlap(out, ldo, in, ldi, rows, cols) ? FK_ERR_ALIAS : FK_OK;
}
