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
            ground-truth samples of each mixture (docs/guidance-mixtures.md is its output).
            """
    )

    @Option(help: "The experiment suite (mixtures).")
    var suite: String = "mixtures"

    @Option(help: "The Markdown report to write.")
    var output: String = "docs/guidance-mixtures.md"

    @Option(help: "Directory for the plots (relative links in the report assume docs/plots).")
    var plots: String = "docs/plots"

    @Option(help: "Seeds per setting (mean ± std over seeds).")
    var seeds: Int = 3

    @Option(help: "Samples per run.")
    var count: Int = 2000

    @Option(help: "Step counts, comma-separated.")
    var steps: String = "4,8,16,32,64"

    @Flag(name: .customLong("no-progress"), help: "No progress lines on stderr.")
    var noProgress = false

    func validate() throws {
        guard suite == "mixtures" else { throw ValidationError("unknown suite '\(suite)' (available: mixtures)") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be >= 1") }
        guard count >= 10 else { throw ValidationError("--count must be >= 10 (k-NN metrics need samples)") }
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
        let experiment = MixtureExperiment(count: count, seeds: seeds, steps: try stepCounts(),
                                           plotDirectory: URL(fileURLWithPath: plots),
                                           reportDirectory: URL(fileURLWithPath: output).deletingLastPathComponent(),
                                           progress: noProgress ? nil : { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        let sections = try experiment.run()
        let seconds = Date().timeIntervalSince(start)
        let command = "flowguide " + CommandLine.arguments.dropFirst().joined(separator: " ")
        let report = experiment.markdown(sections, command: command, seconds: seconds)
        do {
            try Data(report.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw RunError("\(output): cannot write the report: \(error.localizedDescription)")
        }
        FileHandle.standardError.write(Data("wrote \(output) in \(String(format: "%.1f", seconds)) s\n".utf8))
    }
}
