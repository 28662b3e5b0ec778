internal import CFlowKernels

/// Muon (Jordan et al. 2024, "Muon: an optimizer for hidden layers"), by default with cautious
/// weight decay (as ``AdamW``), for an ``MLPVelocityModel``'s parameter vector.
///
/// Each 2-D weight matrix W `[out, in]` (every `*.weight` but the class embedding) with gradient G:
/// ```
/// B = μ·B + G                                   (momentum)
/// D = G + μ·B  (Nesterov, the default)  or  B
/// O = NS₅(D)·√max(1, out/in)                    (Newton–Schulz orthogonalisation, below)
/// plain:     W −= lr·(O + λ·W)
/// cautious:  W −= lr·(O + λ·𝟙[O·W ≥ 0]·W)      (elementwise; the mask is 1 on ties)
/// ```
/// NS₅ (``newtonSchulz(_:steps:)``): X = D/(‖D‖_F + 1e-7), transposed when out > in so that the
/// Gram matrix is the small one, then 5 times `A = X·Xᵀ, B = b·A + c·A·A, X = a·X + B·X` with
/// the published quintic coefficients (a, b, c) = (3.4445, −4.7750, 2.0315); every product is one
/// ``Kernels/gemm(_:transposeA:_:transposeB:alpha:beta:into:)``. The result's singular values lie
/// roughly in [0.7, 1.2] (the quintic trades exact convergence for speed).
///
/// The other tensors (biases and the class embedding) take an AdamW step (Muon's usual setup)
/// with learning rate `lr·adamWLearningRateScale` and the ``Hyperparameters/adamW`` settings.
///
/// The state is three vectors with one value per parameter: "momentum" (B; zero on the AdamW
/// tensors) and the AdamW moments "exp_avg" and "exp_avg_sq" (zero on the matrices).
public struct Muon: Optimizer {
    /// Muon's settings. Defaults: momentum μ = 0.95 with Nesterov, 5 Newton–Schulz steps, weight
    /// decay λ = 0.01 with cautious decay, and for the non-matrix tensors AdamW with its defaults
    /// at a tenth of the learning rate (Muon's learning rate is typically ~0.02, AdamW's ~1e-3).
    public struct Hyperparameters: Codable, Hashable, Sendable {
        public var momentum: Float
        public var nesterov: Bool
        public var newtonSchulzSteps: Int
        public var weightDecay: Float
        public var cautious: Bool
        /// The settings of the AdamW step for the biases and the class embedding.
        public var adamW: AdamW.Hyperparameters
        /// Those tensors' learning rate as a fraction of Muon's.
        public var adamWLearningRateScale: Float

        public init(momentum: Float = 0.95, nesterov: Bool = true, newtonSchulzSteps: Int = 5, weightDecay: Float = 0.01,
                    cautious: Bool = true, adamW: AdamW.Hyperparameters = AdamW.Hyperparameters(),
                    adamWLearningRateScale: Float = 0.1) {
            self.momentum = momentum
            self.nesterov = nesterov
            self.newtonSchulzSteps = newtonSchulzSteps
            self.weightDecay = weightDecay
            self.cautious = cautious
            self.adamW = adamW
            self.adamWLearningRateScale = adamWLearningRateScale
        }

        /// Throws `.invalidArgument` unless μ ∈ [0, 1), the Newton–Schulz steps are in 1...100,
        /// λ >= 0, the AdamW scale >= 0 (all finite) and the AdamW settings are valid.
        public func validate() throws(KernelError) {
            func fail(_ s: String) -> KernelError { KernelError(.invalidArgument, "Muon: \(s)") }
            guard momentum >= 0, momentum < 1 else { throw fail("momentum \(momentum) is outside [0, 1)") }
            guard (1...100).contains(newtonSchulzSteps) else {
                throw fail("newtonSchulzSteps \(newtonSchulzSteps) is outside 1...100")
            }
            guard weightDecay >= 0, weightDecay.isFinite else {
                throw fail("weightDecay \(weightDecay) must be finite and >= 0")
            }
            guard adamWLearningRateScale >= 0, adamWLearningRateScale.isFinite else {
                throw fail("adamWLearningRateScale \(adamWLearningRateScale) must be finite and >= 0")
            }
            try adamW.validate()
        }
    }

    /// The published quintic Newton–Schulz coefficients (a, b, c).
    public static let newtonSchulzCoefficients: (a: Float, b: Float, c: Float) = (3.4445, -4.7750, 2.0315)

    public let hyperparameters: Hyperparameters
    /// The model whose parameter vector this optimizer updates (it says which slices are matrices).
    public let architecture: MLPArchitecture
    /// B, one value per parameter (empty before the first update).
    public private(set) var momentum: [Float] = []
    /// The AdamW moments m and v, one value per parameter (empty before the first update).
    public private(set) var firstMoment: [Float] = []
    public private(set) var secondMoment: [Float] = []
    public private(set) var stepCount = 0

    public init(_ hyperparameters: Hyperparameters = Hyperparameters(), architecture: MLPArchitecture) {
        self.hyperparameters = hyperparameters
        self.architecture = architecture
    }

    public var name: String { "muon" }

    public var state: [String: [Float]] {
        stepCount == 0 ? [:] : ["momentum": momentum, "exp_avg": firstMoment, "exp_avg_sq": secondMoment]
    }

    /// Whether `tensor` takes the Muon update (a 2-D weight other than the class embedding) or AdamW's.
    public static func isMatrix(_ tensor: MLPArchitecture.Tensor) -> Bool {
        tensor.shape.count == 2 && tensor.name != "class_embedding.weight"
    }

    public mutating func restore(state: [String: [Float]], stepCount: Int) throws(KernelError) {
        guard stepCount >= 0 else { throw KernelError(.invalidArgument, "Muon.restore: stepCount \(stepCount) < 0") }
        if stepCount == 0 && state.isEmpty {
            (momentum, firstMoment, secondMoment, self.stepCount) = ([], [], [], 0)
            return
        }
        guard let b = state["momentum"], let m = state["exp_avg"], let v = state["exp_avg_sq"], state.count == 3 else {
            throw KernelError(.invalidArgument, "Muon.restore: expected the state vectors momentum, exp_avg and "
                                  + "exp_avg_sq, got \(state.keys.sorted())")
        }
        let n = architecture.parameterCount
        guard b.count == n, m.count == n, v.count == n else {
            throw KernelError(.shapeMismatch, "Muon.restore: momentum, exp_avg, exp_avg_sq have \(b.count), \(m.count), "
                                  + "\(v.count) values for \(n) parameters")
        }
        (momentum, firstMoment, secondMoment, self.stepCount) = (b, m, v, stepCount)
    }

    public mutating func step(parameters: inout [Float], gradient: [Float], learningRate: Float) throws(KernelError) {
        let n = architecture.parameterCount
        guard parameters.count == n, gradient.count == n else {
            throw KernelError(.shapeMismatch, "Muon.step: \(parameters.count) parameters and \(gradient.count) gradient "
                                  + "values for an architecture of \(n)")
        }
        let h = hyperparameters
        guard learningRate >= 0, learningRate.isFinite else {
            throw KernelError(.invalidArgument, "Muon.step: learning rate \(learningRate) must be finite and >= 0")
        }
        try h.validate()
        if stepCount == 0 && momentum.isEmpty {
            momentum = [Float](repeating: 0, count: n)
            (firstMoment, secondMoment) = (momentum, momentum)
        }
        var adamW = fk_adamw_params(lr: learningRate * h.adamWLearningRateScale, beta1: h.adamW.beta1,
                                    beta2: h.adamW.beta2, eps: h.adamW.epsilon, weight_decay: h.adamW.weightDecay,
                                    flags: h.adamW.cautious ? Int32(FK_OPT_CAUTIOUS) : 0, step: Int64(stepCount + 1))
        for tensor in architecture.tensors where tensor.count > 0 {
            let range = tensor.offset..<(tensor.offset + tensor.count)
            if Muon.isMatrix(tensor) {
                let (rows, columns) = (tensor.shape[0], tensor.shape[1])
                var direction = Matrix(rows: rows, columns: columns)
                let mu = h.momentum
                for (i, j) in range.enumerated() {
                    let b = mu * momentum[j] + gradient[j]
                    momentum[j] = b
                    direction.scalars[i] = h.nesterov ? gradient[j] + mu * b : b
                }
                var update = try Muon.newtonSchulz(direction, steps: h.newtonSchulzSteps)
                let scale = Float(max(1, Double(rows) / Double(columns)).squareRoot())
                if scale != 1 { for i in update.scalars.indices { update.scalars[i] *= scale } }
                try parameters[range].withUnsafeMutableBufferPointer { (pp) throws(KernelError) in
                    try update.scalars.withUnsafeBufferPointer { (up) throws(KernelError) in
                        try Kernels.applyUpdate(pp, up, learningRate: learningRate, weightDecay: h.weightDecay,
                                                cautious: h.cautious)
                    }
                }
            } else {
                let status = parameters[range].withUnsafeMutableBufferPointer { pp in
                    gradient[range].withUnsafeBufferPointer { gp in
                        firstMoment[range].withUnsafeMutableBufferPointer { mp in
                            secondMoment[range].withUnsafeMutableBufferPointer { vp in
                                fk_adamw_step(Int64(tensor.count), pp.baseAddress, gp.baseAddress, mp.baseAddress,
                                              vp.baseAddress, &adamW)
                            }
                        }
                    }
                }
                try check(status, "fk_adamw_step (Muon's AdamW part, tensor \(tensor.name))")
            }
        }
        stepCount += 1
    }

    /// The Newton–Schulz orthogonalisation of `g` (see ``Muon``), without the √max(1, rows/cols)
    /// scale: `steps` quintic iterations on `g/(‖g‖_F + 1e-7)`, transposed while rows > columns.
    /// Every product is one GEMM, so the result is bitwise the same for any thread count.
    public static func newtonSchulz(_ g: Matrix, steps: Int = 5) throws(KernelError) -> Matrix {
        guard steps >= 0 else { throw KernelError(.invalidArgument, "newtonSchulz: steps \(steps) < 0") }
        let transposed = g.rows > g.columns
        var x = transposed ? g.transposed() : g
        var sumOfSquares = 0.0
        for v in x.scalars { sumOfSquares += Double(v) * Double(v) }
        let inverseNorm = Float(1 / (sumOfSquares.squareRoot() + 1e-7))
        for i in x.scalars.indices { x.scalars[i] *= inverseNorm }
        let (a, b, c) = newtonSchulzCoefficients
        var gram = Matrix(rows: x.rows, columns: x.rows)
        for _ in 0..<steps {
            try Kernels.gemm(x, x, transposeB: true, into: &gram)                 // A = X·Xᵀ
            var poly = gram
            try Kernels.gemm(gram, gram, alpha: c, beta: b, into: &poly)          // B = b·A + c·A·A
            var next = x
            try Kernels.gemm(poly, x, alpha: 1, beta: a, into: &next)             // X = a·X + B·X
            x = next
        }
        return transposed ? x.transposed() : x
    }
}

extension Matrix {
    /// The transpose (a copy).
    func transposed() -> Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for i in 0..<rows {
            for j in 0..<columns { t.scalars[j * rows + i] = scalars[i * columns + j] }
        }
        return t
    }
}
