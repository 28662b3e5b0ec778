import ArgumentParser
import FlowGuide
import Foundation

/// `flowguide compare-optimizers`: train the same MLP with every optimizer (with and without
/// cautious weight decay) on several datasets and seeds, for the same number of steps and for the
/// same wall-clock budget, and write the Markdown report with loss plots (docs/optimizers.md).
struct CompareOptimizersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-optimizers",
        abstract: "Compare the optimizers (same steps, same wall time, 3 seeds); write a Markdown report with plots.",
        discussion: """
            Trains an MLP with AdamW, Lion and Muon, each with and without cautious weight decay, \
            at their documented default learning rates, and AdamQLR with its defaults, on each --datasets set: (a) for --train-steps \
            steps and (b) for the same wall-clock budget (plain AdamW's (a) time of the same seed \
            unless --budget is given). Reports final training loss, held-out loss and sample quality \
            (Euler, CFG) against held-out data, with mean ± std over seeds, and plots held-out loss \
            against steps and against training time. (a) is bit-reproducible; (b) depends on timing.
            """
    )

    @Option(help: "Built-in datasets, comma-separated.")
    var datasets: String = "checkerboard,eight-gaussians,spirals,mixture64"

    @Option(help: "Optimizer variants, comma-separated (default: all; names as in the report, e.g. AdamW,AdamW+CWD).")
    var optimizers: String?

    @Option(help: "Seeds per setting (mean ± std over seeds).")
    var seeds: Int = 3

    @Option(name: .customLong("train-steps"), help: "Training steps of the same-steps runs.")
    var trainSteps: Int = 800

    @Option(name: .customLong("batch-size"), help: "Examples per training step.")
    var batchSize: Int = 256

    @Option(help: "Hidden width of the MLP.")
    var width: Int = 128

    @Option(help: "Residual blocks of the MLP.")
    var depth: Int = 2

    @Option(name: .customLong("data-count"), help: "Size of each dataset (before the held-out split).")
    var dataCount: Int = 5000

    @Option(name: .customLong("held-out"), help: "Fraction held out for the held-out loss and sample quality.")
    var heldOut: Double = 0.2

    @Option(help: "Held-out loss evaluations per run (the points of the loss curves).")
    var checkpoints: Int = 20

    @Option(name: .customLong("sample-steps"), help: "Euler steps of the sample-quality evaluation.")
    var sampleSteps: Int = 32

    @Option(help: "CFG scale of the sample-quality evaluation.")
    var cfg: Float = 2

    @Option(help: "Seconds of training per same-time run (default: plain AdamW's same-steps time, per dataset and seed).")
    var budget: Double?

    @Option(help: "The Markdown report to write.")
    var output: String = "docs/optimizers.md"

    @Option(help: "Directory for the plots (relative links in the report assume it is below the report's directory).")
    var plots: String = "docs/plots"

    @OptionGroup(title: "Runtime") var runtime: RuntimeOptions

    @Flag(name: .customLong("no-progress"), help: "No progress lines on stderr.")
    var noProgress = false

    func validate() throws {
        for name in datasetNames where !Dataset.builtInNames.contains(name) {
            throw ValidationError("unknown dataset '\(name)' (built-ins: \(Dataset.builtInNames.joined(separator: ", ")))")
        }
        guard !datasetNames.isEmpty else { throw ValidationError("--datasets is empty") }
        _ = try variants()
        guard seeds >= 1 else { throw ValidationError("--seeds must be >= 1") }
        guard trainSteps >= 1 else { throw ValidationError("--train-steps must be >= 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be >= 1") }
        guard width >= 1, depth >= 0 else { throw ValidationError("--width must be >= 1 and --depth >= 0") }
        guard heldOut > 0, heldOut < 1 else { throw ValidationError("--held-out must be in (0, 1), got \(heldOut)") }
        guard Double(dataCount) * heldOut >= 20, Double(dataCount) * (1 - heldOut) >= 1 else {
            throw ValidationError("--data-count \(dataCount) with --held-out \(heldOut) leaves fewer than 20 held-out rows")
        }
        guard checkpoints >= 1 else { throw ValidationError("--checkpoints must be >= 1") }
        guard sampleSteps >= 1 else { throw ValidationError("--sample-steps must be >= 1") }
        guard cfg.isFinite else { throw ValidationError("--cfg must be finite") }
        if let budget, !(budget > 0 && budget.isFinite) { throw ValidationError("--budget must be a positive number of seconds") }
        guard output.hasSuffix(".md") else { throw ValidationError("--output must end in .md, got '\(output)'") }
    }

    private var datasetNames: [String] {
        datasets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private func variants() throws -> [OptimizerExperiment.Variant] {
        let all = OptimizerExperiment.allVariants
        guard let optimizers else { return all }
        let names = optimizers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return try names.map { name in
            guard let v = all.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                throw ValidationError("unknown optimizer '\(name)' (available: \(all.map(\.name).joined(separator: ", ")))")
            }
            return v
        }
    }

    func run() throws {
        try runtime.apply()
        try OutputOptions.checkWritable(flag: "--output", path: output)
        let start = Date()
        let settings = OptimizerExperiment.Settings(
            datasets: datasetNames, variants: try variants(), seeds: seeds, trainSteps: trainSteps, batchSize: batchSize,
            width: width, depth: depth, dataCount: dataCount, heldOutFraction: heldOut, checkpoints: checkpoints,
            sampleSteps: sampleSteps, cfg: cfg, budget: budget)
        let log: ((String) -> Void)? = noProgress ? nil : { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let results = try OptimizerExperiment(settings: settings, progress: log).run()
        let reportDirectory = URL(fileURLWithPath: output).deletingLastPathComponent()
        let report = OptimizerReport(settings: settings, results: results, plotDirectory: URL(fileURLWithPath: plots),
                                     reportDirectory: reportDirectory)
        try report.writePlots()
        let seconds = Date().timeIntervalSince(start)
        let command = "flowguide " + CommandLine.arguments.dropFirst().joined(separator: " ")
        do {
            try Data(report.markdown(command: command, seconds: seconds).utf8).write(to: URL(fileURLWithPath: output),
                                                                                     options: .atomic)
        } catch {
            throw RunError("\(output): cannot write the report: \(error.localizedDescription)")
        }
        log?("wrote \(output) in \(String(format: "%.1f", seconds)) s")
    }
}
