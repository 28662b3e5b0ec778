#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowGuide
import Foundation

/// The optimizer comparison behind `flowguide compare-optimizers` (docs/optimizers.md is its output).
///
/// For each dataset, optimizer variant and seed, two training runs of the same MLP from the same
/// initial weights (seed s) on the same batches (seed s):
/// - **(a) same steps**: `trainSteps` steps of each optimizer's own schedule (warm-up, cosine);
///   deterministic, so bit-reproducible;
/// - **(b) same wall-clock budget**: training stops when its training time reaches the budget
///   (by default the training time of plain AdamW's (a) run of the same seed); the schedule
///   length is the number of steps the optimizer made in that time in its (a) run of the seed,
///   so the cosine ends about when the budget does. Timing decides where a run stops: not
///   reproducible.
///
/// Seed by seed, the (a) runs of every optimizer come first, then their (b) runs; within each,
/// the optimizers take turns chunk by chunk, so a burst of load from other jobs on the machine
/// slows them all alike instead of one.
///
/// Every run is measured the same way, outside the timed training: the held-out loss (the
/// flow-matching loss on the held-out rows with fixed σ and noise draws, the same for every run)
/// at `checkpoints` evenly spaced points, the final training loss (mean batch loss over the last
/// 10 % of steps) and sample quality (Euler, CFG, against the held-out data).
struct OptimizerExperiment {
    struct Settings {
        var datasets: [String]
        var variants: [Variant]
        var seeds: Int
        var trainSteps: Int
        var batchSize: Int
        var width: Int
        var depth: Int
        var dataCount: Int
        var heldOutFraction: Double
        var checkpoints: Int
        var sampleSteps: Int
        var cfg: Float
        /// Seconds of training per run in (b); nil: plain AdamW's (a) time of the same dataset and seed.
        var budget: Double?
    }

    /// One optimizer setting: its configuration, peak learning rate and weight decay λ (as in
    /// the configuration, for the report).
    struct Variant {
        let name: String
        let optimizer: OptimizerConfiguration
        let learningRate: Float
        let weightDecay: Float
        /// The variant without cautious weight decay that this one adds it to (for the CWD claim).
        let plainName: String?
    }

    /// The compared variants, each with its documented default learning rate and weight decay
    /// (docs/training.md), nothing tuned per dataset.
    static let allVariants: [Variant] = {
        let (adamW, lion, muon) = (AdamW.Hyperparameters(), Lion.Hyperparameters(), Muon.Hyperparameters())
        let adamQLRName = OptimizerExperiment.adamQLRName
        return [
            Variant(name: "AdamW", optimizer: .adamW(with(adamW) { $0.cautious = false }), learningRate: 1e-3,
                    weightDecay: adamW.weightDecay, plainName: nil),
            Variant(name: "AdamW+CWD", optimizer: .adamW(with(adamW) { $0.cautious = true }), learningRate: 1e-3,
                    weightDecay: adamW.weightDecay, plainName: "AdamW"),
            Variant(name: "Lion", optimizer: .lion(with(lion) { $0.cautious = false }), learningRate: 3e-4,
                    weightDecay: lion.weightDecay, plainName: nil),
            Variant(name: "Lion+CWD", optimizer: .lion(with(lion) { $0.cautious = true }), learningRate: 3e-4,
                    weightDecay: lion.weightDecay, plainName: "Lion"),
            Variant(name: "Muon", optimizer: .muon(with(muon) { $0.cautious = false }), learningRate: 0.02,
                    weightDecay: muon.weightDecay, plainName: nil),
            Variant(name: "Muon+CWD", optimizer: .muon(with(muon) { $0.cautious = true }), learningRate: 0.02,
                    weightDecay: muon.weightDecay, plainName: "Muon"),
            // Untuned defaults (cautious decay λ 0.01); it sets its own step size and ignores the learning rate.
            Variant(name: adamQLRName, optimizer: .adamQLR, learningRate: 1e-3,
                    weightDecay: AdamQLR.Hyperparameters().weightDecay, plainName: nil),
        ]
    }()

    /// The name of the method with its own step size (AdamQLR) in the tables.
    static let adamQLRName = "AdamQLR"

    /// One point of a loss curve.
    struct Checkpoint {
        let step: Int
        let seconds: Double
        let heldOutLoss: Double
    }

    /// One training run's results.
    struct Run {
        let steps: Int
        let seconds: Double
        let trainLoss: Double
        let heldOutLoss: Double
        let precision: Double
        let recall: Double
        let frechet: Double
        /// Samples with a NaN or infinite coordinate (then precision, recall and Fréchet are NaN).
        let nonFiniteSamples: Int
        /// The CFG samples blew up: some are not finite, or the Fréchet distance exceeds 1000.
        var samplesDiverged: Bool { nonFiniteSamples > 0 || !(frechet <= 1000) }
        let curve: [Checkpoint]
        /// The schedule length the run used.
        let scheduleSteps: Int
    }

    /// All runs of one dataset: per variant, per seed.
    struct DatasetResult {
        let name: String
        let dimension: Int
        let trainCount: Int
        let heldOutCount: Int
        let parameters: Int
        /// The mean (b) budget over the seeds.
        let budget: Double
        let sameSteps: [String: [Run]]
        let sameTime: [String: [Run]]
    }

    let settings: Settings
    let progress: ((String) -> Void)?

    func run() throws -> [DatasetResult] {
        var results: [DatasetResult] = []
        let total = settings.datasets.count * settings.variants.count * settings.seeds * 2
        var done = 0
        for name in settings.datasets {
            let all = try Dataset.builtIn(name: name, count: settings.dataCount, seed: 0)
            let (train, held) = try all.split(heldOut: settings.heldOutFraction, seed: 0)
            let heldOut = try HeldOutLoss(held)
            let architecture = MLPArchitecture(dimension: all.dimension, classCount: all.classCount,
                                               width: settings.width, depth: settings.depth)
            var parameters = 0
            func report(_ mode: String, _ variant: Variant, _ seed: Int, _ run: Run) {
                done += 1
                progress?(String(format: "compare-optimizers [%d/%d] %@ · %@ · seed %d · %@: %d steps in %.2f s, "
                                     + "held-out loss %.4f, Fréchet %.4f", done, total, name, variant.name, seed, mode,
                                 run.steps, run.seconds, run.heldOutLoss, run.frechet))
            }
            // Untimed warm-up (first-call allocations, caches), so the first timed run is not slower.
            for variant in settings.variants {
                var warm = try Trainer(model: try MLPVelocityModel(architecture: architecture, seed: 0),
                                       configuration: TrainingConfiguration(steps: 10, batchSize: settings.batchSize,
                                                                            optimizer: variant.optimizer))
                try warm.train(on: train.samples, labels: train.labels, steps: 10)
            }
            // Seed by seed: the (a) runs of all optimizers, then their (b) runs, each set interleaved
            // chunk by chunk (see ``interleaved(_:seed:scheduleSteps:budget:data:)``).
            var sameSteps: [String: [Run]] = [:], sameTime: [String: [Run]] = [:], budgets: [Double] = []
            let data = DatasetSplit(train: train, held: held, heldOut: heldOut, architecture: architecture)
            for s in 0..<settings.seeds {
                progress?("compare-optimizers: \(name) · seed \(s) · same steps: \(settings.variants.count) optimizers "
                              + "in turn, \(settings.trainSteps) steps each …")
                let a = try interleaved(settings.variants, seed: s,
                                        scheduleSteps: settings.variants.map { _ in settings.trainSteps }, budget: nil, data: data)
                for (variant, run) in zip(settings.variants, a) {
                    sameSteps[variant.name, default: []].append(run)
                    report("same steps", variant, s, run)
                }
                let baseline = a[settings.variants.firstIndex { $0.name == "AdamW" } ?? 0]
                let budget = settings.budget ?? baseline.seconds
                budgets.append(budget)
                // Each schedule's length: the steps the optimizer made in `budget` in its (a) run of this seed.
                let lengths = a.map { run in
                    max(1, Int((budget / max(run.seconds / Double(max(run.steps, 1)), 1e-9)).rounded()))
                }
                progress?("compare-optimizers: \(name) · seed \(s) · same time: \(Self.format(budget)) s each …")
                let b = try interleaved(settings.variants, seed: s, scheduleSteps: lengths, budget: budget, data: data)
                for (variant, run) in zip(settings.variants, b) {
                    sameTime[variant.name, default: []].append(run)
                    report("same time", variant, s, run)
                }
                parameters = try MLPVelocityModel(architecture: architecture, seed: 0).parameters.count
            }
            let budget = Self.mean(budgets)
            results.append(DatasetResult(name: name, dimension: all.dimension, trainCount: train.count,
                                         heldOutCount: held.count, parameters: parameters, budget: budget,
                                         sameSteps: sameSteps, sameTime: sameTime))
        }
        return results
    }

    /// A dataset's training rows, held-out rows and model shape.
    struct DatasetSplit {
        let train: Dataset
        let held: Dataset
        let heldOut: HeldOutLoss
        let architecture: MLPArchitecture
    }

    /// One run in progress (a class: the progress callback appends to `losses` while `trainer` trains).
    private final class Live {
        var trainer: Trainer
        var losses: [Double] = []
        var curve: [Checkpoint]
        var trained = 0.0

        init(trainer: Trainer, curve: [Checkpoint]) {
            self.trainer = trainer
            self.curve = curve
        }
    }

    /// Trains one run per variant (from the initial weights of `seed`, on the batches of `seed`)
    /// with the given schedule lengths, for `scheduleSteps` steps or, with a `budget`, until
    /// `budget` seconds of training. The runs advance in turn, one chunk each (to the next of
    /// `checkpoints` evenly spaced steps, or shares of the budget), so a change in the machine's
    /// load lands on every optimizer alike; after each chunk the held-out loss is measured
    /// (untimed). At the end each model is sampled for the quality metrics.
    private func interleaved(_ variants: [Variant], seed: Int, scheduleSteps: [Int], budget: Double?,
                             data: DatasetSplit) throws -> [Run] {
        let live = try zip(variants, scheduleSteps).map { variant, steps in
            let configuration = TrainingConfiguration(steps: steps, batchSize: settings.batchSize,
                                                      learningRate: variant.learningRate,
                                                      warmupSteps: max(1, steps / 20), seed: UInt64(seed),
                                                      optimizer: variant.optimizer)
            let model = try MLPVelocityModel(architecture: data.architecture, seed: UInt64(seed))
            return Live(trainer: try Trainer(model: model, configuration: configuration),
                        curve: [Checkpoint(step: 0, seconds: 0, heldOutLoss: try data.heldOut.loss(of: model))])
        }
        let clock = ContinuousClock()
        let (x, labels) = (data.train.samples, data.train.labels)
        for k in 1...settings.checkpoints {
            for (i, run) in live.enumerated() {
                let chunkStart = clock.now
                let trained = run.trained
                if let budget {
                    // Until this checkpoint's share of the budget (no step limit: the clock decides).
                    let limit = budget * Double(k) / Double(settings.checkpoints)
                    try run.trainer.train(on: x, labels: labels, steps: Int.max / 2,
                                          shouldStop: { trained + Self.seconds(clock.now - chunkStart) >= limit },
                                          progress: { run.losses.append($0.loss) })
                } else {
                    let target = scheduleSteps[i] * k / settings.checkpoints
                    try run.trainer.train(on: x, labels: labels, steps: target - run.trainer.step,
                                          progress: { run.losses.append($0.loss) })
                }
                run.trained += Self.seconds(clock.now - chunkStart)
                run.curve.append(Checkpoint(step: run.trainer.step, seconds: run.trained,
                                            heldOutLoss: try data.heldOut.loss(of: run.trainer.model)))
            }
        }
        return try live.indices.map { i in
            let run = live[i]
            let tail = run.losses.suffix(max(1, run.losses.count / 10))
            let quality = try sampleQuality(run.trainer.model, held: data.held, seed: seed)
            return Run(steps: run.trainer.step, seconds: run.trained, trainLoss: Self.mean(Array(tail)),
                       heldOutLoss: run.curve.last!.heldOutLoss, precision: quality.precision, recall: quality.recall,
                       frechet: quality.frechet, nonFiniteSamples: quality.nonFinite, curve: run.curve,
                       scheduleSteps: scheduleSteps[i])
        }
    }

    /// Euler with CFG from seeded noise, with the held-out labels, against the held-out data.
    private func sampleQuality(_ model: MLPVelocityModel, held: Dataset,
                               seed: Int) throws -> (precision: Double, recall: Double, frechet: Double, nonFinite: Int) {
        let guidance = settings.cfg == 1 ? Guidance.none : Guidance.cfg(settings.cfg)
        let sampler = Sampler(model: model, options: SamplerOptions(grid: try .uniform(steps: settings.sampleSteps),
                                                                    guidance: guidance))
        let generated = try sampler.sample(SamplingRequest(count: held.count, labels: held.labels,
                                                           seed: UInt64(1000 + seed))).samples
        let d = generated.columns
        let nonFinite = (0..<generated.rows).filter { i in
            generated.scalars[i * d ..< (i + 1) * d].contains { !$0.isFinite }
        }.count
        guard nonFinite == 0 else { return (.nan, .nan, .nan, nonFinite) }
        let pr = try Metrics.precisionRecall(real: held.samples, generated: generated, k: 3)
        return (pr.precision, pr.recall, try Metrics.frechetDistance(generated, held.samples), 0)
    }

    /// `value` changed by `change` (for hyperparameter variants).
    private static func with<T>(_ value: T, _ change: (inout T) -> Void) -> T {
        var copy = value
        change(&copy)
        return copy
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func format(_ seconds: Double) -> String { String(format: "%.2f", seconds) }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }
}

/// The flow-matching loss on held-out rows with fixed draws: row i gets σ_i = sigmoid(n_i) (the
/// training's logit-normal(0, 1)) and noise ε_i from ``NoiseGenerator`` seed 0x4F50 (streams 1
/// and 2, row i) and keeps its label (no dropout). The draws depend only on the row index, so
/// every optimizer and seed is measured on the same inputs.
struct HeldOutLoss {
    static let seed: UInt64 = 0x4F50
    let input: Matrix
    let target: Matrix
    let sigma: [Float]
    let labels: [Int]

    init(_ held: Dataset) throws {
        let (n, d) = (held.count, held.dimension)
        let normals = try NoiseGenerator(seed: Self.seed, stream: 1).normal(rows: n, columns: 1)
        sigma = normals.scalars.map { Float(1 / (1 + exp(-Double($0)))) }
        let noise = try NoiseGenerator(seed: Self.seed, stream: 2).normal(rows: n, columns: d)
        var input = Matrix(rows: n, columns: d), target = Matrix(rows: n, columns: d)
        for i in 0..<n {
            for j in 0..<d {
                let x0 = held.samples.scalars[i * d + j], e = noise.scalars[i * d + j]
                input.scalars[i * d + j] = (1 - sigma[i]) * x0 + sigma[i] * e
                target.scalars[i * d + j] = e - x0
            }
        }
        self.input = input
        self.target = target
        labels = held.labels
    }

    /// The mean squared error of `model`'s velocity against the target (over rows and columns).
    func loss(of model: MLPVelocityModel) throws -> Double {
        var out = Matrix(rows: input.rows, columns: input.columns)
        try model.velocity(input, sigma: sigma, labels: labels, into: &out)
        var sum = 0.0
        for (v, t) in zip(out.scalars, target.scalars) { sum += Double(v - t) * Double(v - t) }
        return sum / Double(max(out.scalars.count, 1))
    }
}
