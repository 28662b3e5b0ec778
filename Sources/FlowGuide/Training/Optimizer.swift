/// A first-order optimizer over a flat parameter vector (``MLPVelocityModel/parameters``).
///
/// Each update is one fused C pass over the parameters and the optimizer's state (Muon adds its
/// Newton–Schulz GEMMs per weight matrix). The state is a
/// set of named float vectors plus a step counter, so a checkpoint can store any optimizer the
/// same way and a resumed run continues bit for bit.
public protocol Optimizer: Sendable {
    /// A short stable name for checkpoints ("adamw", "adamqlr", "lion", "muon").
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

    /// Whether ``step(parameters:gradient:loss:learningRate:objective:)`` uses its objective
    /// (false: the Trainer skips building it).
    var usesMinibatchObjective: Bool { get }
    /// Scalar state besides the vectors (e.g. AdamQLR's damping λ); empty for most optimizers.
    var scalarState: [String: Double] { get }
    /// ``restore(state:stepCount:)`` plus the ``scalarState``. The default accepts only an empty
    /// `scalars`.
    mutating func restore(state: [String: [Float]], scalars: [String: Double], stepCount: Int) throws(KernelError)
    /// One update that may look at the minibatch it was computed on: `loss` is the minibatch's
    /// loss at `parameters`, `objective` evaluates the loss at other points and the curvature
    /// there. The Trainer calls this; first-order optimizers ignore `loss` and `objective` (the
    /// default calls ``step(parameters:gradient:learningRate:)``).
    mutating func step<Objective: MinibatchObjective>(parameters: inout [Float], gradient: [Float], loss: Double,
                                                      learningRate: Float,
                                                      objective: inout Objective) throws(KernelError)
}

extension Optimizer {
    public var usesMinibatchObjective: Bool { false }

    public var scalarState: [String: Double] { [:] }

    public mutating func restore(state: [String: [Float]], scalars: [String: Double],
                                 stepCount: Int) throws(KernelError) {
        guard scalars.isEmpty else {
            throw KernelError(.invalidArgument, "\(name).restore: unexpected scalar state \(scalars.keys.sorted())")
        }
        try restore(state: state, stepCount: stepCount)
    }

    public mutating func step<Objective: MinibatchObjective>(parameters: inout [Float], gradient: [Float],
                                                             loss: Double, learningRate: Float,
                                                             objective: inout Objective) throws(KernelError) {
        try step(parameters: &parameters, gradient: gradient, learningRate: learningRate)
    }
}

/// The loss of the current training step's minibatch as a function of the parameters, for
/// optimizers that choose their step from a local model of it (``AdamQLR``).
public protocol MinibatchObjective {
    /// The minibatch loss at `parameters` (a trial point; same batch, same σ and noise draws).
    mutating func loss(at parameters: [Float]) throws(KernelError) -> Double
    /// `uᵀ·G·u`, with `G` the Gauss–Newton matrix of the minibatch loss at the step's parameters
    /// (where the gradient was taken). `u` has one value per parameter.
    mutating func gaussNewtonQuadraticForm(_ u: [Float]) throws(KernelError) -> Double
}

/// An optimizer and its hyperparameters, as stored in a ``TrainingConfiguration``.
public enum OptimizerConfiguration: Codable, Hashable, Sendable {
    /// AdamW, by default with cautious weight decay (``AdamW/Hyperparameters``).
    case adamW(AdamW.Hyperparameters)
    /// Lion, by default with cautious weight decay (``Lion/Hyperparameters``); wants a learning
    /// rate 3–10× smaller than AdamW's.
    case lion(Lion.Hyperparameters)
    /// Muon for the weight matrices and AdamW for the rest, by default with cautious weight decay
    /// (``Muon/Hyperparameters``); wants a learning rate of about 0.02.
    case muon(Muon.Hyperparameters)
    /// AdamQLR: Adam's direction with a step size from a damped Gauss–Newton quadratic model
    /// (``AdamQLR/Hyperparameters``); ignores the learning-rate schedule.
    case adamQLR(AdamQLR.Hyperparameters)

    /// AdamW with its defaults (cautious weight decay 0.01, betas 0.9 / 0.999, ε 1e-8).
    public static var adamW: OptimizerConfiguration { .adamW(AdamW.Hyperparameters()) }
    /// Lion with its defaults (cautious weight decay 0.1, betas 0.9 / 0.99).
    public static var lion: OptimizerConfiguration { .lion(Lion.Hyperparameters()) }
    /// Muon with its defaults (Nesterov momentum 0.95, cautious weight decay 0.01, AdamW at lr/10).
    public static var muon: OptimizerConfiguration { .muon(Muon.Hyperparameters()) }
    /// AdamQLR with its defaults (``AdamQLR/Hyperparameters``).
    public static var adamQLR: OptimizerConfiguration { .adamQLR(AdamQLR.Hyperparameters()) }

    /// Throws `.invalidArgument` for hyperparameters outside their domain.
    public func validate() throws(KernelError) {
        switch self {
        case .adamW(let h): try h.validate()
        case .lion(let h): try h.validate()
        case .muon(let h): try h.validate()
        case .adamQLR(let h): try h.validate()
        }
    }

    /// A fresh optimizer (no state, step 0) for the parameters of a model of `architecture`
    /// (Muon needs it to tell the weight matrices from the other tensors).
    public func makeOptimizer(architecture: MLPArchitecture) throws(KernelError) -> any Optimizer {
        try validate()
        switch self {
        case .adamW(let h): return AdamW(h)
        case .lion(let h): return Lion(h)
        case .muon(let h): return Muon(h, architecture: architecture)
        case .adamQLR(let h): return AdamQLR(h)
        }
    }
}
