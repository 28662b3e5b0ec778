extension Metrics {
    /// Improved precision and recall (Kynkäänniemi et al. 2019) between real and generated samples.
    ///
    /// Each sample gets a radius: the distance to its k-th nearest neighbour within its own set,
    /// the sample itself excluded (by index: a duplicate of it counts as a neighbour at
    /// distance 0). Then
    /// - precision = the fraction of generated samples y with ‖y − x‖ ≤ radius(x) for some real x,
    /// - recall = the fraction of real samples x with ‖x − y‖ ≤ radius(y) for some generated y.
    ///
    /// The squared distances come from GEMM in tiles (``PairwiseDistances``), so memory stays
    /// bounded; a sample within float32 rounding of a ball's edge may fall on either side.
    /// Cost O((n + m)²·D).
    ///
    /// Throws `.invalidArgument` for `k < 1`, a set with at most `k` samples or non-finite values,
    /// and `.shapeMismatch` if the dimensions differ.
    public static func precisionRecall(real: Matrix, generated: Matrix,
                                       k: Int = 3) throws(KernelError) -> (precision: Double, recall: Double) {
        guard k >= 1 else {
            throw KernelError(.invalidArgument, "Metrics.precisionRecall: k = \(k), must be >= 1")
        }
        try validatePair("Metrics.precisionRecall", "real", real, "generated", generated, minimumRows: k + 1)
        let realRadii = try nearestNeighbourRadii(real, k: k)
        let generatedRadii = try nearestNeighbourRadii(generated, k: k)
        let precision = try fractionInsideBalls(generated, centers: real, squaredRadii: realRadii)
        let recall = try fractionInsideBalls(real, centers: generated, squaredRadii: generatedRadii)
        return (precision, recall)
    }

    /// The squared distance of each row of `x` to its k-th nearest other row (k < x.rows).
    static func nearestNeighbourRadii(_ x: Matrix, k: Int) throws(KernelError) -> [Double] {
        var radii = [Double](repeating: 0, count: x.rows)
        var smallest = [Double]()  // the k smallest so far, ascending
        smallest.reserveCapacity(k + 1)
        try PairwiseDistances(x, x).forEachTile { rows, tile in
            for (t, i) in rows.enumerated() {
                smallest.removeAll(keepingCapacity: true)
                for j in 0..<x.rows where j != i {
                    let value = tile[t * x.rows + j]
                    if smallest.count == k, value >= smallest[k - 1] { continue }
                    var at = smallest.count
                    while at > 0, smallest[at - 1] > value { at -= 1 }
                    smallest.insert(value, at: at)
                    if smallest.count > k { smallest.removeLast() }
                }
                radii[i] = smallest[k - 1]
            }
        }
        return radii
    }

    /// The fraction of rows of `x` within the ball of squared radius `squaredRadii[c]` around
    /// some row c of `centers` (boundary included).
    static func fractionInsideBalls(_ x: Matrix, centers: Matrix, squaredRadii: [Double]) throws(KernelError) -> Double {
        var inside = 0
        try PairwiseDistances(x, centers).forEachTile { rows, tile in
            for t in 0..<rows.count {
                let row = tile[(t * centers.rows)..<((t + 1) * centers.rows)]
                if zip(row, squaredRadii).contains(where: { $0 <= $1 }) { inside += 1 }
            }
        }
        return Double(inside) / Double(x.rows)
    }
}
