#!/usr/bin/env bash
# Every code example of the docs runs:
#   1. Each code block marked in README.md or docs/*.md with `<!-- example: PATH -->` (the line right
#      before the ``` fence) must appear verbatim in PATH, so the docs cannot drift from the code.
#   2. The Swift examples (Examples/SwiftQuickStart: `flowguide-example`, Examples/ReadmeExample:
#      `flowguide-readme-example`) are built and run; Examples/c/mg_sampling.c is compiled against
#      the installed C library through pkg-config and run.
#   3. The CLI command lines of README.md and docs/cli.md (the list below, kept by hand, not parsed
#      from Markdown) run against the debug `flowguide` in a temporary directory.
# Usage: scripts/check-doc-examples.sh [CMAKE_BUILD_DIR]   (default: build, configured and built)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
build_dir=${1:-build}
passed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "-- docs quote the example files verbatim"
python3 - README.md docs/*.md <<'PY'
import re, sys
marker = re.compile(r"^<!-- example: (\S+) -->\s*$")
checked, bad = 0, []
for doc in sys.argv[1:]:
    lines = open(doc, encoding="utf-8").read().split("\n")
    for n, line in enumerate(lines):
        m = marker.match(line)
        if not m:
            continue
        path = m.group(1)
        if n + 1 >= len(lines) or not lines[n + 1].startswith("```"):
            bad.append(f"{doc}:{n + 1}: the marker is not followed by a ``` code block")
            continue
        end = next((k for k in range(n + 2, len(lines)) if lines[k].startswith("```")), None)
        if end is None:
            bad.append(f"{doc}:{n + 2}: unterminated code block")
            continue
        block = "\n".join(lines[n + 2:end]) + "\n"
        try:
            source = open(path, encoding="utf-8").read()
        except OSError as e:
            bad.append(f"{doc}:{n + 1}: {path}: {e.strerror}")
            continue
        if block not in source:
            bad.append(f"{doc}:{n + 1}: the code block (lines {n + 3}-{end}) is not verbatim in {path}")
        checked += 1
for b in bad:
    print("FAIL:", b)
print(f"{checked} marked code blocks checked")
if bad or checked == 0:
    sys.exit(1)
PY
passed=$((passed + 1))

echo "-- Swift examples"
swift build --product flowguide-example
swift build --product flowguide-readme-example
swift build --product flowguide
bin=$(swift build --show-bin-path)
"$bin/flowguide-example" | tee "$work/swift-example.txt"
grep -qx "cancelled" "$work/swift-example.txt" || { echo "FAIL: flowguide-example did not cancel"; exit 1; }
"$bin/flowguide-readme-example" | tee "$work/readme-example.txt"
[ "$(cat "$work/readme-example.txt")" = "1000 32" ] || { echo "FAIL: README example printed something else"; exit 1; }
passed=$((passed + 2))

echo "-- C example against the installed library (pkg-config)"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build_dir" -j"$(nproc)" --target flowkernels flowkernels_static >/dev/null
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH="$(dirname "$(find "$work/prefix" -name flowkernels.pc | head -1)")"
cc -Wall -Wextra -Werror Examples/c/mg_sampling.c $(pkg-config --cflags --libs flowkernels) \
   -Wl,-rpath,"$(pkg-config --variable=libdir flowkernels)" -o "$work/mg_sampling"
"$work/mg_sampling"
passed=$((passed + 1))

echo "-- CLI command lines of README.md and docs/cli.md (debug build)"
# `swift run -c release flowguide` in the docs is `flowguide` here. Lines marked (shortened) take
# fewer training steps or samples than the docs so the debug build stays quick; the flags are the docs'.
model="$repo/models/eight-gaussians-mlp.safetensors"
commands=(
  # README.md, quick start
  "flowguide sample"
  "flowguide sample --model $model --steps 4 --cfg 2 --plot cfg.png"
  "flowguide sample --model $model --steps 4 --cfg 2 --mg-alpha 0.5 --plot cfg-mg.png"
  "flowguide eval samples.npy --reference-dataset eight-gaussians"
  # README.md, "More" (train shortened; `experiment` is left out: ~40 s in release)
  "flowguide train --dataset spirals --output spirals.safetensors --steps 20 --eval-steps 4 --no-progress"
  "flowguide sample --model mixture64 --solver heun --steps 8 --apg 4 --json"
  # docs/cli.md
  "flowguide --help"
  "flowguide sample --help"
  "flowguide --cfg 3"
  "flowguide sample --model spirals.safetensors --cfg 2 --mg-alpha 0.5 --plot spirals.png"
  "flowguide data moons --output x.npy --labels-output y.npy"
  "flowguide train --data x.npy --labels y.npy --output moons.safetensors --steps 20 --eval-steps 4 --no-progress"
  "flowguide models"
  "flowguide models ring25"
  "flowguide models --json eight-gaussians"
  "flowguide models --json"
  "flowguide data --list"
  "flowguide data spirals --count 10000 --seed 0 --output x.npy --labels-output y.npy"
  "flowguide sample --model eight-gaussians --cfg 3 --mg-alpha 0.5 --count 5000 --output gen.npy"
  "python3 -c 'import numpy as np; np.save(\"labels.npy\", np.arange(5000) % 8)'"
  "flowguide eval gen.npy --reference-model eight-gaussians --labels labels.npy --per-class"
  "flowguide data spirals --count 2000 --output real.npy --labels-output real_labels.npy"
  "flowguide eval gen.npy --reference real.npy --max-samples 2000"
  "flowguide eval gen.npy --reference-dataset spirals --max-samples 2000"
  "flowguide sample --model ring25 --solver heun --steps 12 --cfg 3 --mg-alpha 0.5 --mg-beta 0.6 --output ring.npy --plot ring.svg"
  "flowguide sample --apg 5 --apg-eta 0 --apg-momentum -0.5 --apg-threshold 10 --cfg-interval 0.2,0.9 --grid sd3 --shift 3 --output apg.npy --json"
  "flowguide sample --count 500 --output x0.npy --seed 9"
  "flowguide sample --class 3 --count 500 --init x0.npy --trajectory traj.npy --output c3.npy"
  # docs/cli.md, shards: the bash loop (shortened: 10000 samples)
  "mkdir -p shards && for k in 0 1 2 3; do flowguide sample --count 10000 --cfg 3 --shard \"\$k/4\" --threads 1 --output \"shards/part-\$(printf %03d \"\$k\").npy\" & (( k % 2 == 1 )) && wait; done; wait"
  "python3 -c 'import numpy as np; s = np.concatenate([np.load(f\"shards/part-{k:03d}.npy\") for k in range(4)]); assert s.shape == (10000, 2), s.shape'"
)
flowguide() { "$bin/flowguide" "$@"; }
export -f flowguide 2>/dev/null || true
export bin
mkdir "$work/cli"
for line in "${commands[@]}"; do
  echo "\$ $line"
  if ! (cd "$work/cli" && eval "$line" >"$work/cli.out" 2>&1); then
    cat "$work/cli.out"
    echo "FAIL: $line"
    exit 1
  fi
  passed=$((passed + 1))
done

echo "doc-examples: $passed passed, 0 failed"
