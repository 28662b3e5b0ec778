#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that determines a training run of ``Trainer`` besides the data and the initial
/// model: with the same configuration, data and initial parameters a run gives bitwise the same
/// parameters for any thread count, and resuming from a ``TrainingState`` continues it exactly.
///
/// **Learning-rate schedule** (``learningRate(atStep:)``), for the update with 0-based index k,
/// peak `lr`, `W = warmupSteps`, `S = steps`, floor `f = finalLearningRateFraction·lr`:
/// ```
/// k < W:       lr·(k + 1)/W                                  (linear warm-up, never 0)
/// W ≤ k < S:   f + (lr − f)·(1 + cos(π·(k − W)/(S − W)))/2   (cosine from lr down to f)
/// k ≥ S:       f                                             (training past the schedule)
/// ```
public struct TrainingConfiguration: Codable, Hashable, Sendable {
    /// The length of the schedule in optimizer steps (>= 1).
    public var steps: Int
    /// Examples per step (>= 1).
    public var batchSize: Int
    /// The peak learning rate (finite, >= 0).
    public var learningRate: Float
    /// Steps of linear warm-up (>= 0).
    public var warmupSteps: Int
    /// The cosine ends at this fraction of the peak learning rate (in [0, 1]).
    public var finalLearningRateFraction: Float
    /// How σ is drawn per example.
    public var sigmaSampling: SigmaSampling
    /// The probability of replacing a label by the null class (for CFG), in [0, 1].
    public var labelDropout: Float
    /// The seed of every random draw of the run (see ``FlowMatchingBatch``).
    public var seed: UInt64
    /// The optimizer and its hyperparameters.
    public var optimizer: OptimizerConfiguration

    /// Defaults: 2000 steps of 512 examples, peak lr 1e-3 with 100 warm-up steps and a cosine to
    /// 0.1·lr, logit-normal(0, 1) σ, label dropout 0.1, AdamW with cautious weight decay 0.01.
    public init(steps: Int = 2000, batchSize: Int = 512, learningRate: Float = 1e-3, warmupSteps: Int = 100,
                finalLearningRateFraction: Float = 0.1, sigmaSampling: SigmaSampling = .logitNormal(mean: 0, std: 1),
                labelDropout: Float = 0.1, seed: UInt64 = 0, optimizer: OptimizerConfiguration = .adamW) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.finalLearningRateFraction = finalLearningRateFraction
        self.sigmaSampling = sigmaSampling
        self.labelDropout = labelDropout
        self.seed = seed
        self.optimizer = optimizer
    }

    /// Throws `.invalidArgument` naming the first setting outside its domain.
    public func validate() throws(KernelError) {
        func fail(_ s: String) -> KernelError { KernelError(.invalidArgument, "TrainingConfiguration: \(s)") }
        guard steps >= 1 else { throw fail("steps \(steps) must be >= 1") }
        guard batchSize >= 1, batchSize < 1 << 31 else { throw fail("batchSize \(batchSize) must be in 1 ..< 2^31") }
        guard learningRate >= 0, learningRate.isFinite else {
            throw fail("learningRate \(learningRate) must be finite and >= 0")
        }
        guard warmupSteps >= 0 else { throw fail("warmupSteps \(warmupSteps) must be >= 0") }
        guard finalLearningRateFraction >= 0, finalLearningRateFraction <= 1 else {
            throw fail("finalLearningRateFraction \(finalLearningRateFraction) is outside [0, 1]")
        }
        guard labelDropout >= 0, labelDropout <= 1 else { throw fail("labelDropout \(labelDropout) is outside [0, 1]") }
        try sigmaSampling.validate()
        try optimizer.validate()
    }

    /// The learning rate of the update with 0-based index `step` (the schedule above).
    public func learningRate(atStep step: Int) -> Float {
        let peak = Double(learningRate), floor = Double(finalLearningRateFraction) * peak
        if step < warmupSteps { return Float(peak * Double(step + 1) / Double(warmupSteps)) }
        if step >= steps { return Float(floor) }
        let progress = Double(step - warmupSteps) / Double(steps - warmupSteps)
        return Float(floor + (peak - floor) * 0.5 * (1 + cos(Double.pi * progress)))
    }
}
