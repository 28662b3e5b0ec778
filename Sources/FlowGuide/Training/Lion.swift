internal import CFlowKernels

/// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), by default with
/// cautious weight decay (as ``AdamW``). With `g` the gradient, per parameter θ:
/// ```
/// c = β1·m + (1 − β1)·g,   u = sign(c)   (sign(0) = 0)
/// plain:     θ −= lr·(u + λ·θ)
/// cautious:  θ −= lr·(u + λ·𝟙[u·θ ≥ 0]·θ)   (the mask is 1 on ties)
/// m = β2·m + (1 − β2)·g
/// ```
/// Every coordinate moves by ±lr, so Lion wants a learning rate 3–10× smaller than AdamW's (and,
/// to keep the same effective decay lr·λ, a λ 3–10× larger). One `fk_lion_step` pass per update.
/// The state is the momentum, named "exp_avg" (as PyTorch implementations of Lion name it).
public struct Lion: Optimizer {
    /// Lion's settings. Defaults: β1 = 0.9, β2 = 0.99 (the paper's), weight decay λ = 0.1 (10×
    /// AdamW's default 0.01, per the paper's advice for an lr 3–10× smaller) and cautious decay on.
    public struct Hyperparameters: Codable, Hashable, Sendable {
        public var beta1: Float
        public var beta2: Float
        public var weightDecay: Float
        public var cautious: Bool

        public init(beta1: Float = 0.9, beta2: Float = 0.99, weightDecay: Float = 0.1, cautious: Bool = true) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.weightDecay = weightDecay
            self.cautious = cautious
        }

        /// Throws `.invalidArgument` unless β1, β2 ∈ [0, 1) and λ >= 0 (finite).
        public func validate() throws(KernelError) {
            func fail(_ s: String) -> KernelError { KernelError(.invalidArgument, "Lion: \(s)") }
            guard beta1 >= 0, beta1 < 1 else { throw fail("beta1 \(beta1) is outside [0, 1)") }
            guard beta2 >= 0, beta2 < 1 else { throw fail("beta2 \(beta2) is outside [0, 1)") }
            guard weightDecay >= 0, weightDecay.isFinite else {
                throw fail("weightDecay \(weightDecay) must be finite and >= 0")
            }
        }
    }

    public let hyperparameters: Hyperparameters
    /// m, one value per parameter (empty before the first update).
    public private(set) var momentum: [Float] = []
    public private(set) var stepCount = 0

    public init(_ hyperparameters: Hyperparameters = Hyperparameters()) {
        self.hyperparameters = hyperparameters
    }

    public var name: String { "lion" }

    public var state: [String: [Float]] { stepCount == 0 ? [:] : ["exp_avg": momentum] }

    public mutating func restore(state: [String: [Float]], stepCount: Int) throws(KernelError) {
        guard stepCount >= 0 else { throw KernelError(.invalidArgument, "Lion.restore: stepCount \(stepCount) < 0") }
        if stepCount == 0 && state.isEmpty {
            (momentum, self.stepCount) = ([], 0)
            return
        }
        guard let m = state["exp_avg"], state.count == 1 else {
            throw KernelError(.invalidArgument, "Lion.restore: expected the state vector exp_avg, got \(state.keys.sorted())")
        }
        (momentum, self.stepCount) = (m, stepCount)
    }

    public mutating func step(parameters: inout [Float], gradient: [Float], learningRate: Float) throws(KernelError) {
        if stepCount == 0 && momentum.isEmpty { momentum = [Float](repeating: 0, count: parameters.count) }
        try Kernels.lionStep(parameters: &parameters, gradient: gradient, momentum: &momentum,
                             learningRate: learningRate, hyperparameters: hyperparameters)
        stepCount += 1
    }
}

extension Kernels {
    /// One Lion update in place (see ``Lion``); the three vectors have the same count. One fused
    /// pass, bitwise identical for any thread count. The corresponding C function is `fk_lion_step`.
    public static func lionStep(parameters: inout [Float], gradient: [Float], momentum: inout [Float],
                                learningRate: Float, hyperparameters h: Lion.Hyperparameters) throws(KernelError) {
        let n = parameters.count
        guard gradient.count == n, momentum.count == n else {
            throw KernelError(.shapeMismatch,
                              "lionStep: \(n) parameters, \(gradient.count) gradient values, momentum of \(momentum.count)")
        }
        var p = fk_lion_params(lr: learningRate, beta1: h.beta1, beta2: h.beta2, weight_decay: h.weightDecay,
                               flags: h.cautious ? Int32(FK_OPT_CAUTIOUS) : 0)
        let status = parameters.withUnsafeMutableBufferPointer { pp in
            gradient.withUnsafeBufferPointer { gp in
                momentum.withUnsafeMutableBufferPointer { mp in
                    fk_lion_step(Int64(n), pp.baseAddress, gp.baseAddress, mp.baseAddress, &p)
                }
            }
        }
        try check(status, "fk_lion_step (lr \(learningRate), \(h))")
    }

    /// `θ −= lr·(u + λ·mask·θ)` in place with a given update direction `u` (mask = 1, or with
    /// `cautious` 𝟙[u·θ ≥ 0], 1 on ties): the last pass of ``Muon``. The corresponding C function
    /// is `fk_apply_update`.
    public static func applyUpdate(parameters: inout [Float], update: [Float], learningRate: Float,
                                   weightDecay: Float, cautious: Bool) throws(KernelError) {
        guard update.count == parameters.count else {
            throw KernelError(.shapeMismatch, "applyUpdate: \(parameters.count) parameters, \(update.count) update values")
        }
        try parameters.withUnsafeMutableBufferPointer { (pp) throws(KernelError) in
            try update.withUnsafeBufferPointer { (up) throws(KernelError) in
                try applyUpdate(pp, up, learningRate: learningRate, weightDecay: weightDecay, cautious: cautious)
            }
        }
    }

    /// ``applyUpdate(parameters:update:learningRate:weightDecay:cautious:)`` on buffers of the same count.
    static func applyUpdate(_ parameters: UnsafeMutableBufferPointer<Float>, _ update: UnsafeBufferPointer<Float>,
                            learningRate: Float, weightDecay: Float, cautious: Bool) throws(KernelError) {
        let status = fk_apply_update(Int64(parameters.count), parameters.baseAddress, update.baseAddress, learningRate,
                                     weightDecay, cautious ? Int32(FK_OPT_CAUTIOUS) : 0)
        try check(status, "fk_apply_update (lr \(learningRate), weight decay \(weightDecay), cautious \(cautious))")
    }
}
