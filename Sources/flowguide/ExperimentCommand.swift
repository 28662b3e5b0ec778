import ArgumentParser
import FlowGuide
import Foundation

/// `flowguide experiment`: sample a set of models with a grid of methods and step counts over
/// several seeds, measure each run against ground truth, and write a Markdown report (+ plots).
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Compare guidance methods across step counts and seeds; write a Markdown report.",
        discussion: """
            Suite 'mixtures': the analytic mixtures (eight-gaussians, ring25, mixture64), methods \
            Euler, MG, CFG, CFG+MG and APG at 4, 8, 16, 32, 64 steps, metrics against fresh \
            ground-truth samples of each mixture (docs/guidance-mixtures.md is its output). \
            Suite 'trained': the committed trained models (models/*.safetensors, made by models/train.sh), \
            MG tuned on --tuning-seeds and reported on disjoint test seeds against fresh data, with CFG, \
            CFG+MG, APG and Heun at equal NFE (docs/experiments.md is its output).
            """
    )

    @Option(help: "The experiment suite (mixtures, trained).")
    var suite: String = "mixtures"

    @Option(help: "The Markdown report to write (default: docs/guidance-mixtures.md or docs/experiments.md).")
    var output: String?

    @Option(help: "Directory for the plots (relative links in the report assume docs/plots).")
    var plots: String = "docs/plots"

    @Option(help: "Seeds per setting (mean ± std over seeds; the test seeds of 'trained').")
    var seeds: Int = 3

    @Option(name: .customLong("tuning-seeds"), help: "Suite 'trained': seeds α, β are tuned on (disjoint from the test seeds).")
    var tuningSeeds: Int = 2

    @Option(help: "Samples per run (default: 2000 for mixtures, 1000 for trained).")
    var count: Int?

    @Option(help: "Suite 'trained': the directory of the committed models.")
    var models: String = "models"

    @Option(help: "Step counts, comma-separated.")
    var steps: String = "4,8,16,32,64"

    @Flag(name: .customLong("no-progress"), help: "No progress lines on stderr.")
    var noProgress = false

    func validate() throws {
        guard ["mixtures", "trained"].contains(suite) else {
            throw ValidationError("unknown suite '\(suite)' (available: mixtures, trained)")
        }
        guard seeds >= 1 else { throw ValidationError("--seeds must be >= 1") }
        guard tuningSeeds >= 1 else { throw ValidationError("--tuning-seeds must be >= 1") }
        guard seeds + tuningSeeds <= 100 else { throw ValidationError("--seeds + --tuning-seeds must be <= 100") }
        if let count { guard count >= 10 else { throw ValidationError("--count must be >= 10 (k-NN metrics need samples)") } }
        _ = try stepCounts()
    }

    func stepCounts() throws -> [Int] {
        let values = steps.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--steps must be a comma-separated list of positive integers, got '\(steps)'")
        }
        return values.map { $0! }
    }

    func run() throws {
        let start = Date()
        let output = self.output ?? (suite == "trained" ? "docs/experiments.md" : "docs/guidance-mixtures.md")
        let progress: ((String) -> Void)? = noProgress ? nil : { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let reportDirectory = URL(fileURLWithPath: output).deletingLastPathComponent()
        let command = "flowguide " + CommandLine.arguments.dropFirst().joined(separator: " ")
        let report: String
        if suite == "trained" {
            // Test seeds 0..<seeds, tuning seeds 100..<100 + tuningSeeds: disjoint.
            let experiment = TrainedExperiment(count: count ?? 1000, testSeeds: (0..<UInt64(seeds)).map { $0 },
                                               tuningSeeds: (0..<UInt64(tuningSeeds)).map { 100 + $0 },
                                               budgets: try stepCounts(), modelDirectory: URL(fileURLWithPath: models),
                                               plotDirectory: URL(fileURLWithPath: plots),
                                               reportDirectory: reportDirectory, progress: progress)
            let results = try experiment.run()
            report = experiment.markdown(results, command: command, seconds: Date().timeIntervalSince(start))
        } else {
            let experiment = MixtureExperiment(count: count ?? 2000, seeds: seeds, steps: try stepCounts(),
                                               plotDirectory: URL(fileURLWithPath: plots),
                                               reportDirectory: reportDirectory, progress: progress)
            let sections = try experiment.run()
            report = experiment.markdown(sections, command: command, seconds: Date().timeIntervalSince(start))
        }
        let seconds = Date().timeIntervalSince(start)
        do {
            try Data(report.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw RunError("\(output): cannot write the report: \(error.localizedDescription)")
        }
        FileHandle.standardError.write(Data("wrote \(output) in \(String(format: "%.1f", seconds)) s\n".utf8))
    }
}
