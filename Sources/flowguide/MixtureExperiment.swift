import FlowGuide
import Foundation

/// The analytic-mixture guidance comparison behind `flowguide experiment --suite mixtures`.
///
/// For each mixture, method, step count and seed: `count` class-conditional samples (sample k has
/// class k mod C) from the seeded noise, compared with `count` ground-truth samples of the mixture
/// drawn with the same labels (seed 10 000 + seed). A "ground truth" row compares a second
/// ground-truth draw with the first: the metrics' own noise floor.
struct MixtureExperiment {
    let count: Int
    let seeds: Int
    let steps: [Int]
    let plotDirectory: URL
    let reportDirectory: URL
    let progress: ((String) -> Void)?

    struct Method {
        let name: String
        let solver: Solver
        let guidance: Guidance
    }

    static let methods: [Method] = [
        Method(name: "Euler", solver: .euler, guidance: .none),
        Method(name: "MG (α 0.5, β 0.6)", solver: .euler, guidance: .momentum(alpha: 0.5, beta: 0.6)),
        Method(name: "CFG (w 2)", solver: .euler, guidance: .cfg(2)),
        Method(name: "CFG (w 2) + MG", solver: .euler,
               guidance: Guidance(combiner: .cfg, scale: .constant(2), momentum: MomentumGuidance(alpha: 0.5, beta: 0.6))),
        Method(name: "APG (w 2, η 0)", solver: .euler,
               guidance: Guidance(combiner: .apg(eta: 0), scale: .constant(2))),
    ]

    static let models: [(String, GaussianMixtureModel)] = [
        ("eight-gaussians", .eightGaussians), ("ring25", .ring25), ("mixture64", .mixture64),
    ]

    /// The metrics, in table order: name, and whether higher is better.
    static let metricNames = ["precision", "recall", "Fréchet", "sliced W2", "mode dist", "coverage", "class acc"]

    struct Row {
        let method: String
        let steps: Int?
        let nfe: Int
        /// Per metric, the value of every seed.
        let values: [[Double]]
    }

    struct Section {
        let model: String
        let dimension: Int
        let rows: [Row]
        let plots: [(method: String, file: String)]
    }

    func run() throws -> [Section] {
        var sections: [Section] = []
        for (name, model) in Self.models {
            let labels = (0..<count).map { $0 % model.classCount }
            let truths = try (0..<seeds).map { s in
                try model.sample(count: count, labels: labels, seed: UInt64(10_000 + s))
            }
            var rows: [Row] = []
            // The noise floor: a second ground-truth draw against the first.
            var floor: [[Double]] = Array(repeating: [], count: Self.metricNames.count)
            for s in 0..<seeds {
                let other = try model.sample(count: count, labels: labels, seed: UInt64(20_000 + s))
                for (m, v) in try metrics(other, truths[s], model, labels).enumerated() { floor[m].append(v) }
            }
            rows.append(Row(method: "ground truth (2nd draw)", steps: nil, nfe: 0, values: floor))
            var plots: [(String, String)] = []
            for method in Self.methods {
                for n in steps {
                    var values: [[Double]] = Array(repeating: [], count: Self.metricNames.count)
                    var nfe = 0
                    for s in 0..<seeds {
                        let sampler = Sampler(model: model, options: SamplerOptions(
                            grid: try .uniform(steps: n), solver: method.solver, guidance: method.guidance))
                        let result = try sampler.sample(SamplingRequest(count: count, labels: labels, seed: UInt64(s)))
                        nfe = result.nfe
                        for (m, v) in try metrics(result.samples, truths[s], model, labels).enumerated() {
                            values[m].append(v)
                        }
                        if s == 0 && n == steps.min() && model.dimension == 2 {
                            plots.append((method.name, try plot(result.samples, truths[0], labels, model: name,
                                                                method: method.name, steps: n)))
                        }
                    }
                    rows.append(Row(method: method.name, steps: n, nfe: nfe, values: values))
                    progress?("experiment: \(name) · \(method.name) · \(n) steps")
                }
            }
            sections.append(Section(model: name, dimension: model.dimension, rows: rows, plots: plots))
        }
        return sections
    }

    private func metrics(_ generated: Matrix, _ truth: Matrix, _ model: GaussianMixtureModel,
                         _ labels: [Int]) throws -> [Double] {
        let pr = try Metrics.precisionRecall(real: truth, generated: generated, k: 3)
        return [
            pr.precision, pr.recall,
            try Metrics.frechetDistance(generated, truth),
            try Metrics.slicedWasserstein(generated, truth, projections: 128, seed: 0),
            try model.meanDistanceToNearestMode(generated),
            try model.modeCoverage(generated),
            try model.classAccuracy(generated, labels: labels),
        ]
    }

    /// A scatter plot of the first 600 samples over ground truth; returns the file name.
    private func plot(_ samples: Matrix, _ truth: Matrix, _ labels: [Int], model: String, method: String,
                      steps: Int) throws -> String {
        let n = min(600, samples.rows)
        func head(_ m: Matrix) throws -> Matrix {
            try Matrix(rows: n, columns: m.columns, scalars: Array(m.scalars[0..<n * m.columns]))
        }
        var plot = ScatterPlot(title: "\(model): \(method), \(steps) steps", width: 480, height: 480)
        try plot.add(try head(truth), name: "ground truth", markerRadius: 1.2)
        try plot.add(try head(samples), labels: Array(labels[0..<n]), name: "samples", markerRadius: 1.5)
        let slug = method.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? String($0) : "-" }.joined()
            .split(separator: "-").joined(separator: "-")
        let file = "mixtures-\(model)-\(slug)-\(steps)steps.svg"
        try FileManager.default.createDirectory(at: plotDirectory, withIntermediateDirectories: true)
        try plot.write(to: plotDirectory.appendingPathComponent(file))
        return file
    }

    // MARK: - Report

    func markdown(_ sections: [Section], command: String, seconds: Double) -> String {
        var out = """
            # Guidance on the analytic mixtures

            Made by `\(command)` in \(String(format: "%.0f", seconds)) s \
            (\(KernelRuntime.threadCount) threads). Do not edit: rerun the command.

            Each setting samples \(count) class-conditional points (sample k has class k mod C) from \
            seeded noise with \(seeds) seed\(seeds == 1 ? "" : "s") (0…\(seeds - 1)) and compares them with \
            \(count) ground-truth samples of the same mixture with the same labels (seed 10 000 + seed). \
            Cells are mean ± standard deviation over the seeds. The samplers are exact-velocity Euler \
            steps on a uniform grid; NFE is per sample. Metrics (FlowGuide's `Metrics`):

            - **precision / recall**: improved k-NN precision and recall (Kynkäänniemi et al. 2019, k = 3);
            - **Fréchet**: Fréchet distance between Gaussians fitted to samples and ground truth;
            - **sliced W2**: sliced Wasserstein-2 distance (128 directions);
            - **mode dist**: mean distance of a sample to the nearest component mean;
            - **coverage**: fraction of components with samples within 3 std of their mean;
            - **class acc**: fraction of samples whose most likely component carries their class.

            The "ground truth (2nd draw)" row measures a second ground-truth sample: the best any \
            sampler can do at this sample size (the k-NN metrics and the Fréchet distance have a \
            finite-sample floor, large in 64-D). The velocity is exact, so every departure from that row \
            is the solver's or the guidance's doing: unguided Euler approaches ground truth as the steps \
            grow, and CFG and APG (w = 2) trade recall for class-typical samples. MG is meant for learned, \
            over-smoothed velocity fields, which an exact mixture is not; here it acts on the \
            discretisation error of few-step Euler instead. The findings under each table, computed from \
            its numbers, say where that helps and where it overshoots.


            """
        for section in sections {
            out += "## \(section.model) (\(section.dimension)-D)\n\n"
            out += "| method | steps | NFE | " + Self.metricNames.joined(separator: " | ") + " |\n"
            out += "|:---|---:|---:|" + String(repeating: "---:|", count: Self.metricNames.count) + "\n"
            for row in section.rows {
                let cells = row.values.map(Self.cell)
                out += "| \(row.method) | \(row.steps.map(String.init) ?? "—") | \(row.nfe) | "
                    + cells.joined(separator: " | ") + " |\n"
            }
            out += "\n"
            // Fréchet distance at a glance: methods × steps.
            out += "Fréchet distance by steps:\n\n| method | " + steps.map { "\($0)" }.joined(separator: " | ") + " |\n"
            out += "|:---|" + String(repeating: "---:|", count: steps.count) + "\n"
            for method in Self.methods {
                let values = steps.map { n in
                    section.rows.first { $0.method == method.name && $0.steps == n }.map { Self.mean($0.values[2]) } ?? .nan
                }
                out += "| \(method.name) | " + values.map(Self.number).joined(separator: " | ") + " |\n"
            }
            out += "\n"
            out += findings(section)
            if !section.plots.isEmpty {
                let relative = relativePlotPath()
                out += "Samples at \(steps.min()!) steps (seed 0, first 600; ground truth in grey):\n\n"
                for (method, file) in section.plots {
                    out += "![\(section.model), \(method)](\(relative)/\(file)) "
                }
                out += "\n\n"
            }
        }
        return out
    }

    /// Plain-words findings computed from the section's numbers (so they never go stale).
    private func findings(_ section: Section) -> String {
        func value(_ method: String, _ n: Int?, _ metric: Int) -> Double {
            section.rows.first { $0.method == method && $0.steps == n }.map { Self.mean($0.values[metric]) } ?? .nan
        }
        let names = Self.methods.map(\.name)
        let (euler, mg, cfg, cfgMG) = (names[0], names[1], names[2], names[3])
        let (fd, sw, precision, recall, modeDist) = (2, 3, 0, 1, 4)
        let fewest = steps.min()!
        let truthDist = value("ground truth (2nd draw)", nil, modeDist)
        /// Mean over the step budgets of (new − base)/base, in percent (distances), or of
        /// new − base (precision and recall, fractions: a relative change of a near-zero recall
        /// would say nothing).
        func change(_ new: String, _ base: String, _ metric: Int) -> String {
            let relative = metric != precision && metric != recall
            let d = steps.map { n in
                let (a, b) = (value(new, n, metric), value(base, n, metric))
                return relative ? (a - b) / b : a - b
            }
            let m = Self.mean(d) * (relative ? 100 : 1)
            return (m >= 0 ? "+" : "") + String(format: relative ? "%.1f%%" : "%.3f", m)
        }
        var out = "What the numbers say (computed from the table):\n\n"
        let eulerDist = value(euler, fewest, modeDist), mgDist = value(mg, fewest, modeDist)
        out += "- At \(fewest) steps, Euler's samples lie \(Self.number(eulerDist)) from the nearest mode on average, "
            + "ground truth \(Self.number(truthDist)): few-step Euler on the exact field "
            + (eulerDist < truthDist ? "over-concentrates samples near the modes" : "spreads samples beyond the modes")
            + "; MG moves this to \(Self.number(mgDist)).\n"
        out += "- MG vs Euler, mean relative change over \(steps.map(String.init).joined(separator: ", ")) steps: "
            + "Fréchet \(change(mg, euler, fd)), sliced W2 \(change(mg, euler, sw)); mean difference of precision "
            + "\(change(mg, euler, precision)), of recall \(change(mg, euler, recall)).\n"
        out += "- CFG + MG vs CFG, the same: Fréchet \(change(cfgMG, cfg, fd)), sliced W2 \(change(cfgMG, cfg, sw)), "
            + "precision \(change(cfgMG, cfg, precision)), recall \(change(cfgMG, cfg, recall)).\n"
        let best = steps.map { n in
            "\(n): " + (Self.methods.min { value($0.name, n, fd) < value($1.name, n, fd) }?.name ?? "?")
        }
        out += "- Lowest Fréchet distance per step count: " + best.joined(separator: "; ") + ".\n\n"
        return out
    }

    private func relativePlotPath() -> String {
        let report = reportDirectory.standardizedFileURL.path
        let plots = plotDirectory.standardizedFileURL.path
        if plots.hasPrefix(report + "/") { return String(plots.dropFirst(report.count + 1)) }
        return plots
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }

    static func cell(_ v: [Double]) -> String {
        let m = mean(v)
        guard v.count > 1 else { return number(m) }
        let sd = (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
        return number(m) + " ± " + String(format: "%.2g", sd)
    }

    /// Three significant digits, without exponent notation for values from 0.001 up.
    static func number(_ v: Double) -> String {
        if v == 0 || abs(v) >= 0.001 && abs(v) < 1e6 {
            let digits = max(0, 2 - Int(floor(log10(max(abs(v), 1e-300)))))
            return String(format: "%.\(min(digits, 5))f", v)
        }
        return String(format: "%.2e", v)
    }
}
