internal import CFlowKernels

/// AdamQLR (Clarke, Su & Hernández-Lobato, "Studying K-FAC Heuristics by Viewing Adam through a
/// Second-Order Lens", ICML 2024, arXiv 2310.14963): Adam's direction, with the step size chosen
/// by a damped quadratic model of the minibatch loss instead of a learning-rate schedule.
///
/// Per update t, on the minibatch whose loss `f` and gradient `g` the Trainer computed:
/// ```
/// m, v        Adam's moments (as AdamW);  d = −u,  u = m̂/(√v̂ + ε)
/// M(αd)       = f + α·gᵀd + ½α²·dᵀ(G + λI)d           G: the loss's Gauss–Newton matrix
/// α*          = −gᵀd / dᵀ(G + λI)d,  clipped to [0, maxStepSize]
/// ρ           = (f(θ + α*d) − f) / (M(α*d) − M(0))     the trial loss on the same minibatch
/// λ          ← λ·dampingDecrease if ρ > upperRatio (3/4);  λ·dampingIncrease if ρ < lowerRatio (1/4)
///               (or ρ is not finite); λ stays in [1e-8, 1e8]
/// θ          ← θ + α*·d − α*·wd·mask·θ      (decoupled decay scaled by the step, cautious by default)
/// ```
/// `dᵀGd` costs one tangent pass (`‖J·d‖²` times the loss scale), the trial loss one forward
/// pass: an update costs about two AdamW updates' worth of network passes. If `gᵀd ≥ 0` (the
/// momentum points uphill) no step is made (the moments are still updated and λ is kept). The
/// step is always taken otherwise (ρ only steers λ). The schedule's learning rate is not used.
///
/// The moments pass is one `fk_adam_direction` (which also sums `g·u` and `u·u`), the step one
/// `fk_apply_update`. State: "exp_avg", "exp_avg_sq" (vectors) and the damping "damping" (a
/// scalar, ``scalarState``), so a resumed run continues bit for bit.
public struct AdamQLR: Optimizer {
    /// AdamQLR's settings. Defaults: Adam's β1 = 0.9, β2 = 0.999, ε = 1e-8; initial damping
    /// λ = 1, ×0.5 when ρ > 3/4 and ×2 when ρ < 1/4 (the thresholds are K-FAC's; the factors
    /// are our choice, the paper's were not recovered); steps clipped to [0, 0.1]; cautious
    /// weight decay 0.01 (as ``AdamW``). These are the untuned defaults the comparison in
    /// docs/optimizers.md uses.
    public struct Hyperparameters: Codable, Hashable, Sendable {
        public var beta1: Float
        public var beta2: Float
        public var epsilon: Float
        /// λ at the first update (> 0).
        public var initialDamping: Double
        /// The factor λ is multiplied by when the model predicted well (ρ > upperRatio), in (0, 1].
        public var dampingDecrease: Double
        /// The factor λ is multiplied by when it predicted badly (ρ < lowerRatio), >= 1.
        public var dampingIncrease: Double
        public var lowerRatio: Double
        public var upperRatio: Double
        /// The largest step size α (> 0).
        public var maxStepSize: Double
        public var weightDecay: Float
        public var cautious: Bool

        public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, initialDamping: Double = 1,
                    dampingDecrease: Double = 0.5, dampingIncrease: Double = 2, lowerRatio: Double = 0.25,
                    upperRatio: Double = 0.75, maxStepSize: Double = 0.1, weightDecay: Float = 0.01,
                    cautious: Bool = true) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.initialDamping = initialDamping
            self.dampingDecrease = dampingDecrease
            self.dampingIncrease = dampingIncrease
            self.lowerRatio = lowerRatio
            self.upperRatio = upperRatio
            self.maxStepSize = maxStepSize
            self.weightDecay = weightDecay
            self.cautious = cautious
        }

        /// Throws `.invalidArgument` for a setting outside its domain (see each property).
        public func validate() throws(KernelError) {
            func fail(_ s: String) -> KernelError { KernelError(.invalidArgument, "AdamQLR: \(s)") }
            guard beta1 >= 0, beta1 < 1 else { throw fail("beta1 \(beta1) is outside [0, 1)") }
            guard beta2 >= 0, beta2 < 1 else { throw fail("beta2 \(beta2) is outside [0, 1)") }
            guard epsilon > 0, epsilon.isFinite else { throw fail("epsilon \(epsilon) must be finite and > 0") }
            guard initialDamping >= AdamQLR.dampingRange.lowerBound, initialDamping <= AdamQLR.dampingRange.upperBound else {
                throw fail("initialDamping \(initialDamping) is outside [1e-8, 1e8]")
            }
            guard dampingDecrease > 0, dampingDecrease <= 1 else {
                throw fail("dampingDecrease \(dampingDecrease) is outside (0, 1]")
            }
            guard dampingIncrease >= 1, dampingIncrease.isFinite else {
                throw fail("dampingIncrease \(dampingIncrease) must be finite and >= 1")
            }
            guard lowerRatio.isFinite, upperRatio.isFinite, lowerRatio <= upperRatio else {
                throw fail("the ratio thresholds \(lowerRatio), \(upperRatio) must be finite with lower <= upper")
            }
            guard maxStepSize > 0, maxStepSize.isFinite else { throw fail("maxStepSize \(maxStepSize) must be finite and > 0") }
            guard weightDecay >= 0, weightDecay.isFinite else { throw fail("weightDecay \(weightDecay) must be finite and >= 0") }
        }
    }

    /// λ is kept in this range (so it neither underflows nor overflows over a long run).
    public static let dampingRange: ClosedRange<Double> = 1e-8...1e8

    public let hyperparameters: Hyperparameters
    public private(set) var firstMoment: [Float] = []
    public private(set) var secondMoment: [Float] = []
    /// The current damping λ.
    public private(set) var damping: Double
    public private(set) var stepCount = 0
    /// The last update's step size α* (0 when no step was made), ratio ρ (nil without a trial)
    /// and the minibatch loss at the trial point. Diagnostics, not state.
    public private(set) var lastStepSize = 0.0
    public private(set) var lastRatio: Double?
    public private(set) var lastTrialLoss: Double?
    private var direction: [Float] = []   // u = −d
    private var trial: [Float] = []       // θ − α·u

    public init(_ hyperparameters: Hyperparameters = Hyperparameters()) {
        self.hyperparameters = hyperparameters
        damping = hyperparameters.initialDamping
    }

    public var name: String { "adamqlr" }

    public var usesMinibatchObjective: Bool { true }

    public var state: [String: [Float]] {
        stepCount == 0 ? [:] : ["exp_avg": firstMoment, "exp_avg_sq": secondMoment]
    }

    public var scalarState: [String: Double] { stepCount == 0 ? [:] : ["damping": damping] }

    public mutating func restore(state: [String: [Float]], stepCount: Int) throws(KernelError) {
        try restore(state: state, scalars: stepCount == 0 && state.isEmpty ? [:] : ["damping": damping],
                    stepCount: stepCount)
    }

    public mutating func restore(state: [String: [Float]], scalars: [String: Double],
                                 stepCount: Int) throws(KernelError) {
        guard stepCount >= 0 else { throw KernelError(.invalidArgument, "AdamQLR.restore: stepCount \(stepCount) < 0") }
        if stepCount == 0 && state.isEmpty && scalars.isEmpty {
            (firstMoment, secondMoment, damping, self.stepCount) = ([], [], hyperparameters.initialDamping, 0)
            return
        }
        guard let m = state["exp_avg"], let v = state["exp_avg_sq"], state.count == 2 else {
            throw KernelError(.invalidArgument,
                              "AdamQLR.restore: expected the state vectors exp_avg and exp_avg_sq, got \(state.keys.sorted())")
        }
        guard m.count == v.count else {
            throw KernelError(.shapeMismatch, "AdamQLR.restore: exp_avg has \(m.count) values, exp_avg_sq \(v.count)")
        }
        guard let lambda = scalars["damping"], scalars.count == 1, Self.dampingRange.contains(lambda) else {
            throw KernelError(.invalidArgument, "AdamQLR.restore: expected the scalar damping in [1e-8, 1e8], got \(scalars)")
        }
        (firstMoment, secondMoment, damping, self.stepCount) = (m, v, lambda, stepCount)
    }

    /// Throws: AdamQLR needs the minibatch (use the `objective:` variant, as ``Trainer`` does).
    public mutating func step(parameters: inout [Float], gradient: [Float], learningRate: Float) throws(KernelError) {
        throw KernelError(.invalidArgument, "AdamQLR needs the minibatch loss and curvature: call "
                              + "step(parameters:gradient:loss:learningRate:objective:) (Trainer does)")
    }

    public mutating func step<Objective: MinibatchObjective>(parameters: inout [Float], gradient: [Float], loss: Double,
                                                             learningRate: Float,
                                                             objective: inout Objective) throws(KernelError) {
        let n = parameters.count, h = hyperparameters
        guard gradient.count == n else {
            throw KernelError(.shapeMismatch, "AdamQLR.step: \(n) parameters, \(gradient.count) gradient values")
        }
        guard loss.isFinite else { throw KernelError(.invalidArgument, "AdamQLR.step: the loss is \(loss)") }
        if stepCount == 0 && firstMoment.isEmpty {
            firstMoment = [Float](repeating: 0, count: n)
            secondMoment = firstMoment
        }
        guard firstMoment.count == n else {
            throw KernelError(.shapeMismatch, "AdamQLR.step: \(n) parameters, the state has \(firstMoment.count) values")
        }
        if direction.count != n { direction = [Float](repeating: 0, count: n) }
        let (gu, uu) = try Kernels.adamDirection(gradient: gradient, firstMoment: &firstMoment,
                                                 secondMoment: &secondMoment, direction: &direction,
                                                 step: stepCount + 1, beta1: h.beta1, beta2: h.beta2,
                                                 epsilon: h.epsilon)
        stepCount += 1
        (lastStepSize, lastRatio, lastTrialLoss) = (0, nil, nil)
        guard gu > 0 else { return }  // −gᵀd <= 0 (or NaN): d is no descent direction, no step
        let curvature = try objective.gaussNewtonQuadraticForm(direction) + damping * uu  // dᵀ(G + λI)d
        guard curvature.isFinite, curvature > 0 else {
            throw KernelError(.invalidArgument, "AdamQLR.step: the curvature dᵀ(G + λI)d is \(curvature)")
        }
        let alpha = min(gu / curvature, h.maxStepSize)
        trial = parameters
        try Kernels.applyUpdate(parameters: &trial, update: direction, learningRate: Float(alpha), weightDecay: 0,
                                cautious: false)
        let trialLoss = try objective.loss(at: trial)
        let predicted = -alpha * gu + 0.5 * alpha * alpha * curvature  // M(α*d) − M(0) < 0
        let rho = (trialLoss - loss) / predicted
        damping = Self.updatedDamping(damping, ratio: rho, hyperparameters: h)
        try Kernels.applyUpdate(parameters: &parameters, update: direction, learningRate: Float(alpha),
                                weightDecay: h.weightDecay, cautious: h.cautious)
        (lastStepSize, lastRatio, lastTrialLoss) = (alpha, rho, trialLoss)
    }

    /// The Levenberg–Marquardt rule: λ·dampingDecrease if ρ > upperRatio, λ·dampingIncrease if
    /// ρ < lowerRatio or ρ is not finite, else λ; clamped to ``dampingRange``.
    public static func updatedDamping(_ lambda: Double, ratio rho: Double, hyperparameters h: Hyperparameters) -> Double {
        var next = lambda
        if rho > h.upperRatio {
            next = lambda * h.dampingDecrease
        } else if !(rho >= h.lowerRatio) {
            next = lambda * h.dampingIncrease
        }
        return min(max(next, dampingRange.lowerBound), dampingRange.upperBound)
    }
}

extension Kernels {
    /// Adam's moment update and direction for AdamQLR (`fk_adam_direction`): updates the moments,
    /// writes `direction = m̂/(√v̂ + ε)` (the negated Adam direction) and returns
    /// `(Σ g·u, Σ u·u)` summed in Double in a thread-count independent order. `step` >= 1.
    public static func adamDirection(gradient: [Float], firstMoment: inout [Float], secondMoment: inout [Float],
                                     direction: inout [Float], step: Int, beta1: Float, beta2: Float,
                                     epsilon: Float) throws(KernelError) -> (gradientDot: Double, squaredNorm: Double) {
        let n = gradient.count
        guard firstMoment.count == n, secondMoment.count == n, direction.count == n else {
            throw KernelError(.shapeMismatch, "adamDirection: \(n) gradient values, moments of \(firstMoment.count) and "
                                  + "\(secondMoment.count), direction of \(direction.count)")
        }
        var p = fk_adam_direction_params(beta1: beta1, beta2: beta2, eps: epsilon, step: Int64(step))
        var dots: (Double, Double) = (0, 0)
        let status = gradient.withUnsafeBufferPointer { gp in
            firstMoment.withUnsafeMutableBufferPointer { mp in
                secondMoment.withUnsafeMutableBufferPointer { vp in
                    direction.withUnsafeMutableBufferPointer { up in
                        withUnsafeMutablePointer(to: &dots) { dp in
                            dp.withMemoryRebound(to: Double.self, capacity: 2) { d in
                                fk_adam_direction(Int64(n), gp.baseAddress, mp.baseAddress, vp.baseAddress,
                                                  up.baseAddress, &p, d)
                            }
                        }
                    }
                }
            }
        }
        try check(status, "fk_adam_direction (step \(step), beta1 \(beta1), beta2 \(beta2), eps \(epsilon))")
        return dots
    }
}
