// The Swift examples of the guidance guides (docs/guide-cfg.md, docs/guide-apg.md,
// docs/guide-momentum.md), of docs/backends-and-threads.md and of README.md's kernel loop.
// scripts/check-doc-examples.sh checks that the docs quote this file verbatim, runs it from the
// repository root (`swift run flowguide-guides-example`) and checks the output the guides quote
// (`<!-- output: flowguide-guides-example -->`).
import Foundation
import FlowGuide

// MARK: - Shared setup

/// The shipped MLP, trained on the 8-Gaussians data (the path is relative to the repository root).
let model = try MLPVelocityModel(contentsOf: URL(fileURLWithPath: "models/eight-gaussians-mlp.safetensors"))
let labels = (0..<1000).map { $0 % 8 }                       // sample k gets class k mod 8
let reference = try GaussianMixtureModel.eightGaussians.sample(count: 1000, labels: labels, seed: 1)

/// Samples 1000 points with `guidance` (Euler, 4 steps by default) and prints the exact NFE per
/// sample and the k-NN precision and recall against exact samples of the training distribution.
func report(_ name: String, _ guidance: Guidance, steps: Int = 4) throws {
    let sampler = Sampler(model: model, options: SamplerOptions(
        grid: try .uniform(steps: steps), solver: .euler, guidance: guidance))
    let result = try sampler.sample(SamplingRequest(count: 1000, labels: labels, seed: 0))
    let (precision, recall) = try Metrics.precisionRecall(real: reference, generated: result.samples)
    print(name.padding(toLength: 34, withPad: " ", startingAt: 0)
          + String(format: "NFE %2d  precision %.2f  recall %.2f", result.nfe, precision, recall))
}

// MARK: - docs/guide-cfg.md

func cfgGuide() throws {
    try report("no guidance", .none)
    // Classifier-free guidance, g = v_u + w·(v_c − v_u): 2 NFE per sample and step.
    try report("CFG w=2", Guidance(combiner: .cfg, scale: .constant(2)))
    // Guidance interval: w = 2 for evaluations at 0.3 ≤ σ ≤ 0.8, else no guidance (1 NFE).
    try report("CFG w=2, σ in [0.3, 0.8]", Guidance(combiner: .cfg, scale: .interval(2, sigmas: 0.3...0.8)))
    // CFG rescale: pull each sample's guided velocity back toward the spread of v_c.
    try report("CFG w=2, rescale φ=0.7", Guidance(combiner: .cfgRescale(phi: 0.7), scale: .constant(2)))
    // CFG-Zero*: scale v_u by its projection coefficient s*; optionally skip the first k steps.
    try report("CFG-Zero* w=2", Guidance(combiner: .cfgZeroStar(), scale: .constant(2)))
    try report("CFG-Zero* w=2, zero-init 1", Guidance(combiner: .cfgZeroStar(zeroInitSteps: 1), scale: .constant(2)))
    // Any schedule: a pure function of (step, σ); here w falls from 3 at σ = 1 to 1 at σ = 0.
    try report("CFG w=1+2σ", Guidance(combiner: .cfg, scale: .custom { _, sigma in 1 + 2 * sigma }))
}

// MARK: - docs/guide-apg.md

func apgGuide() throws {
    // APG with w = 2: only the part of Δ = D_c − D_u orthogonal to D_c is amplified (η = 0).
    try report("APG w=2", Guidance(combiner: .apg(), scale: .constant(2)))
    // Keep half of the parallel component; η = 1 with no threshold and no momentum is CFG.
    try report("APG w=2, η=0.5", Guidance(combiner: .apg(eta: 0.5), scale: .constant(2)))
    // Clip ‖Δ‖ to r = 1 and add the paper's negative momentum β = −0.5.
    try report("APG w=2, r=1, β=-0.5", Guidance(combiner: .apg(threshold: 1, momentum: -0.5), scale: .constant(2)))
    // Project velocities instead of denoised estimates.
    try report("APG w=2, velocity space", Guidance(combiner: .apg(space: .velocity), scale: .constant(2)))
}

// MARK: - docs/guide-momentum.md

func momentumGuide() throws {
    try report("no guidance", .none)
    // Momentum Guidance alone: g = d + α·(d − m), m the EMA of past directions. No extra NFE.
    try report("MG α=0.5, β=0.6", Guidance(momentum: MomentumGuidance(alpha: 0.5, beta: 0.6)))
    // Extrapolate only on steps that start at 0.3 ≤ σ ≤ 1 (the average still updates elsewhere).
    try report("MG α=0.5, window [0.3, 1]", Guidance(momentum: MomentumGuidance(alpha: 0.5, beta: 0.6),
                                                     momentumWindow: 0.3...1))
    // Normalize: rescale m to the norm of d. Debias: start m at 0, divide by 1 − β^s (Adam-style).
    try report("MG α=0.5, normalize", Guidance(momentum: MomentumGuidance(alpha: 0.5, normalize: true)))
    try report("MG α=0.5, debias", Guidance(momentum: MomentumGuidance(alpha: 0.5, debias: true)))
    // CFG + MG: the EMA tracks the guided velocity; still 2 NFE per step, like CFG alone.
    try report("CFG w=2", Guidance(combiner: .cfg, scale: .constant(2)))
    try report("CFG w=2 + MG α=0.5", Guidance(combiner: .cfg, scale: .constant(2),
                                              momentum: MomentumGuidance(alpha: 0.5, beta: 0.6)))
}

// MARK: - docs/backends-and-threads.md

func threadsGuide() throws {
    let sampler = Sampler(model: model, options: SamplerOptions(grid: try .uniform(steps: 4), guidance: .cfg(2)))
    let request = SamplingRequest(count: 1000, labels: labels, seed: 0)
    // The kernels' thread count is process-wide; it starts from OMP_NUM_THREADS (else all cores).
    try KernelRuntime.setThreadCount(1)
    let oneThread = try sampler.sample(request).samples
    try KernelRuntime.setThreadCount(2)
    let twoThreads = try sampler.sample(request).samples
    print("1 vs 2 threads: bitwise identical: \(oneThread == twoThreads)")
    // Switch the GEMM to another BLAS now, no relinking (FLOWGUIDE_BLAS=builtin does it at start-up).
    try KernelRuntime.loadBLAS(.builtin)
    let builtin = try sampler.sample(request).samples
    let largest = zip(twoThreads.scalars, builtin.scalars).map { abs($0 - $1) }.max() ?? 0
    print("\(KernelRuntime.blas.family) GEMM vs the default BLAS: largest difference below 1e-4: \(largest < 1e-4)")
}

// MARK: - README.md, "Using it from Swift": the kernels in your own loop

/// The README's "your model": the exact velocities of N(1, 0.25·I) (conditional) and N(0, I)
/// (unconditional) in 64 dimensions, on the path x = (1−σ)·x0 + σ·ε.
func myVelocities(_ x: Matrix, sigma s: Float) -> (Matrix, Matrix) {
    var c = Matrix(rows: x.rows, columns: x.columns), u = c
    let variance: Float = 0.25, total = (1 - s) * (1 - s) * variance + s * s
    for k in x.scalars.indices {
        c.scalars[k] = (s - (1 - s) * variance) / total * (x.scalars[k] - (1 - s)) - 1
        u.scalars[k] = (2 * s - 1) / ((1 - s) * (1 - s) + s * s) * x.scalars[k]
    }
    return (c, u)
}

print("== the kernels in your own loop (README.md)")
var x = try NoiseGenerator(seed: 0).normal(rows: 4096, columns: 64)   // σ = 1
var mg = MomentumState(rows: 4096, columns: 64)
let grid = try TimeGrid.uniform(steps: 8)
for i in 0..<grid.steps {
    let (c, u) = myVelocities(x, sigma: grid.sigmas[i])               // your model: cond, uncond
    try Kernels.momentumEulerStep(&x, velocity: c, unconditional: u, cfgScale: 2,
                                  state: &mg, stepSize: grid.stepSizes[i],
                                  options: MomentumGuidance(alpha: 0.5, beta: 0.6))
}
print(String(format: "4096 samples in 64-D, mean %.2f (CFG w=2 pushes it past the conditional mean 1)",
             x.scalars.reduce(0, +) / Float(x.count)))
print("== CFG (docs/guide-cfg.md)")
try cfgGuide()
print("== APG (docs/guide-apg.md)")
try apgGuide()
print("== Momentum Guidance (docs/guide-momentum.md)")
try momentumGuide()
print("== threads and BLAS (docs/backends-and-threads.md)")
try threadsGuide()
