#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import FlowGuide

/// The velocities of ``MLPArchitecture``'s documented network, `[rows][D]`, in Double throughout
/// (Double parameters, no kernels): the oracle for finite differences.
func referenceVelocities(_ a: MLPArchitecture, _ p: [Double], x: Matrix, sigma: [Float], labels: [Int]) -> [[Double]] {
    let offset = Dictionary(uniqueKeysWithValues: a.tensors.map { ($0.name, $0.offset) })
    func linear(_ input: [Double], _ name: String, out: Int) -> [Double] {
        let w = offset["\(name).weight"]!, b = offset["\(name).bias"]!
        return (0..<out).map { o in
            var s = p[b + o]
            for i in input.indices { s += p[w + o * input.count + i] * input[i] }
            return s
        }
    }
    func silu(_ v: [Double]) -> [Double] { v.map { $0 / (1 + exp(-$0)) } }
    var features = [Float](repeating: 0, count: a.sigmaFeatures)
    return (0..<x.rows).map { r in
        features.withUnsafeMutableBufferPointer { a.sigmaFeatures(sigma[r], into: $0.baseAddress!) }
        let label = labels[r] < 0 ? a.classCount : labels[r]
        let emb = (0..<a.classFeatures).map { p[offset["class_embedding.weight"]! + label * a.classFeatures + $0] }
        let z = x.row(r).map(Double.init) + features.map(Double.init) + emb
        var h = silu(linear(z, "input", out: a.width))
        for b in 0..<a.depth {
            let u = linear(silu(linear(h, "blocks.\(b).0", out: a.width)), "blocks.\(b).1", out: a.width)
            h = zip(h, u).map(+)
        }
        return linear(h, "output", out: a.dimension)
    }
}

/// The flow-matching loss (mean squared error over all values) of ``referenceVelocities``.
private func referenceLoss(_ a: MLPArchitecture, _ p: [Double], x: Matrix, sigma: [Float], labels: [Int],
                           target: Matrix) -> Double {
    var sum = 0.0
    for (r, v) in referenceVelocities(a, p, x: x, sigma: sigma, labels: labels).enumerated() {
        for j in 0..<a.dimension {
            let d = v[j] - Double(target[r, j])
            sum += d * d
        }
    }
    return sum / Double(x.rows * a.dimension)
}

/// A unit vector supported on `range` (the rest zero), from `seed`.
private func direction(count: Int, range: Range<Int>, seed: UInt64) -> [Double] {
    let r = randomMatrix(rows: 1, columns: range.count, seed: seed).scalars.map(Double.init)
    let norm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
    var u = [Double](repeating: 0, count: count)
    for (i, v) in zip(range, r) { u[i] = v / norm }
    return u
}

private func dot(_ a: [Float], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * $1.1 } }

private struct Problem {
    let model: MLPVelocityModel
    let x: Matrix, target: Matrix
    let sigma: [Float]
    let labels: [Int]

    /// Labels use classes 0 and 2 and the null class; class 1 never appears.
    init(width: Int = 16, depth: Int = 2, rows: Int = 9, seed: UInt64 = 11) throws {
        let a = MLPArchitecture(dimension: 3, classCount: 3, width: width, depth: depth, sigmaFeatures: 8,
                                classFeatures: 4)
        model = try MLPVelocityModel(architecture: a, seed: seed)
        x = randomMatrix(rows: rows, columns: 3, seed: seed + 1)
        target = randomMatrix(rows: rows, columns: 3, seed: seed + 2)
        sigma = (0..<rows).map { Float($0 + 1) / Float(rows + 1) }
        labels = (0..<rows).map { [0, 2, -1][$0 % 3] }
    }

    func gradient() throws -> (loss: Double, gradient: [Float]) {
        var g = [Float](repeating: .nan, count: model.parameters.count)
        let loss = try model.lossAndGradient(x: x, sigma: sigma, labels: labels, target: target, into: &g)
        return (loss, g)
    }

    func floatLoss(_ parameters: [Float]) throws -> Double {
        var m = model
        m.parameters = parameters
        var g = [Float](repeating: 0, count: parameters.count)
        return try m.lossAndGradient(x: x, sigma: sigma, labels: labels, target: target, into: &g)
    }
}

@Suite struct MLPGradientTests {
    /// Directional derivatives along random directions, over all parameters and over each tensor
    /// alone, against central differences of the Double reference (ε = 1e-4: truncation ~1e-8,
    /// rounding ~1e-12), so the float32 gradient must match to float accuracy.
    @Test(arguments: [(16, 2), (24, 0), (8, 3)])
    func gradientMatchesDoubleFiniteDifferences(width: Int, depth: Int) throws {
        let problem = try Problem(width: width, depth: depth)
        let a = problem.model.architecture
        let theta = problem.model.parameters.map(Double.init)
        let (loss, g) = try problem.gradient()
        #expect(abs(loss - referenceLoss(a, theta, x: problem.x, sigma: problem.sigma, labels: problem.labels,
                                         target: problem.target)) <= 1e-5 * loss)
        func check(_ u: [Double], _ what: String) {
            let eps = 1e-4
            let plus = referenceLoss(a, zip(theta, u).map { $0 + eps * $1 }, x: problem.x, sigma: problem.sigma,
                                     labels: problem.labels, target: problem.target)
            let minus = referenceLoss(a, zip(theta, u).map { $0 - eps * $1 }, x: problem.x, sigma: problem.sigma,
                                      labels: problem.labels, target: problem.target)
            let numeric = (plus - minus) / (2 * eps), analytic = dot(g, u)
            #expect(abs(numeric - analytic) <= 1e-4 * max(abs(numeric), 1e-3 * loss),
                    "\(what): finite difference \(numeric), gradient \(analytic)")
        }
        for s in 0..<3 { check(direction(count: theta.count, range: 0..<theta.count, seed: 100 + UInt64(s)), "all \(s)") }
        for (k, t) in a.tensors.enumerated() {
            check(direction(count: theta.count, range: t.offset..<t.offset + t.count, seed: 200 + UInt64(k)), t.name)
        }
    }

    /// The same with the float32 model itself: ε = 1e-2 along unit directions, relative error ≤ 1e-2.
    @Test func gradientMatchesFloatFiniteDifferences() throws {
        let problem = try Problem()
        let theta = problem.model.parameters
        let (_, g) = try problem.gradient()
        for s in 0..<4 {
            let u = direction(count: theta.count, range: 0..<theta.count, seed: 300 + UInt64(s))
            let eps = 1e-2
            let plus = try problem.floatLoss(zip(theta, u).map { Float(Double($0) + eps * $1) })
            let minus = try problem.floatLoss(zip(theta, u).map { Float(Double($0) - eps * $1) })
            let numeric = (plus - minus) / (2 * eps), analytic = dot(g, u)
            #expect(abs(numeric - analytic) <= 1e-2 * abs(analytic), "direction \(s): \(numeric) vs \(analytic)")
        }
    }

    /// Spot checks of single coordinates: the largest gradient entry of every tensor.
    @Test func largestEntryOfEveryTensorMatches() throws {
        let problem = try Problem()
        let a = problem.model.architecture
        let theta = problem.model.parameters.map(Double.init)
        let (_, g) = try problem.gradient()
        for t in a.tensors {
            let i = (t.offset..<t.offset + t.count).max { abs(g[$0]) < abs(g[$1]) }!
            var plus = theta, minus = theta
            plus[i] += 1e-4
            minus[i] -= 1e-4
            let numeric = (referenceLoss(a, plus, x: problem.x, sigma: problem.sigma, labels: problem.labels,
                                         target: problem.target)
                - referenceLoss(a, minus, x: problem.x, sigma: problem.sigma, labels: problem.labels,
                                target: problem.target)) / 2e-4
            #expect(abs(numeric - Double(g[i])) <= 1e-3 * abs(numeric), "\(t.name)[\(i - t.offset)]")
        }
    }

    @Test func classEmbeddingGradientFollowsTheLabels() throws {
        let problem = try Problem()
        let a = problem.model.architecture
        let (_, g) = try problem.gradient()
        let e = a.classFeatures
        let row = { (c: Int) in Array(g[c * e..<(c + 1) * e]) }
        #expect(row(1) == [Float](repeating: 0, count: e))  // class 1 is not in the batch
        for c in [0, 2, 3] { #expect(row(c).contains { $0 != 0 }, "row \(c)") }  // 3 = the null class
        #expect(!g.contains { $0.isNaN })  // every tensor was written
    }

    /// The training forward pass is the sampling forward pass: the loss equals the mean squared
    /// error of `velocity`, bit for bit.
    @Test func lossIsTheMeanSquaredErrorOfVelocity() throws {
        let problem = try Problem(rows: 37)
        let v = try problem.model.velocity(problem.x, sigma: problem.sigma, labels: problem.labels)
        var sum = 0.0
        for (a, b) in zip(v.scalars, problem.target.scalars) {
            let r = a - b
            sum += Double(r) * Double(r)
        }
        #expect(try problem.gradient().loss == sum / Double(v.count))
    }

    @Test func sgdStepsDecreaseTheLoss() throws {
        let problem = try Problem(rows: 32)
        var theta = problem.model.parameters
        var losses: [Double] = []
        for _ in 0..<8 {
            var m = problem.model
            m.parameters = theta
            var g = [Float](repeating: 0, count: theta.count)
            losses.append(try m.lossAndGradient(x: problem.x, sigma: problem.sigma, labels: problem.labels,
                                                target: problem.target, into: &g))
            for i in theta.indices { theta[i] -= 0.2 * g[i] }
        }
        for k in 1..<losses.count { #expect(losses[k] < losses[k - 1], "step \(k): \(losses)") }
        #expect(losses.last! < 0.9 * losses[0], "\(losses)")
    }

    @Test func gradientIsTheSameForAnyThreadCount() throws {
        let a = MLPArchitecture(dimension: 5, classCount: 4, width: 96, depth: 2)
        let model = try MLPVelocityModel(architecture: a, seed: 2)
        let x = randomMatrix(rows: 700, columns: 5, seed: 3), target = randomMatrix(rows: 700, columns: 5, seed: 4)
        let sigma = (0..<700).map { Float($0 % 13) / 12 }, labels = (0..<700).map { $0 % 5 - 1 }
        let saved = KernelRuntime.threadCount
        defer { try? KernelRuntime.setThreadCount(saved) }
        var results: [[Float]] = []
        for threads in [1, 2] {
            try KernelRuntime.setThreadCount(threads)
            var g = [Float](repeating: 0, count: a.parameterCount)
            _ = try model.lossAndGradient(x: x, sigma: sigma, labels: labels, target: target, into: &g)
            results.append(g)
        }
        #expect(results[0] == results[1])
    }

    @Test func badArgumentsThrow() throws {
        let problem = try Problem()
        let m = problem.model
        var g = [Float](repeating: 0, count: m.parameters.count)
        var short = [Float](repeating: 0, count: 3)
        #expect(throws: KernelError.self) {
            try m.lossAndGradient(x: problem.x, sigma: problem.sigma, labels: problem.labels, target: problem.target,
                                  into: &short)
        }
        #expect(throws: KernelError.self) {
            try m.lossAndGradient(x: problem.x, sigma: problem.sigma, labels: problem.labels,
                                  target: Matrix(rows: 2, columns: 3), into: &g)
        }
        #expect(throws: KernelError.self) {
            try m.lossAndGradient(x: problem.x, sigma: problem.sigma, labels: problem.labels.map { _ in 3 },
                                  target: problem.target, into: &g)
        }
        #expect(throws: KernelError.self) {
            try m.lossAndGradient(x: Matrix(rows: 0, columns: 3), sigma: [], labels: [],
                                  target: Matrix(rows: 0, columns: 3), into: &g)
        }
    }
}
