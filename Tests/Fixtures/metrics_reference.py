#!/usr/bin/env python3
"""Reference values for MetricsTests.swift, in float64 NumPy/SciPy, written from the metric
definitions (Sources/FlowGuide/Metrics/*.swift doc comments), independent of the Swift code.

The inputs are given by formulas that the Swift test evaluates the same way (math.sin/math.cos of
a float64 argument, rounded to float32):

  A[i, j] = sin(1.7 i + 2.3 j + 0.1 i j)                                 i < 40, j < 5
  B[i, j] = 0.7 sin(1.9 i + 2.1 j + 0.13 i j + 0.5) + 0.3                i < 33, j < 5
  theta[p, j] = cos(0.91 p + 2.1 j + 0.3)                                 p < 7   (SW directions)
  X[i, j] = 2.5 sin(0.61 i + 1.1 j + 0.4)                                 i < 12, j < 3  (mixture samples;
                                                                          row 12 is the point-mass mean)
  E[i, j] = cos(0.3 (i + 1)(j + 1)) + 0.5 i [i == j]                      i, j < 6  (symmetric eigen)

Regenerate with:  python3 Tests/Fixtures/metrics_reference.py
and paste the printed Swift block into MetricsTests.swift.
"""
import math
import warnings

import numpy as np
from scipy.linalg import sqrtm
from scipy.spatial.distance import cdist, pdist
from scipy.special import logsumexp


def f32(rows):
    return np.array(rows, dtype=np.float32).astype(np.float64)


A = f32([[math.sin(1.7 * i + 2.3 * j + 0.1 * i * j) for j in range(5)] for i in range(40)])
B = f32([[0.7 * math.sin(1.9 * i + 2.1 * j + 0.13 * i * j + 0.5) + 0.3 for j in range(5)] for i in range(33)])
THETA = f32([[math.cos(0.91 * p + 2.1 * j + 0.3) for j in range(5)] for p in range(7)])
X = f32([[2.5 * math.sin(0.61 * i + 1.1 * j + 0.4) for j in range(3)] for i in range(12)] + [[0.0, -3.0, 1.1]])
X_LABELS = [i % 2 for i in range(13)]
E = np.array([[math.cos(0.3 * (i + 1) * (j + 1)) + (0.5 * i if i == j else 0.0) for j in range(6)]
              for i in range(6)])
A_LABELS = [i % 3 for i in range(38)] + [5, 5]
B_LABELS = [i % 4 for i in range(30)] + [5, 5, 5]

# The mixture of gmm_velocity.py (a point mass at component 3).
W = np.array([1.0, 2.0, 3.0, 0.5]); W /= W.sum()
MU = np.array([[0.3, -1.2, 2.0], [-2.5, 0.7, 0.1], [1.5, 1.5, -0.4], [0.0, -3.0, 1.1]])
S = np.array([0.5, 1.0, 0.2, 0.0])
LAB = np.array([0, 1, 0, 1])
STD_FLOOR = 1e-3


def frechet(a, b):
    """FID's formula with scipy.linalg.sqrtm(S1 S2), cross-checked against the eigenvalues of
    S1^(1/2) S2 S1^(1/2) (numpy.linalg.eigh), which stays accurate for singular covariances."""
    m1, m2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sqrtm warns on singular products; checked below
        by_sqrtm = np.trace(sqrtm(s1 @ s2).real)
    lam, vec = np.linalg.eigh(s1)
    r1 = vec @ np.diag(np.sqrt(np.maximum(lam, 0))) @ vec.T
    by_eigh = np.sqrt(np.maximum(np.linalg.eigvalsh(r1 @ s2 @ r1), 0)).sum()
    assert abs(by_sqrtm - by_eigh) <= 1e-6 * max(1.0, by_eigh), (by_sqrtm, by_eigh)
    return float(((m1 - m2) ** 2).sum() + np.trace(s1 + s2) - 2 * by_eigh)


def w2_squared_1d(x, y):
    """Integral over u of (Fx^-1(u) - Fy^-1(u))^2, step quantile functions, on the merged grid."""
    x, y = np.sort(x), np.sort(y)
    n, m = len(x), len(y)
    u = np.union1d(np.arange(n + 1) / n, np.arange(m + 1) / m)
    mid, width = 0.5 * (u[1:] + u[:-1]), np.diff(u)
    qx = x[np.minimum(np.ceil(mid * n).astype(int) - 1, n - 1)]
    qy = y[np.minimum(np.ceil(mid * m).astype(int) - 1, m - 1)]
    return float((width * (qx - qy) ** 2).sum())


def sliced(a, b, theta):
    unit = theta / np.linalg.norm(theta, axis=1, keepdims=True)
    return math.sqrt(np.mean([w2_squared_1d(a @ t, b @ t) for t in unit]))


def median_bandwidth(a, b):
    return float(np.median(pdist(np.vstack([a, b]))))  # sets of <= 500 rows: all rows


def mmd(a, b, h=None):
    h = median_bandwidth(a, b) if h is None else h
    k = lambda x, y: np.exp(-cdist(x, y, "sqeuclidean") / (2 * h * h))
    n, m = len(a), len(b)
    kaa, kbb = k(a, a), k(b, b)
    return float((kaa.sum() - np.trace(kaa)) / (n * (n - 1)) + (kbb.sum() - np.trace(kbb)) / (m * (m - 1))
                 - 2 * k(a, b).mean())


def knn_radii(x, k):
    d = cdist(x, x)
    np.fill_diagonal(d, np.inf)
    return np.sort(d, axis=1)[:, k - 1]


def precision_recall(real, gen, k):
    rr, rg = knn_radii(real, k), knn_radii(gen, k)
    d = cdist(gen, real)  # [gen, real]
    precision = np.mean((d <= rr[None, :]).any(1))
    recall = np.mean((d.T <= rg[None, :]).any(1))
    return float(precision), float(recall)


def mixture_metrics(x, labels, threshold=3.0):
    s = np.maximum(S, STD_FLOOR)
    d2 = ((x[:, None, :] - MU[None]) ** 2).sum(-1)  # [N, K]
    dim = x.shape[1]
    logp = np.log(W)[None] - 0.5 * d2 / s ** 2 - 0.5 * dim * np.log(2 * np.pi * s ** 2)
    loglik = logsumexp(logp, axis=1)
    accuracy = float(np.mean(LAB[np.argmax(logp, axis=1)] == np.array(labels)))
    nearest = float(np.mean(np.sqrt(d2.min(1))))
    near = d2 <= s ** 2 * (dim + threshold * math.sqrt(2 * dim))
    needed = np.maximum(1, np.ceil(0.01 * len(x) * W))
    coverage = float(np.mean(near.sum(0) >= needed))
    return loglik, accuracy, nearest, coverage


def g(v):
    return f"{v:.17g}"


print("// Generated by Tests/Fixtures/metrics_reference.py — do not edit by hand.")
print("enum MetricsReference {")
print(f"    static let frechetAB = {g(frechet(A, B))}")
print(f"    static let frechetA4B3 = {g(frechet(A[:4], B[:3]))}  // D = 5 > N - 1: singular covariances")
print(f"    static let slicedAB = {g(sliced(A, B, THETA))}  // unequal sizes 40, 33")
print(f"    static let slicedA33B = {g(sliced(A[:33], B, THETA))}  // equal sizes")
print(f"    static let medianBandwidthAB = {g(median_bandwidth(A, B))}")
print(f"    static let mmdAB = {g(mmd(A, B))}  // median heuristic")
print(f"    static let mmdABh13 = {g(mmd(A, B, 1.3))}  // bandwidth 1.3")
for k in (1, 3, 5):
    p, r = precision_recall(A, B, k)
    print(f"    static let precisionRecallABk{k}: (precision: Double, recall: Double) = ({g(p)}, {g(r)})")
loglik, accuracy, nearest, coverage = mixture_metrics(X, X_LABELS)
print(f"    static let mixtureLogLikelihood: [Double] = [{', '.join(g(v) for v in loglik)}]")
print(f"    static let mixtureClassAccuracy = {g(accuracy)}")
print(f"    static let mixtureMeanDistance = {g(nearest)}")
print(f"    static let mixtureCoverage = {g(coverage)}")
for t in (0.5, 1.0):
    print(f"    static let mixtureCoverageThreshold{str(t).replace('.', '_')} = {g(mixture_metrics(X, X_LABELS, t)[3])}")
print(f"    static let eigenvalues: [Double] = [{', '.join(g(v) for v in np.linalg.eigvalsh(E))}]")
print("    /// label: (FD, MMD² with the median heuristic, precision, recall); nil where not computed.")
print("    static let perClass: [Int: (fd: Double, mmd: Double, precision: Double?, recall: Double?)] = [")
for c in sorted(set(A_LABELS) & set(B_LABELS)):
    a = A[np.array(A_LABELS) == c]
    b = B[np.array(B_LABELS) == c]
    p, r = precision_recall(a, b, 3) if min(len(a), len(b)) > 3 else (None, None)
    ps = "nil" if p is None else g(p)
    rs = "nil" if r is None else g(r)
    print(f"        {c}: ({g(frechet(a, b))}, {g(mmd(a, b))}, {ps}, {rs}),")
print("    ]")
print("}")

# The analytic FD of two Gaussians, for the large-sample test (x = mu + L z).
L1 = np.array([[1.0, 0, 0], [0.5, 2.0, 0], [-0.3, 0.4, 0.5]])
L2 = np.array([[1.5, 0, 0], [-0.2, 1.0, 0], [0.6, 0.1, 0.8]])
m1, m2 = np.array([0.5, -1.0, 2.0]), np.array([0.0, 0.5, 1.5])
s1, s2 = L1 @ L1.T, L2 @ L2.T
analytic = ((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * sqrtm(s1 @ s2).real)
print(f"// analytic FD of N(m1, L1 L1^T) and N(m2, L2 L2^T): {g(analytic)}")
