#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import FlowGuide
import Foundation

/// `flowguide train`: trains an MLP velocity model on a built-in dataset or .npy data with the
/// flow-matching loss, writes it as safetensors, and measures it against held-out data.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an MLP velocity model (flow matching; AdamW, AdamQLR, Lion or Muon with cautious weight decay) and save it as safetensors.",
        discussion: """
            Data: a built-in dataset (--dataset, default eight-gaussians) or --data X.npy [--labels y.npy]. \
            A stratified --held-out fraction is kept out of training; at the end the model is sampled \
            (Euler, --eval-steps, CFG --eval-cfg) with the held-out labels and compared with the held-out \
            data (k-NN precision/recall, Fréchet distance). --checkpoint/--resume continue a run bit for bit.
            """
    )

    // MARK: Data
    @Option(help: ArgumentHelp("A built-in dataset (\(Dataset.builtInNames.joined(separator: ", "))).", valueName: "name"))
    var dataset: String?
    @Option(help: ArgumentHelp("Training data: float .npy [N, D] (instead of --dataset).", valueName: "file.npy"))
    var data: String?
    @Option(help: ArgumentHelp("Classes of --data: integer .npy [N] (default: one class).", valueName: "file.npy"))
    var labels: String?
    @Option(name: .customLong("data-count"), parsing: .unconditional, help: "Size of a built-in dataset.")
    var dataCount: Int = 20_000
    @Option(name: .customLong("data-seed"), parsing: .unconditional, help: "Seed of a built-in dataset.")
    var dataSeed: UInt64 = 0
    @Option(name: .customLong("held-out"), parsing: .unconditional, help: "Fraction of the data held out for evaluation (0 ..< 1).")
    var heldOut: Double = 0.1

    // MARK: Architecture
    @Option(parsing: .unconditional, help: "Hidden width.") var width: Int = 256
    @Option(parsing: .unconditional, help: "Residual blocks (2 dense layers each; hidden layers = 1 + 2·depth).") var depth: Int = 2
    @Option(name: .customLong("sigma-features"), parsing: .unconditional, help: "σ Fourier features (even).") var sigmaFeatures: Int = 32
    @Option(name: .customLong("class-features"), parsing: .unconditional, help: "Class embedding size.") var classFeatures: Int = 16

    // MARK: Optimization
    @Option(parsing: .unconditional, help: "Optimizer steps (the length of the learning-rate schedule).") var steps: Int = 2000
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.") var batchSize: Int = 512
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Peak learning rate (default: 1e-3 for adamw, 3e-4 for lion, 0.02 for muon; adamqlr chooses its own step and ignores it).") var learningRate: Float?
    @Option(name: .customLong("warmup"), parsing: .unconditional, help: "Linear warm-up steps.") var warmup: Int = 100
    @Option(name: .customLong("lr-floor"), parsing: .unconditional, help: "The cosine ends at this fraction of the peak learning rate.") var lrFloor: Float = 0.1
    @Option(name: .customLong("sigma-sampling"), help: "σ per example: logit-normal (default) or uniform.") var sigmaSampling: String = "logit-normal"
    @Option(name: .customLong("label-dropout"), parsing: .unconditional, help: "Probability of training a label as the null class.") var labelDropout: Float = 0.1
    @Option(help: "The optimizer: adamw, adamqlr, lion or muon (Muon for the weight matrices, AdamW at lr/10 for the rest).") var optimizer: String = "adamw"
    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "Decoupled weight decay λ (default: 0.01 for adamw and muon, 0.1 for lion).") var weightDecay: Float?
    @Flag(name: .customLong("cautious-wd"), inversion: .prefixedNo, help: "Cautious weight decay: decay only where sign(update) = sign(param).")
    var cautiousWeightDecay = true
    @Option(parsing: .unconditional, help: "Seed of the initial weights and of every random draw of training.") var seed: UInt64 = 0

    // MARK: Evaluation, output, runtime
    @Option(name: .customLong("eval-cfg"), parsing: .unconditional, help: "CFG scale of the final evaluation.") var evalCFG: Float = 2
    @Option(name: .customLong("eval-steps"), parsing: .unconditional, help: "Euler steps of the final evaluation (0: no evaluation).") var evalSteps: Int = 32
    @Option(help: ArgumentHelp("The trained model.", valueName: "file.safetensors")) var output: String = "model.safetensors"
    @Option(help: ArgumentHelp("Also write a checkpoint here (every --checkpoint-every steps and at the end).", valueName: "file.safetensors"))
    var checkpoint: String?
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: "Steps between checkpoints (0: only at the end).")
    var checkpointEvery: Int = 0
    @Option(help: ArgumentHelp("Continue the run saved in this checkpoint (its configuration wins; give the same data).", valueName: "file.safetensors"))
    var resume: String?
    @Option(name: .customLong("stop-at"), parsing: .unconditional, help: "Stop after this many steps of the schedule (write the checkpoint; --resume continues), e.g. for time-limited jobs.")
    var stopAt: Int?
    @OptionGroup(title: "Runtime") var runtime: RuntimeOptions
    @Flag(name: .customLong("no-progress"), help: "No progress line (there is none when stderr is not a terminal).") var noProgress = false
    @Flag(help: "Print one JSON object on stdout instead of the summary on stderr.") var json = false

    func validate() throws {
        if dataset != nil && data != nil { throw ValidationError("--dataset and --data cannot be combined: pick one") }
        if labels != nil && data == nil { throw ValidationError("--labels needs --data") }
        guard heldOut >= 0, heldOut < 1 else { throw ValidationError("--held-out must be in [0, 1), got \(heldOut)") }
        guard dataCount >= 2 else { throw ValidationError("--data-count must be >= 2") }
        guard ["logit-normal", "uniform"].contains(sigmaSampling) else {
            throw ValidationError("--sigma-sampling must be logit-normal or uniform, got '\(sigmaSampling)'")
        }
        guard ["adamw", "adamqlr", "lion", "muon"].contains(optimizer) else {
            throw ValidationError("--optimizer must be adamw, adamqlr, lion or muon, got '\(optimizer)'")
        }
        guard checkpointEvery >= 0 else { throw ValidationError("--checkpoint-every must be >= 0") }
        if checkpointEvery > 0 && checkpoint == nil { throw ValidationError("--checkpoint-every needs --checkpoint") }
        guard evalSteps >= 0 else { throw ValidationError("--eval-steps must be >= 0") }
        guard output.hasSuffix(".safetensors") else { throw ValidationError("--output must end in .safetensors, got '\(output)'") }
        if let checkpoint, !checkpoint.hasSuffix(".safetensors") {
            throw ValidationError("--checkpoint must end in .safetensors, got '\(checkpoint)'")
        }
        if let checkpoint, checkpoint == output { throw ValidationError("--checkpoint and --output name the same file") }
        if let stopAt {
            guard stopAt >= 1 else { throw ValidationError("--stop-at must be >= 1") }
            if checkpoint == nil { throw ValidationError("--stop-at needs --checkpoint (to resume from)") }
        }
    }

    func run() throws {
        try runtime.apply()
        try OutputOptions.checkWritable(flag: "--output", path: output)
        if let checkpoint { try OutputOptions.checkWritable(flag: "--checkpoint", path: checkpoint) }
        let (all, dataDescription) = try loadData()
        let (train, held) = heldOut > 0 ? try all.split(heldOut: heldOut, seed: dataSeed) : (all, nil)

        var trainer: Trainer
        if let resume {
            var metadata: [String: String] = [:]
            let state = try wrap { try TrainingState(checkpoint: URL(fileURLWithPath: resume), metadata: &metadata) }
            if let saved = metadata["data"], saved != dataDescription {
                throw RunError("\(resume): the checkpoint was trained on \(saved), not on \(dataDescription)")
            }
            trainer = try wrap { try Trainer(resuming: state) }
        } else {
            let architecture = MLPArchitecture(dimension: all.dimension, classCount: all.classCount, width: width,
                                               depth: depth, sigmaFeatures: sigmaFeatures, classFeatures: classFeatures)
            let model = try wrap { try MLPVelocityModel(architecture: architecture, seed: seed) }
            trainer = try wrap { try Trainer(model: model, configuration: trainingConfiguration()) }
        }
        guard trainer.model.dimension == all.dimension, trainer.model.classCount >= all.classCount else {
            throw RunError("the data ([\(all.count), \(all.dimension)], \(all.classCount) classes) does not fit the model "
                               + "(dimension \(trainer.model.dimension), \(trainer.model.classCount) classes)")
        }

        var metadata = ["data": dataDescription]
        if let dataset { metadata["dataset"] = dataset } else if data == nil { metadata["dataset"] = "eight-gaussians" }
        let progress = TrainProgressLine(enabled: !noProgress && isatty(2) == 1)
        let clock = ContinuousClock.now
        var lastLoss = Double.nan
        let total = trainer.configuration.steps
        let end = min(total, stopAt ?? total)
        while trainer.step < end {
            let chunk = checkpointEvery > 0 ? min(checkpointEvery - trainer.step % checkpointEvery, end - trainer.step)
                                            : end - trainer.step
            _ = try wrap {
                try trainer.train(on: train.samples, labels: train.labels, steps: chunk, progress: { p in
                    lastLoss = p.loss
                    progress.update(p)
                })
            }
            if let checkpoint, checkpointEvery > 0 || trainer.step == end {
                try wrap { try trainer.state.save(to: URL(fileURLWithPath: checkpoint), extraMetadata: metadata) }
            }
        }
        progress.finish()
        let seconds = ProgressBar.seconds(ContinuousClock.now - clock)
        try wrap { try trainer.model.save(to: URL(fileURLWithPath: output), extraMetadata: metadata) }

        let evaluation = trainer.step == total ? try held.flatMap { try evaluate(trainer.model, on: $0) } : nil
        let report = TrainReport(command: self, data: dataDescription, trainCount: train.count, heldOutCount: held?.count ?? 0,
                                 parameters: trainer.model.parameters.count, steps: trainer.step, finalLoss: lastLoss,
                                 seconds: seconds, evaluation: evaluation)
        if json { print(try report.json()) } else { FileHandle.standardError.write(Data((report.line + "\n").utf8)) }
    }

    private func trainingConfiguration() -> TrainingConfiguration {
        TrainingConfiguration(steps: steps, batchSize: batchSize, learningRate: learningRate ?? optimizerDefaults.lr, warmupSteps: warmup,
                              finalLearningRateFraction: lrFloor,
                              sigmaSampling: sigmaSampling == "uniform" ? .uniform : .logitNormal(mean: 0, std: 1),
                              labelDropout: labelDropout, seed: seed,
                              optimizer: optimizerConfiguration)
    }

    /// The peak learning rate and weight decay that suit `--optimizer` (used when not given).
    private var optimizerDefaults: (lr: Float, weightDecay: Float) {
        switch optimizer {
        case "lion": (3e-4, Lion.Hyperparameters().weightDecay)
        case "muon": (0.02, Muon.Hyperparameters().weightDecay)
        case "adamqlr": (1e-3, AdamQLR.Hyperparameters().weightDecay)
        default: (1e-3, AdamW.Hyperparameters().weightDecay)
        }
    }

    private var optimizerConfiguration: OptimizerConfiguration {
        let decay = weightDecay ?? optimizerDefaults.weightDecay
        switch optimizer {
        case "lion": return .lion(Lion.Hyperparameters(weightDecay: decay, cautious: cautiousWeightDecay))
        case "muon": return .muon(Muon.Hyperparameters(weightDecay: decay, cautious: cautiousWeightDecay))
        case "adamqlr": return .adamQLR(AdamQLR.Hyperparameters(weightDecay: decay, cautious: cautiousWeightDecay))
        default: return .adamW(AdamW.Hyperparameters(weightDecay: decay, cautious: cautiousWeightDecay))
        }
    }

    /// The data and a one-line description of it (stored in the model file and checked on resume).
    private func loadData() throws -> (Dataset, String) {
        if let data {
            let set = try wrap { try Dataset(samplesFile: URL(fileURLWithPath: data), labelsFile: labels.map(URL.init(fileURLWithPath:))) }
            return (set, "\(data) [\(set.count), \(set.dimension)], \(set.classCount) classes")
        }
        let name = dataset ?? "eight-gaussians"
        guard Dataset.builtInNames.contains(name) else {
            throw RunError("unknown dataset '\(name)' (built-ins: \(Dataset.builtInNames.joined(separator: ", ")))")
        }
        let set = try wrap { try Dataset.builtIn(name: name, count: dataCount, seed: dataSeed) }
        return (set, "\(name) count \(dataCount) seed \(dataSeed)")
    }

    /// Samples the model with the held-out labels (Euler, CFG) and compares with the held-out data.
    private func evaluate(_ model: MLPVelocityModel, on held: Dataset) throws -> TrainReport.Evaluation? {
        guard evalSteps > 0, held.count >= 10 else { return nil }
        let guidance = evalCFG == 1 ? Guidance.none : Guidance.cfg(evalCFG)
        let sampler = Sampler(model: model, options: SamplerOptions(grid: try .uniform(steps: evalSteps), guidance: guidance))
        let generated = try sampler.sample(SamplingRequest(count: held.count, labels: held.labels, seed: seed &+ 1)).samples
        let pr = try Metrics.precisionRecall(real: held.samples, generated: generated, k: 3)
        return TrainReport.Evaluation(cfg: evalCFG, steps: evalSteps, count: held.count, precision: pr.precision,
                                      recall: pr.recall, frechet: try Metrics.frechetDistance(generated, held.samples))
    }

    /// Library errors as one-line run errors.
    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as KernelError { throw RunError(e.detail) } catch let e as SafeTensorsError {
            throw RunError(e.description)
        } catch let e as DatasetError { throw RunError(e.description) }
    }
}

/// The progress line of `flowguide train` on a terminal: step, loss, learning rate, examples/s.
final class TrainProgressLine {
    private let enabled: Bool
    private var lastDraw = ContinuousClock.now
    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: TrainingProgress) {
        guard enabled, p.step == p.totalSteps || ContinuousClock.now - lastDraw > .milliseconds(100) else { return }
        lastDraw = ContinuousClock.now
        let width = 30, done = min(width, width * p.step / max(1, p.totalSteps))
        let bar = String(repeating: "#", count: done) + String(repeating: ".", count: width - done)
        let line = String(format: "\r[%@] step %d/%d  loss %.4f  lr %.2e  %@ examples/s ", bar, p.step, p.totalSteps,
                          p.loss, Double(p.learningRate), Format.grouped(Int(p.samplesPerSecond)))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }
}

/// The summary of a training run: a line, or JSON.
struct TrainReport: Encodable {
    struct Evaluation: Encodable {
        let cfg: Float
        let steps: Int
        let count: Int
        let precision: Double
        let recall: Double
        let frechet: Double
    }
    let output: String
    let data: String
    let trainCount: Int
    let heldOutCount: Int
    let parameters: Int
    let steps: Int
    /// The last step's batch loss (nil when this call made no step).
    let finalLoss: Double?
    let seconds: Double
    let evaluation: Evaluation?

    init(command: TrainCommand, data: String, trainCount: Int, heldOutCount: Int, parameters: Int, steps: Int,
         finalLoss: Double, seconds: Double, evaluation: Evaluation?) {
        output = command.output
        self.data = data
        self.trainCount = trainCount
        self.heldOutCount = heldOutCount
        self.parameters = parameters
        self.steps = steps
        self.finalLoss = finalLoss.isNaN ? nil : finalLoss
        self.seconds = seconds
        self.evaluation = evaluation
    }

    var line: String {
        var s = "trained \(parameters) parameters for \(steps) steps on \(data) in \(String(format: "%.1f", seconds)) s, "
            + "final loss \(finalLoss.map { String(format: "%.4f", $0) } ?? "—") -> \(output)"
        if let e = evaluation {
            s += String(format: "\nheld-out (%d samples, Euler %d steps, CFG %g): precision %.3f, recall %.3f, Fréchet %.4f",
                        e.count, e.steps, Double(e.cfg), e.precision, e.recall, e.frechet)
        }
        return s
    }

    func json() throws -> String {
        try JSONLine.encode(self)
    }
}
