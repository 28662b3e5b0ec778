#!/usr/bin/env bash
# End-to-end tests of the `flowguide` command-line tool.
#
#   swift build --product flowguide && Tests/CLI/run.sh .build/debug/flowguide
#
# Needs python3 with NumPy. CLI_VERBOSE=1 also lists the error messages of the error cases. Runs in a temporary directory; prints one line per failure and
# "cli: N passed, M failed" at the end; exits non-zero on any failure.
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
    echo "usage: $0 PATH/TO/flowguide" >&2
    exit 2
fi
BIN=$(realpath "$1")
MODELS=$(cd "$(dirname "$0")/../../models" && pwd)   # the committed models (experiment --suite trained)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# NumPy helpers: shape/dtype of a file, its raw data bytes, and test inputs.
cat >npy.py <<'PY'
import json, sys
import numpy as np
cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "describe":            # "float32 (1000, 2)"
    a = np.load(args[0]); print(a.dtype, tuple(a.shape))
elif cmd == "raw":               # the data bytes as stored in the file (no header)
    with open(args[0], "rb") as f: data = f.read()
    n = int.from_bytes(data[8:10], "little") if data[6] == 1 else int.from_bytes(data[8:12], "little")
    with open(args[1], "wb") as f: f.write(data[(10 if data[6] == 1 else 12) + n:])
elif cmd == "save":              # save FILE DTYPE SHAPE EXPR (EXPR in terms of np and n = prod(shape))
    shape = tuple(int(s) for s in args[2].split(",")) if args[2] else ()
    n = int(np.prod(shape)); a = np.asarray(eval(args[3]), dtype=args[1]).reshape(shape)
    np.save(args[0], a)
elif cmd == "slice":             # slice TRAJ INDEX OUT: one step of a trajectory as float32 [rows, D]
    np.save(args[2], np.load(args[0])[int(args[1])].astype(np.float32))
elif cmd == "equal":             # equal A B: same dtype, shape and values
    a, b = np.load(args[0]), np.load(args[1])
    sys.exit(0 if a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b) else 1)
elif cmd == "json":              # json KEY [VALUE]: the key of the JSON object on stdin (must equal VALUE)
    obj = json.load(sys.stdin); value = obj[args[0]]
    if len(args) > 1 and str(value) != args[1]:
        sys.exit(f"{args[0]} = {value!r}, expected {args[1]}")
    print(value)
elif cmd == "jsonge":            # jsonge KEY MIN: the (dotted) key of the JSON object on stdin is >= MIN
    value = json.load(sys.stdin)
    for part in args[0].split("."): value = value[part]
    if not float(value) >= float(args[1]):
        sys.exit(f"{args[0]} = {value!r}, expected >= {args[1]}")
elif cmd == "labels":            # labels FILE N C: an int64 [N] array equal to arange(N) % C
    a = np.load(args[0])
    sys.exit(0 if a.dtype == np.int64 and a.shape == (int(args[1]),) and np.array_equal(a, np.arange(int(args[1])) % int(args[2])) else 1)
elif cmd == "mixture":           # mixture K: a JSON mixture with K components on stdin
    obj = json.load(sys.stdin)
    assert set(obj) == {"weights", "means", "stds", "labels"}, obj.keys()
    assert len(obj["weights"]) == int(args[0]) and len(obj["means"]) == int(args[0])
PY
py() { python3 "$WORK/npy.py" "$@"; }

passed=0
failed=0

# Runs one test function in a subshell with `set -e`; its output is shown only on failure.
run_test() {
    local name=$1
    shift
    mkdir -p "$WORK/$name"
    set +e
    (cd "$WORK/$name" && set -e && "$@") >"$WORK/$name.log" 2>&1
    local rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name: $*" >&2
        sed 's/^/    /' "$WORK/$name.log" >&2
    fi
}

# expect_shape FILE "float32 (1000, 2)"
expect_shape() {
    local got
    got=$(py describe "$1")
    [[ $got == "$2" ]] || { echo "$1: $got, expected $2"; return 1; }
}

# same_data A B: the data bytes of two .npy files are identical.
same_data() {
    py raw "$1" "$1.raw" && py raw "$2" "$2.raw" && cmp "$1.raw" "$2.raw"
}

# sharded OPTIONS...: shards 0/3, 1/3, 2/3 concatenated equal the unsharded run, byte for byte.
sharded() {
    "$BIN" sample --no-progress --output full.npy "$@" 2>/dev/null
    for k in 0 1 2; do
        "$BIN" sample --no-progress --shard "$k/3" --output "part$k.npy" "$@" 2>/dev/null
        py raw "part$k.npy" "part$k.raw"
    done
    cat part0.raw part1.raw part2.raw >parts.raw
    py raw full.npy full.raw
    cmp full.raw parts.raw
    expect_shape part0.npy "float32 (333, 2)"
    expect_shape part2.npy "float32 (334, 2)"
}

# fails NAME OPTIONS...: the command exits non-zero, prints exactly one line "error: ..." on
# stderr, nothing on stdout, and writes no file.
fails() {
    local rc=0
    "$BIN" "$@" >stdout.txt 2>stderr.txt || rc=$?
    [[ $rc -ne 0 ]] || { echo "exit code 0 for: $*"; return 1; }
    [[ $(wc -l <stderr.txt) -eq 1 ]] || { echo "stderr is not one line for: $*"; cat stderr.txt; return 1; }
    grep -q '^error: ' stderr.txt || { echo "no 'error: ' for: $*"; cat stderr.txt; return 1; }
    [[ ! -s stdout.txt ]] || { echo "stdout not empty for: $*"; return 1; }
    local written
    written=$(ls -A | grep -v -x -e stdout.txt -e stderr.txt -e inputs || true)
    [[ -z $written ]] || { echo "files written for: $*: $written"; return 1; }
    echo "ok ($rc): $* -> $(cat stderr.txt)" >>"$WORK/errors.txt"
}

# MARK: - Tests

test_default() {
    "$BIN" >stdout.txt 2>stderr.txt
    expect_shape samples.npy "float32 (1000, 2)"
    [[ ! -s stdout.txt ]]
    grep -q '^1000 samples, 16 steps (euler), NFE 16, .* -> samples.npy$' stderr.txt
    [[ $(wc -l <stderr.txt) -eq 1 ]]    # no progress bar when stderr is not a terminal
}

test_sample_subcommand_equals_default() {
    "$BIN" --output a.npy 2>/dev/null
    "$BIN" sample --count 1000 --seed 0 --steps 16 --solver euler --grid uniform --model eight-gaussians \
        --output b.npy 2>/dev/null
    same_data a.npy b.npy
}

test_shards_euler() { sharded; }
test_shards_heun_cfg_mg() { sharded --solver heun --cfg 3 --mg-alpha 0.5; }
test_shards_small_batches() { sharded --solver ab2 --apg 2 --apg-momentum -0.5 --batch-size 7; }

test_batch_size_invariance() {
    "$BIN" --solver rk4 --cfg 2 --mg-alpha 0.3 --output a.npy 2>/dev/null
    "$BIN" --solver rk4 --cfg 2 --mg-alpha 0.3 --batch-size 64 --output b.npy 2>/dev/null
    same_data a.npy b.npy
}

test_thread_count_invariance() {
    OMP_NUM_THREADS=1 "$BIN" --solver heun --cfg 3 --mg-alpha 0.5 --count 5000 --output t1.npy 2>/dev/null
    OMP_NUM_THREADS=2 "$BIN" --solver heun --cfg 3 --mg-alpha 0.5 --count 5000 --output t2.npy 2>/dev/null
    "$BIN" --solver heun --cfg 3 --mg-alpha 0.5 --count 5000 --threads 2 --output t3.npy 2>/dev/null
    same_data t1.npy t2.npy
    same_data t1.npy t3.npy
}

test_init_labels_round_trip() {
    # The trajectory's first slice is the initial noise; fed back with --init (and the default
    # labels k mod 8 given with --labels), the run is the same.
    "$BIN" --cfg 2 --trajectory traj.npy --output a.npy 2>/dev/null
    expect_shape traj.npy "float32 (17, 1000, 2)"
    py slice traj.npy 0 init.npy
    py slice traj.npy 16 last.npy
    py equal last.npy a.npy
    py save labels.npy int64 1000 "np.arange(n) % 8"
    "$BIN" --cfg 2 --init init.npy --labels labels.npy --output b.npy 2>/dev/null
    same_data a.npy b.npy
    # Shards take their rows of the files.
    for k in 0 1; do
        "$BIN" --cfg 2 --init init.npy --labels labels.npy --shard "$k/2" --output "p$k.npy" 2>/dev/null
        py raw "p$k.npy" "p$k.raw"
    done
    py raw a.npy a.raw
    cat p0.raw p1.raw | cmp - a.raw
    # int32 labels and float64 starting points are accepted too.
    py save labels32.npy int32 1000 "np.full(n, 3)"
    "$BIN" --init init.npy --labels labels32.npy --output c.npy 2>/dev/null
    "$BIN" --init init.npy --class 3 --output d.npy 2>/dev/null
    same_data c.npy d.npy
}

test_class_unconditional() {
    "$BIN" --class -1 --output u.npy 2>/dev/null
    # Label -1 makes the "conditional" rows unconditional too; CFG still evaluates both (2 NFE).
    "$BIN" --class=-1 --cfg 4 --json --output v.npy 2>/dev/null | py json nfe 32
}

test_json() {
    "$BIN" --cfg 3 --json --output j.npy >out.json 2>err.txt
    [[ ! -s err.txt ]]
    for key in model count first_index dimension steps solver nfe seconds samples_per_second output guidance threads blas; do
        py json "$key" <out.json >/dev/null
    done
    py json nfe 32 <out.json
    py json count 1000 <out.json
    py json dimension 2 <out.json
    py json output j.npy <out.json
    "$BIN" --cfg 1 --json --output k.npy | py json nfe 16
    "$BIN" --json --output k.npy | py json nfe 16
    "$BIN" --solver rk4 --steps 4 --json --output k.npy | py json nfe 16
    "$BIN" --solver heun --steps 4 --cfg 2 --json --output k.npy | py json nfe 14
    "$BIN" --count 10 --shard 1/2 --json --output k.npy | py json first_index 5
    "$BIN" --cfg 2 --cfg-zero-star --zero-init 2 --steps 8 --json --output k.npy | py json nfe 12
}

test_grids() {
    "$BIN" --grid sd3 --output a.npy --json | py json steps 16
    "$BIN" --grid sd3 --shift 3 --output b.npy 2>/dev/null
    same_data a.npy b.npy
    "$BIN" --grid flux --tokens 1024 --steps 8 --output c.npy --json | py json steps 8
    "$BIN" --sigmas 1,0.75,0.5,0.25,0 --output d.npy 2>/dev/null
    "$BIN" --steps 4 --output e.npy 2>/dev/null
    same_data d.npy e.npy
    py save sig.npy float32 5 "np.array([1, 0.75, 0.5, 0.25, 0])"
    "$BIN" --sigmas sig.npy --output f.npy 2>/dev/null
    same_data d.npy f.npy
}

test_models() {
    "$BIN" models >list.txt
    grep -q '^eight-gaussians  *2  *8  *8$' list.txt
    grep -q '^ring25 ' list.txt
    grep -q '^mixture64  *64 ' list.txt
    "$BIN" models --json eight-gaussians | py mixture 8
    # The JSON is a model file --model accepts, giving the same samples.
    "$BIN" models --json ring25 >ring.json
    "$BIN" --model ring.json --cfg 2 --output a.npy 2>/dev/null
    "$BIN" --model ring25 --cfg 2 --output b.npy 2>/dev/null
    same_data a.npy b.npy
    "$BIN" --model mixture64 --count 100 --output m.npy 2>/dev/null
    expect_shape m.npy "float32 (100, 64)"
}

test_plot() {
    "$BIN" --cfg 2 --plot p.svg --output a.npy 2>/dev/null
    "$BIN" --model ring25 --plot p.png --output b.npy 2>/dev/null
    grep -q '<svg' p.svg
    [[ $(head -c 8 p.png | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]
}

test_data() {
    "$BIN" data --list >list.txt
    [[ $(wc -l <list.txt) -eq 8 ]]
    grep -q '^spirals16  *16  *3 ' list.txt
    grep -q '^checkerboard  *2  *8 ' list.txt
    "$BIN" data moons --count 100 --seed 3 --output x.npy --labels-output y.npy 2>err.txt
    grep -q '^100 samples of moons (2-D, 2 classes, seed 3) -> x.npy, y.npy$' err.txt
    expect_shape x.npy "float32 (100, 2)"
    py labels y.npy 100 2
    "$BIN" data moons --count 100 --seed 3 --output x2.npy 2>/dev/null
    same_data x.npy x2.npy
    # Chunks by --first-index concatenate to the whole set.
    "$BIN" data spirals16 --count 30 --seed 5 --output all.npy 2>/dev/null
    "$BIN" data spirals16 --count 10 --seed 5 --output p0.npy 2>/dev/null
    "$BIN" data spirals16 --count 20 --seed 5 --first-index 10 --output p1.npy 2>/dev/null
    expect_shape all.npy "float32 (30, 16)"
    py raw all.npy all.raw && py raw p0.npy p0.raw && py raw p1.npy p1.raw
    cat p0.raw p1.raw | cmp - all.raw
    "$BIN" data mixture64 --count 0 --output e.npy 2>/dev/null
    expect_shape e.npy "float32 (0, 64)"
}

# Ground truth against ground truth: near-perfect precision/recall, full coverage; the same
# samples as a file, a built-in dataset and a mixture reference give the same metrics.
test_eval_ground_truth() {
    "$BIN" data eight-gaussians --count 1000 --output gen.npy --labels-output gen_labels.npy 2>/dev/null
    "$BIN" eval gen.npy --reference-dataset eight-gaussians --labels gen_labels.npy --json >d.json
    for key in precision recall; do py jsonge "$key" 0.9 <d.json; done
    py jsonge mixture.mode_coverage 1 <d.json
    py jsonge mixture.class_accuracy 0.99 <d.json
    py json real_count 1000 <d.json >/dev/null
    py json dimension 2 <d.json >/dev/null
    "$BIN" data eight-gaussians --count 1000 --seed 1 --output ref.npy --labels-output ref_labels.npy 2>/dev/null
    "$BIN" eval gen.npy --reference ref.npy --json >f.json
    "$BIN" eval gen.npy --reference-model eight-gaussians --labels gen_labels.npy --json >m.json
    for key in frechet_distance sliced_wasserstein mmd precision recall; do
        v=$(py json "$key" <d.json)
        py json "$key" "$v" <f.json >/dev/null
        py json "$key" "$v" <m.json >/dev/null
    done
    # The table: one aligned row per metric; per class, one row per class.
    "$BIN" eval gen.npy --reference ref.npy --labels gen_labels.npy --reference-labels ref_labels.npy --per-class >t.txt
    grep -q '^metric  *value$' t.txt
    grep -q '^precision  *0\.9[0-9]* ' t.txt
    grep -q '^frechet_distance  *[0-9]' t.txt
    [[ $(grep -c '^[0-7]  *125  *125  ' t.txt) -eq 8 ]]
    ! grep -q '^mode_coverage' t.txt     # a file reference has no mixture
    # Ground truth of another mixture is far from it.
    "$BIN" eval gen.npy --reference-dataset rings --json | py jsonge frechet_distance 1
}

test_eval_max_samples() {
    "$BIN" data spirals --count 900 --output gen.npy --labels-output lab.npy 2>/dev/null
    "$BIN" eval gen.npy --reference-dataset spirals --labels lab.npy --per-class --max-samples 300 --json >a.json
    "$BIN" eval gen.npy --reference-dataset spirals --labels lab.npy --per-class --max-samples 300 --json >b.json
    cmp a.json b.json
    py json generated_count 300 <a.json >/dev/null
    py json real_count 300 <a.json >/dev/null
    python3 -c 'import json,sys; o=json.load(open("a.json")); i=o["inputs"]; assert i["generated_rows"] == 900 and i["reference_rows"] == 300 and i["max_samples"] == 300, i; assert [c["label"] for c in o["per_class"]] == [0, 1, 2]; assert sum(c["generated_count"] for c in o["per_class"]) == 300'
    "$BIN" eval gen.npy --reference-dataset spirals --reference-count 900 --max-samples 0 --json | py json real_count 900
    # A sampled set against its mixture: the run works end to end.
    "$BIN" sample --count 500 --steps 32 --output s.npy 2>/dev/null
    "$BIN" eval s.npy --reference-model eight-gaussians --json | py jsonge mixture.mode_coverage 0.5
}

# Inputs of the error cases, made once in $WORK/inputs (a name `fails` ignores).
make_bad_inputs() {
    mkdir -p "$WORK/inputs"
    cd "$WORK"
    py save inputs/labels.npy int64 1000 "np.arange(n) % 8"
    py save inputs/labels_float.npy float32 1000 "np.zeros(n)"
    py save inputs/labels_short.npy int64 10 "np.zeros(n)"
    py save inputs/labels_range.npy int64 1000 "np.arange(n) % 9"
    py save inputs/labels_2d.npy int64 1000,1 "np.zeros(n)"
    py save inputs/init_short.npy float32 10,2 "np.zeros(n)"
    py save inputs/init_3d.npy float32 1000,3 "np.zeros(n)"
    py save inputs/init_int.npy int32 1000,2 "np.zeros(n)"
    py save inputs/sig_2d.npy float32 2,2 "np.array([1, 0.5, 0.2, 0])"
    echo "not numpy" >inputs/bad.npy
    echo '{"weights": [1]}' >inputs/bad.json
    py save inputs/gen.npy float32 1000,2 "np.random.default_rng(0).normal(size=n) * 3"
    py save inputs/gen_nan.npy float32 1000,2 "np.where(np.arange(n) == 7, np.nan, 1.0)"
    py save inputs/gen_1d.npy float32 1000 "np.zeros(n)"
    py save inputs/gen_3d.npy float32 10,50,2 "np.zeros(n)"
    py save inputs/labels_neg.npy int64 1000 "np.where(np.arange(n) == 5, -2, 0)"
}

# Each must fail with one "error: " line and write nothing (arguments of `flowguide sample`).
ERROR_CASES=(
    "--cfg 2 --apg 2"
    "--cfg-rescale 0.5"
    "--cfg-zero-star"
    "--cfg 2 --zero-init 2"
    "--cfg 2 --cfg-rescale 0.5 --cfg-zero-star"
    "--cfg 2 --cfg-rescale 1.5"
    "--cfg 2 --cfg-zero-star --zero-init 17"
    "--apg-eta 1"
    "--apg 2 --apg-threshold 0"
    "--apg 2 --apg-momentum 1"
    "--mg-beta 0.5"
    "--mg-alpha 0.5 --mg-beta 1"
    "--mg-window 0.2,0.8"
    "--cfg-interval 0.2,0.8"
    "--cfg 2 --cfg-interval 0.8,0.2"
    "--cfg 2 --cfg-interval 0.5"
    "--mg-alpha 0.5 --mg-window 0.9,0.1"
    "--class 1 --labels inputs/labels.npy"
    "--class 8"
    "--class -2"
    "--shard 3/3"
    "--shard -1/3"
    "--shard 1/0"
    "--shard 1"
    "--shard a/b"
    "--solver foo"
    "--grid foo"
    "--model nope"
    "--model inputs/missing.json"
    "--model inputs/bad.json"
    "--count -1"
    "--count x"
    "--steps 0"
    "--steps -2"
    "--threads 0"
    "--batch-size 0"
    "--sigmas 1,0.5,0 --steps 4"
    "--sigmas 1,0.5,0 --grid sd3"
    "--sigmas 1,0.6,0.7,0"
    "--sigmas 1,0.5"
    "--sigmas 1,x,0"
    "--sigmas inputs/sig_2d.npy"
    "--shift 2"
    "--grid sd3 --shift 0"
    "--tokens 100"
    "--labels inputs/labels_float.npy"
    "--labels inputs/labels_short.npy"
    "--labels inputs/labels_range.npy"
    "--labels inputs/labels_2d.npy"
    "--labels inputs/missing.npy"
    "--labels inputs/bad.npy"
    "--init inputs/init_short.npy"
    "--init inputs/init_3d.npy"
    "--init inputs/init_int.npy"
    "--model mixture64 --plot p.svg"
    "--plot p.pdf"
    "--output missing/dir/s.npy"
    "--trajectory missing/t.npy"
    "--plot missing/p.svg"
    "--output inputs"
    "--output x.npy --trajectory x.npy"
    "--no-such-flag"
)

# `flowguide eval` cases (G is inputs/gen.npy, 1000 x 2).
EVAL_ERROR_CASES=(
    ""
    "G"
    "G --reference G --reference-dataset moons"
    "G --reference-dataset moons --reference-model ring25"
    "G --reference-dataset moons --reference-labels inputs/labels.npy"
    "G --reference-dataset moons --per-class"
    "G --reference G --labels inputs/labels.npy --per-class"
    "G --reference-model ring25 --reference-count 10"
    "G --reference G --reference-seed 2"
    "G --reference G --k 0"
    "G --reference G --k x"
    "G --reference G --projections 0"
    "G --reference G --bandwidth -1"
    "G --reference G --max-samples -1"
    "G --reference G --coverage-threshold -1"
    "G --reference G --threads 0"
    "G --reference-dataset moons --reference-count 0"
    "G --reference G --no-such-flag"
    "inputs/missing.npy --reference G"
    "G --reference inputs/missing.npy"
    "inputs/bad.npy --reference G"
    "inputs/init_int.npy --reference G"
    "inputs/gen_1d.npy --reference G"
    "inputs/gen_3d.npy --reference G"
    "inputs/labels.npy --reference G"
    "inputs/gen_nan.npy --reference G"
    "G --reference inputs/gen_nan.npy"
    "G --reference inputs/init_3d.npy"
    "G --reference-dataset mixture64"
    "G --reference-model mixture64"
    "G --reference-dataset nope"
    "G --reference-model nope"
    "G --reference-model inputs/bad.json"
    "G --reference G --labels inputs/labels_short.npy"
    "G --reference G --labels inputs/labels_float.npy"
    "G --reference G --labels inputs/labels_2d.npy"
    "G --reference G --labels inputs/labels_neg.npy"
    "G --reference G --reference-labels inputs/labels_neg.npy"
    "G --reference G --reference-labels inputs/labels_short.npy"
    "G --reference-model eight-gaussians --labels inputs/labels_range.npy"
    "G --reference G --max-samples 2"
    "G --reference-dataset moons --reference-count 3"
)

# `flowguide data` cases.
DATA_ERROR_CASES=(
    ""
    "nope"
    "moons --list"
    "moons --count -1"
    "moons --count x"
    "moons --first-index -1"
    "moons --output missing/x.npy"
    "moons --labels-output missing/y.npy"
    "moons --output inputs"
    "moons --output a.npy --labels-output a.npy"
    "moons --no-such-flag"
)

# test_command_error_case COMMAND CASE: `flowguide COMMAND CASE` fails cleanly.
test_command_error_case() {
    ln -s "$WORK/inputs" inputs
    # shellcheck disable=SC2086  # a case is a word list
    fails "$1" ${2//G/inputs/gen.npy}
}

test_error_case() {
    ln -s "$WORK/inputs" inputs
    # shellcheck disable=SC2086  # a case is a word list
    fails sample $1
    fails $1    # the same through the default subcommand
}

# MARK: - experiment

# The trained-model suite with tiny settings, run twice into separate directories: the reports
# are identical apart from the first line (command and time) and the plots byte for byte, so the
# tables are reproducible from the seeds.
test_experiment_trained_reproducible() {
    local opts=(experiment --suite trained --steps 2,4 --seeds 2 --tuning-seeds 1 --count 40 --models "$MODELS" --no-progress)
    mkdir a b
    "$BIN" "${opts[@]}" --output a/experiments.md --plots a/plots 2>/dev/null
    "$BIN" "${opts[@]}" --output b/experiments.md --plots b/plots 2>/dev/null
    grep -q '^Made by `flowguide experiment --suite trained .*` in [0-9]* s ' a/experiments.md
    diff <(tail -n +4 a/experiments.md) <(tail -n +4 b/experiments.md)
    for f in a/plots/*.svg; do cmp "$f" "b/plots/$(basename "$f")"; done
    # The two headline comparisons, both models, the frontier and per-method plots.
    grep -q '^| MG vs no guidance (Euler), Fréchet | +36.7% | [+−][0-9.]*% | [+−][0-9.]*% |$' a/experiments.md
    grep -q '^| CFG + MG vs CFG (w 2), Fréchet | +25.5% | [+−][0-9.]*% | [+−][0-9.]*% |$' a/experiments.md
    grep -q '^## spirals16 (16-D' a/experiments.md
    for f in eight-gaussians-frontier eight-gaussians-frechet eight-gaussians-mg-tuned-2steps spirals16-frontier spirals16-recall; do
        [[ -s a/plots/experiments-$f.svg ]] || { echo "missing plot experiments-$f.svg"; return 1; }
        grep -q "](plots/experiments-$f.svg)" a/experiments.md
    done
    [[ $(ls a/plots | wc -l) -eq 21 ]] || { echo "expected 21 plots:"; ls a/plots; return 1; }
}

test_experiment_errors() {
    fails experiment --suite nope
    fails experiment --suite trained --seeds 0
    fails experiment --suite trained --tuning-seeds 0
    fails experiment --suite trained --steps 4,x
    fails experiment --suite trained --steps 4 --count 100 --models no-such-dir --output r.md
}

# MARK: - train

TRAIN=(--steps 30 --width 16 --depth 1 --batch-size 32 --warmup 5 --data-count 400 --eval-steps 4 --no-progress)

test_train_resume_is_exact() {
    "$BIN" train --dataset moons "${TRAIN[@]}" --output full.safetensors 2>/dev/null
    "$BIN" train --dataset moons "${TRAIN[@]}" --output half.safetensors --checkpoint ck.safetensors --stop-at 12 2>/dev/null
    "$BIN" train --dataset moons "${TRAIN[@]}" --output resumed.safetensors --checkpoint ck.safetensors --resume ck.safetensors 2>/dev/null
    cmp full.safetensors resumed.safetensors
    ! cmp -s full.safetensors half.safetensors
}

# Lion and Muon resume exactly too (their state goes through the checkpoint).
test_train_optimizer_resume_is_exact() {
    local opt=(--optimizer "$1")
    "$BIN" train --dataset moons "${TRAIN[@]}" "${opt[@]}" --output full.safetensors 2>/dev/null
    "$BIN" train --dataset moons "${TRAIN[@]}" "${opt[@]}" --output half.safetensors --checkpoint ck.safetensors --stop-at 12 2>/dev/null
    "$BIN" train --dataset moons "${TRAIN[@]}" "${opt[@]}" --output resumed.safetensors --checkpoint ck.safetensors --resume ck.safetensors 2>/dev/null
    cmp full.safetensors resumed.safetensors
    ! cmp -s full.safetensors half.safetensors
}

test_train_thread_count_invariance() {
    OMP_NUM_THREADS=1 "$BIN" train --dataset rings "${TRAIN[@]}" --output one.safetensors 2>/dev/null
    OMP_NUM_THREADS=2 "$BIN" train --dataset rings "${TRAIN[@]}" --output two.safetensors 2>/dev/null
    cmp one.safetensors two.safetensors
}

# External .npy data trains and samples with no code change; the model file loads in Python.
test_train_npy_data_then_sample() {
    "$BIN" data spirals --count 600 --output x.npy --labels-output y.npy 2>/dev/null
    "$BIN" train --data x.npy --labels y.npy "${TRAIN[@]}" --output m.safetensors --json >train.json
    python3 -c "import json; d=json.load(open('train.json')); assert d['steps'] == 30 and d['evaluation']['count'] == 60, d"
    "$BIN" sample --model m.safetensors --count 50 --cfg 2 --mg-alpha 0.5 --output s.npy --plot s.svg --no-progress 2>/dev/null
    expect_shape s.npy "float32 (50, 2)"
    [[ -s s.svg ]]
    python3 -c "
from safetensors.numpy import load_file
t = load_file('m.safetensors'); assert t['output.weight'].shape == (2, 16), t.keys()"
}

# The optimizer comparison (docs/optimizers.md) end to end at toy size: every optimizer has a row in
# both tables and the overview, the plots exist, the claims section is there; the same-steps
# numbers are deterministic (a second run gives the same (a) table).
COMPARE=(compare-optimizers --datasets moons --seeds 1 --train-steps 8 --batch-size 32 --width 16 --depth 1
         --data-count 200 --checkpoints 2 --sample-steps 2 --no-progress)
test_compare_optimizers() {
    "$BIN" "${COMPARE[@]}" --output r.md --plots plots
    for name in AdamW AdamW+CWD Lion Lion+CWD Muon Muon+CWD AdamQLR; do
        [[ $(grep -cF "| $name |" r.md) -eq 3 ]] || { echo "expected 3 rows for $name"; exit 1; }
    done
    grep -qF 'Untuned AdamQLR is competitive' r.md
    ! grep -qF 'PLACEHOLDER' r.md
    grep -qF '**(a) Same steps** (8)' r.md
    grep -qF 'Cautious weight decay improves the final loss' r.md
    grep -qE '\*\*(holds here|holds only nominally here|does not hold here|is not clearly supported here)\*\*' r.md
    [[ -s plots/optimizers-moons-steps.svg && -s plots/optimizers-moons-time.svg ]]
    grep -qF '(plots/optimizers-moons-steps.svg)' r.md
    "$BIN" "${COMPARE[@]}" --output r2.md --plots plots2
    same_steps() { sed -n '/^\*\*(a)/,/^\*\*(b)/p' "$1" | cut -d'|' -f2,3,5-; }
    [[ "$(same_steps r.md)" == "$(same_steps r2.md)" ]]
}

COMPARE_ERROR_CASES=(
    "--datasets nope"
    "--datasets ,"
    "--optimizers sgd"
    "--seeds 0"
    "--train-steps 0"
    "--held-out 1"
    "--data-count 10"
    "--budget 0"
    "--output r.txt"
    "--output missing/r.md"
)

TRAIN_ERROR_CASES=(
    "--dataset nope"
    "--dataset moons --data G"
    "--labels G"
    "--held-out 1"
    "--output m.npy"
    "--checkpoint c.npy"
    "--checkpoint-every 5"
    "--stop-at 5"
    "--sigma-sampling gaussian"
    "--optimizer sgd"
    "--steps 0 --dataset moons --data-count 100"
    "--width 0 --dataset moons --data-count 100"
    "--resume missing.safetensors --dataset moons --data-count 100"
    "--resume G --dataset moons --data-count 100"
    "--data G --labels G"
    "--output missing/m.safetensors"
)

test_models_errors() {
    fails models nope
    fails models --json nope
    fails models eight-gaussians ring25
}

run_test default test_default
run_test sample_subcommand test_sample_subcommand_equals_default
run_test shards_euler test_shards_euler
run_test shards_heun_cfg_mg test_shards_heun_cfg_mg
run_test shards_small_batches test_shards_small_batches
run_test batch_size test_batch_size_invariance
run_test threads test_thread_count_invariance
run_test init_labels test_init_labels_round_trip
run_test class_unconditional test_class_unconditional
run_test json test_json
run_test grids test_grids
run_test models test_models
run_test plot test_plot
run_test models_errors test_models_errors
run_test data test_data
run_test eval_ground_truth test_eval_ground_truth
run_test eval_max_samples test_eval_max_samples
run_test train_resume test_train_resume_is_exact
run_test train_resume_lion test_train_optimizer_resume_is_exact lion
run_test train_resume_muon test_train_optimizer_resume_is_exact muon
run_test train_resume_adamqlr test_train_optimizer_resume_is_exact adamqlr
run_test train_threads test_train_thread_count_invariance
run_test train_npy test_train_npy_data_then_sample
run_test experiment_trained test_experiment_trained_reproducible
run_test experiment_errors test_experiment_errors
run_test compare_optimizers test_compare_optimizers
make_bad_inputs
for i in "${!ERROR_CASES[@]}"; do
    run_test "error$i" test_error_case "${ERROR_CASES[$i]}"
done

for i in "${!EVAL_ERROR_CASES[@]}"; do
    run_test "eval_error$i" test_command_error_case eval "${EVAL_ERROR_CASES[$i]}"
done
for i in "${!TRAIN_ERROR_CASES[@]}"; do
    run_test "train_error$i" test_command_error_case train "${TRAIN_ERROR_CASES[$i]}"
done
for i in "${!COMPARE_ERROR_CASES[@]}"; do
    run_test "compare_error$i" test_command_error_case compare-optimizers "${COMPARE_ERROR_CASES[$i]}"
done
for i in "${!DATA_ERROR_CASES[@]}"; do
    run_test "data_error$i" test_command_error_case data "${DATA_ERROR_CASES[$i]}"
done

if [[ -n ${CLI_VERBOSE:-} && -f $WORK/errors.txt ]]; then cat "$WORK/errors.txt"; fi
echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
