# The C sources, listed once for CMake. SwiftPM compiles every .c under CKernels/; the check at
# the end of this file stops the configure step when the two disagree.
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
  CKernels/fk_optim.c
  CKernels/ref/fk_optim_ref.c
)
list(TRANSFORM FK_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)

file(GLOB_RECURSE FK_SWIFTPM_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/CKernels/*.c)
list(SORT FK_SWIFTPM_SOURCES)
set(FK_LISTED_SOURCES ${FK_SOURCES})
list(SORT FK_LISTED_SOURCES)
if(NOT FK_SWIFTPM_SOURCES STREQUAL FK_LISTED_SOURCES)
  message(FATAL_ERROR "cmake/FlowKernelsSources.cmake does not list the same .c files as CKernels/ "
                      "(which SwiftPM compiles):\n  on disk: ${FK_SWIFTPM_SOURCES}\n  listed: ${FK_LISTED_SOURCES}")
endif()
