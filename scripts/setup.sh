#!/usr/bin/env bash
# Installs what FlowGuide needs on Debian/Ubuntu: CMake, OpenBLAS (the default BLAS), BLIS and the
# reference BLAS (to swap backends), LLVM's OpenMP runtime (for SwiftPM's clang), pkg-config.
# Python 3 with NumPy is used by the independent oracle test and the NumPy benchmark; the
# `safetensors` package by the safetensors interoperability tests.
set -euo pipefail
packages=(cmake libopenblas-dev libblis-dev libblas-dev libomp-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c "import numpy" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check numpy
python3 -c "import safetensors" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check safetensors
echo "setup: ok"
