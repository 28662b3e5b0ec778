# Install: the libraries, the header, a CMake package config and a pkg-config file, so that
#   find_package(FlowKernels) + target_link_libraries(app FlowKernels::flowkernels)
# or
#   cc app.c $(pkg-config --cflags --libs flowkernels)
# both work.
include(CMakePackageConfigHelpers)

install(TARGETS flowkernels flowkernels_static EXPORT FlowKernelsTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES CKernels/include/flowkernels.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT FlowKernelsTargets NAMESPACE FlowKernels::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/FlowKernels)

configure_package_config_file(cmake/FlowKernelsConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/FlowKernelsConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/FlowKernels)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/FlowKernelsConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/FlowKernelsConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/FlowKernelsConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/FlowKernels)

# pkg-config: the OpenMP runtime is private to the shared library, public to the static one.
if(FK_OPENMP)
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    set(FK_PC_OMP "-lgomp")
  else()
    set(FK_PC_OMP "-lomp")
  endif()
endif()
file(RELATIVE_PATH FK_PC_RELATIVE_PREFIX
     ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(cmake/flowkernels.pc.in ${CMAKE_CURRENT_BINARY_DIR}/flowkernels.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/flowkernels.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
