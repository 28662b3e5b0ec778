/* fk_cpu.c — run-time choice of the SIMD code path (no -march flags anywhere). */
#include "fk_internal.h"

#include <stdlib.h>
#include <string.h>

int fk_cpu_has_avx512(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

static int cpu_has_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static fk_path best_path(void) {
    if (fk_cpu_has_avx512()) return FK_PATH_AVX512;
    if (cpu_has_avx2()) return FK_PATH_AVX2;
    return FK_PATH_BASELINE;
}

/* -1: not chosen yet. Written once by the first caller (a benign race: every writer computes
 * the same value), or by fk_set_simd_path. */
static volatile int active_path = -1;

static fk_status path_from_name(const char *name, fk_path *out) {
    if (name == NULL || name[0] == 0 || strcmp(name, "auto") == 0) { *out = best_path(); return FK_OK; }
    if (strcmp(name, "reference") == 0) { *out = FK_PATH_REFERENCE; return FK_OK; }
    if (strcmp(name, "baseline") == 0) { *out = FK_PATH_BASELINE; return FK_OK; }
    if (strcmp(name, "avx2") == 0) {
        if (!cpu_has_avx2()) return FK_ERR_UNSUPPORTED;
        *out = FK_PATH_AVX2; return FK_OK;
    }
    if (strcmp(name, "avx512") == 0) {
        if (!fk_cpu_has_avx512()) return FK_ERR_UNSUPPORTED;
        *out = FK_PATH_AVX512; return FK_OK;
    }
    return FK_ERR_ARGUMENT;
}

fk_path fk_active_path(void) {
    int p = active_path;
    if (p >= 0) return (fk_path)p;
    fk_path chosen;
    if (path_from_name(getenv("FLOWGUIDE_SIMD"), &chosen) != FK_OK) chosen = best_path();
    active_path = (int)chosen;
    return chosen;
}

fk_status fk_set_simd_path(const char *name) {
    fk_path p;
    fk_status s = path_from_name(name, &p);
    if (s == FK_OK) active_path = (int)p;
    return s;
}

const char *fk_simd_path(void) {
    switch (fk_active_path()) {
    case FK_PATH_REFERENCE: return "reference";
    case FK_PATH_BASELINE: return "baseline";
    case FK_PATH_AVX2: return "avx2";
    case FK_PATH_AVX512: return "avx512";
    }
    return "baseline";
}
