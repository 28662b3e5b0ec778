# The C sources, listed once for CMake. SwiftPM compiles every .c under CKernels/;
# Tests/CKernelsTests/test_sources.sh checks the two agree.
set(FK_SOURCES
  CKernels/fk_status.c
  CKernels/fk_cpu.c
  CKernels/fk_parallel.c
  CKernels/fk_reduce.c
  CKernels/ref/fk_reduce_ref.c
  CKernels/fk_blas.c
  CKernels/ref/fk_gemm_ref.c
)
list(APPEND FK_SOURCES
  CKernels/fk_step.c
  CKernels/ref/fk_step_ref.c
  CKernels/fk_cfg.c
  CKernels/ref/fk_cfg_ref.c
  CKernels/fk_momentum.c
  CKernels/ref/fk_momentum_ref.c
  CKernels/fk_apg.c
  CKernels/ref/fk_apg_ref.c
  CKernels/fk_dense.c
  CKernels/ref/fk_dense_ref.c
  CKernels/fk_noise.c
  CKernels/ref/fk_noise_ref.c
)
list(TRANSFORM FK_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
