#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The exact flow-matching velocity of a class-labelled isotropic Gaussian mixture
/// (DESIGN.md §5): the ground truth for solver, guidance and metric tests.
///
/// Data `x0 ~ Σ_k π_k·N(μ_k, s_k²·I)`, each component k labelled with a class. On the path
/// `x_σ = (1−σ)·x0 + σ·ε` the marginal of component k is `N((1−σ)·μ_k, var_k·I)` with
/// `var_k = (1−σ)²·s_k² + σ²`, and the velocity `v = E[ε − x0 | x_σ = x]` is
///
///     v(x, σ) = Σ_k w_k·[ (σ − (1−σ)·s_k²)·(x − (1−σ)·μ_k)/var_k − μ_k ],
///     w_k ∝ π_k·N(x; (1−σ)·μ_k, var_k·I)   (log-sum-exp).
///
/// Conditional on class c the sums run over the components labelled c (their weights
/// renormalized within the class); the unconditional velocity (label −1) sums over all.
///
/// Computed in Double. At σ = 1 it is `x − Σ_k π_k·μ_k` (over the class). At σ = 0 it is `−x`
/// exactly: the formula gives `−x` for every `s_k > 0`, and a point mass (`s_k = 0`, where
/// `var_k = 0`) is defined by the same limit `E[ε − x0 | x0 = x] = −x` instead of dividing 0 by 0.
/// For 0 < σ the formula is used as is (near a point mass it grows like `(x − μ_k)/σ`).
/// Components of weight 0 are ignored; a class with no component of positive weight is an error
/// when asked for.
public struct GaussianMixtureModel: VelocityModel, Hashable {
    /// π_k, normalized to sum to 1 (weights whose sum is already within K·2⁻⁵² of 1 are kept as given).
    public let weights: [Double]
    /// μ_k, K rows of D values.
    public let means: [[Double]]
    /// s_k ≥ 0, the isotropic standard deviation of each component.
    public let stds: [Double]
    /// The class of each component (≥ 0). Class c is the set of components labelled c.
    public let labels: [Int]

    public let dimension: Int
    /// One more than the largest label.
    public let classCount: Int

    /// μ, K × D row-major, for the inner loops.
    private let flatMeans: [Double]
    /// log π_k.
    private let logWeights: [Double]
    /// The components of positive weight of each class, and of all classes.
    private let classComponents: [[Int]]
    private let allComponents: [Int]

    /// The number of components K.
    public var componentCount: Int { weights.count }

    /// The prior probability of each class (the summed weights of its components).
    public var classPriors: [Double] {
        var p = [Double](repeating: 0, count: classCount)
        for (w, c) in zip(weights, labels) { p[c] += w }
        return p
    }

    /// A mixture from K weights (normalized here), K means of equal length D ≥ 1, K standard
    /// deviations ≥ 0 and K labels ≥ 0. Throws `.shapeMismatch` for inconsistent counts or
    /// ragged means and `.invalidArgument` for no components, non-finite or negative values,
    /// or weights that do not sum to a positive finite number.
    public init(weights: [Double], means: [[Double]], stds: [Double], labels: [Int]) throws(KernelError) {
        let k = weights.count
        func fail(_ code: KernelError.Code, _ text: String) -> KernelError {
            KernelError(code, "GaussianMixtureModel: \(text)")
        }
        guard k > 0 else { throw fail(.invalidArgument, "no components (weights is empty)") }
        guard means.count == k, stds.count == k, labels.count == k else {
            throw fail(.shapeMismatch, "\(k) weights, \(means.count) means, \(stds.count) stds and "
                           + "\(labels.count) labels: all must have one entry per component")
        }
        let d = means[0].count
        guard d > 0 else { throw fail(.invalidArgument, "means[0] is empty (dimension 0)") }
        if let i = means.firstIndex(where: { $0.count != d }) {
            throw fail(.shapeMismatch, "ragged means: means[\(i)] has \(means[i].count) values, means[0] has \(d)")
        }
        for (name, values) in [("weights", weights), ("stds", stds)] {
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                throw fail(.invalidArgument, "\(name)[\(i)] = \(values[i]) is not finite")
            }
            if let i = values.firstIndex(where: { $0 < 0 }) {
                throw fail(.invalidArgument, "\(name)[\(i)] = \(values[i]) is negative")
            }
        }
        for (i, row) in means.enumerated() {
            if let j = row.firstIndex(where: { !$0.isFinite }) {
                throw fail(.invalidArgument, "means[\(i)][\(j)] = \(row[j]) is not finite")
            }
        }
        if let i = labels.firstIndex(where: { $0 < 0 }) {
            throw fail(.invalidArgument, "labels[\(i)] = \(labels[i]) is negative")
        }
        let total = weights.reduce(0, +)
        guard total > 0, total.isFinite else {
            throw fail(.invalidArgument, "the weights sum to \(total), not a positive finite number")
        }
        // Weights that already sum to 1 up to rounding (e.g. a saved model) are kept bit for bit,
        // so a JSON round trip gives an identical model.
        let normalized = abs(total - 1) <= Double(k) * Double.ulpOfOne ? weights : weights.map { $0 / total }
        self.weights = normalized
        self.means = means
        self.stds = stds
        self.labels = labels
        self.dimension = d
        self.classCount = labels.max()! + 1
        self.flatMeans = means.flatMap { $0 }
        self.logWeights = normalized.map { log($0) }
        var byClass = [[Int]](repeating: [], count: labels.max()! + 1)
        for i in 0..<k where normalized[i] > 0 { byClass[labels[i]].append(i) }
        self.classComponents = byClass
        self.allComponents = (0..<k).filter { normalized[$0] > 0 }
    }

    /// The components a label draws from; throws for a class without components of positive weight.
    func components(for label: Int, _ operation: String) throws(KernelError) -> [Int] {
        if label == ClassLabel.unconditional { return allComponents }
        guard classComponents[label].isEmpty == false else {
            throw KernelError(.invalidArgument,
                              "GaussianMixtureModel.\(operation): class \(label) has no component of positive weight")
        }
        return classComponents[label]
    }

    public func velocity(_ x: Matrix, sigma: [Float], labels: [Int], into out: inout Matrix) throws(KernelError) {
        try validateVelocityArguments(x, sigma: sigma, labels: labels, out: out)
        var rowComponents = [[Int]]()
        rowComponents.reserveCapacity(x.rows)
        for label in labels { rowComponents.append(try components(for: label, "velocity")) }

        let (d, k) = (dimension, componentCount)
        var xd = [Double](repeating: 0, count: d)
        var acc = [Double](repeating: 0, count: d)
        var logit = [Double](repeating: 0, count: k)
        var variance = [Double](repeating: 0, count: k)
        flatMeans.withUnsafeBufferPointer { mu in
            x.scalars.withUnsafeBufferPointer { xs in
                out.scalars.withUnsafeMutableBufferPointer { os in
                    for r in 0..<x.rows {
                        let row = r * d
                        let s = Double(sigma[r])
                        if s == 0 {  // v(x, 0) = −x for every mixture (see the type's documentation)
                            for j in 0..<d { os[row + j] = -xs[row + j] }
                            continue
                        }
                        let c = 1 - s
                        for j in 0..<d { xd[j] = Double(xs[row + j]) }
                        // Posterior logits log π_k + log N(x; c·μ_k, var_k·I), up to a constant.
                        var top = -Double.infinity
                        for i in rowComponents[r] {
                            let v = c * c * stds[i] * stds[i] + s * s
                            var dist = 0.0
                            for j in 0..<d {
                                let e = xd[j] - c * mu[i * d + j]
                                dist += e * e
                            }
                            variance[i] = v
                            logit[i] = logWeights[i] - 0.5 * dist / v - 0.5 * Double(d) * log(v)
                            top = max(top, logit[i])
                        }
                        // v = α·x − Σ_k β_k·μ_k with α = Σ w_k·a_k/var_k, β_k = w_k·(a_k·c/var_k + 1),
                        // a_k = σ − c·s_k².
                        var total = 0.0
                        for i in rowComponents[r] {
                            logit[i] = exp(logit[i] - top)
                            total += logit[i]
                        }
                        var alpha = 0.0
                        for j in 0..<d { acc[j] = 0 }
                        for i in rowComponents[r] {
                            let w = logit[i] / total
                            let a = (s - c * stds[i] * stds[i]) / variance[i]
                            alpha += w * a
                            let beta = w * (a * c + 1)
                            for j in 0..<d { acc[j] += beta * mu[i * d + j] }
                        }
                        for j in 0..<d { os[row + j] = Float(alpha * xd[j] - acc[j]) }
                    }
                }
            }
        }
    }
}
