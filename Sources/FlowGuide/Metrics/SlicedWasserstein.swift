extension Metrics {
    /// The ``NoiseGenerator`` stream of the random directions of ``slicedWasserstein(_:_:projections:seed:)``.
    public static let slicedWassersteinStream: UInt32 = 0x5357_0001

    /// The sliced Wasserstein-2 distance:
    ///
    ///     SW₂(a, b) = sqrt( (1/P)·Σ_p W₂²(θ_p·a, θ_p·b) )
    ///
    /// over `projections` (P) random unit directions θ_p: row p of standard normal values from
    /// ``NoiseGenerator`` (`seed`, stream ``slicedWassersteinStream``), normalized. The value is
    /// deterministic for a seed, and the first P directions are the same for any larger P. Each W₂² is between the 1-D projections of the two sets, as
    /// in ``slicedWasserstein(_:_:directions:)``, which this calls.
    ///
    /// Throws `.invalidArgument` for `projections < 1`, an empty set or non-finite values, and
    /// `.shapeMismatch` if the dimensions differ.
    public static func slicedWasserstein(_ a: Matrix, _ b: Matrix, projections: Int = 256,
                                         seed: UInt64 = 0) throws(KernelError) -> Double {
        guard projections >= 1 else {
            throw KernelError(.invalidArgument, "Metrics.slicedWasserstein: projections = \(projections), must be >= 1")
        }
        try validatePair("Metrics.slicedWasserstein", "a", a, "b", b)
        let directions = try NoiseGenerator(seed: seed, stream: slicedWassersteinStream)
            .normal(rows: projections, columns: a.columns)
        return try slicedWasserstein(a, b, directions: directions)
    }

    /// The sliced Wasserstein-2 distance over given directions: each row of `directions` [P, D]
    /// is normalized to unit length (in Double), both sets are projected on it (in Double) and
    /// the squared W₂ distance between the two 1-D empirical distributions (each sample of weight
    /// 1/N) is averaged over the P directions; the result is the square root of that mean.
    ///
    /// The 1-D W₂² is the integral over u ∈ [0, 1] of (F_a⁻¹(u) − F_b⁻¹(u))², where F⁻¹ are the
    /// empirical quantile functions (step functions: the i-th smallest of N values on
    /// u ∈ ((i−1)/N, i/N]). With equal sizes it is the mean squared difference of the sorted
    /// projections; with unequal sizes the integral is taken exactly over the merged breakpoints
    /// i/N_a and j/N_b (no resampling), which is the exact W₂ between the two empirical measures.
    ///
    /// Throws `.invalidArgument` for an empty set or direction list, non-finite values or a zero
    /// direction, and `.shapeMismatch` if a dimension differs.
    public static func slicedWasserstein(_ a: Matrix, _ b: Matrix, directions: Matrix) throws(KernelError) -> Double {
        try validatePair("Metrics.slicedWasserstein", "a", a, "b", b)
        try validatePair("Metrics.slicedWasserstein", "a", a, "directions", directions)
        let d = a.columns
        var unit = [Double](repeating: 0, count: directions.count)
        for p in 0..<directions.rows {
            let row = directions.row(p).map { Double($0) }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else {
                throw KernelError(.invalidArgument, "Metrics.slicedWasserstein: directions row \(p) is zero")
            }
            for j in 0..<d { unit[p * d + j] = row[j] / norm }
        }
        var total = 0.0
        for p in 0..<directions.rows {
            let theta = unit[(p * d)..<((p + 1) * d)]
            total += wasserstein2Squared(sortedA: project(a, on: theta).sorted(), sortedB: project(b, on: theta).sorted())
        }
        return (total / Double(directions.rows)).squareRoot()
    }

    /// The projections θ·x_r of all rows of `x` on one unit direction θ (in Double).
    private static func project(_ x: Matrix, on theta: ArraySlice<Double>) -> [Double] {
        let d = x.columns
        let theta = Array(theta)
        return x.scalars.withUnsafeBufferPointer { s in
            (0..<x.rows).map { r in
                var dot = 0.0
                for j in 0..<d { dot += Double(s[r * d + j]) * theta[j] }
                return dot
            }
        }
    }

    /// W₂² between the empirical distributions of two sorted, non-empty value lists: the integral
    /// of the squared difference of their quantile functions, exact over the merged breakpoints.
    /// Positions are counted in units of 1/(n·m), so the breakpoints are integers.
    static func wasserstein2Squared(sortedA x: [Double], sortedB y: [Double]) -> Double {
        let (n, m) = (x.count, y.count)
        var (i, j, position) = (0, 0, 0)
        var sum = 0.0
        while i < n && j < m {
            let next = min((i + 1) * m, (j + 1) * n)
            let diff = x[i] - y[j]
            sum += Double(next - position) * diff * diff
            position = next
            if next == (i + 1) * m { i += 1 }
            if next == (j + 1) * n { j += 1 }
        }
        return sum / (Double(n) * Double(m))
    }
}
