/// Squared Euclidean distances between the rows of two sets, `‖a_i‖² + ‖b_j‖² − 2·a_i·b_j`, with
/// the cross term from one GEMM (``Kernels/gemm(_:transposeA:_:transposeB:alpha:beta:into:)``) per
/// tile of rows of `a`, so memory stays bounded (about ``tileElements`` values per tile) even for
/// 50 000 × 50 000 pairs.
///
/// Accuracy: both sets are first shifted by the same vector (the mean of `a` and `b` together),
/// which leaves the distances unchanged but shrinks the norms and so the cancellation in the
/// formula. The norms are summed in Double; the cross term is a float32 GEMM (rounding of about
/// `D·2⁻²⁴·‖a_i‖·‖b_j‖`). Tiny negative results of rounding are clamped to 0.
struct PairwiseDistances {
    /// Tiles hold at most this many distances (one row at least).
    static let tileElements = 1 << 21

    /// The shifted sets and their squared row norms.
    let a: Matrix, b: Matrix
    let aNorms: [Double], bNorms: [Double]

    init(_ a: Matrix, _ b: Matrix) {
        precondition(a.columns == b.columns, "PairwiseDistances: dimensions \(a.columns) and \(b.columns)")
        let d = a.columns
        var center = [Double](repeating: 0, count: d)
        for m in [a, b] {
            for r in 0..<m.rows {
                for j in 0..<d { center[j] += Double(m.scalars[r * d + j]) }
            }
        }
        let total = Double(max(a.rows + b.rows, 1))
        center = center.map { $0 / total }
        func shifted(_ m: Matrix) -> (Matrix, [Double]) {
            var out = m
            var norms = [Double](repeating: 0, count: m.rows)
            for r in 0..<m.rows {
                var norm = 0.0
                for j in 0..<d {
                    let v = Float(Double(m.scalars[r * d + j]) - center[j])
                    out.scalars[r * d + j] = v
                    norm += Double(v) * Double(v)
                }
                norms[r] = norm
            }
            return (out, norms)
        }
        (self.a, self.aNorms) = shifted(a)
        (self.b, self.bNorms) = shifted(b)
    }

    /// Calls `body(rows, distances)` for consecutive ranges of rows of `a`, in order; `distances`
    /// holds the squared distances of those rows to every row of `b`, row-major
    /// (`distances[(i − rows.lowerBound)·b.rows + j]`), and is only valid during the call.
    /// A tile holds at most `maxElements` distances (but at least one row).
    func forEachTile(maxElements: Int = tileElements,
                     _ body: (Range<Int>, UnsafeBufferPointer<Double>) throws(KernelError) -> Void) throws(KernelError) {
        let (n, d) = (b.rows, a.columns)
        guard a.rows > 0, n > 0 else { return }
        let tileRows = max(1, min(a.rows, maxElements / n))
        var block = Matrix(rows: tileRows, columns: d)
        var cross = Matrix(rows: tileRows, columns: n)
        var distances = [Double](repeating: 0, count: tileRows * n)
        var start = 0
        while start < a.rows {
            let rows = start..<min(start + tileRows, a.rows)
            if rows.count != block.rows {  // the last, shorter tile
                block = Matrix(rows: rows.count, columns: d)
                cross = Matrix(rows: rows.count, columns: n)
            }
            block.scalars.replaceSubrange(0..<(rows.count * d), with: a.scalars[(rows.lowerBound * d)..<(rows.upperBound * d)])
            try Kernels.gemm(block, b, transposeB: true, alpha: -2, into: &cross)
            try distances.withUnsafeMutableBufferPointer { (out) throws(KernelError) in
                cross.scalars.withUnsafeBufferPointer { cross in
                    bNorms.withUnsafeBufferPointer { bNorms in
                        for (t, i) in rows.enumerated() {
                            for j in 0..<n { out[t * n + j] = max(0, aNorms[i] + bNorms[j] + Double(cross[t * n + j])) }
                        }
                    }
                }
                try body(rows, UnsafeBufferPointer(rebasing: out[0..<(rows.count * n)]))
            }
            start = rows.upperBound
        }
    }
}
