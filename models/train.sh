#!/usr/bin/env bash
# Reproduces the shipped model models/eight-gaussians-mlp.safetensors: an MLP (width 256, 2
# residual blocks = 5 hidden layers, 277k parameters) trained for 3000 steps on 20 000 samples
# of the built-in 8-Gaussians dataset (10% held out), AdamW with cautious weight decay.
# About 25 s on 2 cores. The bits depend on the BLAS backend (GEMM summation order).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product flowguide >/dev/null
"$(swift build -c release --show-bin-path)/flowguide" train --dataset eight-gaussians --data-count 20000 \
  --width 256 --depth 2 --steps 3000 --batch-size 512 --lr 1e-3 --seed 0 \
  --output models/eight-gaussians-mlp.safetensors "$@"
