/// How a ``Sampler`` integrates the flow ODE from σ = 1 to 0 (docs/sampling.md has the exact
/// stage formulas).
public enum Solver: String, CaseIterable, Hashable, Sendable {
    /// First order, 1 evaluation per step.
    case euler
    /// Second order (explicit trapezoid), 2 evaluations per step; Euler on a last step that ends
    /// at σ = 0.
    case heun
    /// Second order (explicit midpoint), 2 evaluations per step.
    case midpoint
    /// Classic fourth-order Runge–Kutta, 4 evaluations per step.
    case rk4
    /// Adams–Bashforth 2 (variable step), 1 evaluation per step; Euler on the first step.
    case ab2

    /// Model evaluations per step (before CFG doubles the rows).
    public var stages: Int {
        switch self {
        case .euler, .ab2: 1
        case .heun, .midpoint: 2
        case .rk4: 4
        }
    }
}

/// How the conditional and unconditional velocities of one evaluation become one guided velocity
/// (DESIGN.md §3). The guidance scale w comes from ``GuidanceScale``.
public enum BranchCombiner: Hashable, Sendable {
    /// No guidance: the conditional velocity only (one NFE per evaluation).
    case none
    /// Classifier-free guidance `g = v_u + w·(v_c − v_u)`.
    case cfg
    /// CFG followed by the per-sample std rescale with factor φ in [0, 1] (Lin et al. 2023).
    case cfgRescale(phi: Float)
    /// CFG-Zero* (Fan et al. 2025); `zeroInitSteps` first steps leave x unchanged (no evaluation).
    case cfgZeroStar(zeroInitSteps: Int = 0)
    /// Adaptive projected guidance (Sadat et al. 2024): parallel weight η, norm threshold r,
    /// momentum β (≤ 0 in the paper), projection space.
    case apg(eta: Float = 0, threshold: Float = .infinity, momentum: Float = 0,
             space: AdaptiveProjectedGuidance.Space = .denoised)

    /// Whether this combiner needs the unconditional branch (when w ≠ 1).
    public var usesUnconditional: Bool { self != .none }
}

/// The guidance scale w of an evaluation at step `i` and noise level σ (CFG form; 1 = none).
public enum GuidanceScale: Sendable {
    /// w at every evaluation.
    case constant(Float)
    /// w for σ in `sigmas` (inclusive), 1 outside (then only the conditional branch is evaluated).
    case interval(Float, sigmas: ClosedRange<Float>)
    /// A user function `(step, σ) -> w`; it must be pure (it may be called from any thread).
    case custom(@Sendable (_ step: Int, _ sigma: Float) -> Float)

    /// The scale at step `step` for an evaluation at noise level `sigma`.
    public func scale(step: Int, sigma: Float) -> Float {
        switch self {
        case .constant(let w): w
        case .interval(let w, let range): range.contains(sigma) ? w : 1
        case .custom(let f): f(step, sigma)
        }
    }
}

/// The guidance chain of a sampler: combiner (with its scale) → Momentum Guidance → solver step.
public struct Guidance: Sendable {
    public var combiner: BranchCombiner
    public var scale: GuidanceScale
    /// Momentum Guidance on the step's update direction, or nil for none.
    public var momentum: MomentumGuidance?
    /// MG extrapolates only for steps whose starting σ is in this range (the EMA still updates
    /// outside it); nil: every step.
    public var momentumWindow: ClosedRange<Float>?

    public init(combiner: BranchCombiner = .none, scale: GuidanceScale = .constant(1),
                momentum: MomentumGuidance? = nil, momentumWindow: ClosedRange<Float>? = nil) {
        self.combiner = combiner
        self.scale = scale
        self.momentum = momentum
        self.momentumWindow = momentumWindow
    }

    /// No guidance at all.
    public static let none = Guidance()

    /// Classifier-free guidance with scale w.
    public static func cfg(_ w: Float) -> Guidance { Guidance(combiner: .cfg, scale: .constant(w)) }

    /// Momentum Guidance alone (no extra model evaluation).
    public static func momentum(alpha: Float = 0.5, beta: Float = 0.6) -> Guidance {
        Guidance(momentum: MomentumGuidance(alpha: alpha, beta: beta))
    }
}

/// Everything that defines a sampling run except the samples asked for.
public struct SamplerOptions: Sendable {
    public var grid: TimeGrid
    public var solver: Solver
    public var guidance: Guidance

    public init(grid: TimeGrid, solver: Solver = .euler, guidance: Guidance = .none) {
        self.grid = grid
        self.solver = solver
        self.guidance = guidance
    }
}

extension SamplerOptions {
    /// Throws `.invalidArgument` with a precise message for parameters no kernel would accept.
    func validate(steps: Int) throws(KernelError) {
        func fail(_ text: String) -> KernelError { KernelError(.invalidArgument, "Sampler: \(text)") }
        switch guidance.combiner {
        case .none, .cfg:
            break
        case .cfgRescale(let phi):
            guard phi >= 0, phi <= 1 else { throw fail("CFG rescale φ must be in [0, 1], got \(phi)") }
        case .cfgZeroStar(let k):
            guard k >= 0, k <= steps else { throw fail("CFG-Zero* zero-init steps must be in 0...\(steps), got \(k)") }
        case .apg(let eta, let r, let beta, _):
            guard eta.isFinite else { throw fail("APG η must be finite, got \(eta)") }
            guard r > 0 else { throw fail("APG threshold r must be > 0 (infinity for none), got \(r)") }
            guard abs(beta) < 1 else { throw fail("APG momentum β must be in (-1, 1), got \(beta)") }
        }
        if case .constant(let w) = guidance.scale, !w.isFinite {
            throw fail("the guidance scale must be finite, got \(w)")
        }
        if case .interval(let w, let range) = guidance.scale {
            guard w.isFinite else { throw fail("the guidance scale must be finite, got \(w)") }
            guard range.lowerBound.isFinite, range.upperBound.isFinite else {
                throw fail("the guidance σ interval must be finite, got \(range)")
            }
        }
        if let mg = guidance.momentum {
            guard mg.alpha.isFinite else { throw fail("MG α must be finite, got \(mg.alpha)") }
            guard mg.beta >= 0, mg.beta < 1 else { throw fail("MG β must be in [0, 1), got \(mg.beta)") }
            guard mg.epsilon >= 0 else { throw fail("MG ε must be >= 0, got \(mg.epsilon)") }
        }
        if let window = guidance.momentumWindow, !(window.lowerBound.isFinite && window.upperBound.isFinite) {
            throw fail("the MG σ window must be finite, got \(window)")
        }
    }
}
