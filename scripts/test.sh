#!/usr/bin/env bash
# Every test suite: the Swift tests (SwiftPM + Swift Testing), the same Swift test binary again
# against BLIS and the reference BLAS (no rebuild), the flowguide CLI (behaviour, shards, errors)
# and its output against an independent NumPy implementation, the C tests and the NumPy oracle under
# CMake/ctest (OMP_NUM_THREADS=1 and 2, every BLAS backend), the C tests again under Address- and
# UndefinedBehaviorSanitizer, the installed C library linked from C through pkg-config and CMake,
# a separate Swift package depending on FlowGuide by version, and the docs' code examples (quoted
# verbatim from Examples/, built and run, their quoted output compared; the CLI command lines of
# README.md, docs/cli.md, the guides and docs/backends-and-threads.md run).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
suites=0

echo "== swift test"
swift test
suites=$((suites + 1))

echo "== the same Swift test binary on other BLAS backends (no rebuild)"
for backend in blis reference; do
  FLOWGUIDE_BLAS=$backend swift test --skip-build --filter "DenseTests|DeterminismTests|MetricsTests|MLPVelocityModelTests"
done
suites=$((suites + 1))

echo "== flowguide CLI: flags, shards, thread counts, error messages"
swift build --product flowguide
flowguide="$(swift build --show-bin-path)/flowguide"
Tests/CLI/run.sh "$flowguide"
suites=$((suites + 1))

echo "== flowguide sample vs the independent NumPy implementation (Tests/Reference)"
python3 Tests/Reference/test_reference_sampler.py
python3 Tests/Reference/compare_cli.py --flowguide "$flowguide"
suites=$((suites + 1))

echo "== cmake + ctest"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure
suites=$((suites + 1))

echo "== ctest under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFK_SANITIZE=address,undefined -DFK_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan -j"$jobs"
ctest --test-dir build-asan --output-on-failure -E numpy_oracle
suites=$((suites + 1))

echo "== install + pkg-config and CMake consumers"
Tests/Consumers/pkgconfig/run.sh build
suites=$((suites + 1))

echo "== SwiftPM consumer by version"
Tests/Consumers/swiftpm/run.sh
suites=$((suites + 1))

echo "== docs: code examples quoted verbatim, Swift and C examples and CLI command lines run"
scripts/check-doc-examples.sh build
suites=$((suites + 1))

# Each suite stops the script on failure (set -e): reaching this line means all of them passed.
echo "suites: $suites passed, 0 failed"
