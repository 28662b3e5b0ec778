#!/usr/bin/env python3
"""Reference velocities for GaussianMixtureModelTests.swift, in float64 NumPy/SciPy, written
directly from DESIGN.md section 5 (independent of the Swift implementation):

  c = 1 - sigma,  var_k = c^2 s_k^2 + sigma^2
  w_k  propto  pi_k N(x; c mu_k, var_k I)          (log-sum-exp, over the label's components)
  v(x, sigma) = sum_k w_k [ (sigma - c s_k^2) (x - c mu_k) / var_k - mu_k ]

Regenerate with:  python3 Tests/Fixtures/gmm_velocity.py
and paste the printed Swift table into GaussianMixtureModelTests.swift.
"""
import numpy as np
from scipy.special import logsumexp

# The mixture (weights are normalized here; the Swift model normalizes on init).
weights = np.array([1.0, 2.0, 3.0, 0.5])
means = np.array([[0.3, -1.2, 2.0], [-2.5, 0.7, 0.1], [1.5, 1.5, -0.4], [0.0, -3.0, 1.1]])
stds = np.array([0.5, 1.0, 0.2, 0.0])
labels = np.array([0, 1, 0, 1])

# Inputs, rounded to float32 first (the Swift test passes them as Float).
x = np.array([[0.25, -1.0, 1.5], [-2.0, 0.5, 0.0], [1.0, 1.25, -0.5], [0.1, -2.9, 1.0],
              [3.0, -3.0, 2.0], [-0.5, 0.5, 0.75], [0.2, 0.3, -0.7], [4.0, 0.0, -1.0],
              [0.6, -0.1, 0.9]], dtype=np.float32).astype(np.float64)
sigma = np.array([1.0, 0.75, 0.5, 0.3, 0.1, 0.015625, 0.9, 1e-3, 0.0], dtype=np.float32).astype(np.float64)
row_labels = np.array([-1, 0, 1, 1, -1, 0, 1, -1, 0])


def velocity(xi, s, label):
    ks = np.arange(len(weights)) if label < 0 else np.nonzero(labels == label)[0]
    pi = weights[ks] / weights[ks].sum()
    c = 1.0 - s
    var = c * c * stds[ks] ** 2 + s * s
    d = xi.shape[0]
    diff = xi[None, :] - c * means[ks]
    logp = np.log(pi) - 0.5 * (diff ** 2).sum(1) / var - 0.5 * d * np.log(2 * np.pi * var)
    w = np.exp(logp - logsumexp(logp))
    terms = ((s - c * stds[ks] ** 2) / var)[:, None] * diff - means[ks]
    return (w[:, None] * terms).sum(0)


print("let gmmVelocityExpected: [(x: [Float], sigma: Float, label: Int, v: [Double])] = [")
for i in range(len(x)):
    xs = ", ".join(f"{v:.9g}" for v in x[i])
    vs = ", ".join(f"{v:.17g}" for v in velocity(x[i], sigma[i], row_labels[i]))
    print(f"    ([{xs}], {float(np.float32(sigma[i])):.9g}, {row_labels[i]}, [{vs}]),")
print("]")
