internal import CFlowKernels

// MARK: - CFG and its variants

extension Kernels {
    /// `g = u + w·(c − u)` as a new matrix. The corresponding C function is `fk_cfg_blend`.
    public static func cfgBlend(conditional c: Matrix, unconditional u: Matrix, scale w: Float) throws(KernelError) -> Matrix {
        var g = Matrix(rows: c.rows, columns: c.columns)
        try cfgBlend(conditional: c, unconditional: u, scale: w, into: &g)
        return g
    }

    /// `g = u + w·(c − u)` into an existing matrix.
    public static func cfgBlend(conditional c: Matrix, unconditional u: Matrix, scale w: Float,
                                into g: inout Matrix) throws(KernelError) {
        try requireSameShape("cfgBlend", c, u, g)
        let (rows, cols) = (Int64(c.rows), Int64(c.columns))
        let status = g.scalars.withUnsafeMutableBufferPointer { gp in
            c.scalars.withUnsafeBufferPointer { cp in
                u.scalars.withUnsafeBufferPointer { up in
                    fk_cfg_blend(rows, cols, cp.baseAddress, cols, up.baseAddress, cols, w, gp.baseAddress, cols)
                }
            }
        }
        try check(status, "fk_cfg_blend")
    }

    /// `x += h·(u + w·(c − u))` in one pass. The corresponding C function is `fk_cfg_euler_step`.
    public static func cfgEulerStep(_ x: inout Matrix, conditional c: Matrix, unconditional u: Matrix,
                                    scale w: Float, stepSize h: Float) throws(KernelError) {
        try requireSameShape("cfgEulerStep", x, c, u)
        let (rows, cols) = (Int64(x.rows), Int64(x.columns))
        let status = x.scalars.withUnsafeMutableBufferPointer { xp in
            c.scalars.withUnsafeBufferPointer { cp in
                u.scalars.withUnsafeBufferPointer { up in
                    fk_cfg_euler_step(rows, cols, xp.baseAddress, cols, cp.baseAddress, cols,
                                      up.baseAddress, cols, w, h)
                }
            }
        }
        try check(status, "fk_cfg_euler_step")
    }

    /// CFG rescale (Lin et al. 2023): `g ← φ·g·std(c)/std(g) + (1−φ)·g` per sample.
    /// The corresponding C function is `fk_cfg_rescale`.
    public static func cfgRescale(conditional c: Matrix, unconditional u: Matrix, scale w: Float,
                                  rescale phi: Float, into g: inout Matrix) throws(KernelError) {
        try requireSameShape("cfgRescale", c, u, g)
        let (rows, cols) = (Int64(c.rows), Int64(c.columns))
        let status = g.scalars.withUnsafeMutableBufferPointer { gp in
            c.scalars.withUnsafeBufferPointer { cp in
                u.scalars.withUnsafeBufferPointer { up in
                    fk_cfg_rescale(rows, cols, cp.baseAddress, cols, up.baseAddress, cols, w, phi, gp.baseAddress, cols)
                }
            }
        }
        try check(status, "fk_cfg_rescale")
    }

    /// CFG-Zero* (Fan et al. 2025): `s = ⟨c,u⟩/(‖u‖²+1e-8)`, `g = s·u + w·(c − s·u)` per sample.
    /// `scales` receives s per sample (its count must be the row count). The corresponding C
    /// function is `fk_cfg_zero_star`.
    public static func cfgZeroStar(conditional c: Matrix, unconditional u: Matrix, scale w: Float,
                                   into g: inout Matrix, scales: inout [Float]) throws(KernelError) {
        try requireSameShape("cfgZeroStar", c, u, g)
        try requireCount("cfgZeroStar", scales, c.rows)
        let (rows, cols) = (Int64(c.rows), Int64(c.columns))
        let status = g.scalars.withUnsafeMutableBufferPointer { gp in
            scales.withUnsafeMutableBufferPointer { sp in
                c.scalars.withUnsafeBufferPointer { cp in
                    u.scalars.withUnsafeBufferPointer { up in
                        fk_cfg_zero_star(rows, cols, cp.baseAddress, cols, up.baseAddress, cols, w,
                                         gp.baseAddress, cols, sp.baseAddress)
                    }
                }
            }
        }
        try check(status, "fk_cfg_zero_star")
    }
}

// MARK: - Momentum Guidance

/// Momentum Guidance options (Liao et al. 2026): `g = d + α·(d − m)`, `m ← (1−β)·d + β·m`.
public struct MomentumGuidance: Hashable, Sendable {
    /// Extrapolation strength; 0 is plain Euler.
    public var alpha: Float
    /// EMA decay in [0, 1).
    public var beta: Float
    /// Use `m·‖d‖/(‖m‖+ε)` in place of m (per sample).
    public var normalize: Bool
    /// Start m at 0 and use `m/(1−β^s)` after s updates (MG off while s = 0).
    public var debias: Bool
    /// The normalize guard ε.
    public var epsilon: Float

    public init(alpha: Float = 0.5, beta: Float = 0.6, normalize: Bool = false, debias: Bool = false,
                epsilon: Float = 1e-8) {
        self.alpha = alpha
        self.beta = beta
        self.normalize = normalize
        self.debias = debias
        self.epsilon = epsilon
    }
}

extension MomentumGuidance {
    /// The C parameter block of `fk_cfg_mg_euler_step` / `fk_mg_euler_step` for a step with
    /// `updates` EMA updates so far, extrapolating when `active`.
    func kernelParameters(active: Bool, updates: Int) -> fk_mg_params {
        var params = fk_mg_params()
        params.alpha = alpha
        params.beta = beta
        params.eps = epsilon
        params.flags = (normalize ? Int32(FK_MG_NORMALIZE) : 0) | (debias ? Int32(FK_MG_DEBIAS) : 0)
        params.active = active ? 1 : 0
        params.updates = Int64(updates)
        return params
    }
}

/// The per-run, per-sample state of Momentum Guidance: the EMA `m` of past velocities and how
/// many updates it has had. Make a new one (or `reset()`) for every sampling run.
public struct MomentumState: Hashable, Sendable {
    public internal(set) var average: Matrix
    public internal(set) var updates: Int

    public init(rows: Int, columns: Int) {
        average = Matrix(rows: rows, columns: columns)
        updates = 0
    }

    /// Forgets the history (zeroes m; the next step is a first step again).
    public mutating func reset() {
        for i in average.scalars.indices { average.scalars[i] = 0 }
        updates = 0
    }
}

extension Kernels {
    /// One fused CFG → Momentum Guidance → Euler step: `d = u + w·(c − u)` (or `d = c` without
    /// `unconditional`), `g = d + α·(d − m)` while `active` (else `g = d`), `x += h·g`, then the
    /// EMA update `m ← (1−β)·d + β·m` (always). The first step of a run is plain Euler.
    /// The corresponding C function is `fk_cfg_mg_euler_step`.
    public static func momentumEulerStep(
        _ x: inout Matrix, velocity c: Matrix, unconditional u: Matrix? = nil, cfgScale w: Float = 1,
        state: inout MomentumState, stepSize h: Float, options: MomentumGuidance = .init(),
        active: Bool = true
    ) throws(KernelError) {
        try momentumStep(&x, c, u, w, &state, h, options, active, diag: nil)
    }

    /// As above; `correctionNorms` (count = rows) receives ‖d − m‖ per sample, the size of the
    /// MG correction before α.
    public static func momentumEulerStep(
        _ x: inout Matrix, velocity c: Matrix, unconditional u: Matrix? = nil, cfgScale w: Float = 1,
        state: inout MomentumState, stepSize h: Float, options: MomentumGuidance = .init(),
        active: Bool = true, correctionNorms: inout [Float]
    ) throws(KernelError) {
        try requireCount("momentumEulerStep", correctionNorms, x.rows)
        try correctionNorms.withUnsafeMutableBufferPointer { (dp) throws(KernelError) in
            try momentumStep(&x, c, u, w, &state, h, options, active, diag: dp.baseAddress)
        }
    }

    private static func momentumStep(
        _ x: inout Matrix, _ c: Matrix, _ u: Matrix?, _ w: Float, _ state: inout MomentumState,
        _ h: Float, _ options: MomentumGuidance, _ active: Bool, diag: UnsafeMutablePointer<Float>?
    ) throws(KernelError) {
        try requireSameShape("momentumEulerStep", x, c, u, state.average)
        var params = options.kernelParameters(active: active, updates: state.updates)
        let (rows, cols) = (Int64(x.rows), Int64(x.columns))
        let status = x.scalars.withUnsafeMutableBufferPointer { xp in
            state.average.scalars.withUnsafeMutableBufferPointer { mp in
                c.scalars.withUnsafeBufferPointer { cp in
                    withOptionalPointer(u) { up in
                        fk_cfg_mg_euler_step(rows, cols, xp.baseAddress, cols, cp.baseAddress, cols, up, cols, w,
                                             mp.baseAddress, cols, h, &params, nil, cols, diag)
                    }
                }
            }
        }
        try check(status, "fk_cfg_mg_euler_step")
        state.updates += 1
    }
}

// MARK: - APG

/// Adaptive projected guidance options (Sadat et al. 2024).
public struct AdaptiveProjectedGuidance: Hashable, Sendable {
    public enum Space: Hashable, Sendable {
        /// Project the denoised estimates `x − σ·v` (the default).
        case denoised
        /// Project the velocities.
        case velocity
    }

    /// Guidance scale w (CFG form; 1 = none).
    public var scale: Float
    /// Weight of the component parallel to the conditional prediction (0 drops it).
    public var eta: Float
    /// Norm threshold r (`.infinity` for none).
    public var threshold: Float
    /// Momentum β (≤ 0 in the paper, e.g. −0.5; 0 = none).
    public var momentum: Float
    public var space: Space

    public init(scale: Float, eta: Float = 0, threshold: Float = .infinity, momentum: Float = 0,
                space: Space = .denoised) {
        self.scale = scale
        self.eta = eta
        self.threshold = threshold
        self.momentum = momentum
        self.space = space
    }
}

extension Kernels {
    /// APG: the guided velocity from the conditional and unconditional ones at noise level σ.
    /// `momentumBuffer` holds the running Δ (zero at the start of a run; same shape as x).
    /// The corresponding C function is `fk_apg`.
    public static func apg(x: Matrix, conditional c: Matrix, unconditional u: Matrix, sigma: Float,
                           options: AdaptiveProjectedGuidance, momentumBuffer: inout Matrix,
                           into g: inout Matrix) throws(KernelError) {
        try requireSameShape("apg", x, c, u, momentumBuffer, g)
        var params = fk_apg_params()
        params.w = options.scale
        params.eta = options.eta
        params.r = options.threshold
        params.beta = options.momentum
        params.sigma = sigma
        params.space = options.space == .denoised ? Int32(FK_APG_X0_SPACE) : Int32(FK_APG_VELOCITY_SPACE)
        let (rows, cols) = (Int64(x.rows), Int64(x.columns))
        let status = g.scalars.withUnsafeMutableBufferPointer { gp in
            momentumBuffer.scalars.withUnsafeMutableBufferPointer { pp in
                x.scalars.withUnsafeBufferPointer { xp in
                    c.scalars.withUnsafeBufferPointer { cp in
                        u.scalars.withUnsafeBufferPointer { up in
                            fk_apg(rows, cols, xp.baseAddress, cols, cp.baseAddress, cols, up.baseAddress, cols,
                                   pp.baseAddress, cols, &params, gp.baseAddress, cols, nil)
                        }
                    }
                }
            }
        }
        try check(status, "fk_apg")
    }

    // MARK: - Per-sample reductions

    /// ⟨aᵢ, bᵢ⟩ for every row i (double accumulation; the same bits for any thread count).
    /// The corresponding C function is `fk_row_dot`.
    public static func rowDot(_ a: Matrix, _ b: Matrix) throws(KernelError) -> [Float] {
        try requireSameShape("rowDot", a, b)
        var out = [Float](repeating: 0, count: a.rows)
        let (rows, cols) = (Int64(a.rows), Int64(a.columns))
        let status = out.withUnsafeMutableBufferPointer { op in
            a.scalars.withUnsafeBufferPointer { ap in
                b.scalars.withUnsafeBufferPointer { bp in
                    fk_row_dot(rows, cols, ap.baseAddress, cols, bp.baseAddress, cols, op.baseAddress)
                }
            }
        }
        try check(status, "fk_row_dot")
        return out
    }

    /// ‖aᵢ‖² for every row i. The corresponding C function is `fk_row_sqnorm`.
    public static func rowSquaredNorm(_ a: Matrix) throws(KernelError) -> [Float] {
        var out = [Float](repeating: 0, count: a.rows)
        let (rows, cols) = (Int64(a.rows), Int64(a.columns))
        let status = out.withUnsafeMutableBufferPointer { op in
            a.scalars.withUnsafeBufferPointer { ap in
                fk_row_sqnorm(rows, cols, ap.baseAddress, cols, op.baseAddress)
            }
        }
        try check(status, "fk_row_sqnorm")
        return out
    }
}
