import ArgumentParser
import FlowGuide
import Foundation

/// Which samples to make: how many, of which classes, from which starting points, which shard.
struct SampleSetOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Number of samples of the whole run (all shards).")
    var count: Int = 1000

    @Option(parsing: .unconditional, help: "Seed of the initial noise.")
    var seed: UInt64 = 0

    @Option(name: .customLong("class"), parsing: .unconditional, help: ArgumentHelp(
        "Give every sample class C (-1: unconditional). Default: sample k gets class k mod classCount.",
        valueName: "c"))
    var classLabel: Int?

    @Option(help: ArgumentHelp("Per-sample classes: an integer .npy [count] (-1: unconditional).", valueName: "file.npy"))
    var labels: String?

    @Option(name: .customLong("init"), help: ArgumentHelp("Starting points: a float .npy [count, D] in place of the noise.", valueName: "file.npy"))
    var initPath: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Make only samples [⌊K·count/N⌋, ⌊(K+1)·count/N⌋) (K in 0..<N).", valueName: "k/n"),
            transform: Shard.parse)
    var shard: Shard = .whole

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "At most this many samples per model call (bounds memory).")
    var batchSize: Int = 65536

    func validate() throws {
        if count < 0 { throw ValidationError("--count must be >= 0, got \(count)") }
        if classLabel != nil, labels != nil { throw ValidationError("--class and --labels cannot be combined: pick one") }
        if batchSize < 1 { throw ValidationError("--batch-size must be >= 1, got \(batchSize)") }
    }

    /// What this process samples, resolved against the model (reads the --labels and --init files).
    struct Plan {
        /// Global indices of the rows made here.
        var range: Range<Int>
        /// One label for all rows, or one per row of `range`.
        var labels: [Int]
        var initialPoints: Matrix?

        /// The label of every row of `range`.
        var rowLabels: [Int] { labels.count == 1 ? Array(repeating: labels[0], count: range.count) : labels }
    }

    func plan(for model: LoadedModel) throws -> Plan {
        let range = shard.range(total: count)
        let classes = model.classCount
        func isValid(_ c: Int) -> Bool { c == ClassLabel.unconditional || (0..<classes).contains(c) }
        let labels: [Int]
        if let classLabel {
            guard isValid(classLabel) else {
                throw RunError("--class \(classLabel) is not a class of the model (0..<\(classes), or -1 for unconditional)")
            }
            labels = [classLabel]
        } else if let path = self.labels {
            let all = try NumPyFile.readIntegers(URL(fileURLWithPath: path))
            guard all.count == count else {
                throw RunError("\(path): \(all.count) labels, expected \(count) (one per sample of the whole run, --count)")
            }
            if let i = all.firstIndex(where: { !isValid($0) }) {
                throw RunError("\(path): label \(all[i]) at index \(i) is not a class of the model (0..<\(classes), or -1 for unconditional)")
            }
            labels = Array(all[range])
        } else {
            labels = range.map { $0 % classes }
        }
        var initial: Matrix? = nil
        if let initPath {
            let all = try NumPyFile.readMatrix(URL(fileURLWithPath: initPath))
            guard all.rows == count, all.columns == model.dimension else {
                throw RunError("\(initPath): shape [\(all.rows), \(all.columns)], expected [\(count), \(model.dimension)] (--count rows of the model's dimension)")
            }
            let d = model.dimension
            initial = try Matrix(rows: range.count, columns: d,
                                 scalars: Array(all.scalars[range.lowerBound * d..<range.upperBound * d]))
        }
        return Plan(range: range, labels: labels.isEmpty ? [ClassLabel.unconditional] : labels, initialPoints: initial)
    }
}
