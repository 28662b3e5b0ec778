#!/usr/bin/env python3
"""Compare `flowguide sample` with the independent NumPy reference (reference_sampler.py).

    python3 Tests/Reference/compare_cli.py --flowguide .build/release/flowguide [--filter TEXT]
                                           [--keep DIR] [--no-floor] [--verbose]

For every case (model × grid × solver × guidance) it writes the same initial points
(float32 standard normal, fixed numpy seed) and labels (int64), runs

    flowguide sample --model M.json --init init.npy --labels labels.npy --count N \
        --output out.npy --no-progress --json --steps 8 --solver S <grid flags> <guidance flags>

then the reference with the same flags (in-process), and reports the max-norm relative error
max|a − b| / max|b| (a = flowguide, b = reference), and whether the NFE printed by
`flowguide sample --json` ("nfe", per sample) equals the reference's exact count.
Exit 1 if any case exceeds --tol (1e-4), has an NFE mismatch, or fails to run.

The "floor" column is a diagnostic: the same reference with every stored array rounded to
float32 (reference_sampler.sample(emulate_float32=True)) against pure float64; it shows how
much float32 storage alone can move a case (ill-conditioned cases have a high floor).
Built-in models are fetched with `flowguide models --json NAME`.
"""
import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_sampler as rs  # noqa: E402

SOLVERS = ["euler", "heun", "midpoint", "rk4", "ab2"]

MG = ["--mg-alpha", "0.5", "--mg-beta", "0.6"]
GUIDANCE = [
    ("none", []),
    ("cfg3", ["--cfg", "3"]),
    ("cfg3-interval", ["--cfg", "3", "--cfg-interval", "0.2,0.8"]),
    ("cfg4-rescale0.7", ["--cfg", "4", "--cfg-rescale", "0.7"]),
    ("cfg3-zero*-init1", ["--cfg", "3", "--cfg-zero-star", "--zero-init", "1"]),
    ("cfg1-zero*-init2", ["--cfg", "1", "--cfg-zero-star", "--zero-init", "2"]),  # zero-init at any w
    ("apg4", ["--apg", "4"]),
    ("apg4-e1-r2-b-.5-vel", ["--apg", "4", "--apg-eta", "1", "--apg-threshold", "2",
                             "--apg-momentum", "-0.5", "--apg-space", "velocity"]),
    ("mg", MG),
    ("mg-window", MG + ["--mg-window", "0.3,0.9"]),
    ("mg-normalize", MG + ["--mg-normalize"]),
    ("mg-debias", MG + ["--mg-debias"]),
    ("cfg3+mg", ["--cfg", "3"] + MG),
    # extras beyond the brief's list: APG momentum/threshold in the x0 space (RK4's last stage
    # at σ = 0 falls back to the velocity space with the same buffer), APG on an interval.
    ("apg4-e.5-r2-b-.5-x0", ["--apg", "4", "--apg-eta", "0.5", "--apg-threshold", "2",
                             "--apg-momentum", "-0.5", "--apg-space", "x0"]),
    ("apg4-interval+mg", ["--apg", "4", "--apg-eta", "1", "--cfg-interval", "0.2,0.8"] + MG),
]

# (model, grid label, grid flags, guidance names or None for all)
CONFIGS = [
    ("eight-gaussians", "uniform", ["--grid", "uniform"], None),
    ("eight-gaussians", "sd3 s=3", ["--grid", "sd3", "--shift", "3"], None),
    ("eight-gaussians", "custom", ["--sigmas", "1,0.93,0.8,0.62,0.45,0.3,0.17,0.06,0"],
     # σ = 0.8 and 0.3 lie exactly on the interval / window edges: tests inclusivity.
     ["none", "cfg3", "cfg3-interval", "mg", "mg-window", "cfg3+mg", "apg4"]),
    ("mixture64", "uniform", ["--grid", "uniform"], None),
    ("mixture64", "flux t=1024", ["--grid", "flux", "--tokens", "1024"], None),
]

COUNTS = {"eight-gaussians": 256, "ring25": 256, "mixture64": 64}


def maxrel(a, b):
    den = np.abs(b).max()
    return float(np.abs(a - b).max() / den) if den > 0 else float(np.abs(a - b).max())


def parse_nfe(stdout):
    """"nfe" from the JSON summary on stdout (whole stdout, else its last {...} line)."""
    try:
        return json.loads(stdout)["nfe"]
    except (ValueError, KeyError, TypeError):
        pass
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)["nfe"]
            except (ValueError, KeyError):
                continue
    return None


def run_reference(flags, emulate=False):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        out, nfe = rs.run(flags + (["--emulate-float32"] if emulate else []))
    return out, nfe


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flowguide", required=True, help="path of the flowguide executable")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=20260101, help="numpy seed of the init points")
    ap.add_argument("--models", default="eight-gaussians,mixture64",
                    help="comma-separated built-ins to include (ring25 is also allowed)")
    ap.add_argument("--filter", default=None, help="only cases whose name contains this text")
    ap.add_argument("--keep", default=None, help="keep the work files in this directory")
    ap.add_argument("--no-floor", action="store_true", help="skip the float32-floor diagnostic")
    ap.add_argument("--labels-dtype", default="int64", choices=("int64", "int32"))
    ap.add_argument("--verbose", action="store_true", help="print the commands")
    a = ap.parse_args()

    work = a.keep or tempfile.mkdtemp(prefix="fg-compare-")
    os.makedirs(work, exist_ok=True)
    models = a.models.split(",")
    configs = [c for c in CONFIGS if c[0] in models]
    if "ring25" in models:
        configs.append(("ring25", "uniform", ["--grid", "uniform"], None))

    # Built-in models as JSON, from the CLI itself.
    model_json, inits, labels = {}, {}, {}
    for name in sorted({c[0] for c in configs}):
        path = os.path.join(work, name + ".json")
        res = subprocess.run([a.flowguide, "models", "--json", name], capture_output=True,
                             text=True)
        if res.returncode != 0:
            print(f"flowguide models --json {name} failed ({res.returncode}):\n{res.stderr}")
            return 1
        with open(path, "w") as f:
            f.write(res.stdout)
        mix = rs.Mixture.load(path)
        model_json[name] = path
        n = COUNTS.get(name, 128)
        rng = np.random.default_rng(a.seed)
        init = rng.standard_normal((n, mix.dim)).astype(np.float32)
        classes = mix.classes
        lab = classes[np.arange(n) % len(classes)].astype(a.labels_dtype)
        lab[7::16] = -1          # a few unconditional rows (label −1 is allowed)
        inits[name] = os.path.join(work, f"init-{name}.npy")
        labels[name] = os.path.join(work, f"labels-{name}.npy")
        np.save(inits[name], init)
        np.save(labels[name], lab)
        print(f"model {name}: K={len(mix.weights)} D={mix.dim} classes={len(classes)} "
              f"count={n} std range [{mix.stds.min():.3g}, {mix.stds.max():.3g}]")

    guid = dict(GUIDANCE)
    rows, failures = [], 0
    header = (f"{'model':16s} {'grid':12s} {'solver':9s} {'guidance':22s} "
              f"{'rel.err':>9s} {'floor':>9s} {'nfe fg/ref':>11s}  status")
    print(header)
    print("-" * len(header))
    case_no = 0
    for model, glabel, gflags, gnames in configs:
        for solver in SOLVERS:
            for gname in (gnames or [g for g, _ in GUIDANCE]):
                name = f"{model} {glabel} {solver} {gname}"
                if a.filter and a.filter not in name:
                    continue
                case_no += 1
                out = os.path.join(work, f"out-{case_no}.npy")
                ref_out = os.path.join(work, f"ref-{case_no}.npy")
                # A --sigmas grid fixes the step count itself (the CLI refuses both).
                steps_flags = [] if "--sigmas" in gflags else ["--steps", str(a.steps)]
                math_flags = (steps_flags + ["--solver", solver] + gflags + guid[gname])
                common = ["--model", model_json[model], "--init", inits[model],
                          "--labels", labels[model], "--no-progress"]
                n = np.load(inits[model]).shape[0]
                cmd = ([a.flowguide, "sample"] + common
                       + ["--count", str(n), "--output", out, "--json"] + math_flags)
                if a.verbose:
                    print("  $ " + " ".join(cmd))
                status, err, floor, nfe_fg, nfe_ref = "", float("nan"), float("nan"), None, None
                try:
                    ref, nfe_ref = run_reference(common + ["--output", ref_out] + math_flags)
                    if not a.no_floor:
                        emu, _ = run_reference(common + ["--output", ref_out + ".f32.npy"]
                                               + math_flags, emulate=True)
                        floor = maxrel(emu.astype(np.float64), ref.astype(np.float64))
                except Exception as e:  # a reference failure is reported, not hidden
                    status = f"REFERENCE ERROR: {e}"
                if not status:
                    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
                    if res.returncode != 0:
                        status = f"FLOWGUIDE ERROR rc={res.returncode}: " \
                                 + res.stderr.strip().splitlines()[-1:].__str__()
                    else:
                        nfe_fg = parse_nfe(res.stdout)
                        got = np.load(out)
                        if got.shape != ref.shape:
                            status = f"SHAPE {got.shape} vs {ref.shape}"
                        elif got.dtype != np.float32:
                            status = f"DTYPE {got.dtype}"
                        else:
                            err = maxrel(got.astype(np.float64), ref.astype(np.float64))
                            bad = []
                            if not np.all(np.isfinite(got)):
                                bad.append("NON-FINITE")
                            if not err <= a.tol:
                                bad.append("TOL")
                            if nfe_fg != nfe_ref:
                                bad.append("NFE")
                            status = "FAIL " + ",".join(bad) if bad else "ok"
                            if floor > a.tol / 3:
                                status += " (ill-conditioned: float32 floor near tol)"
                if not status.startswith("ok"):  # "ok (ill-conditioned ...)" is a pass with a note
                    failures += 1
                nf = f"{nfe_fg}/{nfe_ref}"
                print(f"{model:16s} {glabel:12s} {solver:9s} {gname:22s} "
                      f"{err:9.2e} {floor:9.2e} {nf:>11s}  {status}", flush=True)
                rows.append((name, err, floor, nfe_fg, nfe_ref, status))

    worst = max((r for r in rows if r[1] == r[1]), key=lambda r: r[1], default=None)
    print("-" * len(header))
    print(f"{len(rows)} cases, {failures} failed; tol {a.tol:g}"
          + (f"; worst {worst[1]:.2e} ({worst[0]})" if worst else ""))
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
