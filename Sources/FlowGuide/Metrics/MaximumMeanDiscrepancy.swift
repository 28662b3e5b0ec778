#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Metrics {
    /// At most this many rows of each set enter the median heuristic of ``medianHeuristicBandwidth(_:_:)``.
    public static let medianHeuristicRowsPerSet = 500

    /// The squared maximum mean discrepancy with the RBF kernel `k(x, y) = exp(−‖x − y‖²/(2h²))`,
    /// as the unbiased U-statistic:
    ///
    ///     MMD² = 1/(n(n−1))·Σ_{i≠i'} k(a_i, a_i') + 1/(m(m−1))·Σ_{j≠j'} k(b_j, b_j')
    ///            − 2/(n·m)·Σ_{i,j} k(a_i, b_j)
    ///
    /// (it can be slightly negative when the distributions are equal). The bandwidth h is
    /// `bandwidth` if given, else ``medianHeuristicBandwidth(_:_:)``. The squared distances come
    /// from GEMM in tiles (``PairwiseDistances``); the kernel sums are in Double. Cost O((n + m)²·D).
    ///
    /// Throws `.invalidArgument` if a set has fewer than 2 samples or non-finite values, if
    /// `bandwidth` is not positive and finite, or if the median heuristic gives 0 (then pass a
    /// bandwidth); `.shapeMismatch` if the dimensions differ.
    public static func mmd(_ a: Matrix, _ b: Matrix, bandwidth: Double? = nil) throws(KernelError) -> Double {
        try validatePair("Metrics.mmd", "a", a, "b", b, minimumRows: 2)
        var h = bandwidth ?? 0
        if bandwidth == nil { h = try medianHeuristicBandwidth(a, b) }
        guard h > 0, h.isFinite else {
            throw KernelError(.invalidArgument, "Metrics.mmd: bandwidth \(h) must be positive and finite")
        }
        let gamma = 1 / (2 * h * h)
        let kaa = try meanKernel(a, a, gamma: gamma, sameSet: true)
        let kbb = try meanKernel(b, b, gamma: gamma, sameSet: true)
        let kab = try meanKernel(a, b, gamma: gamma, sameSet: false)
        return kaa + kbb - 2 * kab
    }

    /// The median heuristic for the RBF bandwidth: the median of the Euclidean distances
    /// ‖z_i − z_j‖ over the distinct pairs i < j of the pooled sample z = (a, b), the mean of the
    /// two middle values when the number of pairs is even. To bound the cost, a set of N rows
    /// larger than ``medianHeuristicRowsPerSet`` (L) enters through the L evenly spaced rows
    /// ⌊i·N/L⌋, i = 0 ..< L. Throws like ``mmd(_:_:bandwidth:)``, and `.invalidArgument` if the
    /// median is 0 (more than half of the pairs coincide).
    public static func medianHeuristicBandwidth(_ a: Matrix, _ b: Matrix) throws(KernelError) -> Double {
        try validatePair("Metrics.medianHeuristicBandwidth", "a", a, "b", b)
        let d = a.columns
        var pooled = [Float]()
        for x in [a, b] {
            let count = min(x.rows, medianHeuristicRowsPerSet)
            for i in 0..<count { pooled += x.row(i * x.rows / count) }
        }
        let z = try Matrix(rows: pooled.count / d, columns: d, scalars: pooled)
        guard z.rows >= 2 else {
            throw KernelError(.invalidArgument, "Metrics.medianHeuristicBandwidth: needs at least 2 samples in all")
        }
        var distances = [Double]()
        distances.reserveCapacity(z.rows * (z.rows - 1) / 2)
        try PairwiseDistances(z, z).forEachTile { rows, tile in
            for (t, i) in rows.enumerated() {
                for j in (i + 1)..<z.rows { distances.append(tile[t * z.rows + j].squareRoot()) }
            }
        }
        distances.sort()
        let mid = distances.count / 2
        let median = distances.count % 2 == 1 ? distances[mid] : 0.5 * (distances[mid - 1] + distances[mid])
        guard median > 0 else {
            throw KernelError(.invalidArgument,
                              "Metrics.medianHeuristicBandwidth: the median pairwise distance is 0 (most samples "
                                  + "coincide); pass a bandwidth")
        }
        return median
    }

    /// The mean of exp(−γ·‖x_i − y_j‖²) over all pairs, or over the pairs i ≠ j when `sameSet`
    /// (then by symmetry as twice the sum over j > i).
    private static func meanKernel(_ x: Matrix, _ y: Matrix, gamma: Double, sameSet: Bool) throws(KernelError) -> Double {
        var sum = 0.0
        try PairwiseDistances(x, y).forEachTile { rows, tile in
            for (t, i) in rows.enumerated() {
                var rowSum = 0.0
                for j in (sameSet ? i + 1 : 0)..<y.rows { rowSum += exp(-gamma * tile[t * y.rows + j]) }
                sum += sameSet ? 2 * rowSum : rowSum
            }
        }
        let pairs = sameSet ? Double(x.rows) * Double(x.rows - 1) : Double(x.rows) * Double(y.rows)
        return sum / pairs
    }
}
