#!/usr/bin/env python3
"""NumPy and JAX twins of FlowGuide's MLP velocity-model benchmark (issue 5): the same network
(MLPVelocityModel, float32), sampled and trained at batch 4096, so FlowGuide can be compared with
the two obvious Python baselines measured in the same run.

    python3 Benchmarks/mlp_bench.py [--quick] [--repeats N] [--json out.json] [--only numpy|jax]
                                    [--require-jax] [--install-jax]

Workloads (Benchmarks/README.md has FlowGuide's side):
  sample  32 Euler steps, uniform grid sigma_i = 1 - i/32, Momentum Guidance (alpha 0.5, beta 0.6),
          labels k mod 10. Timed: one whole 32-step run (4096 samples), from noise to samples.
  train   one flow-matching training step: draw sigma ~ U(0,1), eps ~ N(0,1), 10% label dropout;
          forward, MSE loss, gradient of every parameter (class embedding included), AdamW.
          Timed: the whole step, random draws and optimizer included; the data batch x0 is fixed.

FLOP counts (elementwise work ignored): a dense layer costs 2*in*out per row.
  forward per row = 2*(D+F+E)*W + depth*2*(2*W*W) + 2*W*D       (1,228,800 for the bench config)
  sample run      = steps * batch * forward per row               (161.06 GFLOP)
  train step      = 3 * batch * forward per row                   (15.10 GFLOP; backward ~ 2x forward)

Timing: a warm-up call (for JAX after a separately timed compile), then --repeats timed calls;
the best time is reported (like flowguide-bench), the median is printed alongside.
Threads: nothing is pinned. NumPy/OpenBLAS and XLA use their defaults; what was detected is
printed (and stored under meta.threads in the JSON).
"""
import argparse
import ctypes
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace

import numpy as np


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    dimension: int = 64        # D
    class_count: int = 10      # C (the embedding has a row C for the null class, label -1)
    width: int = 512
    depth: int = 1             # residual blocks (two dense layers each)
    sigma_features: int = 32   # F
    class_features: int = 16   # E
    sigma_scale: float = 1000.0
    batch: int = 4096

    @property
    def input_width(self):
        return self.dimension + self.sigma_features + self.class_features


BENCH = Config()
TINY = Config(dimension=3, class_count=2, width=8, depth=2, sigma_features=4, class_features=3, batch=5)

STEPS = 32                      # sampling: Euler steps on sigma_i = 1 - i/STEPS
MG_ALPHA, MG_BETA = 0.5, 0.6    # Momentum Guidance
LABEL_DROPOUT = 0.1             # training: fraction of labels replaced by -1 (null class)
LR, ADAM_B1, ADAM_B2, ADAM_EPS, WEIGHT_DECAY = 1e-3, 0.9, 0.999, 1e-8, 0.01


def tensor_shapes(cfg):
    """(name, shape) in FlowGuide's parameter-vector order (MLPArchitecture.tensors); W is [out, in]."""
    shapes = [("class_embedding.weight", (cfg.class_count + 1, cfg.class_features)),
              ("input.weight", (cfg.width, cfg.input_width)),
              ("input.bias", (cfg.width,))]
    for b in range(cfg.depth):
        shapes += [(f"blocks.{b}.0.weight", (cfg.width, cfg.width)), (f"blocks.{b}.0.bias", (cfg.width,)),
                   (f"blocks.{b}.1.weight", (cfg.width, cfg.width)), (f"blocks.{b}.1.bias", (cfg.width,))]
    shapes += [("output.weight", (cfg.dimension, cfg.width)), ("output.bias", (cfg.dimension,))]
    return shapes


def parameter_count(cfg):
    return sum(int(np.prod(s)) for _, s in tensor_shapes(cfg))


def unflatten(flat, cfg):
    """Named views into a flat parameter (or gradient) vector."""
    views, offset = {}, 0
    for name, shape in tensor_shapes(cfg):
        n = int(np.prod(shape))
        views[name] = flat[offset:offset + n].reshape(shape)
        offset += n
    return views


def init_parameters(cfg, seed=0, dtype=np.float32):
    """PyTorch nn.Linear default init (weights and biases U(+-1/sqrt(fan_in))), N(0,1) embedding."""
    rng = np.random.default_rng(seed)
    flat = np.empty(parameter_count(cfg), dtype)
    p = unflatten(flat, cfg)
    for name, shape in tensor_shapes(cfg):
        if name == "class_embedding.weight":
            p[name][...] = rng.standard_normal(shape)
        else:
            fan_in = p[name.replace(".bias", ".weight")].shape[1]
            p[name][...] = rng.uniform(-1, 1, shape) / np.sqrt(fan_in)
    return flat


def forward_flops_per_row(cfg):
    """2*in*out per dense layer per row (bias, activations, features, embedding ignored)."""
    w = cfg.width
    return 2 * (cfg.input_width * w + cfg.depth * 2 * w * w + w * cfg.dimension)


def feature_frequencies(cfg):
    """f_j = 10000^(-j/(F/2)) times the sigma scale s, in float64 (as FlowGuide computes them)."""
    half = cfg.sigma_features // 2
    return cfg.sigma_scale * 10000.0 ** (-np.arange(half) / half)


def sigma_features(sigma, cfg, dtype):
    """[len(sigma), F] = [cos(sigma*s*f_j) | sin(sigma*s*f_j)], computed in float64 then rounded."""
    angle = np.asarray(sigma, np.float64).reshape(-1, 1) * feature_frequencies(cfg)
    return np.concatenate([np.cos(angle), np.sin(angle)], axis=1).astype(dtype)


def sigma_grid(steps=STEPS):
    return (1 - np.arange(steps + 1) / steps).astype(np.float32)


def bench_data(cfg, seed=1):
    """Fixed inputs: initial noise and labels (k mod C) for sampling; a class-mixture batch x0 for training."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(cfg.batch) % cfg.class_count).astype(np.int32)
    noise = rng.standard_normal((cfg.batch, cfg.dimension), dtype=np.float32)
    means = 2 * rng.standard_normal((cfg.class_count, cfg.dimension), dtype=np.float32)
    x0 = means[labels] + 0.5 * rng.standard_normal((cfg.batch, cfg.dimension), dtype=np.float32)
    return noise, labels, x0


# --------------------------------------------------------------------------------------------
# NumPy: network, hand-written backward, sampler, trainer
# --------------------------------------------------------------------------------------------

def np_silu(a):
    """Returns (silu(a), sigmoid(a)); the sigmoid is kept for the backward pass."""
    with np.errstate(over="ignore"):          # exp(-a) overflows to inf for a << 0: sigmoid -> 0, fine
        s = np.exp(-a)
    s += 1
    np.reciprocal(s, out=s)
    return a * s, s


def np_silu_grad(a, s):
    """d silu(a)/da = s * (1 + a * (1 - s)) with s = sigmoid(a)."""
    return s * (1 + a * (1 - s))


def np_forward(flat, x, feats, labels, cfg, keep=False):
    """v(x, sigma, label) for a batch. feats: sigma features, [B, F] or [1, F] (one sigma for all
    rows); labels: [B] ints, -1 = null class. keep=True also returns the activations the backward
    pass needs."""
    p = unflatten(flat, cfg)
    d, f = cfg.dimension, cfg.sigma_features
    rows = np.where(labels < 0, cfg.class_count, labels)        # embedding row (C = null class)
    z = np.empty((x.shape[0], cfg.input_width), flat.dtype)     # z = [x | sigma features | embedding]
    z[:, :d] = x
    z[:, d:d + f] = feats
    z[:, d + f:] = p["class_embedding.weight"][rows]
    # Each dense layer: GEMM into a new array, then the bias (and residual) added in place.
    a_in = z @ p["input.weight"].T
    a_in += p["input.bias"]
    h, s_in = np_silu(a_in)
    cache = {"z": z, "rows": rows, "a_in": a_in, "s_in": s_in, "blocks": []}
    for b in range(cfg.depth):
        a0 = h @ p[f"blocks.{b}.0.weight"].T
        a0 += p[f"blocks.{b}.0.bias"]
        t, s0 = np_silu(a0)
        cache["blocks"].append({"h": h, "a0": a0, "s0": s0, "t": t})
        h_next = t @ p[f"blocks.{b}.1.weight"].T                    # h = h + t W1^T + b1
        h_next += p[f"blocks.{b}.1.bias"]
        h_next += h
        h = h_next
    v = h @ p["output.weight"].T
    v += p["output.bias"]
    if keep:
        cache["h"] = h
        return v, cache
    return v


def np_backward(flat, cache, dv, cfg):
    """Hand-written backward: the gradient of sum(dv * v) w.r.t. every parameter, as a flat vector
    in the parameter layout. The sigma features and x get no gradient; z's embedding columns do."""
    p = unflatten(flat, cfg)
    grad = np.empty_like(flat)
    g = unflatten(grad, cfg)
    # v = h W_out^T + b_out
    g["output.weight"][...] = dv.T @ cache["h"]
    g["output.bias"][...] = dv.sum(0)
    dh = dv @ p["output.weight"]
    # h_next = h + t W1^T + b1,  t = silu(a0),  a0 = h W0^T + b0
    for b in reversed(range(cfg.depth)):
        c = cache["blocks"][b]
        g[f"blocks.{b}.1.weight"][...] = dh.T @ c["t"]
        g[f"blocks.{b}.1.bias"][...] = dh.sum(0)
        da0 = (dh @ p[f"blocks.{b}.1.weight"]) * np_silu_grad(c["a0"], c["s0"])
        g[f"blocks.{b}.0.weight"][...] = da0.T @ c["h"]
        g[f"blocks.{b}.0.bias"][...] = da0.sum(0)
        dh = dh + da0 @ p[f"blocks.{b}.0.weight"]
    # h = silu(a_in),  a_in = z W_in^T + b_in,  z[:, D+F:] = embedding[rows]
    da = dh * np_silu_grad(cache["a_in"], cache["s_in"])
    g["input.weight"][...] = da.T @ cache["z"]
    g["input.bias"][...] = da.sum(0)
    e0 = cfg.dimension + cfg.sigma_features
    dz_emb = da @ p["input.weight"][:, e0:]                                    # [B, E]
    onehot = np.eye(cfg.class_count + 1, dtype=flat.dtype)[cache["rows"]]     # [B, C+1]
    g["class_embedding.weight"][...] = onehot.T @ dz_emb                       # scatter-add by row
    return grad


def np_loss_and_grad(flat, x0, labels, sigma, eps, cfg):
    """Flow-matching loss for given draws: x_sigma = (1-sigma) x0 + sigma eps, target eps - x0,
    loss = mean over rows and columns of (v - target)^2. Returns (loss, flat gradient)."""
    s = sigma[:, None]
    x_sigma = (1 - s) * x0 + s * eps
    target = eps - x0
    v, cache = np_forward(flat, x_sigma, sigma_features(sigma, cfg, flat.dtype), labels, cfg, keep=True)
    r = v - target
    loss = float(np.mean(r * r))
    dv = (2.0 / r.size) * r
    return loss, np_backward(flat, cache, dv, cfg)


def np_adamw(flat, grad, state):
    """AdamW (PyTorch semantics: decoupled weight decay, bias-corrected moments), in place."""
    state["t"] += 1
    t, m, v = state["t"], state["m"], state["v"]
    flat *= 1 - LR * WEIGHT_DECAY
    m *= ADAM_B1
    m += (1 - ADAM_B1) * grad
    v *= ADAM_B2
    v += (1 - ADAM_B2) * (grad * grad)
    denom = np.sqrt(v / (1 - ADAM_B2 ** t))
    denom += ADAM_EPS
    flat -= (LR / (1 - ADAM_B1 ** t)) * m / denom


def np_adamw_state(flat):
    return {"t": 0, "m": np.zeros_like(flat), "v": np.zeros_like(flat)}


def np_train_step(flat, state, x0, labels, rng, cfg):
    """One training step (what is timed): draw sigma, eps and the label dropout, loss + gradient,
    AdamW update of flat in place. Returns the loss."""
    b = x0.shape[0]
    sigma = rng.random(b, dtype=np.float32)
    eps = rng.standard_normal((b, cfg.dimension), dtype=np.float32)
    dropped = rng.random(b, dtype=np.float32) < LABEL_DROPOUT
    loss, grad = np_loss_and_grad(flat, x0, np.where(dropped, -1, labels), sigma, eps, cfg)
    np_adamw(flat, grad, state)
    return loss


def np_sample(flat, noise, labels, cfg, steps=STEPS):
    """One sampling run (what is timed): Euler + Momentum Guidance from noise at sigma = 1 to 0."""
    sig = sigma_grid(steps)
    x = noise.copy()
    m = None
    for i in range(steps):
        d = np_forward(flat, x, sigma_features(sig[i:i + 1], cfg, np.float32), labels, cfg)
        if i == 0:
            m = d
        g = d + MG_ALPHA * (d - m)
        x += (sig[i + 1] - sig[i]) * g
        m = (1 - MG_BETA) * d + MG_BETA * m
    return x


def check_numpy_gradient():
    """The hand-written backward against central finite differences, in float64 on TINY: the
    directional derivative along a random direction over all parameters, and over each tensor alone.
    Returns the largest relative error; asserts it is < 1e-2."""
    cfg = TINY
    rng = np.random.default_rng(7)
    flat = init_parameters(cfg, seed=3, dtype=np.float64)
    x0 = rng.standard_normal((cfg.batch, cfg.dimension))
    eps = rng.standard_normal((cfg.batch, cfg.dimension))
    sigma = rng.random(cfg.batch)
    labels = np.array([0, 1, -1, 1, -1])
    _, grad = np_loss_and_grad(flat, x0, labels, sigma, eps, cfg)
    loss = lambda w: np_loss_and_grad(w, x0, labels, sigma, eps, cfg)[0]
    step, worst = 1e-5, 0.0
    masks = [("all", np.ones_like(flat))]
    for name, view in unflatten(np.arange(flat.size), cfg).items():
        mask = np.zeros_like(flat)
        mask[view.ravel()] = 1
        masks.append((name, mask))
    for name, mask in masks:
        u = rng.standard_normal(flat.size) * mask
        fd = (loss(flat + step * u) - loss(flat - step * u)) / (2 * step)
        an = float(grad @ u)
        rel = abs(fd - an) / max(abs(fd), abs(an), 1e-12)
        assert rel < 1e-2, f"NumPy backward disagrees with finite differences on {name}: {an} vs {fd}"
        worst = max(worst, rel)
    return worst


# --------------------------------------------------------------------------------------------
# JAX: the same network, differentiated by jax.value_and_grad, jitted
# --------------------------------------------------------------------------------------------

jax = jnp = None


def load_jax(install=False):
    """Imports JAX (optionally pip-installing jax[cpu] first). Returns an error string or None."""
    global jax, jnp
    if install:
        print('installing JAX: pip install "jax[cpu]"', flush=True)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "jax[cpu]"])
    try:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        import jax as _jax
        import jax.numpy as _jnp
    except ImportError as e:
        return f"JAX is not installed ({e}); install it with: {sys.executable} -m pip install \"jax[cpu]\"" \
               " (or run this script with --install-jax)"
    jax, jnp = _jax, _jnp
    return None


def jax_params(flat, cfg):
    """The parameters as a dict of JAX arrays (copies of the NumPy views)."""
    return {name: jnp.asarray(view) for name, view in unflatten(flat, cfg).items()}


def jax_forward(p, x, feats, labels, cfg):
    """v(x, sigma, label), same definition as np_forward; feats [B, F] or [1, F]."""
    rows = jnp.where(labels < 0, cfg.class_count, labels)
    z = jnp.concatenate([x, jnp.broadcast_to(feats, (x.shape[0], cfg.sigma_features)),
                         p["class_embedding.weight"][rows]], axis=1)
    h = jax.nn.silu(z @ p["input.weight"].T + p["input.bias"])
    for b in range(cfg.depth):
        t = jax.nn.silu(h @ p[f"blocks.{b}.0.weight"].T + p[f"blocks.{b}.0.bias"])
        h = h + t @ p[f"blocks.{b}.1.weight"].T + p[f"blocks.{b}.1.bias"]
    return h @ p["output.weight"].T + p["output.bias"]


def jax_loss(p, x0, labels, sigma, eps, cfg):
    """Same loss as np_loss_and_grad. The sigma features are computed in float32 here (angle =
    sigma * (s f_j), s f_j rounded from float64): at most ~1e-4 off the float64 ones."""
    s = sigma[:, None]
    angle = s * jnp.asarray(feature_frequencies(cfg), jnp.float32)
    feats = jnp.concatenate([jnp.cos(angle), jnp.sin(angle)], axis=1)
    v = jax_forward(p, (1 - s) * x0 + s * eps, feats, labels, cfg)
    return jnp.mean((v - (eps - x0)) ** 2)


def make_jax_train_step(cfg):
    """The whole training step as one function to jit: draws, value_and_grad, AdamW."""
    def train_step(p, opt, x0, labels, key):
        key, k_sigma, k_eps, k_drop = jax.random.split(key, 4)
        b = x0.shape[0]
        sigma = jax.random.uniform(k_sigma, (b,), jnp.float32)
        eps = jax.random.normal(k_eps, (b, cfg.dimension), jnp.float32)
        labels = jnp.where(jax.random.uniform(k_drop, (b,)) < LABEL_DROPOUT, -1, labels)
        loss, grad = jax.value_and_grad(jax_loss)(p, x0, labels, sigma, eps, cfg)
        t = opt["t"] + 1
        m = jax.tree.map(lambda m, g: ADAM_B1 * m + (1 - ADAM_B1) * g, opt["m"], grad)
        v = jax.tree.map(lambda v, g: ADAM_B2 * v + (1 - ADAM_B2) * g * g, opt["v"], grad)
        tf = t.astype(jnp.float32)
        lr_t, bc2 = LR / (1 - ADAM_B1 ** tf), 1 - ADAM_B2 ** tf
        p = jax.tree.map(lambda w, m, v: w * (1 - LR * WEIGHT_DECAY) - lr_t * m / (jnp.sqrt(v / bc2) + ADAM_EPS),
                         p, m, v)
        return p, {"t": t, "m": m, "v": v}, key, loss
    return train_step


def jax_adamw_state(p):
    zeros = lambda: jax.tree.map(jnp.zeros_like, p)
    return {"t": jnp.zeros((), jnp.int32), "m": zeros(), "v": zeros()}


def make_jax_samplers(cfg, steps=STEPS):
    """Two ways to run the same sampler under jit:
    whole run: one jitted function, the 32 steps in a lax.fori_loop;
    per step:  one jitted step (model + MG + Euler), called 32 times from Python.
    The sigma features of the grid are a [steps, F] table computed once in float64 (as FlowGuide
    caches them per sigma), so both runs see exactly np_sample's features."""
    sig = sigma_grid(steps)
    table = jnp.asarray(sigma_features(sig[:-1], cfg, np.float32))     # [steps, F]
    dt = jnp.asarray(sig[1:] - sig[:-1])                                # [steps]

    def mg_euler(p, x, m, feats, h, first, labels):
        d = jax_forward(p, x, feats, labels, cfg)
        m = jnp.where(first, d, m)                  # m = d at the first step
        g = d + MG_ALPHA * (d - m)
        return x + h * g, (1 - MG_BETA) * d + MG_BETA * m

    def whole_run(p, noise, labels):
        def body(i, carry):
            x, m = carry
            return mg_euler(p, x, m, table[i][None, :], dt[i], i == 0, labels)
        x, _ = jax.lax.fori_loop(0, steps, body, (noise, jnp.zeros_like(noise)))
        return x

    step = jax.jit(mg_euler, donate_argnums=(1, 2))          # x and m updated in place
    step_feats = [table[i][None, :] for i in range(steps)]    # sliced once, not per call
    step_dt = [dt[i] for i in range(steps)]
    step_first = [jnp.asarray(i == 0) for i in range(steps)]

    def per_step_run(p, noise, labels):
        x, m = jnp.array(noise), jnp.zeros_like(noise)
        for i in range(steps):
            x, m = step(p, x, m, step_feats[i], step_dt[i], step_first[i], labels)
        return x

    return jax.jit(whole_run), per_step_run


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------

def time_calls(fn, repeats):
    """Calls fn() `repeats` times (each call must finish its work before returning).
    Returns (best, median) wall time in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def report(results, side, cfg, sample, train):
    """Stores and prints one side's results; sample/train are (best, median) seconds."""
    run_flops = STEPS * cfg.batch * forward_flops_per_row(cfg)
    train_flops = 3 * cfg.batch * forward_flops_per_row(cfg)
    r = results.setdefault(side, {})
    r.update({"sample_samples_per_s": cfg.batch / sample[0], "sample_gflops": run_flops / sample[0] / 1e9,
              "train_ms": train[0] * 1e3, "train_gflops": train_flops / train[0] / 1e9,
              "sample_s": sample[0], "sample_median_s": sample[1],
              "sample_median_samples_per_s": cfg.batch / sample[1], "train_median_ms": train[1] * 1e3})
    print(f"{side:6} sample: best {sample[0]:.3f} s/run  median {sample[1]:.3f} s  "
          f"{r['sample_samples_per_s']:8.0f} samples/s  {r['sample_gflops']:6.1f} GFLOP/s")
    print(f"{side:6} train:  best {train[0] * 1e3:.1f} ms/step  median {train[1] * 1e3:.1f} ms  "
          f"{r['train_gflops']:6.1f} GFLOP/s", flush=True)


def bench_numpy(cfg, repeats, results):
    flat = init_parameters(cfg)
    noise, labels, x0 = bench_data(cfg)
    # Sampling: one warm-up run, then `repeats` timed whole runs (32 steps, 4096 samples).
    np_sample(flat, noise, labels, cfg)
    sample = time_calls(lambda: np_sample(flat, noise, labels, cfg), repeats)
    # Training: one warm-up step, then `repeats` timed steps (draws + forward + backward + AdamW).
    state, rng = np_adamw_state(flat), np.random.default_rng(11)
    np_train_step(flat, state, x0, labels, rng, cfg)
    train = time_calls(lambda: np_train_step(flat, state, x0, labels, rng, cfg), repeats)
    report(results, "numpy", cfg, sample, train)


def bench_jax(cfg, repeats, results):
    flat = init_parameters(cfg)
    noise_np, labels_np, x0_np = bench_data(cfg)
    p = jax_params(flat, cfg)
    noise, labels, x0 = jnp.asarray(noise_np), jnp.asarray(labels_np), jnp.asarray(x0_np)
    r = results.setdefault("jax", {})

    # Sampling, both variants. Compile time is measured apart (lower + compile, not timed below),
    # then one warm-up run, then `repeats` timed whole runs.
    whole_run, per_step_run = make_jax_samplers(cfg)
    t0 = time.perf_counter()
    whole_compiled = whole_run.lower(p, noise, labels).compile()
    r["compile_sample_whole_run_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    per_step_run(p, noise, labels).block_until_ready()   # first call compiles the step (+ one run)
    r["compile_sample_per_step_first_run_s"] = time.perf_counter() - t0
    whole_compiled(p, noise, labels).block_until_ready()
    per_step_run(p, noise, labels).block_until_ready()
    variants = {"whole run (lax.fori_loop)": lambda: whole_compiled(p, noise, labels).block_until_ready(),
                "per step (Python loop)": lambda: per_step_run(p, noise, labels).block_until_ready()}
    timed = {name: time_calls(fn, repeats) for name, fn in variants.items()}
    for name, (best, med) in timed.items():
        print(f"jax    sample {name}: best {best:.3f} s  median {med:.3f} s")
    mode = min(timed, key=lambda k: timed[k][0])
    r["sample_mode"] = mode
    r["sample_variants_s"] = {name: {"best": b, "median": m} for name, (b, m) in timed.items()}

    # Training: the whole step jitted (draws, value_and_grad, AdamW), parameters and optimizer
    # state donated (updated in place). Compile timed apart, one warm-up step, `repeats` timed steps.
    opt, key = jax_adamw_state(p), jax.random.key(11)
    t0 = time.perf_counter()
    train_step = jax.jit(make_jax_train_step(cfg), donate_argnums=(0, 1)).lower(p, opt, x0, labels, key).compile()
    r["compile_train_s"] = time.perf_counter() - t0
    state = {"p": p, "opt": opt, "key": key}

    def one_step():
        s = state
        s["p"], s["opt"], s["key"], loss = train_step(s["p"], s["opt"], x0, labels, s["key"])
        jax.block_until_ready((s["p"], s["opt"], loss))
    one_step()
    train = time_calls(one_step, repeats)
    print(f"jax    compile: sample whole run {r['compile_sample_whole_run_s']:.2f} s, per-step first run "
          f"{r['compile_sample_per_step_first_run_s']:.2f} s, train step {r['compile_train_s']:.2f} s")
    print(f"jax    sampling uses the faster variant: {mode}")
    report(results, "jax", cfg, timed[mode], train)


def cross_check_jax(rows=256):
    """NumPy and JAX agree on the bench network (forward, gradient, a sampling run) on `rows` rows.
    Returns the largest relative error (norm of difference / norm of reference)."""
    cfg = replace(BENCH, batch=rows)
    flat = init_parameters(cfg)
    noise, labels, x0 = bench_data(cfg)
    rng = np.random.default_rng(5)
    sigma = rng.random(rows, dtype=np.float32)
    eps = rng.standard_normal((rows, cfg.dimension), dtype=np.float32)
    labels = np.where(rng.random(rows) < 0.3, -1, labels).astype(np.int32)
    p = jax_params(flat, cfg)
    rel = lambda a, b: float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))
    errors = {}
    feats = sigma_features(sigma, cfg, np.float32)
    errors["forward"] = rel(jax.jit(lambda p: jax_forward(p, noise, feats, labels, cfg))(p),
                            np_forward(flat, noise, feats, labels, cfg))
    loss_np, grad_np = np_loss_and_grad(flat, x0, labels, sigma, eps, cfg)
    loss_jx, grad_jx = jax.jit(jax.value_and_grad(lambda p: jax_loss(p, x0, labels, sigma, eps, cfg)))(p)
    errors["loss"] = abs(float(loss_jx) - loss_np) / loss_np
    for name, g in unflatten(grad_np, cfg).items():
        errors[f"grad {name}"] = rel(grad_jx[name], g)
    errors["sample run"] = rel(make_jax_samplers(cfg)[0](p, noise, labels), np_sample(flat, noise, labels, cfg))
    worst = max(errors, key=errors.get)
    assert errors[worst] < 1e-3, f"NumPy and JAX disagree: {worst} relative error {errors[worst]:.2e}"
    return errors[worst], worst


# --------------------------------------------------------------------------------------------
# What ran: versions, threads, configuration
# --------------------------------------------------------------------------------------------

def openblas_info():
    """OpenBLAS's own thread count and core type, read from the library numpy loaded (the symbols
    threadpoolctl uses), or {} if it cannot be found."""
    info = {}
    try:
        libs = {line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line.lower()}
    except OSError:
        return info
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if threads is None:
                    continue
                corename = getattr(lib, f"{prefix}_get_corename{suffix}", None)
                if corename is not None:
                    corename.restype = ctypes.c_char_p
                    info["openblas_corename"] = corename().decode()
                info["openblas_threads"] = int(threads())
                info["openblas_library"] = path
                return info
    return info


def describe_machine(jax_error):
    threads = {"os.cpu_count": os.cpu_count(),
               "schedulable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "XLA_FLAGS"):
        threads[var] = os.environ.get(var)
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        threads["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:          # older NumPy: show_config() only prints
        threads["numpy_blas"] = None
    threads.update(openblas_info())
    threads["numpy_elementwise_threads"] = 1
    if jax is not None:
        threads["xla_cpu_threads"] = f"XLA default (intra-op pool sized to the {threads['schedulable_cpus']} " \
                                     "schedulable cpus)"
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    versions = {"python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform(),
                "cpu": cpu}
    if jax is not None:
        import jaxlib
        versions.update({"jax": jax.__version__, "jaxlib": jaxlib.__version__,
                         "jax_devices": [str(d) for d in jax.devices()]})
    else:
        versions["jax"] = None
        versions["jax_missing"] = jax_error
    config = dict(asdict(BENCH), steps=STEPS, mg_alpha=MG_ALPHA, mg_beta=MG_BETA, label_dropout=LABEL_DROPOUT,
                  adamw={"lr": LR, "betas": [ADAM_B1, ADAM_B2], "eps": ADAM_EPS, "weight_decay": WEIGHT_DECAY},
                  parameters=parameter_count(BENCH),
                  forward_flops_per_row=forward_flops_per_row(BENCH),
                  sample_run_flops=STEPS * BENCH.batch * forward_flops_per_row(BENCH),
                  train_step_flops=3 * BENCH.batch * forward_flops_per_row(BENCH),
                  flop_count="2*in*out per dense layer per row; sampling: per step; training: 3x forward")
    return {"versions": versions, "threads": threads, "config": config}


# --------------------------------------------------------------------------------------------

def bench_flowguide(path, quick):
    """Runs FlowGuide's side of the same workload (flowguide-bench --mlp-only) and reads its JSON."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "flowguide.json")
        cmd = [path, "--mlp-only", "--mlp-json", out] + (["--quick"] if quick else [])
        print("flowguide: " + " ".join(cmd), flush=True)
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"flowguide-bench failed ({res.returncode}):\n{res.stderr}")
        print(res.stdout.strip(), flush=True)
        with open(out) as fp:
            return json.load(fp)["flowguide"]


def print_comparison(results):
    """FlowGuide against NumPy and JAX: the same workload, measured in this run."""
    fg = results["flowguide"]
    print("\n== MLP workload: FlowGuide vs NumPy and JAX (same run) ==")
    print(f"{'':34s} {'FlowGuide':>10s} {'NumPy':>10s} {'JAX':>10s} {'x NumPy':>8s} {'x JAX':>8s}")
    rows = [("sampling, samples/s (higher better)", "sample_samples_per_s", True),
            ("sampling, GFLOP/s", "sample_gflops", True),
            ("training step, ms (lower better)", "train_ms", False),
            ("training step, GFLOP/s", "train_gflops", True)]
    for label, key, higher in rows:
        def value(side):
            r = results.get(side)
            return r.get(key) if r else None
        f, n, j = value("flowguide"), value("numpy"), value("jax")
        def ratio(other):
            if f is None or other is None:
                return "—"
            return f"{(f / other if higher else other / f):.2f}x"
        def num(v):
            return "—" if v is None else f"{v:.1f}"
        print(f"{label:34s} {num(f):>10s} {num(n):>10s} {num(j):>10s} {ratio(n):>8s} {ratio(j):>8s}")
    peak = fg.get("fma_peak_gflops")
    if peak:
        print(f"FlowGuide sampling reaches {100 * fg['sample_gflops'] / peak:.0f}% of the {peak:.0f} GFLOP/s FMA peak "
              f"measured by flowguide-bench ({fg.get('threads')} threads, BLAS {fg.get('blas')})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 repeats instead of 5 (a smoke test)")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats per item (default 5; best is reported)")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON")
    ap.add_argument("--only", choices=["numpy", "jax"], help="run one side only")
    ap.add_argument("--require-jax", action="store_true", help="fail if JAX is not installed")
    ap.add_argument("--install-jax", action="store_true", help='pip install "jax[cpu]" first')
    ap.add_argument("--flowguide-bench", metavar="PATH",
                    help="FlowGuide's flowguide-bench (release build): run its --mlp-only workload in the same "
                         "run and print the comparison")
    args = ap.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)

    jax_error = load_jax(args.install_jax) if args.only != "numpy" else "not run (--only numpy)"
    if jax is None and args.only != "numpy":
        print(jax_error, file=sys.stderr)
        if args.require_jax or args.only == "jax":
            sys.exit(1)
        print("continuing with NumPy only", file=sys.stderr)

    meta = describe_machine(jax_error)
    meta["repeats"] = repeats
    meta["loadavg_start"] = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else None
    c = meta["config"]
    print(f"MLP benchmark: D={c['dimension']} C={c['class_count']} width={c['width']} depth={c['depth']} "
          f"F={c['sigma_features']} E={c['class_features']} batch={c['batch']}; {c['parameters']} parameters")
    print(f"flops: forward {c['forward_flops_per_row']} per row; sample run ({STEPS} steps) "
          f"{c['sample_run_flops'] / 1e9:.2f} GFLOP; train step (3x forward) {c['train_step_flops'] / 1e9:.2f} GFLOP")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if k != "jax_missing"))
    print("threads: " + ", ".join(f"{k}={v}" for k, v in meta["threads"].items()))
    print(f"timing: warm-up, then best (and median) of {repeats}; load average {meta['loadavg_start']}", flush=True)

    rel = check_numpy_gradient()
    meta["numpy_gradient_check_rel_err"] = rel
    print(f"check: NumPy backward vs finite differences (float64, tiny net): max rel err {rel:.1e}")
    if jax is not None:
        err, where = cross_check_jax()
        meta["numpy_vs_jax_rel_err"] = err
        print(f"check: NumPy vs JAX (forward, loss, gradients, a sampling run; 256 rows): "
              f"max rel err {err:.1e} ({where})", flush=True)

    results = {}
    if args.flowguide_bench:
        results["flowguide"] = bench_flowguide(args.flowguide_bench, args.quick)
    if args.only != "jax":
        bench_numpy(BENCH, repeats, results)
    if jax is not None and args.only != "numpy":
        bench_jax(BENCH, repeats, results)
    elif args.only != "numpy":
        results["jax"] = None
    meta["loadavg_end"] = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else None
    results["meta"] = meta
    if results.get("flowguide"):
        print_comparison(results)
    if args.json:
        with open(args.json, "w") as fp:
            json.dump(results, fp, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
