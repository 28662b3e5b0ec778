import Testing
@testable import FlowGuide

/// The guidance kernels against DESIGN.md §3, written out in Swift (Double) here.
@Suite struct GuidanceTests {
    @Test(arguments: testShapes)
    func cfgBlendMatchesTheFormula(_ shape: (rows: Int, columns: Int)) throws {
        let c = randomMatrix(rows: shape.rows, columns: shape.columns, seed: 4)
        let u = randomMatrix(rows: shape.rows, columns: shape.columns, seed: 5)
        let w: Float = 3.5
        let g = try Kernels.cfgBlend(conditional: c, unconditional: u, scale: w)
        let want = zip(c.scalars, u.scalars).map { Float(Double($1) + Double(w) * (Double($0) - Double($1))) }
        #expect(relativeError(g.scalars, want) <= 1e-6)
    }

    @Test func cfgEulerStepEqualsBlendThenStep() throws {
        let c = randomMatrix(rows: 17, columns: 33, seed: 6)
        let u = randomMatrix(rows: 17, columns: 33, seed: 7)
        var x1 = randomMatrix(rows: 17, columns: 33, seed: 8)
        var x2 = x1
        try Kernels.cfgEulerStep(&x1, conditional: c, unconditional: u, scale: 2, stepSize: -0.25)
        let g = try Kernels.cfgBlend(conditional: c, unconditional: u, scale: 2)
        try Kernels.eulerStep(&x2, velocity: g, stepSize: -0.25)
        #expect(relativeError(x1.scalars, x2.scalars) <= 1e-6)
    }

    @Test func cfgZeroStarScaleIsTheProjection() throws {
        let c = randomMatrix(rows: 3, columns: 50, seed: 9)
        let u = randomMatrix(rows: 3, columns: 50, seed: 10)
        var g = Matrix(rows: 3, columns: 50)
        var s = [Float](repeating: 0, count: 3)
        try Kernels.cfgZeroStar(conditional: c, unconditional: u, scale: 4, into: &g, scales: &s)
        for i in 0..<3 {
            let dot = zip(c.row(i), u.row(i)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let nn = u.row(i).reduce(0.0) { $0 + Double($1) * Double($1) }
            let want = dot / (nn + 1e-8)
            #expect(abs(Double(s[i]) - want) <= 1e-6 * max(1, abs(want)))
        }
    }

    @Test func momentumWithZeroAlphaIsEuler() throws {
        var x1 = randomMatrix(rows: 9, columns: 31, seed: 11)
        var x2 = x1
        var state = MomentumState(rows: 9, columns: 31)
        for step in 0..<4 {
            let v = randomMatrix(rows: 9, columns: 31, seed: 100 + UInt64(step))
            try Kernels.momentumEulerStep(&x1, velocity: v, state: &state, stepSize: -0.25,
                                          options: .init(alpha: 0, beta: 0.6))
            try Kernels.eulerStep(&x2, velocity: v, stepSize: -0.25)
        }
        #expect(x1 == x2)
        #expect(state.updates == 4)
    }

    /// With β = 0 and α = ½ on a uniform grid, MG is the Adams–Bashforth-2 step.
    @Test func momentumWithZeroBetaIsAdamsBashforth2() throws {
        let h: Float = -0.2
        var x = randomMatrix(rows: 4, columns: 21, seed: 12)
        var ab2 = x.scalars.map(Double.init)
        var state = MomentumState(rows: 4, columns: 21)
        var previous: Matrix? = nil
        for step in 0..<5 {
            let v = randomMatrix(rows: 4, columns: 21, seed: 200 + UInt64(step))
            try Kernels.momentumEulerStep(&x, velocity: v, state: &state, stepSize: h,
                                          options: .init(alpha: 0.5, beta: 0))
            for i in ab2.indices {
                let d = Double(v.scalars[i])
                let dPrev = previous.map { Double($0.scalars[i]) } ?? d
                ab2[i] += Double(h) * (1.5 * d - 0.5 * dPrev)
            }
            previous = v
        }
        #expect(relativeError(x.scalars, ab2.map(Float.init)) <= 1e-6)
    }

    @Test func momentumLeavesAConstantFieldUnchanged() throws {
        let v = randomMatrix(rows: 6, columns: 10, seed: 13)
        var x1 = randomMatrix(rows: 6, columns: 10, seed: 14)
        var x2 = x1
        var state = MomentumState(rows: 6, columns: 10)
        for _ in 0..<6 {
            try Kernels.momentumEulerStep(&x1, velocity: v, state: &state, stepSize: -0.1)
            try Kernels.eulerStep(&x2, velocity: v, stepSize: -0.1)
        }
        #expect(relativeError(x1.scalars, x2.scalars) <= 1e-6)
        #expect(relativeError(state.average.scalars, v.scalars) <= 1e-6)
    }

    @Test func momentumMatchesAlgorithm1WithCFGAndCorrectionNorms() throws {
        let (rows, cols) = (5, 40)
        let (alpha, beta, w): (Double, Double, Float) = (0.5, 0.6, 2.5)
        var x = randomMatrix(rows: rows, columns: cols, seed: 15)
        var xRef = x.scalars.map(Double.init)
        var mRef = [Double](repeating: 0, count: rows * cols)
        var state = MomentumState(rows: rows, columns: cols)
        var norms = [Float](repeating: 0, count: rows)
        let sigmas: [Double] = [1, 0.8, 0.55, 0.3, 0]
        for i in 0..<(sigmas.count - 1) {
            let h = sigmas[i + 1] - sigmas[i]
            let c = randomMatrix(rows: rows, columns: cols, seed: 300 + UInt64(i))
            let u = randomMatrix(rows: rows, columns: cols, seed: 400 + UInt64(i))
            try Kernels.momentumEulerStep(&x, velocity: c, unconditional: u, cfgScale: w, state: &state,
                                          stepSize: Float(h), correctionNorms: &norms)
            for r in 0..<rows {
                var sq = 0.0
                for j in 0..<cols {
                    let k = r * cols + j
                    let d = Double(u.scalars[k]) + Double(w) * (Double(c.scalars[k]) - Double(u.scalars[k]))
                    if i == 0 { mRef[k] = d }
                    sq += (d - mRef[k]) * (d - mRef[k])
                    xRef[k] += h * (d + alpha * (d - mRef[k]))
                    mRef[k] = (1 - beta) * d + beta * mRef[k]
                }
                #expect(abs(Double(norms[r]) - sq.squareRoot()) <= 1e-5 * max(1, sq.squareRoot()))
            }
        }
        #expect(relativeError(x.scalars, xRef.map(Float.init)) <= 1e-6)
        #expect(relativeError(state.average.scalars, mRef.map(Float.init)) <= 1e-6)
    }

    @Test func momentumStateResets() throws {
        var state = MomentumState(rows: 2, columns: 3)
        var x = Matrix(rows: 2, columns: 3)
        try Kernels.momentumEulerStep(&x, velocity: randomMatrix(rows: 2, columns: 3, seed: 16), state: &state,
                                      stepSize: -0.5)
        #expect(state.updates == 1)
        state.reset()
        #expect(state.updates == 0 && state.average.scalars.allSatisfy { $0 == 0 })
    }

    @Test func momentumRejectsBadOptions() {
        var x = Matrix(rows: 2, columns: 3)
        var state = MomentumState(rows: 2, columns: 3)
        #expect {
            try Kernels.momentumEulerStep(&x, velocity: Matrix(rows: 2, columns: 3), state: &state,
                                          stepSize: -0.1, options: .init(beta: 1.5))
        } throws: { ($0 as? KernelError)?.code == .invalidArgument }
        #expect(state.updates == 0)
    }

    @Test(arguments: [AdaptiveProjectedGuidance.Space.denoised, .velocity])
    func apgWithoutProjectionOrMomentumIsCFG(_ space: AdaptiveProjectedGuidance.Space) throws {
        let x = randomMatrix(rows: 8, columns: 64, seed: 17)
        let c = randomMatrix(rows: 8, columns: 64, seed: 18)
        let u = randomMatrix(rows: 8, columns: 64, seed: 19)
        var buffer = Matrix(rows: 8, columns: 64)
        var g = Matrix(rows: 8, columns: 64)
        try Kernels.apg(x: x, conditional: c, unconditional: u, sigma: 0.7,
                        options: .init(scale: 3, eta: 1, threshold: .infinity, momentum: 0, space: space),
                        momentumBuffer: &buffer, into: &g)
        let cfg = try Kernels.cfgBlend(conditional: c, unconditional: u, scale: 3)
        #expect(relativeError(g.scalars, cfg.scalars) <= 1e-5)
    }

    @Test func apgThresholdCapsTheUpdate() throws {
        let x = randomMatrix(rows: 4, columns: 32, seed: 20)
        let c = randomMatrix(rows: 4, columns: 32, seed: 21)
        let u = randomMatrix(rows: 4, columns: 32, seed: 22)
        var buffer = Matrix(rows: 4, columns: 32)
        var g = Matrix(rows: 4, columns: 32)
        // Velocity space, eta = 1: g = c + (w−1)·Δ·min(1, r/‖Δ‖), so ‖g − c‖ = (w−1)·min(‖Δ‖, r).
        try Kernels.apg(x: x, conditional: c, unconditional: u, sigma: 0.5,
                        options: .init(scale: 2, eta: 1, threshold: 0.5, space: .velocity),
                        momentumBuffer: &buffer, into: &g)
        for r in 0..<4 {
            let delta = zip(c.row(r), u.row(r)).map { Double($0) - Double($1) }
            let deltaNorm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let moved = zip(g.row(r), c.row(r)).map { Double($0) - Double($1) }.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(moved - min(deltaNorm, 0.5)) <= 1e-5)
        }
    }

    @Test func rowReductionsMatchTheFormula() throws {
        let a = randomMatrix(rows: 7, columns: 1023, seed: 23)
        let b = randomMatrix(rows: 7, columns: 1023, seed: 24)
        let dots = try Kernels.rowDot(a, b)
        let norms = try Kernels.rowSquaredNorm(a)
        for r in 0..<7 {
            let dot = zip(a.row(r), b.row(r)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let nn = a.row(r).reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(Double(dots[r]) - dot) <= 1e-6 * max(1, abs(dot)))
            #expect(abs(Double(norms[r]) - nn) <= 1e-6 * nn)
        }
    }
}
