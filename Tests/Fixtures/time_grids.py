#!/usr/bin/env python3
"""Reference values for TimeGridTests.swift, computed independently in float64 NumPy.

Regenerate with:  python3 Tests/Fixtures/time_grids.py
and paste the printed Swift tables into TimeGridTests.swift.

Formulas (DESIGN.md section 3, diffusers' FlowMatchEulerDiscreteScheduler):
  uniform   sigma_i = 1 - i/N, i = 0..N
  SD3       sigma' = s*sigma / (1 + (s-1)*sigma)
  FLUX      mu = 0.5 + (1.15-0.5)/(4096-256) * (tokens - 256)   (linear, extrapolated)
            sigma' = e^mu / (e^mu + (1/sigma - 1)),  sigma = 0 -> 0
"""
import numpy as np


def uniform(n):
    return np.linspace(1.0, 0.0, n + 1, dtype=np.float64)


def sd3(n, s):
    sig = uniform(n)
    return s * sig / (1.0 + (s - 1.0) * sig)


def flux_mu(tokens):
    m = (1.15 - 0.5) / (4096 - 256)
    b = 0.5 - m * 256
    return tokens * m + b


def flux(n, tokens):
    sig = uniform(n)
    mu = flux_mu(tokens)
    out = np.zeros_like(sig)
    pos = sig > 0
    out[pos] = np.exp(mu) / (np.exp(mu) + (1.0 / sig[pos] - 1.0))
    return out


def table(name, kind, rows):
    print(f"let {name}: [(steps: Int, {kind}, sigmas: [Double])] = [")
    for key, n, values in rows:
        body = ", ".join(f"{v:.17g}" for v in values)
        print(f"    ({n}, {key}, [{body}]),")
    print("]")


table("sd3Expected", "shift: Double",
      [(repr(s), n, sd3(n, s)) for n, s in [(4, 3.0), (10, 3.0), (7, 0.5), (5, 1.0)]])
table("fluxExpected", "tokens: Int",
      [(str(t), n, flux(n, t)) for n, t in [(4, 4096), (6, 1024), (5, 256), (3, 64), (8, 8192)]])
print("let fluxMuExpected: [(tokens: Int, mu: Double)] = ["
      + ", ".join(f"({t}, {flux_mu(t):.17g})" for t in [0, 64, 256, 1024, 4096, 8192]) + "]")
