import Testing
@testable import FlowGuide

/// Lion written from the formulas in Double (Chen et al. 2023), cautious mask 𝟙[u·θ ≥ 0].
private struct ReferenceLion {
    var m: [Double]
    let h: Lion.Hyperparameters

    mutating func step(_ theta: inout [Double], _ g: [Float], lr: Double) {
        let (b1, b2) = (Double(h.beta1), Double(h.beta2))
        for i in theta.indices {
            let c = b1 * m[i] + (1 - b1) * Double(g[i])
            let u: Double = c > 0 ? 1 : c < 0 ? -1 : 0
            let mask: Double = h.cautious ? (u * theta[i] >= 0 ? 1 : 0) : 1
            theta[i] -= lr * (u + Double(h.weightDecay) * mask * theta[i])
            m[i] = b2 * m[i] + (1 - b2) * Double(g[i])
        }
    }
}

@Suite struct LionTests {
    @Test(arguments: [false, true])
    func matchesTheReferenceOverSeveralSteps(cautious: Bool) throws {
        let n = 1500
        let h = Lion.Hyperparameters(beta1: 0.8, beta2: 0.95, weightDecay: 0.3, cautious: cautious)
        var theta = randomMatrix(rows: 1, columns: n, seed: 1).scalars
        // Ties: θ = 0, and a zero gradient at the first step (c = 0, so u = 0).
        theta[0] = 0
        theta[1] = 0
        var reference = ReferenceLion(m: [Double](repeating: 0, count: n), h: h)
        var thetaRef = theta.map(Double.init)
        var lion = Lion(h)
        for step in 0..<4 {
            var g = randomMatrix(rows: 1, columns: n, seed: 10 + UInt64(step)).scalars
            if step == 0 { g[1] = 0; g[2] = 0 }
            let lr: Float = 1e-2 * Float(step + 1)
            try lion.step(parameters: &theta, gradient: g, learningRate: lr)
            reference.step(&thetaRef, g, lr: Double(lr))
        }
        #expect(relativeError(theta, thetaRef.map(Float.init)) < 1e-6)
        #expect(relativeError(lion.momentum, reference.m.map(Float.init)) < 1e-6)
        #expect(lion.stepCount == 4 && lion.state.keys.sorted() == ["exp_avg"])
    }

    /// One step from m = 0: u = sign(g); the cautious mask spares only opposite signs.
    @Test func cautiousMaskAndTies() throws {
        let theta0: [Float] = [1, 1, -1, 0, 2, -2]
        let g: [Float] = [1, -1, -1, 1, 0, 1]
        // u:               +1  -1  -1  +1  0  +1
        // mask:             1   0   1   1  1   0
        let expected: [Double] = [1 - 0.1 * (1 + 0.5), 1 - 0.1 * -1, -1 - 0.1 * (-1 - 0.5), -0.1, 2 - 0.1 * 1, -2 - 0.1]
        var theta = theta0
        var lion = Lion(Lion.Hyperparameters(weightDecay: 0.5, cautious: true))
        try lion.step(parameters: &theta, gradient: g, learningRate: 0.1)
        for (a, b) in zip(theta, expected) { #expect(abs(Double(a) - b) < 1e-6) }
        var plain = Lion(Lion.Hyperparameters(weightDecay: 0.5, cautious: false))
        theta = theta0
        try plain.step(parameters: &theta, gradient: g, learningRate: 0.1)
        #expect(abs(Double(theta[1]) - (1 - 0.1 * (-1 + 0.5))) < 1e-6)
    }

    @Test func badInputsThrow() throws {
        var lion = Lion()
        var theta: [Float] = [1, 2, 3]
        #expect(throws: KernelError.self) { try lion.step(parameters: &theta, gradient: [1, 2], learningRate: 0.1) }
        #expect(throws: KernelError.self) { try lion.step(parameters: &theta, gradient: [1, 2, 3], learningRate: -1) }
        #expect(throws: KernelError.self) { try Lion.Hyperparameters(beta1: 1).validate() }
        #expect(throws: KernelError.self) { try Lion.Hyperparameters(beta2: -0.5).validate() }
        #expect(throws: KernelError.self) { try Lion.Hyperparameters(weightDecay: .nan).validate() }
        #expect(throws: KernelError.self) { try lion.restore(state: ["exp_avg_sq": [0, 0, 0]], stepCount: 1) }
        #expect(throws: KernelError.self) { try lion.restore(state: ["exp_avg": [0, 0, 0]], stepCount: -1) }
        #expect(theta == [1, 2, 3] && lion.stepCount == 0)
        try lion.restore(state: ["exp_avg": [0.5, 0, 0]], stepCount: 3)
        #expect(lion.stepCount == 3 && lion.momentum == [0.5, 0, 0])
    }
}
