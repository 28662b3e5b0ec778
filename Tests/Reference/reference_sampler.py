#!/usr/bin/env python3
"""Independent reference sampler for FlowGuide, in NumPy float64.

Written only from /work/shared/DESIGN.md sections 2, 3, 5 and docs/sampling.md (not from the
Swift or C sources), to check `flowguide sample` against.  Everything here runs in float64;
the only float32 quantities are the *inputs* the Swift sampler sees in float32:

  * the initial points (read from a float32 .npy),
  * the grid σ_0..σ_N (rounded to float32 after being computed in float64),
  * the step h_i = σ_{i+1} − σ_i and the stage σ values σ_i + h_i/2, computed in float32
    arithmetic (docs/sampling.md "Solvers": "Stage σ values are computed in float32").

These float32 values are converted to float64 and used as exact inputs, so that a difference
from the Swift output measures arithmetic precision only.

Conventions (DESIGN.md §2): σ = 1 noise, σ = 0 data, x_σ = (1−σ)·x0 + σ·ε, v = ε − x0,
Euler step x ← x + (σ_next − σ)·v with σ decreasing, denoised estimate x0̂ = x − σ·v.

Use as a module (``sample(...)``) or as a CLI mirroring ``flowguide sample``:

    python3 reference_sampler.py --model mix.json --init init.npy --labels labels.npy \
        --steps 8 --solver heun --cfg 3 --mg-alpha 0.5 --output ref.npy [--json]

It writes float32 .npy and prints the per-sample NFE (``nfe N``, or a JSON line with --json).
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

F32 = np.float32

BUILTIN_MODELS = ("eight-gaussians", "ring25", "mixture64")

# Defaults docs/sampling.md does not give (chosen here; keep in sync with `flowguide sample`):
APG_DEFAULT_ETA = 0.0          # the APG paper's recommended value (drop the parallel part)
APG_DEFAULT_THRESHOLD = math.inf
APG_DEFAULT_MOMENTUM = 0.0
APG_DEFAULT_SPACE = "x0"       # DESIGN.md §3: "in the denoised (x0) space by default"
MG_DEFAULT_BETA = 0.6          # docs/sampling.md: "β defaults to 0.6"
MG_EPS = 1e-8                  # normalize: m·‖d‖/(‖m‖ + ε)
CFG_ZERO_STAR_EPS = 1e-8       # s* = ⟨v_c, v_u⟩ / (‖v_u‖² + 1e-8)
SD3_DEFAULT_SHIFT = 3.0        # not fixed by the docs
FLUX_DEFAULT_TOKENS = 4096     # not fixed by the docs
DEFAULT_STEPS = 32             # not fixed by the docs


# ----------------------------------------------------------------------------------------------
# Models (DESIGN.md §5)
# ----------------------------------------------------------------------------------------------

class Mixture:
    """Gaussian mixture {"weights": [K], "means": [[D] x K], "stds": [K], "labels": [K]}.

    Weights are normalized on load (DESIGN.md §5); labels are non-negative integers, and a
    class is the set of components carrying that label.
    """

    def __init__(self, weights, means, stds, labels):
        self.weights = np.asarray(weights, dtype=np.float64)
        self.means = np.asarray(means, dtype=np.float64)
        self.stds = np.asarray(stds, dtype=np.float64)
        self.labels = np.asarray(labels, dtype=np.int64)
        k = self.weights.shape[0]
        if self.means.ndim != 2 or self.means.shape[0] != k:
            raise ValueError("means must be [K][D] with K = len(weights)")
        if self.stds.shape != (k,) or self.labels.shape != (k,):
            raise ValueError("stds and labels must have K entries")
        if np.any(self.weights < 0) or self.weights.sum() <= 0:
            raise ValueError("weights must be non-negative with a positive sum")
        if np.any(self.stds < 0):
            raise ValueError("stds must be non-negative")
        if np.any(self.labels < 0):
            raise ValueError("labels must be non-negative")
        self.weights = self.weights / self.weights.sum()

    @property
    def dim(self):
        return self.means.shape[1]

    @property
    def classes(self):
        """The distinct class labels, sorted."""
        return np.unique(self.labels)

    @classmethod
    def from_dict(cls, d):
        return cls(d["weights"], d["means"], d["stds"], d["labels"])

    @classmethod
    def load(cls, path):
        with open(path) as f:
            return cls.from_dict(json.load(f))

    def to_dict(self):
        return {"weights": self.weights.tolist(), "means": self.means.tolist(),
                "stds": self.stds.tolist(), "labels": self.labels.tolist()}

    def velocity(self, x, sigma, labels):
        """Exact velocity, DESIGN.md §5, per row of x [B, D] at noise level sigma (a scalar).

            c = 1 − σ,   var_k = c²·s_k² + σ²
            w_k ∝ π_k·N(x; c·μ_k, var_k·I)        (log-sum-exp; over the row's class)
            v(x, σ) = Σ_k w_k·[ (σ − c·s_k²)·(x − c·μ_k)/var_k − μ_k ]

        labels [B]: the class of each row; −1 = unconditional (all components).
        """
        x = np.asarray(x, dtype=np.float64)
        s = float(sigma)
        c = 1.0 - s
        var = c * c * self.stds ** 2 + s * s                             # [K]
        diff = x[:, None, :] - c * self.means[None, :, :]                # [B, K, D]
        d = x.shape[1]
        logp = (np.log(self.weights)[None, :]
                - 0.5 * np.einsum("bkd,bkd->bk", diff, diff) / var[None, :]
                - 0.5 * d * np.log(2.0 * np.pi * var)[None, :])           # [B, K]
        labels = np.asarray(labels).reshape(-1)
        member = (labels[:, None] < 0) | (labels[:, None] == self.labels[None, :])
        if not np.all(member.any(axis=1)):
            bad = sorted(set(labels[~member.any(axis=1)].tolist()))
            raise ValueError(f"class(es) {bad} have no component in the mixture")
        logp = np.where(member, logp, -np.inf)
        mx = logp.max(axis=1, keepdims=True)
        w = np.exp(logp - mx)
        w /= w.sum(axis=1, keepdims=True)                                 # posterior weights
        coef = (s - c * self.stds ** 2) / var                              # [K]
        terms = coef[None, :, None] * diff - self.means[None, :, :]       # [B, K, D]
        return np.einsum("bk,bkd->bd", w, terms)


def builtin_json_path(name, models_dir=None, flowguide=None):
    """A built-in model is read from JSON written by `flowguide models --json NAME` (not
    re-derived here): NAME.json in models_dir, or obtained by running the given executable."""
    if models_dir:
        p = os.path.join(models_dir, name + ".json")
        if os.path.exists(p):
            return p
    if flowguide:
        out = subprocess.run([flowguide, "models", "--json", name], check=True,
                             capture_output=True, text=True).stdout
        d = models_dir or "."
        p = os.path.join(d, name + ".json")
        with open(p, "w") as f:
            f.write(out)
        return p
    raise FileNotFoundError(
        f"built-in model {name!r}: give its JSON file (flowguide models --json {name} > "
        f"{name}.json) via --model FILE, --models-dir DIR or --flowguide PATH")


def load_model(spec, models_dir=None, flowguide=None):
    if os.path.exists(spec):
        return Mixture.load(spec)
    if spec in BUILTIN_MODELS:
        return Mixture.load(builtin_json_path(spec, models_dir, flowguide))
    raise FileNotFoundError(f"model {spec!r}: not a file nor a built-in name {BUILTIN_MODELS}")


# ----------------------------------------------------------------------------------------------
# Time grids (DESIGN.md §3 "Time grids"); computed in float64, then rounded to float32.
# ----------------------------------------------------------------------------------------------

def grid_uniform64(n):
    """σ_i = 1 − i/N, i = 0..N."""
    return 1.0 - np.arange(n + 1, dtype=np.float64) / n


def grid_sd3_64(n, shift):
    """SD3 static shift σ' = s·σ/(1 + (s−1)·σ) of the uniform grid."""
    sig = grid_uniform64(n)
    return shift * sig / (1.0 + (shift - 1.0) * sig)


def flux_mu(tokens):
    """μ linear through (256 tokens, 0.5) and (4096 tokens, 1.15) (extrapolated outside)."""
    return 0.5 + (1.15 - 0.5) * (tokens - 256.0) / (4096.0 - 256.0)


def grid_flux64(n, tokens):
    """FLUX shift σ' = e^μ/(e^μ + (1/σ − 1)) of the uniform grid; σ = 0 stays 0."""
    sig = grid_uniform64(n)
    em = math.exp(flux_mu(tokens))
    out = np.zeros_like(sig)
    pos = sig > 0
    out[pos] = em / (em + (1.0 / sig[pos] - 1.0))
    return out


def validate_sigmas(sig):
    """A user σ array: starts ≤ 1, strictly decreasing, ends at 0 (DESIGN.md §3)."""
    sig = np.asarray(sig, dtype=np.float64).reshape(-1)
    if sig.size < 2:
        raise ValueError("a σ grid needs at least two values")
    if not np.all(np.isfinite(sig)):
        raise ValueError("σ values must be finite")
    if sig[0] > 1.0:
        raise ValueError("σ_0 must be ≤ 1")
    if np.any(np.diff(sig) >= 0):
        raise ValueError("σ must be strictly decreasing")
    if sig[-1] != 0.0:
        raise ValueError("the last σ must be 0")
    return sig


def make_grid(kind="uniform", steps=DEFAULT_STEPS, shift=None, tokens=None, sigmas=None):
    """The float32-rounded grid, returned as float64 values (exactly the float32 numbers)."""
    if sigmas is not None:
        g = validate_sigmas(np.asarray(sigmas, dtype=np.float64).astype(F32))
    elif kind == "uniform":
        g = grid_uniform64(steps)
    elif kind == "sd3":
        g = grid_sd3_64(steps, SD3_DEFAULT_SHIFT if shift is None else shift)
    elif kind == "flux":
        g = grid_flux64(steps, FLUX_DEFAULT_TOKENS if tokens is None else tokens)
    else:
        raise ValueError(f"unknown grid {kind!r}")
    g32 = np.asarray(g, dtype=np.float64).astype(F32)
    return validate_sigmas(g32.astype(np.float64))


def step_sigmas(grid, i):
    """(σ_i, σ_{i+1}, h_i, σ_i + h_i/2) for step i; h and the half-step σ in float32."""
    s0 = F32(grid[i])
    s1 = F32(grid[i + 1])
    h = F32(s1 - s0)               # float32 subtraction
    mid = F32(s0 + F32(h / F32(2)))  # "σ_i + h_i/2 rounds as float32"
    return float(s0), float(s1), float(h), float(mid)


# ----------------------------------------------------------------------------------------------
# Guidance: scale schedules and branch combiners (DESIGN.md §3, docs/sampling.md steps 1–3)
# ----------------------------------------------------------------------------------------------

def _edges32(pair):
    """Interval / window edges rounded to float32, like the σ they are compared with: a σ the
    user wrote (e.g. 0.8 in --sigmas) then lies exactly on an edge written the same way
    (e.g. --cfg-interval 0.2,0.8) and counts as inside (lo ≤ σ ≤ hi is inclusive)."""
    return float(F32(pair[0])), float(F32(pair[1]))


def _rowdot(a, b):
    return np.einsum("bd,bd->b", a, b)[:, None]


def _rownorm(a):
    return np.sqrt(_rowdot(a, a))


def combine_cfg(vc, vu, w):
    """CFG: g = v_u + w·(v_c − v_u)."""
    return vu + w * (vc - vu)


def combine_cfg_rescale(vc, vu, w, phi):
    """CFG rescale (Lin et al. 2023): CFG, then per sample
    g ← φ·g·std(v_c)/std(g) + (1−φ)·g, population std over the row; std(g) = 0 → left as CFG."""
    g = combine_cfg(vc, vu, w)
    sc = vc.std(axis=1, keepdims=True)
    sg = g.std(axis=1, keepdims=True)
    safe = np.where(sg > 0, sg, 1.0)
    resc = phi * g * sc / safe + (1.0 - phi) * g
    return np.where(sg > 0, resc, g)


def combine_cfg_zero_star(vc, vu, w):
    """CFG-Zero* (Fan et al. 2025): s* = ⟨v_c, v_u⟩/(‖v_u‖² + 1e-8) per sample,
    g = s*·v_u + w·(v_c − s*·v_u)."""
    s_star = _rowdot(vc, vu) / (_rowdot(vu, vu) + CFG_ZERO_STAR_EPS)
    return s_star * vu + w * (vc - s_star * vu)


def combine_apg(y, s, vc, vu, w, eta, r, beta, space, state):
    """APG (Sadat et al. 2024), DESIGN.md §3, at noise level s.

    x0 space (default): D = y − s·v; velocity space: D = v.  Then
      Δ = D_c − D_u
      Δ ← Δ + β·Δ_prev            (Δ_prev starts at 0 and stores this line's output)
      Δ ← Δ·min(1, r/‖Δ‖)
      Δ∥ = (⟨Δ, D_c⟩/‖D_c‖²)·D_c,  Δ⊥ = Δ − Δ∥
      D̂ = D_c + (w−1)·(Δ⊥ + η·Δ∥)
      x0 space: ĝ = (y − D̂)/s;  velocity space: ĝ = D̂.
    At s = 0 the x0 space falls back to the velocity space (docs/sampling.md).
    state: dict holding "prev" (the momentum buffer, [B, D] or None).
    """
    x0_space = (space == "x0") and s != 0.0
    if x0_space:
        dc = y - s * vc
        du = y - s * vu
    else:
        dc, du = vc, vu
    delta = dc - du
    prev = state.get("prev")
    if prev is not None:
        delta = delta + beta * prev
    state["prev"] = delta.copy()
    nrm = _rownorm(delta)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(nrm > 0, np.minimum(1.0, r / np.where(nrm > 0, nrm, 1.0)), 1.0)
    delta = delta * factor
    dcn2 = _rowdot(dc, dc)
    # ‖D_c‖ = 0: no parallel part (the docs do not say; a zero D_c has no direction).
    coef = np.where(dcn2 > 0, _rowdot(delta, dc) / np.where(dcn2 > 0, dcn2, 1.0), 0.0)
    par = coef * dc
    perp = delta - par
    dhat = dc + (w - 1.0) * (perp + eta * par)
    if x0_space:
        return (y - dhat) / s
    return dhat


class Guidance:
    """The guided evaluation g(y, s) of docs/sampling.md "One model evaluation, guided".

    combiner: "none" | "cfg" | "cfgRescale" | "cfgZeroStar" | "apg"
    scale:    a number (constant), or a callable (step, σ) -> w; `interval` = (lo, hi) makes it
              interval(w, lo...hi): w when lo ≤ s ≤ hi, else 1.
    """

    def __init__(self, combiner="none", scale=1.0, interval=None, phi=0.0, zero_init=0,
                 apg_eta=APG_DEFAULT_ETA, apg_threshold=APG_DEFAULT_THRESHOLD,
                 apg_momentum=APG_DEFAULT_MOMENTUM, apg_space=APG_DEFAULT_SPACE):
        if combiner not in ("none", "cfg", "cfgRescale", "cfgZeroStar", "apg"):
            raise ValueError(f"unknown combiner {combiner!r}")
        if apg_space not in ("x0", "velocity"):
            raise ValueError(f"unknown APG space {apg_space!r}")
        self.combiner = combiner
        self.scale = scale
        self.interval = interval
        self.phi = phi
        self.zero_init = int(zero_init) if combiner == "cfgZeroStar" else 0
        self.apg_eta = apg_eta
        self.apg_threshold = apg_threshold
        self.apg_momentum = apg_momentum
        self.apg_space = apg_space

    def scale_at(self, step, s):
        """Step 1: w = scale(i, s)."""
        if callable(self.scale):
            return float(self.scale(step, s))
        w = float(self.scale)
        if self.interval is not None:
            lo, hi = _edges32(self.interval)
            return w if (lo <= s <= hi) else 1.0
        return w


class Evaluator:
    """Holds the per-run state of the guided evaluation: the NFE counter and the APG buffer."""

    def __init__(self, velocity_fn, labels, guidance):
        self.velocity_fn = velocity_fn     # (x [B,D], σ, labels [B]) -> v [B,D], float64
        self.labels = np.asarray(labels, dtype=np.int64)
        self.uncond = np.full_like(self.labels, -1)
        self.g = guidance
        self.nfe = 0                       # per sample: 1 per unguided, 2 per guided evaluation
        self.apg_state = {"prev": None}    # zero at the start of a run
        self.log = []                      # (step, s, w, guided) per evaluation, for tests

    def __call__(self, y, s, step):
        g = self.g
        w = g.scale_at(step, s)
        # Step 2: no guidance, or w == 1 exactly: conditional rows only, one NFE.
        if g.combiner == "none" or w == 1.0:
            self.nfe += 1
            self.log.append((step, s, w, False))
            return self.velocity_fn(y, s, self.labels)
        # Step 3: one call on 2B rows (cond, then uncond): two NFE per sample.
        self.nfe += 2
        self.log.append((step, s, w, True))
        vc = self.velocity_fn(y, s, self.labels)
        vu = self.velocity_fn(y, s, self.uncond)
        if g.combiner == "cfg":
            return combine_cfg(vc, vu, w)
        if g.combiner == "cfgRescale":
            return combine_cfg_rescale(vc, vu, w, g.phi)
        if g.combiner == "cfgZeroStar":
            return combine_cfg_zero_star(vc, vu, w)
        return combine_apg(y, s, vc, vu, w, g.apg_eta, g.apg_threshold, g.apg_momentum,
                           g.apg_space, self.apg_state)


# ----------------------------------------------------------------------------------------------
# Momentum Guidance (DESIGN.md §3, Liao et al. 2026 Algorithm 1; docs/sampling.md)
# ----------------------------------------------------------------------------------------------

class MomentumGuidance:
    """Per run, per sample EMA state m and update count s:

        if s == 0: m = d                      (without debias; with debias m starts at 0)
        active = (no window) or (lo ≤ σ_i ≤ hi)
        m_eff = m, or m/(1−β^s) with debias, then ·‖d‖/(‖m_eff‖+ε) with normalize
        g = d + α·(d − m_eff) if active and s > 0, else d
        x ← x + h_i·g
        m ← (1−β)·d + β·m;  s ← s + 1
    """

    def __init__(self, alpha=0.5, beta=MG_DEFAULT_BETA, window=None, normalize=False,
                 debias=False, eps=MG_EPS):
        self.alpha = alpha
        self.beta = beta
        self.window = window
        self.normalize = normalize
        self.debias = debias
        self.eps = eps
        self.m = None
        self.count = 0

    def direction(self, d, sigma_i):
        """The MG-modified direction for update direction d at step start σ_i; updates m."""
        if self.m is None:
            self.m = np.zeros_like(d) if self.debias else d.copy()
        if self.window is None:
            active = True
        else:
            lo, hi = _edges32(self.window)
            active = lo <= sigma_i <= hi
        if active and self.count > 0:
            m_eff = self.m / (1.0 - self.beta ** self.count) if self.debias else self.m
            if self.normalize:
                m_eff = m_eff * _rownorm(d) / (_rownorm(m_eff) + self.eps)
            out = d + self.alpha * (d - m_eff)
        else:
            out = d
        self.m = (1.0 - self.beta) * d + self.beta * self.m   # EMA of the UNMODIFIED d
        self.count += 1
        return out


# ----------------------------------------------------------------------------------------------
# Solvers (docs/sampling.md "Solvers"), with optional MG and CFG-Zero* zero-init
# ----------------------------------------------------------------------------------------------

SOLVERS = ("euler", "heun", "midpoint", "rk4", "ab2")


def _round32(a):
    return np.asarray(a).astype(F32).astype(np.float64)


def sample(velocity_fn, x_init, labels, grid, solver="euler", guidance=None, mg=None,
           trajectory=False, emulate_float32=False):
    """Integrates from σ_0 to σ_N = 0.  Returns (x [B,D] float64, nfe per sample, traj or None).

    velocity_fn: (x [B,D] float64, σ float, labels [B] int) -> v [B,D] float64; a Mixture's
    .velocity, or any callable (tests use a constant field).
    grid: σ values (float64 holding float32 numbers), see make_grid.
    emulate_float32: a DIAGNOSTIC, not the reference: rounds every stored array (model
    inputs/outputs, guided velocities, stage states, d, x) to float32, to estimate how far mere
    float32 storage moves the result (the noise floor of a float32-vs-float64 comparison).
    """
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}")
    guidance = guidance or Guidance()
    r32 = _round32 if emulate_float32 else (lambda a: a)
    if emulate_float32:
        inner_fn = velocity_fn
        velocity_fn = lambda y, s, lab: r32(inner_fn(r32(y), s, lab))
    x = r32(np.asarray(x_init, dtype=np.float64).copy())
    ev0 = Evaluator(velocity_fn, labels, guidance)
    ev = (lambda y, s, i: r32(ev0(r32(y), s, i))) if emulate_float32 else ev0
    n = len(grid) - 1
    traj = [x.copy()] if trajectory else None
    k1_prev, h_prev = None, None                   # AB2 history
    for i in range(n):
        s0, s1, h, mid = step_sigmas(grid, i)
        if i < guidance.zero_init:
            # CFG-Zero* zero-init: x unchanged, no evaluation (0 NFE), no MG update.
            if trajectory:
                traj.append(x.copy())
            continue
        k1 = ev(x, s0, i)
        if solver == "euler":
            d = k1
        elif solver == "heun":
            if s1 == 0.0:                          # last step ending at σ = 0: Euler
                d = k1
            else:
                k2 = ev(x + h * k1, s1, i)
                d = 0.5 * (k1 + k2)
        elif solver == "midpoint":
            k2 = ev(x + (h / 2.0) * k1, mid, i)
            d = k2
        elif solver == "rk4":
            k2 = ev(x + (h / 2.0) * k1, mid, i)
            k3 = ev(x + (h / 2.0) * k2, mid, i)
            k4 = ev(x + h * k3, s1, i)
            d = (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0
        else:  # ab2
            if k1_prev is None:                    # first evaluated step: Euler
                d = k1
            else:
                r = h / h_prev
                d = (1.0 + r / 2.0) * k1 - (r / 2.0) * k1_prev
            k1_prev, h_prev = k1, h
        d = r32(d)
        if mg is not None:
            d = mg.direction(d, s0)
        x = r32(x + h * d)
        if trajectory:
            traj.append(x.copy())
    return x, ev0.nfe, (np.stack(traj) if trajectory else None)


def expected_nfe(solver, steps):
    """NFE per sample without guidance (docs/sampling.md table)."""
    return {"euler": steps, "heun": 2 * steps - 1, "midpoint": 2 * steps,
            "rk4": 4 * steps, "ab2": steps}[solver]


# ----------------------------------------------------------------------------------------------
# CLI (mirrors the math-relevant flags of `flowguide sample`)
# ----------------------------------------------------------------------------------------------

def _pair(text):
    a, b = text.split(",")
    return float(a), float(b)


def _float(text):
    t = text.strip().lower()
    if t in ("inf", "+inf", "infinity"):
        return math.inf
    return float(text)


def build_parser():
    p = argparse.ArgumentParser(description="NumPy float64 reference of `flowguide sample`")
    p.add_argument("--model", default="eight-gaussians", help="JSON mixture file or built-in name")
    p.add_argument("--models-dir", default=None, help="where NAME.json of built-ins live")
    p.add_argument("--flowguide", default=None, help="executable to ask for built-in JSON")
    p.add_argument("--init", required=True, help="float32 .npy [count, D] starting points")
    lab = p.add_mutually_exclusive_group()
    lab.add_argument("--class", dest="klass", type=int, default=None)
    lab.add_argument("--labels", default=None, help="integer .npy [count]")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    p.add_argument("--solver", choices=SOLVERS, default="euler")
    p.add_argument("--grid", choices=("uniform", "sd3", "flux"), default="uniform")
    p.add_argument("--shift", type=float, default=None)
    p.add_argument("--tokens", type=float, default=None)
    p.add_argument("--sigmas", default=None, help="FILE.npy or comma-separated list")
    p.add_argument("--cfg", type=float, default=None)
    p.add_argument("--cfg-interval", type=_pair, default=None)
    p.add_argument("--cfg-rescale", type=float, default=None)
    p.add_argument("--cfg-zero-star", action="store_true")
    p.add_argument("--zero-init", type=int, default=0)
    p.add_argument("--apg", type=float, default=None)
    p.add_argument("--apg-eta", type=float, default=APG_DEFAULT_ETA)
    p.add_argument("--apg-threshold", type=_float, default=APG_DEFAULT_THRESHOLD)
    p.add_argument("--apg-momentum", type=float, default=APG_DEFAULT_MOMENTUM)
    p.add_argument("--apg-space", choices=("x0", "velocity"), default=APG_DEFAULT_SPACE)
    p.add_argument("--mg-alpha", type=float, default=None)
    p.add_argument("--mg-beta", type=float, default=MG_DEFAULT_BETA)
    p.add_argument("--mg-window", type=_pair, default=None)
    p.add_argument("--mg-normalize", action="store_true")
    p.add_argument("--mg-debias", action="store_true")
    p.add_argument("--output", default="samples.npy")
    p.add_argument("--trajectory", default=None)
    p.add_argument("--json", action="store_true", help="print {\"nfe\": N} instead of 'nfe N'")
    p.add_argument("--emulate-float32", action="store_true",
                   help="diagnostic: round every stored array to float32 (noise-floor estimate)")
    # Accepted and ignored (no effect on the math of a run from --init):
    p.add_argument("--count", type=int, default=None)
    p.add_argument("--seed", default=None)
    p.add_argument("--threads", default=None)
    p.add_argument("--no-progress", action="store_true")
    return p


def options_from_args(a):
    """(grid, Guidance, MomentumGuidance or None) from parsed CLI arguments."""
    sigmas = None
    if a.sigmas is not None:
        if os.path.exists(a.sigmas):
            sigmas = np.load(a.sigmas).astype(np.float64)
        else:
            sigmas = [float(t) for t in a.sigmas.split(",")]
    grid = make_grid(a.grid, a.steps, a.shift, a.tokens, sigmas)

    if a.apg is not None and a.cfg is not None:
        raise SystemExit("--apg is not combined with --cfg")
    if a.apg is not None:
        g = Guidance("apg", a.apg, a.cfg_interval, apg_eta=a.apg_eta,
                     apg_threshold=a.apg_threshold, apg_momentum=a.apg_momentum,
                     apg_space=a.apg_space)
    elif a.cfg is not None and (a.cfg != 1.0 or a.cfg_zero_star):  # zero-init applies at any w
        if a.cfg_rescale is not None and a.cfg_zero_star:
            raise SystemExit("--cfg-rescale and --cfg-zero-star are exclusive")
        if a.cfg_rescale is not None:
            g = Guidance("cfgRescale", a.cfg, a.cfg_interval, phi=a.cfg_rescale)
        elif a.cfg_zero_star:
            g = Guidance("cfgZeroStar", a.cfg, a.cfg_interval, zero_init=a.zero_init)
        else:
            g = Guidance("cfg", a.cfg, a.cfg_interval)
    else:
        g = Guidance("none")       # "--cfg W turns on CFG (w = 1: none)"

    mg = None
    if a.mg_alpha is not None:    # "MG is on when --mg-alpha is given"
        mg = MomentumGuidance(a.mg_alpha, a.mg_beta, a.mg_window, a.mg_normalize, a.mg_debias)
    return grid, g, mg


def run(argv=None):
    """CLI entry: returns (samples float32, nfe)."""
    a = build_parser().parse_args(argv)
    model = load_model(a.model, a.models_dir, a.flowguide)
    x0 = np.load(a.init)
    if x0.ndim != 2 or x0.shape[1] != model.dim:
        raise SystemExit(f"--init must be [count, {model.dim}], got {x0.shape}")
    x0 = x0.astype(F32).astype(np.float64)
    count = x0.shape[0]
    if a.labels is not None:
        labels = np.load(a.labels).astype(np.int64).reshape(-1)
        if labels.shape[0] != count:
            raise SystemExit(f"--labels has {labels.shape[0]} entries for {count} samples")
    elif a.klass is not None:
        labels = np.full(count, a.klass, dtype=np.int64)
    else:
        cls = model.classes       # sample k gets class k mod classCount
        labels = cls[np.arange(count) % len(cls)]
    grid, g, mg = options_from_args(a)
    x, nfe, traj = sample(model.velocity, x0, labels, grid, a.solver, g, mg,
                          trajectory=a.trajectory is not None,
                          emulate_float32=a.emulate_float32)
    out = x.astype(F32)
    np.save(a.output, out)
    if a.trajectory is not None:
        np.save(a.trajectory, traj.astype(F32))
    if a.json:
        print(json.dumps({"nfe": nfe, "count": count, "dim": model.dim,
                          "steps": len(grid) - 1, "solver": a.solver}))
    else:
        print(f"nfe {nfe}")
    return out, nfe


if __name__ == "__main__":
    run()
