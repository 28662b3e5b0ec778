/// A first-order optimizer over a flat parameter vector (``MLPVelocityModel/parameters``).
///
/// Each update is one fused C pass over the parameters and the optimizer's state. The state is a
/// set of named float vectors plus a step counter, so a checkpoint can store any optimizer the
/// same way and a resumed run continues bit for bit.
public protocol Optimizer: Sendable {
    /// A short stable name for checkpoints ("adamw").
    var name: String { get }
    /// The number of updates made so far (the next update is number `stepCount + 1`).
    var stepCount: Int { get }
    /// The state vectors by name (each with one value per parameter); empty before the first update.
    var state: [String: [Float]] { get }
    /// Replaces the state with one read from ``state`` and ``stepCount`` (e.g. from a checkpoint).
    /// Throws `.invalidArgument` for missing or unknown names or a negative step count, and
    /// `.shapeMismatch` for vectors of different lengths.
    mutating func restore(state: [String: [Float]], stepCount: Int) throws(KernelError)
    /// One update of `parameters` from `gradient` (the loss gradient at `parameters`, same count)
    /// with step size `learningRate` (>= 0). Throws `.shapeMismatch` if the counts differ (from
    /// each other or from the state) and the kernel's errors for bad hyperparameters.
    mutating func step(parameters: inout [Float], gradient: [Float], learningRate: Float) throws(KernelError)
}

/// An optimizer and its hyperparameters, as stored in a ``TrainingConfiguration``.
public enum OptimizerConfiguration: Codable, Hashable, Sendable {
    /// AdamW, by default with cautious weight decay (``AdamW/Hyperparameters``).
    case adamW(AdamW.Hyperparameters)

    /// AdamW with its defaults (cautious weight decay 0.01, betas 0.9 / 0.999, ε 1e-8).
    public static var adamW: OptimizerConfiguration { .adamW(AdamW.Hyperparameters()) }

    /// Throws `.invalidArgument` for hyperparameters outside their domain.
    public func validate() throws(KernelError) {
        switch self {
        case .adamW(let h): try h.validate()
        }
    }

    /// A fresh optimizer (no state, step 0).
    public func makeOptimizer() throws(KernelError) -> any Optimizer {
        try validate()
        switch self {
        case .adamW(let h): return AdamW(h)
        }
    }
}
