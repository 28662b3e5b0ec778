internal import CFlowKernels

/// The buffers and the step loop of one batch of a sampling run (docs/sampling.md is the spec).
///
/// Everything is allocated in `init`; a step allocates nothing: the model writes into buffers held
/// here, the combiners and solver steps are fused C kernels over these buffers (conditional and
/// unconditional halves of the stacked model output are addressed by pointer offset, never copied),
/// and stage results change places with `swap` rather than by copying.
final class SamplingRun<Model: VelocityModel> {
    let model: Model
    let options: SamplerOptions
    let rows: Int
    let cols: Int
    private let diagnostics: Bool
    private let sigmas: [Float]

    /// The state x `[B, D]`.
    private(set) var x: Matrix
    /// Model evaluations per sample so far in this batch.
    private(set) var nfe = 0

    /// The unguided model output, or the combiner's output `[B, D]`.
    private var g: Matrix
    /// A stage point `x + c·k` for an unguided evaluation `[B, D]`.
    private var stageIn: Matrix
    /// The guided model input `[2B, D]` (y twice) and output (v_c on rows 0..<B, v_u on B..<2B).
    private var stackedIn: Matrix
    private var stackedOut: Matrix
    /// The stage velocities k₁ … k_{S−1} of a step (the last stays in `g`); AB2: the previous
    /// step's velocity.
    private var k: [Matrix]
    /// Coefficients for fk_combine (up to 4).
    private var coefficients: [Float] = [0, 0, 0, 0]
    /// The combined update direction of a multi-stage step with MG `[B, D]`.
    private var direction: Matrix
    /// The MG EMA `[B, D]` and its update count, when MG is on.
    private var momentum: Matrix?
    private var momentumUpdates = 0
    /// APG's momentum buffer `[B, D]`, when the combiner is APG.
    private var apgBuffer: Matrix?
    /// Per-row model arguments: σ for B and 2B rows, labels (conditional, then unconditional).
    private var sigmaB: [Float]
    private var sigma2B: [Float]
    private var labelsB: [Int]
    private var labels2B: [Int]
    /// Per-sample diagnostics `[B]`.
    private var perSample: [Float]
    /// AB2: the previous step size, when `k[0]` holds the previous velocity.
    private var previousStepSize: Float?
    /// Diagnostics of the current step's first evaluation.
    private var firstScale: Float = 1
    private var firstGap: Float?

    init(model: Model, options: SamplerOptions, rows: Int, diagnostics: Bool) throws(KernelError) {
        self.model = model
        self.options = options
        self.rows = rows
        let cols = model.dimension
        self.cols = cols
        self.diagnostics = diagnostics
        self.sigmas = options.grid.sigmas
        let guided = options.guidance.combiner.usesUnconditional
        x = Matrix(rows: rows, columns: cols)
        g = Matrix(rows: rows, columns: cols)
        stageIn = Matrix(rows: options.solver.stages > 1 ? rows : 0, columns: cols)
        stackedIn = Matrix(rows: guided ? 2 * rows : 0, columns: cols)
        stackedOut = Matrix(rows: guided ? 2 * rows : 0, columns: cols)
        // Stage velocities kept while the last one is computed into g (AB2: the previous velocity).
        let kept = options.solver == .ab2 ? 1 : options.solver.stages - 1
        k = (0..<kept).map { _ in Matrix(rows: rows, columns: cols) }
        let mg = options.guidance.momentum != nil
        direction = Matrix(rows: mg && options.solver.stages > 1 || mg && options.solver == .ab2 ? rows : 0,
                           columns: cols)
        momentum = mg ? Matrix(rows: rows, columns: cols) : nil
        if case .apg = options.guidance.combiner { apgBuffer = Matrix(rows: rows, columns: cols) }
        sigmaB = Array(repeating: 0, count: rows)
        sigma2B = Array(repeating: 0, count: guided ? 2 * rows : 0)
        labelsB = Array(repeating: 0, count: rows)
        labels2B = Array(repeating: ClassLabel.unconditional, count: guided ? 2 * rows : 0)
        perSample = Array(repeating: 0, count: rows)
    }

    /// Runs every step from `start` with the given labels; returns the step records.
    func run(x start: Matrix, labels: [Int], batch: Int, batchCount: Int,
             trajectory: ((Int, Matrix) -> Void)?, observer: ((SamplingProgress) -> Void)?,
             shouldStop: () -> Bool) throws -> [SamplingProgress] {
        precondition(start.rows == rows && start.columns == cols && labels.count == rows)
        x = start
        for i in 0..<rows {
            labelsB[i] = labels[i]
            if !labels2B.isEmpty { labels2B[i] = labels[i] }
        }
        nfe = 0
        momentumUpdates = 0
        previousStepSize = nil
        zero(&momentum)
        zero(&apgBuffer)
        trajectory?(0, x)
        let steps = sigmas.count - 1
        var records: [SamplingProgress] = []
        records.reserveCapacity(steps)
        for i in 0..<steps {
            if shouldStop() { throw CancellationError() }
            var record = try step(i)
            record.batch = batch
            record.batchCount = batchCount
            trajectory?(i + 1, x)
            observer?(record)
            records.append(record)
        }
        return records
    }

    private func zero(_ m: inout Matrix?) {
        guard m != nil else { return }
        m!.scalars.withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
    }

    // MARK: - One step

    /// Where a step's update direction is.
    private enum Source {
        /// In `g`.
        case g
        /// CFG not yet applied: v_c and v_u in the halves of `stackedOut`, scale w (fused step).
        case cfgHalves(Float)
        /// In `direction` (a multi-stage combination for MG).
        case direction
    }

    private func step(_ i: Int) throws -> SamplingProgress {
        let s0 = sigmas[i], s1 = sigmas[i + 1], h = s1 - s0
        let mg = options.guidance.momentum
        let mgActive = mg != nil && (options.guidance.momentumWindow?.contains(s0) ?? true)
        firstScale = 1
        firstGap = nil
        var correction: Float? = nil
        if case .cfgZeroStar(let zeroSteps) = options.guidance.combiner, i < zeroSteps {
            // CFG-Zero* zero-init: g = 0, x unchanged, no evaluation, no MG update.
            return record(i, s0, s1, scale: 0, mgActive: false, correction: nil)
        }
        switch options.solver {
        case .euler:
            let e = try evaluate(step: i, sigma: s0, first: true, stage: nil, fuseCFG: true)
            correction = try apply(e, h: h, mgActive: mgActive)
        case .ab2:
            _ = try evaluate(step: i, sigma: s0, first: true, stage: nil, fuseCFG: false)
            if let hPrev = previousStepSize {
                let r = h / hPrev
                correction = try combineAndApply(h: h, mgActive: mgActive, -r / 2, 1 + r / 2)  // k[0] = previous
            } else {
                correction = try apply(.g, h: h, mgActive: mgActive)
            }
            swap(&g, &k[0])
            previousStepSize = h
        case .heun:
            _ = try evaluate(step: i, sigma: s0, first: true, stage: nil, fuseCFG: false)
            if s1 == 0 {
                correction = try apply(.g, h: h, mgActive: mgActive)  // Euler on a last step ending at 0
            } else {
                swap(&g, &k[0])
                _ = try evaluate(step: i, sigma: s1, first: false, stage: (h, 0), fuseCFG: false)
                correction = try combineAndApply(h: h, mgActive: mgActive, 0.5, 0.5)
            }
        case .midpoint:
            _ = try evaluate(step: i, sigma: s0, first: true, stage: nil, fuseCFG: false)
            swap(&g, &k[0])
            _ = try evaluate(step: i, sigma: s0 + h * 0.5, first: false, stage: (h * 0.5, 0), fuseCFG: false)
            correction = try apply(.g, h: h, mgActive: mgActive)
        case .rk4:
            let half = h * 0.5, mid = s0 + h * 0.5
            _ = try evaluate(step: i, sigma: s0, first: true, stage: nil, fuseCFG: false)
            swap(&g, &k[0])
            _ = try evaluate(step: i, sigma: mid, first: false, stage: (half, 0), fuseCFG: false)
            swap(&g, &k[1])
            _ = try evaluate(step: i, sigma: mid, first: false, stage: (half, 1), fuseCFG: false)
            swap(&g, &k[2])
            _ = try evaluate(step: i, sigma: s1, first: false, stage: (h, 2), fuseCFG: false)
            correction = try combineAndApply(h: h, mgActive: mgActive, 1 / 6, 2 / 6, 2 / 6, 1 / 6)
        }
        return record(i, s0, s1, scale: firstScale, mgActive: mgActive && momentumUpdates > 1, correction: correction)
    }

    private func record(_ i: Int, _ s0: Float, _ s1: Float, scale: Float, mgActive: Bool,
                        correction: Float?) -> SamplingProgress {
        SamplingProgress(batch: 0, batchCount: 1, step: i + 1, stepCount: sigmas.count - 1, sigma: s1,
                         startSigma: s0, nfe: nfe, guidanceScale: scale, momentumActive: mgActive,
                         branchGap: firstGap, momentumCorrection: correction)
    }

    // MARK: - Guided evaluation

    /// Evaluates the guided velocity at `y = x` (stage nil) or `y = x + c·k[j]` (stage (c, j)) and
    /// noise level `sigma`. With `fuseCFG` a plain CFG evaluation stops before the blend (the step
    /// kernel blends); otherwise the guided velocity ends in `g`.
    private func evaluate(step i: Int, sigma s: Float, first: Bool, stage: (Float, Int)?,
                          fuseCFG: Bool) throws -> Source {
        let w = options.guidance.scale.scale(step: i, sigma: s)
        guard w.isFinite else {
            throw KernelError(.invalidArgument, "Sampler: the guidance scale at step \(i), σ = \(s) is \(w)")
        }
        let combiner = options.guidance.combiner
        if first { firstScale = combiner == .none ? 1 : w }
        guard combiner != .none, w != 1, rows > 0 else {
            // Unguided: the conditional rows only, one NFE.
            for j in sigmaB.indices { sigmaB[j] = s }
            if let (c, j) = stage {
                try stagePoint(c, j, into: &stageIn.scalars)
                try model.velocity(stageIn, sigma: sigmaB, labels: labelsB, into: &g)
            } else {
                try model.velocity(x, sigma: sigmaB, labels: labelsB, into: &g)
            }
            nfe += 1
            return .g
        }
        // Guided: ONE model call on [y; y] with [labels; unconditional].
        for j in sigma2B.indices { sigma2B[j] = s }
        let n = rows * cols
        if let (c, j) = stage {
            try stagePoint(c, j, into: &stackedIn.scalars)
        } else {
            stackedIn.scalars.withUnsafeMutableBufferPointer { sp in
                x.scalars.withUnsafeBufferPointer { xp in sp.baseAddress!.update(from: xp.baseAddress!, count: n) }
            }
        }
        stackedIn.scalars.withUnsafeMutableBufferPointer { sp in
            (sp.baseAddress! + n).update(from: sp.baseAddress!, count: n)
        }
        try model.velocity(stackedIn, sigma: sigma2B, labels: labels2B, into: &stackedOut)
        nfe += 2
        if first && diagnostics { firstGap = branchGap() }
        let (r, d) = (Int64(rows), Int64(cols))
        let status: fk_status
        switch combiner {
        case .none:
            preconditionFailure("handled above")
        case .cfg:
            if fuseCFG { return .cfgHalves(w) }
            status = withHalves { cp, up in g.scalars.withUnsafeMutableBufferPointer { gp in
                fk_cfg_blend(r, d, cp, d, up, d, w, gp.baseAddress, d)
            } }
        case .cfgRescale(let phi):
            status = withHalves { cp, up in g.scalars.withUnsafeMutableBufferPointer { gp in
                fk_cfg_rescale(r, d, cp, d, up, d, w, phi, gp.baseAddress, d)
            } }
        case .cfgZeroStar:
            status = withHalves { cp, up in g.scalars.withUnsafeMutableBufferPointer { gp in
                fk_cfg_zero_star(r, d, cp, d, up, d, w, gp.baseAddress, d, nil)
            } }
        case .apg(let eta, let threshold, let beta, let space):
            var params = fk_apg_params()
            params.w = w
            params.eta = eta
            params.r = threshold
            params.beta = beta
            params.sigma = s
            // The denoised-space formula divides by σ; at σ = 0 (RK4's last stage) use velocities.
            params.space = space == .denoised && s > 0 ? Int32(FK_APG_X0_SPACE) : Int32(FK_APG_VELOCITY_SPACE)
            status = withHalves { cp, up in
                g.scalars.withUnsafeMutableBufferPointer { gp in
                    apgBuffer!.scalars.withUnsafeMutableBufferPointer { pp in
                        stackedIn.scalars.withUnsafeBufferPointer { yp in
                            fk_apg(r, d, yp.baseAddress, d, cp, d, up, d, pp.baseAddress, d, &params,
                                   gp.baseAddress, d, nil)
                        }
                    }
                }
            }
        }
        try check(status, "Sampler: guidance combiner")
        return .g
    }

    /// `out[0 ..< B·D] = x + c·k[j]`.
    private func stagePoint(_ c: Float, _ j: Int, into out: inout [Float]) throws(KernelError) {
        let (r, d) = (Int64(rows), Int64(cols))
        let status = out.withUnsafeMutableBufferPointer { op in
            x.scalars.withUnsafeBufferPointer { xp in
                k[j].scalars.withUnsafeBufferPointer { kp in
                    fk_euler_step(r, d, xp.baseAddress, d, kp.baseAddress, d, c, op.baseAddress, d)
                }
            }
        }
        try check(status, "Sampler: stage point")
    }

    /// Calls `body` with the conditional and unconditional halves of `stackedOut`.
    private func withHalves<R>(_ body: (UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
        stackedOut.scalars.withUnsafeBufferPointer { p in
            body(p.baseAddress!, p.baseAddress! + rows * cols)
        }
    }

    /// The batch mean of ‖v_c − v_u‖ (diagnostics only; an extra pass).
    private func branchGap() -> Float {
        withHalves { c, u in
            var total = 0.0
            for i in 0..<rows {
                var s = 0.0
                for j in i * cols..<(i + 1) * cols {
                    let e = Double(c[j]) - Double(u[j])
                    s += e * e
                }
                total += s.squareRoot()
            }
            return Float(total / Double(max(rows, 1)))
        }
    }

    // MARK: - Applying the step (MG fused)

    /// `x += h·(direction)`, through MG when it is on. Returns the mean ‖d − m‖ when diagnostics
    /// are on and MG extrapolated.
    private func apply(_ source: Source, h: Float, mgActive: Bool) throws -> Float? {
        let (r, d) = (Int64(rows), Int64(cols))
        guard rows > 0 else { return nil }
        guard let mg = options.guidance.momentum else {
            let status: fk_status
            switch source {
            case .cfgHalves(let w):
                status = withHalves { cp, up in x.scalars.withUnsafeMutableBufferPointer { xp in
                    fk_cfg_euler_step(r, d, xp.baseAddress, d, cp, d, up, d, w, h)
                } }
            case .g, .direction:
                status = x.scalars.withUnsafeMutableBufferPointer { xp in
                    withSource(source) { vp in fk_euler_step(r, d, xp.baseAddress, d, vp, d, h, xp.baseAddress, d) }
                }
            }
            try check(status, "Sampler: Euler step")
            return nil
        }
        var params = mg.kernelParameters(active: mgActive, updates: momentumUpdates)
        let wantDiag = diagnostics && mgActive && momentumUpdates > 0
        let status = x.scalars.withUnsafeMutableBufferPointer { xp in
            momentum!.scalars.withUnsafeMutableBufferPointer { mp in
                perSample.withUnsafeMutableBufferPointer { dp in
                    let diag = wantDiag ? dp.baseAddress : nil
                    switch source {
                    case .cfgHalves(let w):
                        return withHalves { cp, up in
                            fk_cfg_mg_euler_step(r, d, xp.baseAddress, d, cp, d, up, d, w, mp.baseAddress, d, h,
                                                 &params, nil, d, diag)
                        }
                    case .g, .direction:
                        return withSource(source) { vp in
                            fk_mg_euler_step(r, d, xp.baseAddress, d, vp, d, mp.baseAddress, d, h, &params, nil, d, diag)
                        }
                    }
                }
            }
        }
        try check(status, "Sampler: Momentum Guidance step")
        momentumUpdates += 1
        return wantDiag ? perSample.reduce(0, +) / Float(rows) : nil
    }

    private func withSource<R>(_ source: Source, _ body: (UnsafePointer<Float>) -> R) -> R {
        switch source {
        case .g: g.scalars.withUnsafeBufferPointer { body($0.baseAddress!) }
        case .direction: direction.scalars.withUnsafeBufferPointer { body($0.baseAddress!) }
        case .cfgHalves: preconditionFailure("CFG halves are blended by the fused step")
        }
    }

    /// The multi-stage update `x += h·(c₀·k[0] + … + c_{n−1}·k[n−1] + c_n·g)` with n = `k.count`, in
    /// one pass without MG; with MG the combination goes to `direction` first, then the fused MG step.
    private func combineAndApply(h: Float, mgActive: Bool, _ c0: Float, _ c1: Float,
                                 _ c2: Float = 0, _ c3: Float = 0) throws -> Float? {
        guard rows > 0 else { return nil }
        let mg = options.guidance.momentum != nil
        let scale = mg ? 1 : h
        (coefficients[0], coefficients[1], coefficients[2], coefficients[3]) = (scale * c0, scale * c1, scale * c2, scale * c3)
        let terms = k.count + 1
        let (r, d) = (Int64(rows), Int64(cols))
        let status = withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 4) { pointers in
            // Collect the base addresses of k[0], …, k[n−1], g by nesting (no array is built).
            func nest(_ i: Int) -> fk_status {
                if i < k.count {
                    return k[i].scalars.withUnsafeBufferPointer { p in
                        pointers[i] = p.baseAddress
                        return nest(i + 1)
                    }
                }
                return g.scalars.withUnsafeBufferPointer { p in
                    pointers[i] = p.baseAddress
                    return coefficients.withUnsafeBufferPointer { cp in
                        let termPointers = UnsafePointer(pointers.baseAddress!)
                        if mg {
                            return direction.scalars.withUnsafeMutableBufferPointer { op in
                                fk_combine(r, d, d, nil, Int32(terms), cp.baseAddress, termPointers, op.baseAddress)
                            }
                        }
                        return x.scalars.withUnsafeMutableBufferPointer { xp in
                            fk_combine(r, d, d, xp.baseAddress, Int32(terms), cp.baseAddress, termPointers,
                                       xp.baseAddress)
                        }
                    }
                }
            }
            return nest(0)
        }
        try check(status, "Sampler: solver combination")
        return mg ? try apply(.direction, h: h, mgActive: mgActive) : nil
    }
}
