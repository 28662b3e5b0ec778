#!/usr/bin/env python3
"""Self-tests of reference_sampler.py: properties the math must satisfy (DESIGN.md §3,
docs/sampling.md).  Plain asserts; run with  python3 Tests/Reference/test_reference_sampler.py
"""
import json
import math
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "Fixtures"))

import reference_sampler as rs  # noqa: E402


def circle_mixture(k=8, radius=4.0, std=0.3):
    """8 Gaussians on a circle of radius 4, std 0.3, labels 0..7."""
    ang = 2 * np.pi * np.arange(k) / k
    means = np.stack([radius * np.cos(ang), radius * np.sin(ang)], axis=1)
    return rs.Mixture(np.ones(k), means, np.full(k, std), np.arange(k))


def high_dim_mixture(d=16, k=6, seed=3):
    rng = np.random.default_rng(seed)
    return rs.Mixture(rng.uniform(0.5, 2.0, k), rng.normal(0, 2.0, (k, d)),
                      rng.uniform(0.2, 0.6, k), np.arange(k) % 3)


MIX = circle_mixture()
RNG = np.random.default_rng(0)
X0 = RNG.standard_normal((64, 2)).astype(np.float32).astype(np.float64)
LAB = np.arange(64) % 8
LAB_U = np.full(64, -1)


def run(solver, steps, guidance=None, mg=None, x0=X0, labels=LAB, grid=None, fn=None, mix=MIX):
    grid = rs.make_grid("uniform", steps) if grid is None else grid
    return rs.sample(fn or mix.velocity, x0, labels, grid, solver, guidance, mg)


def maxrel(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


TESTS = []


def test(f):
    TESTS.append(f)
    return f


@test
def velocity_matches_fixture_formula():
    # Compare against Tests/Fixtures/gmm_velocity.py's independent per-row formula.
    import importlib.util
    import io
    import contextlib
    spec = importlib.util.spec_from_file_location(
        "gmm_velocity", os.path.join(HERE, "..", "Fixtures", "gmm_velocity.py"))
    mod = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):
        spec.loader.exec_module(mod)
    m = rs.Mixture(mod.weights, mod.means, mod.stds, mod.labels)
    for xi, s, lab in zip(mod.x, mod.sigma, mod.row_labels):
        if s == 0.0:
            continue  # a zero-std component at σ = 0 has var = 0 (0/0); not used by sampling
        got = m.velocity(xi[None, :], s, np.array([lab]))[0]
        want = mod.velocity(xi, s, lab)
        assert np.allclose(got, want, rtol=1e-12, atol=1e-12), (xi, s, lab, got, want)


@test
def velocity_is_exact_flow():
    # At σ = 1 (x = ε): v = E[ε − x0 | x] = x − Σ π_k μ_k.
    v = MIX.velocity(X0, 1.0, LAB_U)
    assert np.allclose(v, X0 - (MIX.weights[:, None] * MIX.means).sum(0), atol=1e-12)
    # Finite-difference check of the flow: for one component N(μ, s²) the ODE solution from
    # x(1) = ε is x(σ) = (1−σ)μ + sqrt((1−σ)²s² + σ²)·ε; its derivative equals v.
    one = rs.Mixture([1.0], [[1.0, -2.0]], [0.5], [0])
    eps = np.array([[0.3, -0.7]])
    def path(sig):
        return (1 - sig) * one.means[0] + math.sqrt((1 - sig) ** 2 * 0.25 + sig ** 2) * eps
    for sig in (0.9, 0.5, 0.1):
        dx = (path(sig + 1e-6) - path(sig - 1e-6)) / 2e-6
        v = one.velocity(path(sig), sig, np.array([0]))
        assert np.allclose(v, dx, atol=1e-7), (sig, v, dx)


@test
def grids_match_fixture_and_float32():
    import io
    import contextlib
    with contextlib.redirect_stdout(io.StringIO()):
        import time_grids as tg
    for n, s in [(4, 3.0), (10, 3.0), (7, 0.5)]:
        want = tg.sd3(n, s).astype(np.float32).astype(np.float64)
        assert np.array_equal(rs.make_grid("sd3", n, shift=s), want)
    for n, t in [(4, 4096), (6, 1024), (5, 256), (3, 64), (8, 8192)]:
        want = tg.flux(n, t).astype(np.float32).astype(np.float64)
        assert np.array_equal(rs.make_grid("flux", n, tokens=t), want)
    g = rs.make_grid("uniform", 10)
    assert g[0] == 1.0 and g[-1] == 0.0 and np.all(np.diff(g) < 0)
    assert np.all(g.astype(np.float32).astype(np.float64) == g)
    assert abs(rs.flux_mu(256) - 0.5) < 1e-15 and abs(rs.flux_mu(4096) - 1.15) < 1e-15
    # custom list, validated
    assert np.array_equal(rs.make_grid(sigmas=[0.9, 0.5, 0.0]),
                          np.array([0.9, 0.5, 0.0], np.float32).astype(np.float64))
    for bad in ([1.5, 0.0], [0.5, 0.6, 0.0], [1.0, 0.5], [1.0, 0.5, 0.5, 0.0]):
        try:
            rs.make_grid(sigmas=bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted bad grid {bad}")
    # stage σ in float32: with 3 steps σ_i + h/2 is not exact in float32
    s0, s1, h, mid = rs.step_sigmas(rs.make_grid("uniform", 3), 0)
    assert mid == float(np.float32(np.float32(s0) + np.float32(np.float32(s1 - s0) / 2)))


def observed_orders(solver, ns, ref, guidance, labels):
    errs = []
    for n in ns:
        x, _, _ = run(solver, n, guidance, labels=labels)
        errs.append(np.abs(x - ref).max())
    return errs, [math.log2(errs[j] / errs[j + 1]) for j in range(len(errs) - 1)]


@test
def convergence_orders():
    # The 8-Gaussian circle mixture, unconditional rows (with a class label each class is one
    # Gaussian, a linear ODE on which midpoint happens to converge at order 3), and CFG 2 with
    # per-sample labels.  Reference: RK4 with 4096 steps.  Powers of two keep the float32 grid
    # and stage σ exact.
    global_ref = {}
    for gname, gd, lab in (("none", None, LAB_U), ("cfg2", rs.Guidance("cfg", 2.0), LAB)):
        ref, _, _ = run("rk4", 4096, gd, labels=lab)
        global_ref[gname] = ref
        for solver, ns, order, tol in (("euler", [64, 128, 256, 512], 1, 0.15),
                                       ("heun", [32, 64, 128, 256], 2, 0.25),
                                       ("midpoint", [32, 64, 128, 256], 2, 0.25),
                                       ("ab2", [32, 64, 128, 256], 2, 0.3),
                                       ("rk4", [16, 32, 64, 128], 4, 0.4)):
            errs, orders = observed_orders(solver, ns, ref, gd, lab)
            print(f"    {gname:5s} {solver:9s} errors "
                  + " ".join(f"{e:.2e}" for e in errs)
                  + "  orders " + " ".join(f"{o:.2f}" for o in orders))
            assert abs(orders[-1] - order) < tol, (gname, solver, orders)


@test
def mg_alpha_zero_is_euler():
    for gd in (None, rs.Guidance("cfg", 3.0)):
        a, na, _ = run("euler", 12, gd)
        b, nb, _ = run("euler", 12, gd, rs.MomentumGuidance(alpha=0.0, beta=0.6))
        assert na == nb and np.allclose(a, b, rtol=0, atol=1e-13)
    # also with a non-uniform grid, normalize, window, debias
    grid = rs.make_grid("sd3", 9, shift=3.0)
    a, _, _ = run("heun", 9, grid=grid)
    b, _, _ = run("heun", 9, grid=grid, mg=rs.MomentumGuidance(0.0, 0.3, (0.2, 0.7), True, True))
    assert np.allclose(a, b, atol=1e-13)


@test
def mg_beta_zero_half_alpha_is_ab2():
    # 8 steps: the float32 uniform grid is exactly uniform (with e.g. 10 steps the float32
    # h_i differ in the last bit, so AB2's r = h_i/h_{i-1} is not exactly 1).
    for gd in (None, rs.Guidance("cfg", 3.0), rs.Guidance("apg", 4.0, apg_momentum=-0.5)):
        a, na, _ = run("euler", 8, gd, rs.MomentumGuidance(alpha=0.5, beta=0.0))
        b, nb, _ = run("ab2", 8, gd)
        assert na == nb and np.allclose(a, b, rtol=0, atol=1e-12), maxrel(a, b)


@test
def apg_reduces_to_cfg():
    grid = rs.make_grid("flux", 7, tokens=1024)
    for space in ("x0", "velocity"):
        for solver in rs.SOLVERS:   # rk4 reaches s = 0 (velocity-space fallback in x0 space)
            gd_apg = rs.Guidance("apg", 4.0, apg_eta=1.0, apg_threshold=math.inf,
                                 apg_momentum=0.0, apg_space=space)
            a, na, _ = run(solver, 7, gd_apg, grid=grid)
            b, nb, _ = run(solver, 7, rs.Guidance("cfg", 4.0), grid=grid)
            assert na == nb and maxrel(a, b) < 1e-12, (space, solver, maxrel(a, b))
    # and with the 16-D mixture
    mix = high_dim_mixture()
    x0 = np.random.default_rng(1).standard_normal((20, 16))
    lab = np.arange(20) % 3
    a, _, _ = run("rk4", 6, rs.Guidance("apg", 2.5, apg_eta=1.0), x0=x0, labels=lab, mix=mix)
    b, _, _ = run("rk4", 6, rs.Guidance("cfg", 2.5), x0=x0, labels=lab, mix=mix)
    assert maxrel(a, b) < 1e-12


@test
def apg_options_change_the_result():
    base, _, _ = run("euler", 8, rs.Guidance("cfg", 4.0))
    for kw in ({"apg_eta": 0.0}, {"apg_eta": 1.0, "apg_threshold": 0.5},
               {"apg_eta": 1.0, "apg_momentum": -0.5}):
        a, _, _ = run("euler", 8, rs.Guidance("apg", 4.0, **kw))
        assert maxrel(a, base) > 1e-4, kw


@test
def cfg_scale_one_and_nfe():
    steps = 8
    for solver in rs.SOLVERS:
        n0 = rs.expected_nfe(solver, steps)
        _, nfe, _ = run(solver, steps)
        assert nfe == n0, (solver, nfe)
        x1, nfe1, _ = run(solver, steps, rs.Guidance("cfg", 1.0))
        x_none, _, _ = run(solver, steps)
        assert nfe1 == n0 and np.array_equal(x1, x_none)
        for comb in ("cfg", "cfgRescale", "cfgZeroStar", "apg"):
            _, nfe3, _ = run(solver, steps, rs.Guidance(comb, 3.0, phi=0.7))
            assert nfe3 == 2 * n0, (solver, comb, nfe3)
            _, nfe1c, _ = run(solver, steps, rs.Guidance(comb, 1.0, phi=0.7))
            assert nfe1c == n0, (solver, comb, nfe1c)
        # MG does not change the NFE
        _, nmg, _ = run(solver, steps, rs.Guidance("cfg", 3.0), rs.MomentumGuidance())
        assert nmg == 2 * n0
    assert run("euler", steps, rs.Guidance("cfg", 1.0))[1] == steps   # 1 NFE per step


@test
def interval_nfe_and_stage_sigma():
    # Uniform 8 steps: σ_i = 1, .875, ..., .125; stages at σ_i − 1/16 and σ_{i+1}.
    gd = rs.Guidance("cfg", 3.0, interval=(0.2, 0.8))
    in_iv = lambda s: 0.2 <= s <= 0.8
    g = rs.make_grid("uniform", 8)
    s = [g[i] for i in range(8)]
    mids = [rs.step_sigmas(g, i)[3] for i in range(8)]
    nxt = [g[i + 1] for i in range(8)]
    cnt = lambda ss: sum(2 if in_iv(v) else 1 for v in ss)
    want = {"euler": cnt(s), "ab2": cnt(s),
            "heun": cnt(s) + cnt(nxt[:-1]),
            "midpoint": cnt(s) + cnt(mids),
            "rk4": cnt(s) + 2 * cnt(mids) + cnt(nxt)}
    assert want["euler"] == 13
    for solver, w in want.items():
        _, nfe, _ = run(solver, 8, gd)
        assert nfe == w, (solver, nfe, w)


@test
def cfg_zero_star_zero_init():
    gd = rs.Guidance("cfgZeroStar", 3.0, zero_init=2)
    for solver in rs.SOLVERS:
        x, nfe, traj = rs.sample(MIX.velocity, X0, LAB, rs.make_grid("uniform", 8), solver, gd,
                                 rs.MomentumGuidance(), trajectory=True)
        assert np.array_equal(traj[0], X0) and np.array_equal(traj[2], X0)
        assert not np.allclose(traj[3], X0)
        full = rs.expected_nfe(solver, 8)
        per_step = {"euler": 1, "ab2": 1, "heun": 2, "midpoint": 2, "rk4": 4}[solver]
        assert nfe == 2 * (full - 2 * per_step), (solver, nfe)
    # MG's first step is step k: MG with zero-init 2 equals plain from step 2 at alpha=0
    a, _, _ = run("euler", 8, gd, rs.MomentumGuidance(alpha=0.0))
    b, _, _ = run("euler", 8, gd)
    assert np.allclose(a, b, atol=1e-13)
    # zero-init belongs to CFG-Zero* only
    assert rs.Guidance("cfg", 3.0, zero_init=2).zero_init == 0


@test
def constant_field_unchanged_by_mg():
    c = np.array([0.7, -1.3])
    fn = lambda x, s, lab: np.broadcast_to(c, x.shape).copy()
    grid = rs.make_grid("sd3", 8, shift=3.0)
    for solver in rs.SOLVERS:
        want = X0 - c  # ∫ from σ=1 to 0 of c dσ = −c
        for mg in (rs.MomentumGuidance(), rs.MomentumGuidance(0.9, 0.3, debias=True),
                   rs.MomentumGuidance(0.5, 0.6, window=(0.2, 0.6)),
                   rs.MomentumGuidance(0.5, 0.6, normalize=True)):
            x, _, _ = run(solver, 8, rs.Guidance("cfg", 3.0), mg, grid=grid, fn=fn)
            tol = 1e-7 if mg.normalize else 1e-12   # normalize: ‖d‖/(‖d‖+1e-8)
            assert np.abs(x - want).max() < tol, (solver, np.abs(x - want).max())


@test
def mg_hand_computed():
    # Two steps by hand on a 1-row problem, Euler, alpha 0.5, beta 0.6, debias / normalize.
    mix = high_dim_mixture(d=3, k=4)
    x0 = np.array([[0.5, -0.2, 1.1]])
    lab = np.array([1])
    grid = rs.make_grid("uniform", 4)
    for debias, normalize in ((False, False), (True, False), (False, True), (True, True)):
        x = x0.copy()
        m = np.zeros_like(x) if debias else None
        cnt = 0
        for i in range(4):
            s0, s1, h, _ = rs.step_sigmas(grid, i)
            d = mix.velocity(x, s0, lab)
            if m is None:
                m = d.copy()
            if cnt > 0:
                me = m / (1 - 0.6 ** cnt) if debias else m
                if normalize:
                    me = me * np.linalg.norm(d) / (np.linalg.norm(me) + 1e-8)
                g = d + 0.5 * (d - me)
            else:
                g = d
            x = x + h * g
            m = 0.4 * d + 0.6 * m
            cnt += 1
        got, _, _ = rs.sample(mix.velocity, x0, lab, grid, "euler", None,
                              rs.MomentumGuidance(0.5, 0.6, None, normalize, debias))
        assert np.allclose(got, x, atol=1e-13), (debias, normalize)


@test
def cfg_variants_hand_checks():
    rng = np.random.default_rng(5)
    vc, vu = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    g = rs.combine_cfg_rescale(vc, vu, 4.0, 1.0)
    assert np.allclose(g.std(1), vc.std(1))                      # φ = 1: std matched
    assert np.allclose(rs.combine_cfg_rescale(vc, vu, 4.0, 0.0), rs.combine_cfg(vc, vu, 4.0))
    z = rs.combine_cfg_rescale(np.ones((1, 3)), np.ones((1, 3)), 4.0, 0.7)  # std(g) = 0
    assert np.array_equal(z, np.ones((1, 3)))
    # CFG-Zero*: with v_u = v_c, s* ≈ 1 and g ≈ v_c
    assert np.allclose(rs.combine_cfg_zero_star(vc, vc, 3.0), vc, atol=1e-7)
    # APG momentum buffer stores the post-momentum Δ
    st = {"prev": None}
    y = rng.standard_normal((4, 6))
    rs.combine_apg(y, 0.5, vc, vu, 3.0, 1.0, math.inf, -0.5, "velocity", st)
    d1 = vc - vu
    assert np.allclose(st["prev"], d1)
    rs.combine_apg(y, 0.5, vu, vc, 3.0, 1.0, math.inf, -0.5, "velocity", st)
    assert np.allclose(st["prev"], (vu - vc) - 0.5 * d1)
    # threshold r: ‖Δ‖ clipped
    out = rs.combine_apg(y, 0.5, vc, vu, 3.0, 1.0, 0.25, 0.0, "velocity", {"prev": None})
    delta = (out - vc) / 2.0
    assert np.allclose(np.linalg.norm(delta, axis=1), 0.25)


@test
def cli_round_trip():
    import io
    import contextlib
    with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(io.StringIO()):
        mpath = os.path.join(d, "mix.json")
        with open(mpath, "w") as f:
            json.dump(MIX.to_dict(), f)
        ipath, lpath, opath = (os.path.join(d, n) for n in ("i.npy", "l.npy", "o.npy"))
        np.save(ipath, X0.astype(np.float32))
        np.save(lpath, LAB.astype(np.int64))
        out, nfe = rs.run(["--model", mpath, "--init", ipath, "--labels", lpath, "--steps", "8",
                           "--solver", "heun", "--cfg", "3", "--cfg-interval", "0.2,0.8",
                           "--mg-alpha", "0.5", "--mg-window", "0.3,0.9", "--grid", "sd3",
                           "--shift", "3", "--output", opath, "--no-progress"])
        want, wn, _ = rs.sample(MIX.velocity, X0, LAB, rs.make_grid("sd3", 8, shift=3.0), "heun",
                                rs.Guidance("cfg", 3.0, (0.2, 0.8)),
                                rs.MomentumGuidance(0.5, 0.6, (0.3, 0.9)))
        saved = np.load(opath)
        assert saved.dtype == np.float32 and np.array_equal(saved, want.astype(np.float32))
        assert nfe == wn
        # built-in by name from a models dir
        with open(os.path.join(d, "eight-gaussians.json"), "w") as f:
            json.dump(MIX.to_dict(), f)
        out2, _ = rs.run(["--model", "eight-gaussians", "--models-dir", d, "--init", ipath,
                          "--class", "3", "--steps", "4", "--sigmas", "1,0.6,0.3,0.1,0",
                          "--apg", "4", "--apg-space", "velocity", "--apg-threshold", "inf",
                          "--output", opath])
        w2, _, _ = rs.sample(MIX.velocity, X0, np.full(64, 3), rs.make_grid(
            sigmas=[1, 0.6, 0.3, 0.1, 0]), "euler", rs.Guidance("apg", 4.0, apg_space="velocity"))
        assert np.array_equal(out2, w2.astype(np.float32))


@test
def interval_edges_inclusive():
    # σ = 0.8 on a custom grid lies on the edge of --cfg-interval 0.2,0.8 (both float32(0.8)).
    grid = rs.make_grid(sigmas=[1.0, 0.8, 0.5, 0.2, 0.0])
    _, nfe, _ = run("euler", 4, rs.Guidance("cfg", 3.0, interval=(0.2, 0.8)), grid=grid)
    assert nfe == 1 + 2 + 2 + 2, nfe
    # MG window (0.2, 0.5) on this grid: steps 2 (σ = 0.5) and 3 (σ = 0.2, the edge) active.
    def traj(window):
        return rs.sample(MIX.velocity, X0, LAB, grid, "euler", None,
                         rs.MomentumGuidance(0.5, 0.6, window=window), trajectory=True)[2]
    both, only2, only3, none_ = (traj(w) for w in ((0.2, 0.5), (0.21, 0.5), (0.2, 0.2),
                                                   (0.9, 0.95)))
    assert np.array_equal(both[2], none_[2])                 # steps 0, 1 inactive
    assert np.array_equal(both[3], only2[3]) and not np.allclose(both[3], none_[3])
    assert not np.allclose(both[4], only2[4])                # step 3 (σ = 0.2 = lo) active
    assert np.array_equal(only3[3], none_[3]) and not np.allclose(only3[4], none_[4])


@test
def compare_cli_with_fake_flowguide():
    import subprocess
    res = subprocess.run([sys.executable, os.path.join(HERE, "compare_cli.py"), "--flowguide",
                          os.path.join(HERE, "fake_flowguide.py"), "--filter", "cfg3+mg"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert " 0 failed" in res.stdout, res.stdout


def main():
    failed = 0
    for t in TESTS:
        try:
            t()
            print(f"ok    {t.__name__}")
        except AssertionError as e:
            failed += 1
            print(f"FAIL  {t.__name__}: {e!r}")
    print(f"{len(TESTS) - failed}/{len(TESTS)} passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
