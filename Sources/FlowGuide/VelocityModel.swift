/// A batched flow-matching velocity model `v(x, σ, class)` (DESIGN.md §5).
///
/// Convention (DESIGN.md §2): σ is the noise level (1 = noise, 0 = data), the path is
/// `x_σ = (1−σ)·x0 + σ·ε` and the velocity is `v = ε − x0`, so a sampler steps
/// `x ← x + (σ_next − σ)·v` with σ decreasing.
///
/// Every row of a batch carries its own σ and class label; a label of
/// ``ClassLabel/unconditional`` (−1) asks for the unconditional (null-class) velocity, so a
/// sampler can stack conditional and unconditional rows in ONE call.
public protocol VelocityModel: Sendable {
    /// The sample dimension D (the number of columns of `x`).
    var dimension: Int { get }
    /// The number of classes C: valid labels are `0 ..< C` and ``ClassLabel/unconditional``.
    var classCount: Int { get }
    /// Writes the velocity at each row of `x` [B, D] into `out` [B, D], with `sigma[i]` and
    /// `labels[i]` for row i. Throws `.shapeMismatch` for inconsistent shapes and
    /// `.invalidArgument` for a σ outside [0, 1] or an unknown label.
    func velocity(_ x: Matrix, sigma: [Float], labels: [Int], into out: inout Matrix) throws(KernelError)
}

/// Class labels for ``VelocityModel``: non-negative integers name classes.
public enum ClassLabel {
    /// The null class: the unconditional velocity.
    public static let unconditional = -1
}

extension VelocityModel {
    /// The null-class label, ``ClassLabel/unconditional`` (−1).
    public static var unconditional: Int { ClassLabel.unconditional }

    /// The velocity into a new [B, D] matrix.
    public func velocity(_ x: Matrix, sigma: [Float], labels: [Int]) throws(KernelError) -> Matrix {
        var out = Matrix(rows: x.rows, columns: x.columns)
        try velocity(x, sigma: sigma, labels: labels, into: &out)
        return out
    }

    /// The checks every conformer makes before computing: `x` is [B, ``dimension``], `out` has
    /// the shape of `x`, one σ in [0, 1] and one label (a class in `0 ..< classCount` or
    /// ``ClassLabel/unconditional``) per row.
    public func validateVelocityArguments(_ x: Matrix, sigma: [Float], labels: [Int],
                                          out: Matrix) throws(KernelError) {
        let name = "\(Self.self).velocity"
        guard x.columns == dimension else {
            throw KernelError(.shapeMismatch, "\(name): x has \(x.columns) columns, the model dimension is \(dimension)")
        }
        guard out.rows == x.rows, out.columns == x.columns else {
            throw KernelError(.shapeMismatch,
                              "\(name): out is [\(out.rows), \(out.columns)], x is [\(x.rows), \(x.columns)]")
        }
        guard sigma.count == x.rows else {
            throw KernelError(.shapeMismatch, "\(name): \(sigma.count) σ values for \(x.rows) rows")
        }
        guard labels.count == x.rows else {
            throw KernelError(.shapeMismatch, "\(name): \(labels.count) labels for \(x.rows) rows")
        }
        if let i = sigma.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw KernelError(.invalidArgument, "\(name): σ[\(i)] = \(sigma[i]) is outside [0, 1]")
        }
        if let i = labels.firstIndex(where: { $0 != ClassLabel.unconditional && !(0..<classCount).contains($0) }) {
            throw KernelError(.invalidArgument,
                              "\(name): labels[\(i)] = \(labels[i]) is neither a class in 0..<\(classCount) "
                                  + "nor unconditional (-1)")
        }
    }
}
