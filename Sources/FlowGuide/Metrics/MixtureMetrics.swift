#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Metrics of samples against the analytic mixture at σ = 0 (the data distribution), where
/// component k is `N(μ_k, s_k²·I)`: its mean is the scaled mean (1 − σ)·μ_k = μ_k.
/// Only components of positive weight take part. Computed directly in Double (K is small).
///
/// Point masses (s_k = 0) have an infinite density at μ_k and a zero-radius mode, so wherever a
/// component's std enters a metric it is replaced by `max(s_k, ``metricStdFloor``)`.
extension GaussianMixtureModel {
    /// The std used in place of a smaller one (point masses) by the mixture metrics.
    public static let metricStdFloor = 1e-3

    /// The mean over samples of the Euclidean distance to the nearest component mean μ_k.
    /// Throws `.invalidArgument` for no samples or non-finite values, `.shapeMismatch` for a
    /// dimension other than the mixture's.
    public func meanDistanceToNearestMode(_ samples: Matrix) throws(KernelError) -> Double {
        try validateSamples("meanDistanceToNearestMode", samples)
        let comps = positiveComponents
        var total = 0.0
        for r in 0..<samples.rows {
            total += comps.map { squaredDistance(samples, r, $0) }.min()!.squareRoot()
        }
        return total / Double(samples.rows)
    }

    /// The fraction of components (of positive weight) that the samples cover.
    ///
    /// A sample is near component k when its normalized squared distance
    /// `q = ‖x − μ_k‖²/s̃_k²` (s̃_k = max(s_k, ``metricStdFloor``)) is at most `D + threshold·√(2D)`:
    /// for a sample of component k, q is χ²_D-distributed with mean D and standard deviation √(2D),
    /// so `threshold` counts standard deviations of q. (A fixed radius threshold·s_k, the usual
    /// rule in 2-D, would cover nothing in high dimension, where ‖x − μ_k‖ ≈ s_k·√D.) In 2-D with
    /// threshold 3 the radius is √8·s_k ≈ 2.83·s_k, holding 98.2 % of the component's mass.
    ///
    /// Component k is covered when at least `max(1, ⌈0.01·N·π_k⌉)` of the N samples are near it
    /// (1 % of its expected count). A sample may be near several components (overlapping modes)
    /// and counts for each.
    ///
    /// Throws like ``meanDistanceToNearestMode(_:)``, and `.invalidArgument` for a negative or
    /// non-finite threshold.
    public func modeCoverage(_ samples: Matrix, threshold: Double = 3) throws(KernelError) -> Double {
        try validateSamples("modeCoverage", samples)
        guard threshold >= 0, threshold.isFinite else {
            throw KernelError(.invalidArgument,
                              "GaussianMixtureModel.modeCoverage: threshold \(threshold) must be finite and >= 0")
        }
        let d = Double(dimension)
        let comps = positiveComponents
        var covered = 0
        for k in comps {
            let s = flooredStd(k)
            let limit = s * s * (d + threshold * (2 * d).squareRoot())
            let needed = max(1, Int((0.01 * Double(samples.rows) * weights[k]).rounded(.up)))
            var near = 0
            for r in 0..<samples.rows where squaredDistance(samples, r, k) <= limit {
                near += 1
                if near >= needed { break }
            }
            if near >= needed { covered += 1 }
        }
        return Double(covered) / Double(comps.count)
    }

    /// The fraction of samples whose most likely component at σ = 0 (the largest posterior
    /// `π_k·N(x; μ_k, s̃_k²·I)`, s̃_k = max(s_k, ``metricStdFloor``); the first on ties) carries the
    /// sample's label. Throws like ``meanDistanceToNearestMode(_:)``, `.shapeMismatch` unless there
    /// is one label per sample, and `.invalidArgument` for a label outside `0 ..< classCount`.
    public func classAccuracy(_ samples: Matrix, labels: [Int]) throws(KernelError) -> Double {
        try validateSamples("classAccuracy", samples)
        guard labels.count == samples.rows else {
            throw KernelError(.shapeMismatch,
                              "GaussianMixtureModel.classAccuracy: \(labels.count) labels for \(samples.rows) samples")
        }
        if let i = labels.firstIndex(where: { !(0..<classCount).contains($0) }) {
            throw KernelError(.invalidArgument,
                              "GaussianMixtureModel.classAccuracy: labels[\(i)] = \(labels[i]) is not a class in 0..<\(classCount)")
        }
        let comps = positiveComponents
        var correct = 0
        for r in 0..<samples.rows {
            var best = comps[0], bestLog = -Double.infinity
            for k in comps {
                let l = componentLogDensity(samples, r, k)
                if l > bestLog { (best, bestLog) = (k, l) }
            }
            if self.labels[best] == labels[r] { correct += 1 }
        }
        return Double(correct) / Double(samples.rows)
    }

    /// The log-density of each sample under the mixture at σ = 0,
    /// `log Σ_k π_k·N(x; μ_k, s̃_k²·I)` with s̃_k = max(s_k, ``metricStdFloor``) (log-sum-exp, in
    /// Double). For mixtures without point masses it is exact; a point mass is smoothed into a
    /// Gaussian of std ``metricStdFloor`` (its true density is infinite at μ_k and 0 elsewhere).
    /// Throws like ``meanDistanceToNearestMode(_:)``.
    public func logLikelihood(_ samples: Matrix) throws(KernelError) -> [Double] {
        try validateSamples("logLikelihood", samples)
        let comps = positiveComponents
        return (0..<samples.rows).map { r in
            let logs = comps.map { componentLogDensity(samples, r, $0) }
            let top = logs.max()!
            return top + log(logs.reduce(0) { $0 + exp($1 - top) })
        }
    }

    // MARK: Helpers

    private var positiveComponents: [Int] { weights.indices.filter { weights[$0] > 0 } }

    private func flooredStd(_ k: Int) -> Double { max(stds[k], Self.metricStdFloor) }

    /// ‖x_r − μ_k‖² in Double.
    private func squaredDistance(_ x: Matrix, _ r: Int, _ k: Int) -> Double {
        var sum = 0.0
        for j in 0..<dimension {
            let e = Double(x.scalars[r * dimension + j]) - means[k][j]
            sum += e * e
        }
        return sum
    }

    /// log π_k + log N(x_r; μ_k, s̃_k²·I).
    private func componentLogDensity(_ x: Matrix, _ r: Int, _ k: Int) -> Double {
        let variance = flooredStd(k) * flooredStd(k)
        return log(weights[k]) - 0.5 * squaredDistance(x, r, k) / variance
            - 0.5 * Double(dimension) * log(2 * Double.pi * variance)
    }

    private func validateSamples(_ operation: String, _ samples: Matrix) throws(KernelError) {
        try Metrics.validate("GaussianMixtureModel.\(operation)", "samples", samples)
        guard samples.columns == dimension else {
            throw KernelError(.shapeMismatch,
                              "GaussianMixtureModel.\(operation): samples have dimension \(samples.columns), "
                                  + "the mixture has \(dimension)")
        }
    }
}
