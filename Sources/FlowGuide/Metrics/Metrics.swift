/// Distribution metrics between two sample sets (DESIGN.md §7): Fréchet distance, sliced
/// Wasserstein, MMD, improved precision and recall, and per-class versions of them.
///
/// Conventions shared by every metric:
/// - Samples are a ``Matrix`` `[N, D]`, one sample per row (float32 storage); all sums are
///   accumulated in Double.
/// - Pairwise squared distances go through GEMM (`‖a‖² + ‖b‖² − 2·a·bᵀ`, see
///   ``PairwiseDistances``), so they carry float32 GEMM rounding (and may differ slightly
///   between BLAS backends); everything else is computed in Double.
/// - Invalid input throws ``KernelError``: `.invalidArgument` for an empty set (or too few
///   samples for the metric) and for non-finite values, `.shapeMismatch` when the two sets have
///   different dimensions (or a label array does not match its set). Rows containing NaN or
///   infinity are **not** dropped: the error says how many rows are non-finite and the first one,
///   so the caller decides what to do with them.
public enum Metrics {}

extension Metrics {
    /// Throws unless `samples` has at least `minimumRows` rows, at least one column and only
    /// finite values. `operation` (e.g. "Metrics.mmd") and `name` (the argument) go into the message.
    static func validate(_ operation: String, _ name: String, _ samples: Matrix,
                         minimumRows: Int = 1) throws(KernelError) {
        guard samples.rows >= minimumRows, samples.columns > 0 else {
            let need = minimumRows == 1 ? "at least one sample" : "at least \(minimumRows) samples"
            throw KernelError(.invalidArgument,
                              "\(operation): `\(name)` is [\(samples.rows), \(samples.columns)]; "
                                  + "the metric needs \(need) of dimension >= 1")
        }
        let d = samples.columns
        var badRows = 0, firstBad = -1
        samples.scalars.withUnsafeBufferPointer { s in
            for r in 0..<samples.rows where !(0..<d).allSatisfy({ s[r * d + $0].isFinite }) {
                if firstBad < 0 { firstBad = r }
                badRows += 1
            }
        }
        if badRows > 0 {
            throw KernelError(.invalidArgument,
                              "\(operation): \(badRows) of \(samples.rows) rows of `\(name)` contain NaN "
                                  + "or infinity (the first is row \(firstBad)); remove them first")
        }
    }

    /// ``validate(_:_:_:minimumRows:)`` for both sets, then checks that their dimensions agree.
    static func validatePair(_ operation: String, _ nameA: String, _ a: Matrix, _ nameB: String, _ b: Matrix,
                             minimumRows: Int = 1) throws(KernelError) {
        try validate(operation, nameA, a, minimumRows: minimumRows)
        try validate(operation, nameB, b, minimumRows: minimumRows)
        guard a.columns == b.columns else {
            throw KernelError(.shapeMismatch,
                              "\(operation): `\(nameA)` has dimension \(a.columns) "
                                  + "but `\(nameB)` has dimension \(b.columns)")
        }
    }
}
