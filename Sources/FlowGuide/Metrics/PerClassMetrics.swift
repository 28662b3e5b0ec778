/// The distribution metrics of one class: real and generated samples carrying the same label.
/// A metric is `nil` when it could not be computed for the class, and `note` says why.
public struct ClassMetrics: Codable, Hashable, Sendable {
    public var label: Int
    public var realCount: Int
    public var generatedCount: Int
    public var frechetDistance: Double?
    public var slicedWasserstein: Double?
    public var mmd: Double?
    public var precision: Double?
    public var recall: Double?
    /// Why metrics are missing, if some are.
    public var note: String?

    public init(label: Int, realCount: Int, generatedCount: Int, frechetDistance: Double? = nil,
                slicedWasserstein: Double? = nil, mmd: Double? = nil, precision: Double? = nil,
                recall: Double? = nil, note: String? = nil) {
        self.label = label
        self.realCount = realCount
        self.generatedCount = generatedCount
        self.frechetDistance = frechetDistance
        self.slicedWasserstein = slicedWasserstein
        self.mmd = mmd
        self.precision = precision
        self.recall = recall
        self.note = note
    }
}

extension Metrics {
    /// The metrics per class: for every label that occurs in `realLabels` or `generatedLabels`
    /// (ascending), the Fréchet distance, sliced Wasserstein, MMD² and precision/recall between
    /// the real and the generated samples of that label, with the same options as the
    /// whole-set functions.
    ///
    /// Classes are not dropped from the table; instead:
    /// - with fewer than 2 samples in either set, the class is skipped: all metrics `nil`, with a note;
    /// - with at most `k` samples in either set, precision and recall are `nil` (the k-NN radii
    ///   need k other samples), with a note;
    /// - when the MMD median heuristic gives 0 for the class (most of its samples coincide) and
    ///   no `bandwidth` is given, `mmd` is `nil`, with a note.
    ///
    /// Throws `.shapeMismatch` unless there is one label per sample or if the dimensions differ,
    /// and `.invalidArgument` for an empty set or non-finite values.
    public static func perClass(real: Matrix, realLabels: [Int], generated: Matrix, generatedLabels: [Int],
                                k: Int = 3, projections: Int = 256, seed: UInt64 = 0,
                                bandwidth: Double? = nil) throws(KernelError) -> [ClassMetrics] {
        try validatePair("Metrics.perClass", "real", real, "generated", generated)
        for (name, labels, x) in [("realLabels", realLabels, real), ("generatedLabels", generatedLabels, generated)]
        where labels.count != x.rows {
            throw KernelError(.shapeMismatch, "Metrics.perClass: \(labels.count) \(name) for \(x.rows) samples")
        }
        var table = [ClassMetrics]()
        for label in Set(realLabels).union(generatedLabels).sorted() {
            let a = rows(of: real, where: realLabels, equal: label)
            let b = rows(of: generated, where: generatedLabels, equal: label)
            var row = ClassMetrics(label: label, realCount: a.rows, generatedCount: b.rows)
            guard a.rows >= 2, b.rows >= 2 else {
                row.note = "skipped: fewer than 2 samples in a set"
                table.append(row)
                continue
            }
            var notes = [String]()
            row.frechetDistance = try frechetDistance(a, b)
            row.slicedWasserstein = try slicedWasserstein(a, b, projections: projections, seed: seed)
            do {
                row.mmd = try mmd(a, b, bandwidth: bandwidth)
            } catch where bandwidth == nil && error.code == .invalidArgument {
                notes.append("no MMD: the median heuristic bandwidth is 0")
            }
            if a.rows > k, b.rows > k {
                (row.precision, row.recall) = try precisionRecall(real: a, generated: b, k: k)
            } else {
                notes.append("no precision/recall: at most k = \(k) samples in a set")
            }
            row.note = notes.isEmpty ? nil : notes.joined(separator: "; ")
            table.append(row)
        }
        return table
    }

    /// The rows of `x` whose label equals `label`, in order.
    static func rows(of x: Matrix, where labels: [Int], equal label: Int) -> Matrix {
        let picked = (0..<x.rows).filter { labels[$0] == label }
        var out = Matrix(rows: picked.count, columns: x.columns)
        for (i, r) in picked.enumerated() {
            out.scalars.replaceSubrange((i * x.columns)..<((i + 1) * x.columns), with: x.row(r))
        }
        return out
    }
}
