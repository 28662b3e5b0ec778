// The MLP workload of issue 5, compared with NumPy and JAX by Benchmarks/mlp_bench.py in the same
// run: an MLPVelocityModel with D = 64, 10 classes, width 512, one residual block (3 hidden layers
// of 512), batch 4096, sampled with 32 Euler steps + Momentum Guidance. Reports samples/s and the
// GEMM GFLOP/s against the FMA peak measured by this program.

import CFlowBench
import FlowGuide

struct MLPBenchResult {
    let samplesPerSecond: Double
    let gflops: Double
    let secondsPerRun: Double
}

/// The issue-5 benchmark network.
let mlpBenchArchitecture = MLPArchitecture(dimension: 64, classCount: 10, width: 512, depth: 1,
                                           sigmaFeatures: 32, classFeatures: 16)

/// GEMM flops of one forward pass per row: 2·in·out per dense layer.
func mlpForwardFlopsPerRow(_ a: MLPArchitecture) -> Double {
    let w = Double(a.width)
    return 2 * (Double(a.inputWidth) * w + Double(a.depth) * 2 * w * w + w * Double(a.dimension))
}

func runMLPSampling(batch: Int, steps: Int, rounds: Int) -> MLPBenchResult {
    let a = mlpBenchArchitecture
    guard let model = try? MLPVelocityModel(architecture: a, seed: 1) else { fail("MLP init failed") }
    let sampler = Sampler(model: model, options: SamplerOptions(grid: try! .uniform(steps: steps), solver: .euler,
                                                                guidance: .momentum(alpha: 0.5, beta: 0.6)))
    let request = SamplingRequest(count: batch, labels: (0..<batch).map { $0 % a.classCount })
    var best = Double.infinity
    for round in 0...rounds {  // round 0 warms up
        let t0 = fb_now()
        guard (try? sampler.sample(request)) != nil else { fail("MLP sampling failed") }
        let t = fb_now() - t0
        if round > 0 { best = min(best, t) }
    }
    let flops = mlpForwardFlopsPerRow(a) * Double(batch * steps)
    return MLPBenchResult(samplesPerSecond: Double(batch) / best, gflops: flops / best / 1e9, secondsPerRun: best)
}

/// One training step of the same network at batch 4096: batch draw, forward, backward, AdamW
/// (cautious weight decay). Returns seconds per step (best of `rounds` runs of `steps` steps).
func runMLPTraining(batch: Int, steps: Int, rounds: Int) -> Double {
    let a = mlpBenchArchitecture
    let labels = (0..<batch * 4).map { $0 % a.classCount }
    guard let model = try? MLPVelocityModel(architecture: a, seed: 1),
          let data = try? GaussianMixtureModel.mixture64.sample(count: labels.count, labels: labels, seed: 2),
          var trainer = try? Trainer(model: model, configuration: TrainingConfiguration(
              steps: 1_000_000, batchSize: batch, learningRate: 1e-3, warmupSteps: 0))
    else { fail("MLP training setup failed") }
    var best = Double.infinity
    for round in 0...rounds {  // round 0 warms up
        let t0 = fb_now()
        guard (try? trainer.train(on: data, labels: labels, steps: steps)) != nil else { fail("MLP training failed") }
        let t = (fb_now() - t0) / Double(steps)
        if round > 0 { best = min(best, t) }
    }
    return best
}
