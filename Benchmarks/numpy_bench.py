#!/usr/bin/env python3
"""NumPy twin of flowguide-bench's kernel section: the same math on the same [B, D] float32
shapes, written the natural vectorized NumPy way (temporaries and all), timed the same way
(warm-up, batches of >= --min-time seconds, best of --rounds, items interleaved per round).

    python3 Benchmarks/numpy_bench.py [--quick] [--sizes 1e4,1e5,...]   # a table of its own
    flowguide-bench --numpy-worker Benchmarks/numpy_bench.py           # side by side (run.sh)

With --serve it is flowguide-bench's worker: the bench times one NumPy batch right after the
kernel's batches of the same round, so each "x NumPy" ratio pairs two times taken seconds apart
(the host's memory bandwidth drifts over minutes). Protocol, one line each way:
    (on start)               -> "ready numpy=<version> python=<version> OPENBLAS_CORETYPE=<value>"
    "size ROWS COLS MIN_TIME" -> "ok NAME NAME ..." (the cases) once the operands exist and every
                                 case is warmed up and sized
    "time NAME"               -> seconds per call of one batch of NAME
    (any request it cannot serve) -> "error <why>"
NumPy's elementwise ufuncs and axis reductions run on one thread. OPENBLAS_CORETYPE may be set on
this machine; it is reported and left alone (these operations do not call BLAS anyway).
"""
import argparse
import os
import platform
import sys
import time

import numpy as np

# Same constants as Benchmarks/KernelBench/PlainSwift.swift (Params).
H, W, PHI = -0.02, 4.0, 0.7
MG_ALPHA, MG_BETA, MG_EPS = 0.5, 0.6, 1e-8
APG_W, APG_ETA, APG_R, APG_BETA, APG_SIGMA = 4.5, 0.0, 10.0, -0.5, 0.7
COMBINE = (-0.01, -0.01)

# Compulsory bytes per element, as in the Swift bench (for the GB/s column only).
BYTES = {"axpy": 12, "triad": 12, "euler": 12, "combine2": 16, "cfg_blend": 12, "cfg_euler": 16,
         "cfg_rescale": 12, "cfg_zero_star": 12, "row_dot": 8, "mg_euler": 20, "mg_euler_norm": 20,
         "cfg_mg_euler": 24, "apg": 24, "randn": 4}


def parse_count(s):
    return int(round(float(s)))


def make_cases(rows, cols):
    rng = np.random.default_rng(0)
    uni = lambda: rng.uniform(-1, 1, (rows, cols)).astype(np.float32)
    s = {"x": uni(), "c": uni(), "u": uni(), "m": uni(),
         "prev": np.zeros((rows, cols), np.float32), "g": np.zeros((rows, cols), np.float32)}
    gen = np.random.Generator(np.random.Philox(42))
    f32 = np.float32

    def axpy():
        x = s["x"]
        x += f32(1e-7) * s["c"]

    def triad():
        s["g"][:] = s["c"] + f32(0.5) * s["u"]

    def euler():
        x = s["x"]
        x += f32(H) * s["c"]

    def combine2():
        x = s["x"]
        x += f32(COMBINE[0]) * s["c"] + f32(COMBINE[1]) * s["u"]

    def cfg_blend():
        c, u = s["c"], s["u"]
        s["g"] = u + f32(W) * (c - u)

    def cfg_euler():
        c, u, x = s["c"], s["u"], s["x"]
        x += f32(H) * (u + f32(W) * (c - u))

    def cfg_rescale():
        c, u = s["c"], s["u"]
        g = u + f32(W) * (c - u)
        ratio = c.std(axis=1, keepdims=True) / g.std(axis=1, keepdims=True)
        s["g"] = f32(PHI) * g * ratio + f32(1 - PHI) * g

    def cfg_zero_star():
        c, u = s["c"], s["u"]
        k = (c * u).sum(axis=1, keepdims=True) / ((u * u).sum(axis=1, keepdims=True) + f32(1e-8))
        su = k * u
        s["g"] = su + f32(W) * (c - su)

    def row_dot():
        s["dot"] = (s["c"] * s["u"]).sum(axis=1)

    def mg_step(d, normalize):
        x, m = s["x"], s["m"]
        if normalize:
            nd = np.linalg.norm(d, axis=1, keepdims=True)
            nm = np.linalg.norm(m, axis=1, keepdims=True)
            m_eff = m * (nd / (nm + f32(MG_EPS)))
        else:
            m_eff = m
        g = d + f32(MG_ALPHA) * (d - m_eff)
        x += f32(H) * g
        m *= f32(MG_BETA)
        m += f32(1 - MG_BETA) * d

    def mg_euler():
        mg_step(s["c"], False)

    def mg_euler_norm():
        mg_step(s["c"], True)

    def cfg_mg_euler():
        c, u = s["c"], s["u"]
        mg_step(u + f32(W) * (c - u), False)

    def apg():
        x, c, u, prev = s["x"], s["c"], s["u"], s["prev"]
        sigma = f32(APG_SIGMA)
        d_c = x - sigma * c
        d_u = x - sigma * u
        delta = d_c - d_u + f32(APG_BETA) * prev
        prev[:] = delta
        delta *= np.minimum(f32(1), f32(APG_R) / np.linalg.norm(delta, axis=1, keepdims=True))
        par = ((delta * d_c).sum(axis=1, keepdims=True) / (d_c * d_c).sum(axis=1, keepdims=True)) * d_c
        perp = delta - par
        d_hat = d_c + f32(APG_W - 1) * (perp + f32(APG_ETA) * par)
        s["g"] = (x - d_hat) / sigma

    def randn():
        gen.standard_normal(out=s["g"], dtype=np.float32)

    return [("axpy", axpy), ("triad", triad), ("euler", euler), ("combine2", combine2),
            ("cfg_blend", cfg_blend), ("cfg_euler", cfg_euler), ("cfg_rescale", cfg_rescale),
            ("cfg_zero_star", cfg_zero_star), ("row_dot", row_dot), ("mg_euler", mg_euler),
            ("mg_euler_norm", mg_euler_norm), ("cfg_mg_euler", cfg_mg_euler), ("apg", apg),
            ("randn", randn)]


def time_calls(fn, calls):
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def batch_calls(fn, min_time):
    """Warms fn up and returns how many calls make a batch of about min_time seconds."""
    fn()  # warm up: first touch, allocator
    n, t = 1, time_calls(fn, 1)
    while t * n < min_time / 20 and n < 1 << 20:
        n *= 4
        t = time_calls(fn, n)
    return max(1, int(min_time / max(t, 1e-9)))


def measure(cases, min_time, rounds):
    calls = {name: batch_calls(fn, min_time) for name, fn in cases}
    best = {name: float("inf") for name, _ in cases}
    for _ in range(rounds):
        for name, fn in cases:
            best[name] = min(best[name], time_calls(fn, calls[name]))
    return best


def serve(coretype):
    """The worker loop of flowguide-bench --numpy-worker (protocol in the module docstring)."""
    def reply(line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    reply(f"ready numpy={np.__version__} python={platform.python_version()} OPENBLAS_CORETYPE={coretype}")
    cases, calls = {}, {}
    for line in sys.stdin:
        words = line.split()
        try:
            if words[:1] == ["size"] and len(words) == 4:
                rows, cols, min_time = int(words[1]), int(words[2]), float(words[3])
                if rows < 1 or cols < 1 or not min_time > 0:
                    raise ValueError(f"bad size request: {line.strip()}")
                cases = {}  # frees the previous size's operands first
                cases = dict(make_cases(rows, cols))
                calls = {name: batch_calls(fn, min_time) for name, fn in cases.items()}
                reply("ok " + " ".join(cases))
            elif words[:1] == ["time"] and len(words) == 2:
                if words[1] not in cases:
                    raise ValueError(f"no case {words[1]}" + ("" if cases else " (send 'size' first)"))
                reply(repr(time_calls(cases[words[1]], calls[words[1]])))
            else:
                raise ValueError(f"unknown request: {line.strip()}")
        except (ValueError, MemoryError) as e:
            reply(f"error {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default="1e4,1e5,1e6,1e7,4e7")
    ap.add_argument("--cols", type=int, default=1024)
    ap.add_argument("--min-time", type=float, default=None, help="seconds per timed batch (0.02; --quick 0.01)")
    ap.add_argument("--rounds", type=int, default=None, help="timed batches per item (10; --quick 4)")
    ap.add_argument("--serve", action="store_true", help="be flowguide-bench's worker (see above)")
    a = ap.parse_args()
    coretype = os.environ.get("OPENBLAS_CORETYPE", "unset")
    if a.serve:
        serve(coretype)
        return
    min_time = a.min_time or (0.01 if a.quick else 0.02)
    rounds = a.rounds or (4 if a.quick else 10)

    print(f"NumPy {np.__version__}, Python {platform.python_version()}, OPENBLAS_CORETYPE={coretype} "
          f"(left as found), float32 [B, {a.cols}], best of {rounds} batches of >= {min_time} s")
    print(f"{'n':>12}  {'kernel':<14} {'µs':>10} {'GB/s':>7}")
    for requested in (parse_count(s) for s in a.sizes.split(",")):
        rows = max(1, (requested + a.cols // 2) // a.cols)
        n = rows * a.cols
        cases = make_cases(rows, a.cols)
        best = measure(cases, min_time, rounds)
        for name, _ in cases:
            t = best[name]
            print(f"{n:>12,}  {name:<14} {t * 1e6:>10.1f} {BYTES[name] * n / t / 1e9:>7.1f}")
        sys.stdout.flush()
        del cases

if __name__ == "__main__":
    main()
