import Testing
@testable import FlowGuide

/// AdamW written from the formulas in Double (AdamW's documentation), cautious mask 𝟙[u·θ ≥ 0].
private struct ReferenceAdamW {
    var m: [Double], v: [Double], t = 0
    let h: AdamW.Hyperparameters

    init(count: Int, _ h: AdamW.Hyperparameters) {
        m = [Double](repeating: 0, count: count)
        v = m
        self.h = h
    }

    mutating func step(_ theta: inout [Double], _ g: [Float], lr: Double) {
        t += 1
        let (b1, b2) = (Double(h.beta1), Double(h.beta2))
        for i in theta.indices {
            m[i] = b1 * m[i] + (1 - b1) * Double(g[i])
            v[i] = b2 * v[i] + (1 - b2) * Double(g[i]) * Double(g[i])
            let mHat = m[i] / (1 - power(b1, t)), vHat = v[i] / (1 - power(b2, t))
            let u = mHat / (vHat.squareRoot() + Double(h.epsilon))
            let mask: Double = h.cautious ? (u * theta[i] >= 0 ? 1 : 0) : 1
            theta[i] -= lr * (u + Double(h.weightDecay) * mask * theta[i])
        }
    }
}

private func power(_ a: Double, _ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<n { r *= a }
    return r
}

@Suite struct AdamWTests {
    @Test(arguments: [false, true])
    func matchesTheReferenceOverSeveralSteps(cautious: Bool) throws {
        let n = 1500
        let h = AdamW.Hyperparameters(beta1: 0.8, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.3, cautious: cautious)
        var theta = randomMatrix(rows: 1, columns: n, seed: 1).scalars
        theta[0] = 0  // ties: θ = 0 …
        var reference = theta.map(Double.init)
        var optimizer = AdamW(h)
        var ref = ReferenceAdamW(count: n, h)
        for k in 0..<5 {
            var g = randomMatrix(rows: 1, columns: n, seed: 10 + UInt64(k)).scalars
            g[1] = 0  // … and u = 0 (g = 0 on every step, so m = 0)
            try optimizer.step(parameters: &theta, gradient: g, learningRate: 0.05)
            ref.step(&reference, g, lr: 0.05)
        }
        #expect(optimizer.stepCount == 5)
        #expect(relativeError(theta, reference.map(Float.init)) < 1e-5)
        #expect(relativeError(optimizer.firstMoment, ref.m.map(Float.init)) < 1e-5)
        #expect(relativeError(optimizer.secondMoment, ref.v.map(Float.init)) < 1e-5)
        // Coordinate 1 (u = 0): pure decay θ·(1 − lr·λ)^5 with and without caution.
        let start = randomMatrix(rows: 1, columns: n, seed: 1).scalars[1]
        let decayed = Double(start) * power(1 - 0.05 * 0.3, 5)
        #expect(abs(Double(theta[1]) - decayed) < 1e-6)
    }

    @Test func cautiousDecaySkipsOnlyOpposingCoordinates() throws {
        // One step from zero moments: u = g/(|g| + ε) ≈ sign(g).
        let theta0: [Float] = [1, 1, -1, -1, 0, 2]
        let g: [Float] = [1, -1, 1, -1, 1, 0]
        func run(_ cautious: Bool) throws -> [Float] {
            var theta = theta0
            var o = AdamW(AdamW.Hyperparameters(weightDecay: 0.5, cautious: cautious))
            try o.step(parameters: &theta, gradient: g, learningRate: 0.1)
            return theta
        }
        let plain = try run(false), cautious = try run(true)
        let u: [Float] = [1, -1, 1, -1, 1, 0]
        let mask: [Float] = [1, 0, 0, 1, 1, 1]  // u·θ ≥ 0, ties (θ = 0 or u = 0) decay
        for i in 0..<6 {
            #expect(abs(plain[i] - (theta0[i] - 0.1 * (u[i] + 0.5 * theta0[i]))) < 1e-6, "plain \(i)")
            #expect(abs(cautious[i] - (theta0[i] - 0.1 * (u[i] + 0.5 * mask[i] * theta0[i]))) < 1e-6, "cautious \(i)")
        }
    }

    @Test func stateRoundTrips() throws {
        var a = AdamW(), b = AdamW()
        #expect(a.state.isEmpty)
        var p1 = randomMatrix(rows: 1, columns: 100, seed: 3).scalars, p2 = p1
        let g = randomMatrix(rows: 1, columns: 100, seed: 4).scalars
        try a.step(parameters: &p1, gradient: g, learningRate: 1e-2)
        try b.restore(state: a.state, stepCount: a.stepCount)
        p2 = p1
        try a.step(parameters: &p1, gradient: g, learningRate: 1e-2)
        try b.step(parameters: &p2, gradient: g, learningRate: 1e-2)
        #expect(p1 == p2 && a.state == b.state && b.stepCount == 2)
        #expect(throws: KernelError.self) { try b.restore(state: ["exp_avg": [1]], stepCount: 1) }
        #expect(throws: KernelError.self) { try b.restore(state: ["exp_avg": [1], "exp_avg_sq": [1, 2]], stepCount: 1) }
        #expect(throws: KernelError.self) { try b.restore(state: [:], stepCount: -1) }
    }

    @Test func badArgumentsThrow() throws {
        var theta: [Float] = [1, 2, 3]
        var o = AdamW()
        #expect(throws: KernelError.self) { try o.step(parameters: &theta, gradient: [1, 2], learningRate: 1e-3) }
        #expect(throws: KernelError.self) { try o.step(parameters: &theta, gradient: [1, 2, 3], learningRate: -1) }
        #expect(o.stepCount == 0 && theta == [1, 2, 3])
        for bad in [AdamW.Hyperparameters(beta1: 1), AdamW.Hyperparameters(beta2: -0.1),
                    AdamW.Hyperparameters(epsilon: 0), AdamW.Hyperparameters(weightDecay: .nan)] {
            #expect(throws: KernelError.self) { try bad.validate() }
            var m: [Float] = [0, 0, 0], v: [Float] = [0, 0, 0]
            #expect(throws: KernelError.self) {
                try Kernels.adamWStep(parameters: &theta, gradient: [1, 1, 1], firstMoment: &m, secondMoment: &v,
                                      learningRate: 1e-3, step: 1, hyperparameters: bad)
            }
        }
        var m: [Float] = [0, 0, 0], v: [Float] = [0, 0, 0]
        #expect(throws: KernelError.self) {
            try Kernels.adamWStep(parameters: &theta, gradient: [1, 1, 1], firstMoment: &m, secondMoment: &v,
                                  learningRate: 1e-3, step: 0, hyperparameters: AdamW.Hyperparameters())
        }
    }
}
