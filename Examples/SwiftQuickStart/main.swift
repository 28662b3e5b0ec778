// The Swift quick start of docs/swift-api.md (CI builds and runs it: scripts/check-doc-examples.sh).
import FlowGuide

/// Your model: here the exact velocity of N(mean_c, 0.25·I), class c's mean at (±2, 0);
/// the unconditional (null-class) velocity is that of N(0, 4·I).
struct TwoBlobs: VelocityModel {
    let dimension = 2, classCount = 2
    func velocity(_ x: Matrix, sigma: [Float], labels: [Int], into out: inout Matrix) throws(KernelError) {
        try validateVelocityArguments(x, sigma: sigma, labels: labels, out: out)
        for i in 0..<x.rows {
            let s = sigma[i], unconditional = labels[i] == Self.unconditional
            let mean: [Float] = unconditional ? [0, 0] : [labels[i] == 0 ? -2 : 2, 0]
            let variance: Float = unconditional ? 4 : 0.25          // of the data
            let total = (1 - s) * (1 - s) * variance + s * s        // of x at noise level s
            for j in 0..<2 {
                out[i, j] = (s - (1 - s) * variance) / total * (x[i, j] - (1 - s) * mean[j]) - mean[j]
            }
        }
    }
}

// CFG (w = 3) + Momentum Guidance over 8 Euler steps: 2 model rows per sample and step.
let sampler = Sampler(model: TwoBlobs(), options: SamplerOptions(
    grid: try .uniform(steps: 8), solver: .euler,
    guidance: Guidance(combiner: .cfg, scale: .constant(3),
                       momentum: MomentumGuidance(alpha: 0.5, beta: 0.6))))
let request = SamplingRequest(count: 500, labels: [1], seed: 7)   // 500 samples of class 1

let result = try sampler.sample(request)
let meanX = (0..<result.samples.rows).map { result.samples[$0, 0] }.reduce(0, +) / Float(result.samples.rows)
print("\(result.samples.rows) samples, NFE \(result.nfe), mean x = \(meanX)")
// Progress: one .step event per step, then .finished (leaving the loop early cancels the run).
for try await event in sampler.events(request) {
    switch event {
    case .step(let p):
        print("step \(p.step)/\(p.stepCount)  σ = \(p.sigma)  NFE \(p.nfe)  MG on: \(p.momentumActive)")
    case .finished(let done):
        print("finished: \(done.samples.rows) samples")
    }
}
// Cancelling: the async `sample` checks its Task before every step and throws CancellationError.
let task = Task { try await sampler.sample(SamplingRequest(count: 100_000, labels: [0], seed: 1)) }
task.cancel()
do {
    _ = try await task.value
    print("finished before the cancel")
} catch is CancellationError {
    print("cancelled")
}
