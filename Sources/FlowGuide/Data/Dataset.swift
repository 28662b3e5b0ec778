/// A class-conditional training or reference set: `samples` [N, D] (float32, one sample per
/// row, the batch layout of ``Matrix``) and one class label per sample.
///
/// Invariants, checked by every initializer: one label per sample, every label in
/// `0 ..< classCount`, `classCount ≥ 1`, dimension D ≥ 1 and only finite values. (Unlike the
/// sampler's labels, −1 is not allowed here: a data point always has a class; unlabelled data
/// is class 0 of a one-class set.) N = 0 is allowed.
///
/// Sources: the built-in sets of ``builtIn(name:count:seed:firstIndex:)`` (generated
/// deterministically from the seed), `.npy` files (``init(samplesFile:labelsFile:)``), or
/// values in memory (``init(samples:labels:classCount:name:)``). Every API throws ``DatasetError``.
public struct Dataset: Hashable, Sendable {
    /// [N, D], finite.
    public let samples: Matrix
    /// N labels in `0 ..< classCount`.
    public let labels: [Int]
    /// The number of classes C (some may have no sample).
    public let classCount: Int
    /// A short name for reports: the built-in's name or the samples file's name.
    public let name: String

    /// N, the number of samples.
    public var count: Int { samples.rows }
    /// D, the dimension of a sample.
    public var dimension: Int { samples.columns }

    /// A dataset from values in memory. Throws ``DatasetError`` with kind `.invalidArgument`
    /// for `classCount < 1`, `.shapeMismatch` for a label count other than `samples.rows` or a
    /// dimension of 0, `.invalidLabel` for a label outside `0 ..< classCount`, and
    /// `.nonFiniteValue` for NaN or infinity (naming the first bad row and column).
    public init(samples: Matrix, labels: [Int], classCount: Int, name: String) throws(DatasetError) {
        guard classCount >= 1 else {
            throw DatasetError(.invalidArgument, "dataset '\(name)': classCount \(classCount) must be >= 1")
        }
        guard samples.columns >= 1 else {
            throw DatasetError(.shapeMismatch, "dataset '\(name)': samples have dimension 0 (shape [\(samples.rows), 0])")
        }
        guard labels.count == samples.rows else {
            throw DatasetError(.shapeMismatch, "dataset '\(name)': \(labels.count) labels for \(samples.rows) samples")
        }
        if let i = labels.firstIndex(where: { !(0..<classCount).contains($0) }) {
            throw DatasetError(.invalidLabel,
                               "dataset '\(name)': labels[\(i)] = \(labels[i]) is not a class in 0..<\(classCount)")
        }
        if let (row, column, count) = Self.firstNonFinite(samples) {
            throw DatasetError(.nonFiniteValue,
                               "dataset '\(name)': \(count) of \(samples.rows) rows contain NaN or infinity "
                                   + "(the first is row \(row), column \(column))")
        }
        self.samples = samples
        self.labels = labels
        self.classCount = classCount
        self.name = name
    }

    /// The number of samples of each class, `classCount` entries.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The samples at `indices` (in that order; repeats allowed) with their labels, the same
    /// class count, and `name`. Throws `.invalidArgument` for an index outside `0 ..< count`.
    public func rows(_ indices: [Int], name: String? = nil) throws(DatasetError) -> Dataset {
        if let bad = indices.first(where: { !(0..<count).contains($0) }) {
            throw DatasetError(.invalidArgument, "dataset '\(self.name)': row \(bad) is not in 0..<\(count)")
        }
        let d = dimension
        var scalars = [Float]()
        scalars.reserveCapacity(indices.count * d)
        for i in indices { scalars += samples.scalars[(i * d)..<((i + 1) * d)] }
        return Dataset(unchecked: Matrix(uncheckedRows: indices.count, columns: d, scalars: scalars),
                       labels: indices.map { labels[$0] }, classCount: classCount, name: name ?? self.name)
    }

    /// Values already validated (a subset of a dataset, a built-in).
    init(unchecked samples: Matrix, labels: [Int], classCount: Int, name: String) {
        self.samples = samples
        self.labels = labels
        self.classCount = classCount
        self.name = name
    }

    /// The first (row, column) holding NaN or infinity and the number of such rows, or nil.
    static func firstNonFinite(_ x: Matrix) -> (row: Int, column: Int, rows: Int)? {
        let d = x.columns
        var first: (Int, Int)? = nil
        var rows = 0
        x.scalars.withUnsafeBufferPointer { s in
            for r in 0..<x.rows {
                guard let j = (0..<d).first(where: { !s[r * d + $0].isFinite }) else { continue }
                if first == nil { first = (r, j) }
                rows += 1
            }
        }
        return first.map { ($0.0, $0.1, rows) }
    }
}

// MARK: - Splits and subsets

extension Dataset {
    /// The ``NoiseGenerator`` stream of the keys that order samples in ``split(heldOut:seed:)``.
    public static let splitStream: UInt32 = 0x4453_0101
    /// The ``NoiseGenerator`` stream of the keys of ``randomSubset(count:size:seed:)``.
    public static let subsetStream: UInt32 = 0x4453_0102

    /// Splits the set into a training part and a held-out part, deterministically and
    /// stratified by class.
    ///
    /// Sample i gets the key `u_i`, the uniform value of ``NoiseGenerator`` (`seed`,
    /// ``splitStream``) at row i (so a sample's key depends only on the seed and its index).
    /// In each class c of n_c samples, the `round(fraction·n_c)` samples with the smallest keys
    /// (ties: lower index first) are held out (rounding half away from zero), so each class keeps
    /// its share in both parts. Both parts keep the original order, the class count, and the
    /// name with " (train)" / " (held-out)" appended.
    ///
    /// Throws `.invalidArgument` unless `fraction` is in [0, 1].
    public func split(heldOut fraction: Double, seed: UInt64) throws(DatasetError) -> (train: Dataset, heldOut: Dataset) {
        guard fraction >= 0, fraction <= 1 else {
            throw DatasetError(.invalidArgument, "Dataset.split: held-out fraction \(fraction) must be in [0, 1]")
        }
        let keys = try Self.keys(count: count, seed: seed, stream: Self.splitStream)
        var isHeldOut = [Bool](repeating: false, count: count)
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, label) in labels.enumerated() { byClass[label].append(i) }
        for members in byClass {
            let held = Int((fraction * Double(members.count)).rounded())
            let order = members.sorted { (keys[$0], $0) < (keys[$1], $1) }
            for i in order.prefix(held) { isHeldOut[i] = true }
        }
        let train = try rows((0..<count).filter { !isHeldOut[$0] }, name: name + " (train)")
        let heldOut = try rows((0..<count).filter { isHeldOut[$0] }, name: name + " (held-out)")
        return (train, heldOut)
    }

    /// At most `maxCount` samples, chosen by ``randomSubset(count:size:seed:)`` (in their
    /// original order); the set itself when it is not larger. Throws `.invalidArgument` for a
    /// negative `maxCount`.
    public func subsample(maxCount: Int, seed: UInt64) throws(DatasetError) -> Dataset {
        guard maxCount >= 0 else {
            throw DatasetError(.invalidArgument, "Dataset.subsample: maxCount \(maxCount) must be >= 0")
        }
        if count <= maxCount { return self }
        return try rows(Self.randomSubset(count: count, size: maxCount, seed: seed))
    }

    /// `size` distinct indices of `0 ..< count`, ascending, chosen uniformly at random and
    /// deterministically: index i gets the key `u_i`, the uniform value of ``NoiseGenerator``
    /// (`seed`, ``subsetStream``) at row i, and the `size` smallest keys win (ties: lower index).
    /// Unlike every k-th row, this does not alias with periodic labels (e.g. `i mod C`).
    /// Throws `.invalidArgument` unless `0 ≤ size ≤ count`.
    public static func randomSubset(count: Int, size: Int, seed: UInt64) throws(DatasetError) -> [Int] {
        guard count >= 0, size >= 0, size <= count else {
            throw DatasetError(.invalidArgument, "Dataset.randomSubset: size \(size) must be in 0...count (\(count))")
        }
        let keys = try Self.keys(count: count, seed: seed, stream: subsetStream)
        let order = (0..<count).sorted { (keys[$0], $0) < (keys[$1], $1) }
        return order.prefix(size).sorted()
    }

    /// One uniform key per index 0 ..< count.
    private static func keys(count: Int, seed: UInt64, stream: UInt32) throws(DatasetError) -> [Float] {
        guard count > 0 else { return [] }
        return try uniforms(rows: count, columns: 1, seed: seed, stream: stream, firstRow: 0).scalars
    }

    /// Uniform values in [0, 1) of rows firstRow ..< firstRow + rows.
    static func uniforms(rows: Int, columns: Int, seed: UInt64, stream: UInt32,
                         firstRow: Int) throws(DatasetError) -> Matrix {
        var m = Matrix(rows: rows, columns: columns)
        guard rows > 0 else { return m }
        do {
            try NoiseGenerator(seed: seed, stream: stream).fillUniform(&m, firstRow: firstRow)
        } catch {
            throw DatasetError(.invalidArgument, "Dataset: noise generator: \(error.detail)")
        }
        return m
    }

    /// Standard normal values of rows firstRow ..< firstRow + rows.
    static func normals(rows: Int, columns: Int, seed: UInt64, stream: UInt32,
                        firstRow: Int) throws(DatasetError) -> Matrix {
        var m = Matrix(rows: rows, columns: columns)
        guard rows > 0 else { return m }
        do {
            try NoiseGenerator(seed: seed, stream: stream).fillNormal(&m, firstRow: firstRow)
        } catch {
            throw DatasetError(.invalidArgument, "Dataset: noise generator: \(error.detail)")
        }
        return m
    }
}

extension Matrix {
    /// A matrix over values whose count is known to be `rows * columns`.
    init(uncheckedRows rows: Int, columns: Int, scalars: [Float]) {
        precondition(scalars.count == rows * columns, "Matrix: \(scalars.count) values for [\(rows), \(columns)]")
        do { try self.init(rows: rows, columns: columns, scalars: scalars) } catch { preconditionFailure("\(error)") }
    }
}
