extension Metrics {
    /// The Fréchet distance between Gaussians fitted to two sample sets (the formula of FID,
    /// without a feature network):
    ///
    ///     ‖μ_a − μ_b‖² + tr(S_a + S_b − 2·(S_a^{1/2}·S_b·S_a^{1/2})^{1/2})
    ///
    /// with μ the sample means and S the sample covariances (divided by N − 1), all in Double.
    /// The trace term equals tr((S_a·S_b)^{1/2}) as in FID; here both square roots come from
    /// symmetric eigen-decompositions (Jacobi, ``SymmetricEigen``), with negative eigenvalues from
    /// rounding clamped to 0, and a final value below 0 from rounding is returned as 0. Cost
    /// O(N·D² + D³): meant for D up to a few hundred.
    ///
    /// Throws `.invalidArgument` if a set has fewer than 2 samples or non-finite values, and
    /// `.shapeMismatch` if the dimensions differ.
    public static func frechetDistance(_ a: Matrix, _ b: Matrix) throws(KernelError) -> Double {
        try validatePair("Metrics.frechetDistance", "a", a, "b", b, minimumRows: 2)
        return frechetDistance(GaussianMoments(a), GaussianMoments(b))
    }

    static func frechetDistance(_ x: GaussianMoments, _ y: GaussianMoments) -> Double {
        let d = x.mean.count
        var meanTerm = 0.0
        for j in 0..<d { meanTerm += (x.mean[j] - y.mean[j]) * (x.mean[j] - y.mean[j]) }
        var traces = 0.0
        for j in 0..<d { traces += x.covariance[j * d + j] + y.covariance[j * d + j] }
        let rootX = SymmetricEigen(x.covariance, n: d).map { max($0, 0).squareRoot() }
        let product = multiplySquare(multiplySquare(rootX, y.covariance, n: d), rootX, n: d)
        let crossTrace = SymmetricEigen(product, n: d).values.reduce(0) { $0 + max($1, 0).squareRoot() }
        return max(0, meanTerm + traces - 2 * crossTrace)
    }
}

/// The sample mean and covariance (divided by N − 1, two-pass, in Double) of the rows of a matrix.
struct GaussianMoments {
    let mean: [Double]
    /// D × D row-major.
    let covariance: [Double]

    init(_ x: Matrix) {
        precondition(x.rows >= 2, "GaussianMoments: \(x.rows) rows")
        let d = x.columns
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<x.rows {
            for j in 0..<d { mean[j] += Double(x.scalars[r * d + j]) }
        }
        mean = mean.map { $0 / Double(x.rows) }
        var cov = [Double](repeating: 0, count: d * d)
        var centered = [Double](repeating: 0, count: d)
        cov.withUnsafeMutableBufferPointer { cov in
            for r in 0..<x.rows {
                for j in 0..<d { centered[j] = Double(x.scalars[r * d + j]) - mean[j] }
                for i in 0..<d {
                    let ci = centered[i]
                    for j in i..<d { cov[i * d + j] += ci * centered[j] }
                }
            }
            let scale = 1 / Double(x.rows - 1)
            for i in 0..<d {
                for j in i..<d {
                    cov[i * d + j] *= scale
                    cov[j * d + i] = cov[i * d + j]
                }
            }
        }
        self.mean = mean
        self.covariance = cov
    }
}
