import Foundation
import FlowGuide

struct MyModel: VelocityModel {            // v(x, σ, class); label −1 = unconditional
    let dimension = 2, classCount = 8
    func velocity(_ x: Matrix, sigma: [Float], labels: [Int], into out: inout Matrix) throws(KernelError) {
        try validateVelocityArguments(x, sigma: sigma, labels: labels, out: out)
        for i in 0..<x.rows {              // cond and uncond rows arrive in one call
            // Class c: N(μ_c, 0.3²) with μ_c on a circle of radius 4; unconditional: N(0, 4²).
            let angle = Float(labels[i]) * .pi / 4, s = sigma[i]
            let (mean, std): ([Float], Float) = labels[i] == MyModel.unconditional
                ? ([0, 0], 4) : ([4 * cos(angle), 4 * sin(angle)], 0.3)
            let variance = (1 - s) * (1 - s) * std * std + s * s   // exact Gaussian velocity
            for j in 0..<2 {
                out[i, j] = (s - (1 - s) * std * std) / variance * (x[i, j] - (1 - s) * mean[j]) - mean[j]
            }
        }
    }
}

let sampler = Sampler(model: MyModel(), options: SamplerOptions(
    grid: try .uniform(steps: 16), solver: .euler,
    guidance: Guidance(combiner: .cfg, scale: .constant(3),
                       momentum: MomentumGuidance(alpha: 0.5, beta: 0.6))))
let result = try sampler.sample(SamplingRequest(count: 1000, labels: [3], seed: 42))
print(result.samples.rows, result.nfe)      // 1000 samples, NFE 32 per sample
