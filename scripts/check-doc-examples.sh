#!/usr/bin/env bash
# Every code example of the docs runs:
#   1. Each code block marked in README.md or docs/*.md with `<!-- example: PATH -->` (the line right
#      before the ``` fence) must appear verbatim in PATH, so the docs cannot drift from the code.
#   2. The Swift examples (Examples/SwiftQuickStart: `flowguide-example`, Examples/ReadmeExample:
#      `flowguide-readme-example`, Examples/Guides: `flowguide-guides-example`) are built and run;
#      Examples/c/mg_sampling.c and Examples/c/blas_select.c are compiled against the installed C
#      library through pkg-config and run. A code block marked `<!-- output: PROGRAM -->` must match consecutive lines of that
#      program's output (numbers to within 0.011, so a last-digit difference between BLAS
#      backends or CPUs does not fail it).
#   3. The CLI command lines of README.md, docs/cli.md, the guides (docs/guide-*.md) and
#      docs/backends-and-threads.md (the lists below, kept by hand, not parsed from Markdown) run
#      against the debug `flowguide` in a temporary directory; a backend command whose library is
#      not installed is skipped with a message.
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
swift build --product flowguide-guides-example
swift build --product flowguide
bin=$(swift build --show-bin-path)
mkdir "$work/out"
"$bin/flowguide-example" | tee "$work/out/flowguide-example"
grep -qx "cancelled" "$work/out/flowguide-example" || { echo "FAIL: flowguide-example did not cancel"; exit 1; }
"$bin/flowguide-readme-example" | tee "$work/out/flowguide-readme-example"
[ "$(cat "$work/out/flowguide-readme-example")" = "1000 32" ] || { echo "FAIL: README example printed something else"; exit 1; }
# From the repository root: it loads models/eight-gaussians-mlp.safetensors.
"$bin/flowguide-guides-example" | tee "$work/out/flowguide-guides-example"
passed=$((passed + 3))

echo "-- docs quote the examples' output"
python3 - "$work/out" README.md docs/*.md <<'PY'
import os, re, sys
out_dir, docs = sys.argv[1], sys.argv[2:]
marker = re.compile(r"^<!-- output: (\S+) -->\s*$")
number = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")

def same(expected, actual):
    """Equal text outside numbers, numbers within 0.011."""
    if number.sub("#", expected).rstrip() != number.sub("#", actual).rstrip():
        return False
    return all(abs(float(a) - float(b)) <= 0.011
               for a, b in zip(number.findall(expected), number.findall(actual)))

checked, bad = 0, []
for doc in docs:
    lines = open(doc, encoding="utf-8").read().split("\n")
    for n, line in enumerate(lines):
        m = marker.match(line)
        if not m:
            continue
        program = m.group(1)
        end = next((k for k in range(n + 2, len(lines)) if lines[k].startswith("```")), None)
        if n + 1 >= len(lines) or not lines[n + 1].startswith("```") or end is None:
            bad.append(f"{doc}:{n + 1}: the marker is not followed by a ``` code block")
            continue
        block = lines[n + 2:end]
        path = os.path.join(out_dir, program)
        if not os.path.exists(path):
            bad.append(f"{doc}:{n + 1}: {program} is not one of the example programs run here")
            continue
        actual = open(path, encoding="utf-8").read().rstrip("\n").split("\n")
        if not any(all(same(e, a) for e, a in zip(block, actual[k:k + len(block)]))
                   for k in range(len(actual) - len(block) + 1)):
            bad.append(f"{doc}:{n + 1}: the output block (lines {n + 3}-{end}) is not what {program} printed")
        checked += 1
for b in bad:
    print("FAIL:", b)
print(f"{checked} output blocks checked")
if bad:
    sys.exit(1)
PY
passed=$((passed + 1))

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
cc -Wall -Wextra -Werror Examples/c/blas_select.c $(pkg-config --cflags --libs flowkernels) \
   -Wl,-rpath,"$(pkg-config --variable=libdir flowkernels)" -o "$work/blas_select"
"$work/blas_select" blis
"$work/blas_select" builtin
passed=$((passed + 3))

echo "-- CLI command lines of README.md, docs/cli.md and the guides (debug build)"
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
  # docs/guide-cfg.md (the NFE the guide states is checked through --json)
  "flowguide sample --model $model --steps 4 --cfg 2 --output cfg.npy"
  "flowguide sample --model $model --steps 4 --cfg 2 --cfg-interval 0.3,0.8 --json | grep -q '\"nfe\":6,'"
  "flowguide sample --model $model --steps 4 --cfg 2 --cfg-rescale 0.7"
  "flowguide sample --model $model --steps 4 --cfg 2 --cfg-zero-star --zero-init 1 --json | grep -q '\"nfe\":6,'"
  "flowguide eval cfg.npy --reference-dataset eight-gaussians"
  # docs/guide-apg.md
  "flowguide sample --model $model --steps 4 --apg 2 --output apg.npy --json | grep -qF 'apg(w=2, eta=0, threshold=inf, momentum=0, space=x0)'"
  "flowguide sample --model $model --steps 4 --apg 2 --apg-eta 0.5"
  "flowguide sample --model $model --steps 4 --apg 2 --apg-threshold 1 --apg-momentum -0.5"
  "flowguide sample --model $model --steps 4 --apg 2 --apg-space velocity"
  "flowguide eval apg.npy --reference-dataset eight-gaussians"
  # docs/guide-momentum.md
  "flowguide sample --model $model --steps 4 --mg-alpha 0.5 --json | grep -q '\"nfe\":4,'"
  "flowguide sample --model $model --steps 4 --mg-alpha 0.5 --mg-beta 0.6 --mg-window 0.3,1"
  "flowguide sample --model $model --steps 4 --mg-alpha 0.5 --mg-normalize"
  "flowguide sample --model $model --steps 4 --mg-alpha 0.5 --mg-debias"
  "flowguide sample --model $model --steps 4 --cfg 2 --mg-alpha 0.5 --output cfg-mg.npy --json | grep -q '\"nfe\":8,'"
  "flowguide eval cfg-mg.npy --reference-dataset eight-gaussians"
  # docs/backends-and-threads.md: threads (bit-identical outputs)
  "flowguide sample --model $model --steps 4 --json | grep -q '\"blas\":\"'"
  "flowguide sample --model $model --steps 4 --cfg 2 --threads 1 --output t1.npy"
  "flowguide sample --model $model --steps 4 --cfg 2 --threads 2 --output t2.npy"
  "OMP_NUM_THREADS=1 flowguide sample --model $model --steps 4 --cfg 2 --output t3.npy"
  "cmp t1.npy t2.npy && cmp t1.npy t3.npy && echo identical"
  "FLOWGUIDE_OPENBLAS_FASTPATH=0 flowguide sample --model $model --steps 4 --json"
  "FLOWGUIDE_BLAS=builtin flowguide sample --model $model --steps 4 --json | grep -q '\"blas\":\"builtin'"
)

# docs/backends-and-threads.md: commands that need a BLAS library or tool the machine may lack,
# as "REQUIRED_FILES|COMMAND" (space-separated files; the docs show Debian's x86-64 paths; here the machine's multiarch
# directory). Skipped, with a message, when the file is missing.
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
libdir=/usr/lib/${multiarch:-x86_64-linux-gnu}
optional_commands=(
  "$libdir/libopenblas.so.0|FLOWGUIDE_BLAS=openblas flowguide sample --model $model --steps 4 --json | grep -q '\"blas\":\"openblas'"
  "$libdir/libblis.so.4|FLOWGUIDE_BLAS=blis flowguide sample --model $model --steps 4 --json | grep -q '\"blas\":\"blis'"
  "$libdir/blas/libblas.so.3|FLOWGUIDE_BLAS=reference flowguide sample --model $model --steps 4 --json | grep -q '\"blas\":\"reference'"
  "$libdir/blis-openmp/libblas.so.3|LD_LIBRARY_PATH=$libdir/blis-openmp flowguide sample --model $model --steps 4 --json | grep -q '\"blas\":\"blis'"
  "/usr/bin/update-alternatives|update-alternatives --display libblas.so.3-$multiarch"
  "$libdir/libopenblas.so.0|OPENBLAS_CORETYPE=Haswell FLOWGUIDE_BLAS=openblas flowguide sample --model $model --steps 4 --json | grep -qF 'openblas [Haswell]'"
  "$libdir/libopenblas.so.0 /usr/bin/strings|strings \"\$(readlink -f $libdir/libopenblas.so.0)\" | grep -x 'OPENBLAS_[A-Z0-9_]*' | sort -u | grep -q OPENBLAS_CORETYPE"
  "$libdir/libopenblas.so.0|OPENBLAS_L2_SIZE=1048576 flowguide sample --model $model --steps 4 --json"
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
for entry in "${optional_commands[@]}"; do
  needs=${entry%%|*}
  line=${entry#*|}
  missing=""
  for file in $needs; do [ -e "$file" ] || missing=$file; done
  if [ -n "$missing" ]; then
    echo "skip (no $missing): $line"
    continue
  fi
  echo "\$ $line"
  if ! (cd "$work/cli" && eval "$line" >"$work/cli.out" 2>&1); then
    cat "$work/cli.out"
    echo "FAIL: $line"
    exit 1
  fi
  passed=$((passed + 1))
done

echo "doc-examples: $passed passed, 0 failed"
