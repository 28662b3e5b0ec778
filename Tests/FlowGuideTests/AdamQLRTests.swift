import Testing
@testable import FlowGuide

/// Curvature-vector products of the MLP (against finite differences of a Double reference and an
/// explicitly formed JᵀJ) and AdamQLR (exact line minimiser on a quadratic, the damping rule).
@Suite struct GaussNewtonTests {
    let architecture = MLPArchitecture(dimension: 2, classCount: 2, width: 4, depth: 1, sigmaFeatures: 2,
                                       classFeatures: 2, sigmaScale: 3)
    let x = randomMatrix(rows: 5, columns: 2, seed: 31)
    let sigma: [Float] = [0.9, 0.1, 0.5, 0.5, 0.3]
    let labels = [0, 1, -1, 1, 0]

    func model() throws -> MLPVelocityModel { try MLPVelocityModel(architecture: architecture, seed: 3) }

    func randomDirection(_ n: Int, seed: UInt64) -> [Float] { randomMatrix(rows: 1, columns: n, seed: seed).scalars }

    /// J·e for every unit vector e: the Jacobian `[B·D][P]` by central differences of the Double reference.
    func referenceJacobian(_ theta: [Double]) -> [[Double]] {
        let h = 1e-6
        var columns: [[Double]] = []
        for k in theta.indices {
            var plus = theta, minus = theta
            plus[k] += h
            minus[k] -= h
            let vp = referenceVelocities(architecture, plus, x: x, sigma: sigma, labels: labels).flatMap { $0 }
            let vm = referenceVelocities(architecture, minus, x: x, sigma: sigma, labels: labels).flatMap { $0 }
            columns.append(zip(vp, vm).map { ($0 - $1) / (2 * h) })
        }
        return (0..<columns[0].count).map { row in columns.map { $0[row] } }
    }

    func relativeError(_ got: [Float], _ want: [Double]) -> Double {
        let diff = zip(got, want).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }
        let norm = want.reduce(0.0) { $0 + $1 * $1 }
        return (diff / norm).squareRoot()
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func jacobianVectorProductMatchesFiniteDifferences(seed: UInt64) throws {
        let m = try model()
        let u = randomDirection(m.parameters.count, seed: 100 + seed)
        var jvp = Matrix(rows: x.rows, columns: 2)
        try m.jacobianVectorProduct(x: x, sigma: sigma, labels: labels, direction: u, into: &jvp)
        // (v(θ + h·u) − v(θ − h·u)) / 2h, in Double.
        let theta = m.parameters.map(Double.init), h = 1e-6
        let vp = referenceVelocities(architecture, zip(theta, u).map { $0 + h * Double($1) }, x: x, sigma: sigma,
                                     labels: labels).flatMap { $0 }
        let vm = referenceVelocities(architecture, zip(theta, u).map { $0 - h * Double($1) }, x: x, sigma: sigma,
                                     labels: labels).flatMap { $0 }
        let numeric = zip(vp, vm).map { ($0 - $1) / (2 * h) }
        #expect(relativeError(jvp.scalars, numeric) <= 1e-3)
        // A direction along the embedding row of an unused class moves nothing... class 1 is used:
        // the embedding part alone moves exactly the rows labelled with it.
        var embeddingOnly = [Float](repeating: 0, count: u.count)
        embeddingOnly[0] = 1  // class_embedding.weight[0, 0]: rows labelled 0 (rows 0 and 4)
        try m.jacobianVectorProduct(x: x, sigma: sigma, labels: labels, direction: embeddingOnly, into: &jvp)
        for r in 0..<x.rows {
            let moved = jvp.row(r).contains { $0 != 0 }
            #expect(moved == (labels[r] == 0), "row \(r)")
        }
    }

    @Test func gaussNewtonProductMatchesExplicitJacobian() throws {
        let m = try model()
        let jacobian = referenceJacobian(m.parameters.map(Double.init))
        let scale = 2.0 / Double(x.rows * 2)
        for seed in [UInt64(7), 8] {
            let u = randomDirection(m.parameters.count, seed: seed)
            let ju = jacobian.map { row in zip(row, u).reduce(0.0) { $0 + $1.0 * Double($1.1) } }
            let want = (0..<u.count).map { k in scale * jacobian.indices.reduce(0.0) { $0 + jacobian[$1][k] * ju[$1] } }
            var got = [Float](repeating: .nan, count: u.count)
            try m.gaussNewtonVectorProduct(x: x, sigma: sigma, labels: labels, direction: u, into: &got)
            #expect(relativeError(got, want) <= 1e-3)
            // uᵀGu from one tangent pass (the objective AdamQLR uses) equals u·(G·u).
            let tape = MLPTape()
            var gradient = [Float](repeating: 0, count: u.count)
            let target = randomMatrix(rows: x.rows, columns: 2, seed: 9)
            _ = try m.lossAndGradient(x: x, sigma: sigma, labels: labels, target: target, gradient: &gradient, tape: tape)
            var objective = MLPMinibatchObjective(model: m, x: x, sigma: sigma, labels: labels, target: target, tape: tape)
            let quadratic = try objective.gaussNewtonQuadraticForm(u)
            let uGu = zip(u, want).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            #expect(abs(quadratic - uGu) <= 1e-3 * abs(uGu))
            // The trial loss at the model's own parameters is the training loss.
            let loss = try objective.loss(at: m.parameters)
            var g2 = gradient
            let trainLoss = try m.lossAndGradient(x: x, sigma: sigma, labels: labels, target: target, into: &g2)
            #expect(loss == trainLoss)
        }
    }

    @Test func rejectsBadShapes() throws {
        let m = try model()
        var out = Matrix(rows: x.rows, columns: 2)
        var product = [Float](repeating: 0, count: m.parameters.count)
        #expect(throws: KernelError.self) {
            try m.jacobianVectorProduct(x: x, sigma: sigma, labels: labels, direction: [1, 2], into: &out)
        }
        var wrong = Matrix(rows: 4, columns: 2)
        #expect(throws: KernelError.self) {
            try m.jacobianVectorProduct(x: x, sigma: sigma, labels: labels, direction: product, into: &wrong)
        }
        var short = [Float](repeating: 0, count: 3)
        #expect(throws: KernelError.self) {
            try m.gaussNewtonVectorProduct(x: x, sigma: sigma, labels: labels, direction: product, into: &short)
        }
        #expect(throws: KernelError.self) {
            try m.gaussNewtonVectorProduct(x: Matrix(rows: 0, columns: 2), sigma: [], labels: [], direction: product,
                                           into: &product)
        }
    }
}

/// `f(θ) = ½θᵀAθ − bᵀθ` with `G = A` exactly: AdamQLR's step is the line minimiser along d.
struct QuadraticObjective: MinibatchObjective {
    let a: [[Double]]
    let b: [Double]
    var calls = 0

    func value(_ theta: [Float]) -> Double {
        var f = 0.0
        for i in b.indices {
            var row = 0.0
            for j in b.indices { row += a[i][j] * Double(theta[j]) }
            f += 0.5 * Double(theta[i]) * row - b[i] * Double(theta[i])
        }
        return f
    }

    func gradient(_ theta: [Float]) -> [Float] {
        b.indices.map { i in Float(b.indices.reduce(0.0) { $0 + a[i][$1] * Double(theta[$1]) } - b[i]) }
    }

    mutating func loss(at parameters: [Float]) throws(KernelError) -> Double {
        calls += 1
        return value(parameters)
    }

    mutating func gaussNewtonQuadraticForm(_ u: [Float]) throws(KernelError) -> Double {
        var s = 0.0
        for i in u.indices { for j in u.indices { s += Double(u[i]) * a[i][j] * Double(u[j]) } }
        return s
    }
}

@Suite struct AdamQLRTests {
    // A symmetric positive definite A (diagonally dominant) and b.
    let quadratic = QuadraticObjective(a: [[4, 1, 0.5, 0], [1, 3, 0.2, 0.1], [0.5, 0.2, 2, 0.3], [0, 0.1, 0.3, 1]],
                              b: [1, -2, 0.5, 3])

    @Test func stepIsTheExactMinimiserAlongTheAdamDirection() throws {
        var objective = quadratic
        var theta: [Float] = [0.3, -0.7, 1.2, 0.1]
        let h = AdamQLR.Hyperparameters(initialDamping: 1e-6, maxStepSize: 100, weightDecay: 0)
        var opt = AdamQLR(h)
        for step in 1...3 {
            let g = objective.gradient(theta)
            let before = theta
            try opt.step(parameters: &theta, gradient: g, loss: objective.value(theta), learningRate: 0,
                         objective: &objective)
            // The direction the optimizer took, and the exact minimiser along it: −gᵀd / dᵀAd.
            let d = zip(theta, before).map { Double($0) - Double($1) }
            let alphaTimesD = d
            let dNorm = alphaTimesD.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let unit = alphaTimesD.map { Float($0 / dNorm) }
            let gd = zip(g, unit).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let exact = -gd / (try objective.gaussNewtonQuadraticForm(unit))
            #expect(abs(dNorm - exact) <= 1e-4 * abs(exact), "step \(step): moved \(dNorm), line minimiser at \(exact)")
            // A quadratic model of a quadratic predicts exactly: ρ = 1, so λ shrinks.
            #expect(abs(opt.lastRatio! - 1) < 1e-3)
        }
        #expect(opt.damping == 1e-6 * 0.125 && opt.stepCount == 3)
        #expect(objective.calls == 3)  // one trial loss per step
    }

    @Test func theStepIsClippedAndDecayed() throws {
        var objective = quadratic
        var theta: [Float] = [0.3, -0.7, 1.2, 0.1]
        var opt = AdamQLR(AdamQLR.Hyperparameters(initialDamping: 1e-8, maxStepSize: 1e-3, weightDecay: 0))
        try opt.step(parameters: &theta, gradient: objective.gradient(theta), loss: objective.value(theta),
                     learningRate: 0, objective: &objective)
        #expect(opt.lastStepSize == 1e-3)
        #expect(opt.lastRatio! > 0.75)  // a short step along a descent direction: the model is good
    }

    @Test(arguments: [(0.9, 0.5), (0.76, 0.5), (0.75, 1.0), (0.5, 1.0), (0.25, 1.0), (0.1, 2.0), (-3.0, 2.0),
                      (Double.nan, 2.0), (Double.infinity, 0.5)])
    func dampingMovesTheRightWay(ratio: Double, factor: Double) {
        let h = AdamQLR.Hyperparameters()
        #expect(AdamQLR.updatedDamping(0.01, ratio: ratio, hyperparameters: h) == 0.01 * factor)
    }

    @Test func dampingStaysInItsRange() {
        let h = AdamQLR.Hyperparameters()
        #expect(AdamQLR.updatedDamping(1e-8, ratio: 0.9, hyperparameters: h) == 1e-8)
        #expect(AdamQLR.updatedDamping(1e8, ratio: 0.0, hyperparameters: h) == 1e8)
    }

    @Test func noStepUphill() throws {
        // m from a previous gradient points the other way: gᵀd >= 0, so θ stays. (g = Aθ − b is
        // [0.1, 0.45, 1.94, −2.61] here.)
        var objective = quadratic
        var theta: [Float] = [0.3, -0.7, 1.2, 0.1]
        var opt = AdamQLR(AdamQLR.Hyperparameters(beta1: 0.99, weightDecay: 0))
        try opt.restore(state: ["exp_avg": [-50, -50, -50, 50], "exp_avg_sq": [1, 1, 1, 1]], scalars: ["damping": 1],
                        stepCount: 1)
        let before = theta
        try opt.step(parameters: &theta, gradient: objective.gradient(theta), loss: objective.value(theta),
                     learningRate: 0, objective: &objective)
        #expect(theta == before && opt.lastStepSize == 0 && opt.lastRatio == nil && opt.stepCount == 2)
        #expect(objective.calls == 0)
    }

    @Test func directionKernelMatchesScalarMath() throws {
        let g: [Float] = [0.5, -2, 0, 1e-3, 3]
        var m: [Float] = [0.1, 0.2, -0.3, 0, 1]
        var v: [Float] = [0.01, 0.5, 0.2, 0, 2]
        var u = [Float](repeating: 0, count: 5)
        let (m0, v0) = (m, v)
        let dots = try Kernels.adamDirection(gradient: g, firstMoment: &m, secondMoment: &v, direction: &u, step: 3,
                                             beta1: 0.9, beta2: 0.99, epsilon: 1e-8)
        var gu = 0.0, uu = 0.0
        for j in 0..<5 {
            let mj = 0.9 * Double(m0[j]) + 0.1 * Double(g[j]), vj = 0.99 * Double(v0[j]) + 0.01 * Double(g[j] * g[j])
            let uj = (mj / (1 - 0.729)) / ((vj / (1 - power(0.99, 3))).squareRoot() + 1e-8)
            #expect(abs(Double(u[j]) - uj) <= 1e-5 * abs(uj))  // float32 arithmetic
            gu += Double(g[j]) * uj
            uu += uj * uj
        }
        #expect(abs(dots.gradientDot - gu) <= 1e-6 * abs(gu) && abs(dots.squaredNorm - uu) <= 1e-6 * uu)
    }

    @Test func plainStepAndBadStateThrow() throws {
        var opt = AdamQLR()
        var theta: [Float] = [1, 2]
        #expect(throws: KernelError.self) { try opt.step(parameters: &theta, gradient: [1, 1], learningRate: 0.1) }
        #expect(throws: KernelError.self) {
            try opt.restore(state: ["exp_avg": [0, 0], "exp_avg_sq": [0, 0]], scalars: [:], stepCount: 1)
        }
        #expect(throws: KernelError.self) {
            try opt.restore(state: ["exp_avg": [0, 0], "exp_avg_sq": [0, 0]], scalars: ["damping": -1], stepCount: 1)
        }
        #expect(throws: KernelError.self) { try AdamQLR.Hyperparameters(dampingDecrease: 1.5).validate() }
        #expect(throws: KernelError.self) { try AdamQLR.Hyperparameters(maxStepSize: 0).validate() }
        #expect(throws: KernelError.self) { try AdamQLR.Hyperparameters(lowerRatio: 0.9, upperRatio: 0.1).validate() }
    }
}

private func power(_ x: Double, _ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * x } }
