#!/usr/bin/env bash
# Reproduces the shipped models (release build; the bits depend on the BLAS backend, GEMM summation order):
#
#   models/train.sh [eight-gaussians|spirals16|all] [extra flowguide train options...]
#
# - models/eight-gaussians-mlp.safetensors: an MLP (width 256, 2 residual blocks = 5 hidden layers,
#   277k parameters) trained for 3000 steps on 20 000 samples of the built-in 8-Gaussians dataset
#   (10% held out), AdamW with cautious weight decay. About 25 s on 2 cores.
# - models/spirals16-mlp.safetensors: an MLP (width 128, 2 residual blocks, 76k parameters) trained
#   for 3000 steps on 20 000 samples of the built-in 16-D spirals16 dataset (3 classes; 10% held
#   out). About 10 s on 2 cores.
#
# Both train on data seed 0 (the default --data-seed); `flowguide experiment --suite trained`
# measures them against rows drawn with other data seeds, which they never saw.
set -euo pipefail
cd "$(dirname "$0")/.."
which=all
if [[ $# -gt 0 && $1 != -* ]]; then
    which=$1
    shift
fi
case $which in all | eight-gaussians | spirals16) ;; *)
    echo "usage: $0 [eight-gaussians|spirals16|all] [flowguide train options...]" >&2
    exit 2
    ;;
esac
swift build -c release --product flowguide >/dev/null
BIN="$(swift build -c release --show-bin-path)/flowguide"
if [[ $which == all || $which == eight-gaussians ]]; then
    "$BIN" train --dataset eight-gaussians --data-count 20000 \
      --width 256 --depth 2 --steps 3000 --batch-size 512 --lr 1e-3 --seed 0 \
      --output models/eight-gaussians-mlp.safetensors "$@"
fi
if [[ $which == all || $which == spirals16 ]]; then
    "$BIN" train --dataset spirals16 --data-count 20000 \
      --width 128 --depth 2 --steps 3000 --batch-size 512 --lr 1e-3 --seed 0 \
      --output models/spirals16-mlp.safetensors "$@"
fi
