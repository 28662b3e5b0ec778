internal import CFlowKernels

/// AdamW (Loshchilov & Hutter 2019), by default with cautious weight decay (Chen et al. 2025,
/// arXiv 2510.12402). With `t` the update number and `g` the gradient, per parameter θ:
/// ```
/// m = β1·m + (1 − β1)·g           v = β2·v + (1 − β2)·g²
/// u = m̂/(√v̂ + ε)                  m̂ = m/(1 − β1ᵗ),  v̂ = v/(1 − β2ᵗ)
/// plain:     θ −= lr·(u + λ·θ)
/// cautious:  θ −= lr·(u + λ·𝟙[u·θ ≥ 0]·θ)    (decay only where update and parameter agree in
///                                             sign; the mask is 1 on ties)
/// ```
/// Weight decay is decoupled (scaled by lr, as PyTorch's `AdamW`). One `fk_adamw_step` pass per
/// update. The state is the two moments, named as PyTorch names them: "exp_avg" (m) and
/// "exp_avg_sq" (v).
public struct AdamW: Optimizer {
    /// AdamW's settings. Defaults: β1 = 0.9, β2 = 0.999, ε = 1e-8 (PyTorch's), weight decay
    /// λ = 0.01 (PyTorch's `AdamW` default) and cautious decay on (DESIGN.md §6: the default
    /// optimizer; plain AdamW with `cautious: false`).
    public struct Hyperparameters: Codable, Hashable, Sendable {
        public var beta1: Float
        public var beta2: Float
        public var epsilon: Float
        public var weightDecay: Float
        public var cautious: Bool

        public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01,
                    cautious: Bool = true) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
            self.cautious = cautious
        }

        /// Throws `.invalidArgument` unless β1, β2 ∈ [0, 1), ε > 0 and λ >= 0 (all finite).
        public func validate() throws(KernelError) {
            func fail(_ s: String) -> KernelError { KernelError(.invalidArgument, "AdamW: \(s)") }
            guard beta1 >= 0, beta1 < 1 else { throw fail("beta1 \(beta1) is outside [0, 1)") }
            guard beta2 >= 0, beta2 < 1 else { throw fail("beta2 \(beta2) is outside [0, 1)") }
            guard epsilon > 0, epsilon.isFinite else { throw fail("epsilon \(epsilon) must be finite and > 0") }
            guard weightDecay >= 0, weightDecay.isFinite else {
                throw fail("weightDecay \(weightDecay) must be finite and >= 0")
            }
        }
    }

    public let hyperparameters: Hyperparameters
    /// m, one value per parameter (empty before the first update).
    public private(set) var firstMoment: [Float] = []
    /// v, one value per parameter (empty before the first update).
    public private(set) var secondMoment: [Float] = []
    public private(set) var stepCount = 0

    public init(_ hyperparameters: Hyperparameters = Hyperparameters()) {
        self.hyperparameters = hyperparameters
    }

    public var name: String { "adamw" }

    public var state: [String: [Float]] {
        stepCount == 0 ? [:] : ["exp_avg": firstMoment, "exp_avg_sq": secondMoment]
    }

    public mutating func restore(state: [String: [Float]], stepCount: Int) throws(KernelError) {
        guard stepCount >= 0 else { throw KernelError(.invalidArgument, "AdamW.restore: stepCount \(stepCount) < 0") }
        if stepCount == 0 && state.isEmpty {
            (firstMoment, secondMoment, self.stepCount) = ([], [], 0)
            return
        }
        guard let m = state["exp_avg"], let v = state["exp_avg_sq"], state.count == 2 else {
            throw KernelError(.invalidArgument,
                              "AdamW.restore: expected the state vectors exp_avg and exp_avg_sq, got \(state.keys.sorted())")
        }
        guard m.count == v.count else {
            throw KernelError(.shapeMismatch, "AdamW.restore: exp_avg has \(m.count) values, exp_avg_sq \(v.count)")
        }
        (firstMoment, secondMoment, self.stepCount) = (m, v, stepCount)
    }

    public mutating func step(parameters: inout [Float], gradient: [Float], learningRate: Float) throws(KernelError) {
        if stepCount == 0 && firstMoment.isEmpty {  // the moments start at zero
            firstMoment = [Float](repeating: 0, count: parameters.count)
            secondMoment = firstMoment
        }
        try Kernels.adamWStep(parameters: &parameters, gradient: gradient, firstMoment: &firstMoment,
                              secondMoment: &secondMoment, learningRate: learningRate, step: stepCount + 1,
                              hyperparameters: hyperparameters)
        stepCount += 1
    }
}

extension Kernels {
    /// One AdamW update in place (see ``AdamW``): `step` is the update number t >= 1 (bias
    /// correction), the four vectors have the same count. One fused pass, bitwise identical for
    /// any thread count. The corresponding C function is `fk_adamw_step`.
    public static func adamWStep(parameters: inout [Float], gradient: [Float], firstMoment: inout [Float],
                                 secondMoment: inout [Float], learningRate: Float, step: Int,
                                 hyperparameters h: AdamW.Hyperparameters) throws(KernelError) {
        let n = parameters.count
        guard gradient.count == n, firstMoment.count == n, secondMoment.count == n else {
            throw KernelError(.shapeMismatch,
                              "adamWStep: \(n) parameters, \(gradient.count) gradient values, moments of "
                                  + "\(firstMoment.count) and \(secondMoment.count)")
        }
        var p = fk_adamw_params(lr: learningRate, beta1: h.beta1, beta2: h.beta2, eps: h.epsilon,
                                weight_decay: h.weightDecay, flags: h.cautious ? Int32(FK_OPT_CAUTIOUS) : 0,
                                step: Int64(step))
        let status = parameters.withUnsafeMutableBufferPointer { pp in
            gradient.withUnsafeBufferPointer { gp in
                firstMoment.withUnsafeMutableBufferPointer { mp in
                    secondMoment.withUnsafeMutableBufferPointer { vp in
                        fk_adamw_step(Int64(n), pp.baseAddress, gp.baseAddress, mp.baseAddress, vp.baseAddress, &p)
                    }
                }
            }
        }
        try check(status, "fk_adamw_step (lr \(learningRate), step \(step), \(h))")
    }
}
