/* A C program that links the installed FlowKernels through pkg-config and runs a kernel. */
#include <flowkernels.h>
#include <stdio.h>

int main(void) {
    float x[6] = {1, 2, 3, 4, 5, 6}, v[6] = {1, 1, 1, 1, 1, 1};
    fk_status s = fk_euler_step(2, 3, x, 3, v, 3, -0.5f, x, 3);
    if (s != FK_OK || x[0] != 0.5f || x[5] != 5.5f) {
        printf("FAIL: %s, x[0] = %g\n", fk_status_string(s), x[0]);
        return 1;
    }
    printf("flowkernels %s: euler step ok, %d threads, simd %s, blas %s\n", fk_version(),
           fk_get_num_threads(), fk_simd_path(), fk_blas_name());
    return 0;
}
