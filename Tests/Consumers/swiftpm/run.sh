#!/usr/bin/env bash
# Checks that a separate package can depend on FlowGuide BY VERSION (.package(url:, from:)) —
# SwiftPM refuses unsafe flags such as -fopenmp from version dependencies of tools-version
# < 6.2 — and run a kernel with 2 OpenMP threads. The committed HEAD is cloned into a temporary
# folder and tagged there, so the repository's own tags are left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
version=$(sed -n 's/^#define FK_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' "$repo/CKernels/include/flowkernels.h" | paste -sd.)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/FlowGuide"
git -C "$work/FlowGuide" -c user.name=ci -c user.email=ci@localhost tag -a "$version" -m "$version"
mkdir -p "$work/consumer/Sources/consumer"
cp "$here/Sources/consumer/main.swift" "$work/consumer/Sources/consumer/"
sed -e "s|@FLOWGUIDE_URL@|file://$work/FlowGuide|" -e "s|@FLOWGUIDE_VERSION@|$version|" \
    "$here/Package.swift.in" > "$work/consumer/Package.swift"
cd "$work/consumer"
swift build -q
OMP_NUM_THREADS=1 swift run -q consumer
echo "consumer: 1 passed, 0 failed"
