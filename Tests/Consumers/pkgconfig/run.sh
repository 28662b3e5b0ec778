#!/usr/bin/env bash
# Installs the CMake build given as $1 into a temporary prefix, then builds and runs app.c
# three ways: pkg-config (shared), pkg-config --static, and CMake find_package; and the example
# of docs/c-api.md, Examples/c/mg_sampling.c, through pkg-config and CMake find_package.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh CMAKE_BUILD_DIR}" && pwd)
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name flowkernels.pc | head -1)")/..
export PKG_CONFIG_PATH="$libdir/pkgconfig"

cc "$here/app.c" $(pkg-config --cflags --libs flowkernels) -Wl,-rpath,"$libdir" -o "$prefix/app-shared"
OMP_NUM_THREADS=2 "$prefix/app-shared"

example="$here/../../../Examples/c/mg_sampling.c"
cc -Wall -Wextra -Werror "$example" $(pkg-config --cflags --libs flowkernels) -Wl,-rpath,"$libdir" \
   -o "$prefix/mg_sampling"
"$prefix/mg_sampling"

cc "$here/app.c" $(pkg-config --cflags flowkernels) -o "$prefix/app-static" \
   "$libdir/libflowkernels.a" $(pkg-config --static --libs-only-other --libs-only-l flowkernels | sed 's/-lflowkernels//')
OMP_NUM_THREADS=2 "$prefix/app-static"

cmake -S "$here" -B "$prefix/cmake-consumer" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-consumer" >/dev/null
OMP_NUM_THREADS=2 "$prefix/cmake-consumer/app"
"$prefix/cmake-consumer/mg_sampling"
echo "pkgconfig: 5 passed, 0 failed"
