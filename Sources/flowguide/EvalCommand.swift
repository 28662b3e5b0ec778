import ArgumentParser
import FlowGuide
import Foundation

/// `flowguide eval`: distribution metrics of a generated sample file against a reference — a
/// second .npy file, a built-in dataset, or a mixture's ground truth (docs/cli.md).
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Metrics of generated samples against a reference: Fréchet distance, sliced W2, MMD, precision/recall.",
        discussion: """
            Give exactly one reference: --reference FILE.npy, --reference-dataset NAME or \
            --reference-model NAME|FILE.json. k-NN precision/recall and MMD cost O(N^2): each set \
            is first reduced to --max-samples rows (a seeded random subset, default 20000).
            """
    )

    @Argument(help: ArgumentHelp("The generated samples: float .npy [N, D].", valueName: "generated.npy"))
    var generated: String

    @Option(help: ArgumentHelp("Classes of the generated samples: integer .npy [N] (-1: unconditional).", valueName: "file.npy"))
    var labels: String?

    @Option(help: ArgumentHelp("Reference samples: float .npy [M, D].", valueName: "file.npy"))
    var reference: String?

    @Option(name: .customLong("reference-labels"), help: ArgumentHelp("Classes of the reference samples: integer .npy [M] (>= 0).", valueName: "file.npy"))
    var referenceLabels: String?

    @Option(name: .customLong("reference-dataset"), help: ArgumentHelp(
        "A built-in dataset as reference (\(Dataset.builtInNames.joined(separator: ", "))).", valueName: "name"))
    var referenceDataset: String?

    @Option(name: .customLong("reference-model"), help: ArgumentHelp(
        "Ground truth of a mixture (\(ModelCatalog.builtInNames.joined(separator: ", ")) or a .json), drawn with the generated labels.",
        valueName: "name|file.json"))
    var referenceModel: String?

    @Option(name: .customLong("reference-count"), parsing: .unconditional, help: "Reference dataset size (default: the generated count after --max-samples).")
    var referenceCount: Int?

    @Option(name: .customLong("reference-seed"), parsing: .unconditional, help: "Seed of the reference dataset or mixture samples (default 1).")
    var referenceSeed: UInt64?

    @Flag(name: .customLong("per-class"), help: "Also the metrics per class (needs --labels, and --reference-labels with --reference).")
    var perClass = false

    @Option(parsing: .unconditional, help: "k of the k-NN precision/recall.")
    var k: Int = 3

    @Option(parsing: .unconditional, help: "Random directions of the sliced Wasserstein distance.")
    var projections: Int = 256

    @Option(parsing: .unconditional, help: "RBF bandwidth of the MMD (default: the median heuristic).")
    var bandwidth: Double?

    @Option(name: .customLong("coverage-threshold"), parsing: .unconditional, help: "Mode coverage threshold in standard deviations of the χ² distance (mixtures only).")
    var coverageThreshold: Double = 3

    @Option(parsing: .unconditional, help: "Seed of the sliced-Wasserstein directions and of the --max-samples subsets.")
    var seed: UInt64 = 0

    @Option(name: .customLong("max-samples"), parsing: .unconditional, help: "Use at most this many rows of each set (a seeded random subset; 0: all).")
    var maxSamples: Int = 20000

    @OptionGroup(title: "Runtime") var runtime: RuntimeOptions

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    /// The default of --reference-seed: not 0, so a set written by `flowguide data` with its
    /// default seed 0 is not compared with itself.
    static let defaultReferenceSeed: UInt64 = 1

    func validate() throws {
        let given = [("--reference", reference), ("--reference-dataset", referenceDataset), ("--reference-model", referenceModel)]
            .filter { $0.1 != nil }.map(\.0)
        guard given.count == 1 else {
            throw ValidationError(given.isEmpty
                ? "give a reference: --reference FILE.npy, --reference-dataset NAME or --reference-model NAME"
                : "\(given.joined(separator: " and ")) cannot be combined: pick one reference")
        }
        if referenceLabels != nil, reference == nil { throw ValidationError("--reference-labels needs --reference") }
        if referenceCount != nil, referenceDataset == nil { throw ValidationError("--reference-count needs --reference-dataset") }
        if referenceSeed != nil, reference != nil { throw ValidationError("--reference-seed needs --reference-dataset or --reference-model") }
        if let referenceCount, referenceCount < 1 { throw ValidationError("--reference-count must be >= 1, got \(referenceCount)") }
        if perClass {
            if labels == nil { throw ValidationError("--per-class needs --labels (the classes of the generated samples)") }
            if reference != nil, referenceLabels == nil { throw ValidationError("--per-class with --reference needs --reference-labels") }
        }
        if k < 1 { throw ValidationError("--k must be >= 1, got \(k)") }
        if projections < 1 { throw ValidationError("--projections must be >= 1, got \(projections)") }
        if let bandwidth, !(bandwidth > 0 && bandwidth.isFinite) {
            throw ValidationError("--bandwidth must be positive and finite, got \(bandwidth)")
        }
        if !(coverageThreshold >= 0 && coverageThreshold.isFinite) {
            throw ValidationError("--coverage-threshold must be finite and >= 0, got \(coverageThreshold)")
        }
        if maxSamples < 0 { throw ValidationError("--max-samples must be >= 0 (0: no limit), got \(maxSamples)") }
    }

    func run() throws {
        try runtime.apply()
        let limit = maxSamples == 0 ? Int.max : maxSamples
        let generatedFile = try Dataset(samplesFile: URL(fileURLWithPath: generated))
        var generatedLabels: [Int]? = nil
        if let labels { generatedLabels = try Self.readLabels(labels, count: generatedFile.count, of: generated) }
        let (x, xLabels) = try Self.subset(generatedFile.samples, generatedLabels, limit: limit, seed: seed)

        let ref = try loadReference(generated: x, generatedLabels: xLabels, limit: limit)
        guard ref.samples.columns == x.columns else {
            throw RunError("\(generated) has dimension \(x.columns), the reference (\(ref.description)) has \(ref.samples.columns)")
        }
        for (what, rows, total) in [(generated, x.rows, generatedFile.count),
                                    ("the reference (\(ref.description))", ref.samples.rows, ref.totalRows)]
        where rows <= max(k, 1) {
            let limited = rows < total ? " (a subset of \(total), --max-samples \(maxSamples))" : ""
            throw RunError("\(what) has \(rows) samples\(limited); the metrics need more than k = \(k)")
        }

        var report = try DistributionReport(real: ref.samples, generated: x, k: k, projections: projections, seed: seed,
                                            bandwidth: bandwidth, mixture: ref.mixture, coverageThreshold: coverageThreshold)
        if let mixture = ref.mixture, let xLabels, xLabels.allSatisfy({ (0..<mixture.classCount).contains($0) }) {
            report.mixture?.classAccuracy = try mixture.classAccuracy(x, labels: xLabels)
        }
        if perClass, let xLabels, let refLabels = ref.labels {
            report.perClass = try Metrics.perClass(real: ref.samples, realLabels: refLabels, generated: x,
                                                   generatedLabels: xLabels, k: k, projections: projections,
                                                   seed: seed, bandwidth: bandwidth)
        }
        let inputs = EvalInputs(generated: generated, generatedLabels: labels, generatedRows: generatedFile.count,
                                reference: ref.description, referenceKind: ref.kind, referenceLabels: referenceLabels,
                                referenceRows: ref.totalRows, referenceSeed: ref.seed, maxSamples: maxSamples, seed: seed,
                                threads: KernelRuntime.threadCount)
        let output = EvalOutput(report: report, inputs: inputs)
        print(json ? try output.json() : output.table())
    }

    // MARK: - Inputs

    /// The reference set, resolved.
    struct Reference {
        var samples: Matrix
        /// Per-sample classes, when known.
        var labels: [Int]?
        /// The analytic mixture, when the reference is one (for the mixture metrics).
        var mixture: GaussianMixtureModel?
        var kind: String
        var description: String
        /// Rows before --max-samples.
        var totalRows: Int
        var seed: UInt64?
    }

    func loadReference(generated x: Matrix, generatedLabels: [Int]?, limit: Int) throws -> Reference {
        let seedOfReference = referenceSeed ?? Self.defaultReferenceSeed
        if let reference {
            let data = try Dataset(samplesFile: URL(fileURLWithPath: reference),
                                   labelsFile: referenceLabels.map { URL(fileURLWithPath: $0) })
            let (samples, labels) = try Self.subset(data.samples, referenceLabels == nil ? nil : data.labels,
                                                    limit: limit, seed: seed)
            return Reference(samples: samples, labels: labels, mixture: nil, kind: "file", description: reference,
                             totalRows: data.count, seed: nil)
        }
        if let name = referenceDataset {
            guard let shape = Dataset.builtInShape(name: name) else {
                throw RunError("unknown dataset '\(name)' (built-ins: \(Dataset.builtInNames.joined(separator: ", ")))")
            }
            guard shape.dimension == x.columns else {
                throw RunError("\(generated) has dimension \(x.columns), the dataset \(name) has \(shape.dimension)")
            }
            let count = referenceCount ?? x.rows
            let data = try Dataset.builtIn(name: name, count: count, seed: seedOfReference)
            let (samples, labels) = try Self.subset(data.samples, data.labels, limit: limit, seed: seed)
            return Reference(samples: samples, labels: labels, mixture: Dataset.groundTruthMixture(name: name),
                             kind: "dataset", description: "dataset \(name)", totalRows: count, seed: seedOfReference)
        }
        let name = referenceModel!
        let mixture = try ModelCatalog.load(name)
        guard mixture.dimension == x.columns else {
            throw RunError("\(generated) has dimension \(x.columns), the model \(name) has \(mixture.dimension)")
        }
        let labels = generatedLabels ?? [Int](repeating: ClassLabel.unconditional, count: x.rows)
        if let i = labels.firstIndex(where: { $0 != ClassLabel.unconditional && !(0..<mixture.classCount).contains($0) }) {
            throw RunError("\(self.labels ?? "labels"): label \(labels[i]) is not a class of the model \(name) "
                               + "(0..<\(mixture.classCount), or -1 for unconditional)")
        }
        let samples = try mixture.sample(count: x.rows, labels: labels, seed: seedOfReference)
        return Reference(samples: samples, labels: generatedLabels, mixture: mixture, kind: "model",
                         description: "model \(name)", totalRows: x.rows, seed: seedOfReference)
    }

    /// A 1-D integer labels file with one label per sample, each >= -1.
    static func readLabels(_ path: String, count: Int, of samples: String) throws -> [Int] {
        let labels = try NumPyFile.readIntegers(URL(fileURLWithPath: path))
        guard labels.count == count else {
            throw RunError("\(path): \(labels.count) labels for the \(count) samples of \(samples)")
        }
        if let i = labels.firstIndex(where: { $0 < ClassLabel.unconditional }) {
            throw RunError("\(path): label \(labels[i]) at index \(i) is below -1 (classes are >= 0, -1 is unconditional)")
        }
        return labels
    }

    /// At most `limit` rows (a seeded random subset in the original order, see
    /// `Dataset.randomSubset`) and their labels.
    static func subset(_ x: Matrix, _ labels: [Int]?, limit: Int, seed: UInt64) throws -> (Matrix, [Int]?) {
        guard x.rows > limit else { return (x, labels) }
        let indices = try Dataset.randomSubset(count: x.rows, size: limit, seed: seed)
        let d = x.columns
        var scalars = [Float]()
        scalars.reserveCapacity(limit * d)
        for i in indices { scalars += x.scalars[(i * d)..<((i + 1) * d)] }
        return (try Matrix(rows: limit, columns: d, scalars: scalars), labels.map { l in indices.map { l[$0] } })
    }
}

// MARK: - Output

/// What `flowguide eval` read (the `inputs` key of its JSON).
struct EvalInputs: Encodable {
    var generated: String
    var generatedLabels: String?
    /// Rows of the generated file (before --max-samples).
    var generatedRows: Int
    var reference: String
    /// "file", "dataset" or "model".
    var referenceKind: String
    var referenceLabels: String?
    /// Rows of the reference (before --max-samples).
    var referenceRows: Int
    var referenceSeed: UInt64?
    var maxSamples: Int
    var seed: UInt64
    var threads: Int
}

/// The report of `flowguide eval`: the ``DistributionReport`` keys plus `inputs`.
struct EvalOutput: Encodable {
    var report: DistributionReport
    var inputs: EvalInputs

    private enum Keys: String, CodingKey { case inputs }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(inputs, forKey: .inputs)
    }

    /// One JSON object on one line: snake_case keys (like `flowguide sample --json`), sorted;
    /// non-finite numbers as the strings "inf", "-inf", "nan".
    func json() throws -> String {
        try JSONLine.encode(self)
    }

    /// Two aligned columns, metric and value (the JSON key names), then the per-class table.
    func table() -> String {
        var rows: [(String, String)] = [
            ("generated", inputs.generated + (inputs.generatedLabels.map { " (labels \($0))" } ?? "")),
            ("reference", inputs.reference + (inputs.referenceLabels.map { " (labels \($0))" } ?? "")
                + (inputs.referenceSeed.map { ", seed \($0)" } ?? "")),
            ("generated_count", count(report.generatedCount, of: inputs.generatedRows)),
            ("real_count", count(report.realCount, of: inputs.referenceRows)),
            ("dimension", String(report.dimension)),
            ("frechet_distance", Self.number(report.frechetDistance)),
            ("sliced_wasserstein", Self.number(report.slicedWasserstein) + "  (\(report.slicedWassersteinProjections) projections)"),
            ("mmd", Self.number(report.mmd) + "  (bandwidth \(Self.number(report.mmdBandwidth)))"),
            ("precision", Self.number(report.precision) + "  (k = \(report.nearestNeighbours))"),
            ("recall", Self.number(report.recall)),
        ]
        if let m = report.mixture {
            rows.append(("mean_distance_to_nearest_mode", Self.number(m.meanDistanceToNearestMode)))
            rows.append(("mode_coverage", Self.number(m.modeCoverage) + "  (threshold \(Self.number(m.coverageThreshold)))"))
            if let accuracy = m.classAccuracy { rows.append(("class_accuracy", Self.number(accuracy))) }
            rows.append(("mean_log_likelihood", Self.number(m.meanLogLikelihood)))
        }
        let width = rows.map(\.0.count).max()! + 2
        var lines = [Self.pad("metric", width) + "value"]
        lines += rows.map { Self.pad($0.0, width) + $0.1 }
        if let table = report.perClass {
            lines.append("")
            let header = ["class", "real", "generated", "frechet", "sliced_w2", "mmd", "precision", "recall", "note"]
            let body = table.map { c in
                [String(c.label), String(c.realCount), String(c.generatedCount)]
                    + [c.frechetDistance, c.slicedWasserstein, c.mmd, c.precision, c.recall].map { $0.map(Self.number) ?? "-" }
                    + [c.note ?? ""]
            }
            let widths = header.indices.map { j in ([header[j]] + body.map { $0[j] }).map(\.count).max()! + 2 }
            for row in [header] + body {
                lines.append(row.indices.map { Self.pad(row[$0], widths[$0]) }.joined().trimmingCharacters(in: .whitespaces))
            }
        }
        return lines.joined(separator: "\n")
    }

    private func count(_ used: Int, of total: Int) -> String {
        used == total ? String(used) : "\(used) (random subset of \(total))"
    }

    /// Six significant digits.
    static func number(_ x: Double) -> String { String(format: "%.6g", x) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
