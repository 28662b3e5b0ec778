#!/usr/bin/env bash
# Every test suite: the Swift tests (SwiftPM + Swift Testing), the C tests and the NumPy oracle
# under CMake/ctest (OMP_NUM_THREADS=1 and 2), the C tests again under Address- and
# UndefinedBehaviorSanitizer, and the C library installed and linked from a C program through
# pkg-config.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== swift test"
swift test

echo "== cmake + ctest"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure

echo "== ctest under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFK_SANITIZE=address,undefined -DFK_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan -j"$jobs"
ctest --test-dir build-asan --output-on-failure -E numpy_oracle

echo "== install + pkg-config consumer"
Tests/Consumers/pkgconfig/run.sh build

echo "== SwiftPM consumer by version"
Tests/Consumers/swiftpm/run.sh
