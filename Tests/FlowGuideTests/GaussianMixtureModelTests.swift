#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import FlowGuide

// MARK: - Reference values
// DESIGN.md §5's formula in float64 NumPy/SciPy, Tests/Fixtures/gmm_velocity.py (independent of
// the Swift code); regenerate with `python3 Tests/Fixtures/gmm_velocity.py` and paste here.
// The mixture there: weights [1, 2, 3, 0.5], stds [0.5, 1, 0.2, 0] (a point mass), labels [0, 1, 0, 1].

let gmmVelocityExpected: [(x: [Float], sigma: Float, label: Int, v: [Double])] = [
    ([0.25, -1, 1.5], 1, -1, [0.28076923076923138, -1.4923076923076923, 1.2615384615384617]),
    ([-2, 0.5, 0], 0.75, 0, [-3.9626772989394086, -0.11017257619905185, -0.56784928981544081]),
    ([1, 1.25, -0.5], 0.5, 1, [2.4999993155992088, -0.69998740702545126, -0.10000424328490218]),
    ([0.100000001, -2.9000001, 1], 0.300000012, 1, [0.33334669909224895, 0.33335258869235851, -0.33333944625902528]),
    ([3, -3, 2], 0.100000001, -1, [-1.9844420334414445, 2.3855887844554373, -2.1007262659454047]),
    ([-0.5, 0.5, 0.75], 0.015625, 0, [0.45587717090359919, -0.39788572866851224, -0.84168134910646875]),
    ([0.200000003, 0.300000012, -0.699999988], 0.899999976, 1, [2.4659702862991009, 0.24565037670933682, -1.0029029927663604]),
    ([4, 0, -1], 0.00100000005, -1, [-3.9974869788639009, -0.00070140143329755077, 0.99989779579087923]),
    ([0.600000024, -0.100000001, 0.899999976], 0, 0, [-0.60000002384185791, 0.10000000149011612, -0.89999997615814209]),
]

private let fixtureMixture = try! GaussianMixtureModel(
    weights: [1, 2, 3, 0.5],
    means: [[0.3, -1.2, 2.0], [-2.5, 0.7, 0.1], [1.5, 1.5, -0.4], [0.0, -3.0, 1.1]],
    stds: [0.5, 1.0, 0.2, 0.0], labels: [0, 1, 0, 1])

/// log p_σ(x) of the mixture's marginal for a class (−1: all), in Double, straight from the
/// definition: log Σ_k π_k·N(x; (1−σ)μ_k, var_k·I).
private func logDensity(_ m: GaussianMixtureModel, _ x: [Double], sigma s: Double, label: Int) -> Double {
    let ks = m.labels.indices.filter { label < 0 || m.labels[$0] == label }
    let mass = ks.reduce(0.0) { $0 + m.weights[$1] }
    let terms = ks.map { k -> Double in
        let v: Double = (1 - s) * (1 - s) * m.stds[k] * m.stds[k] + s * s
        var dist = 0.0
        for j in x.indices {
            let e = x[j] - (1 - s) * m.means[k][j]
            dist += e * e
        }
        let logWeight: Double = log(m.weights[k] / mass)
        return logWeight - 0.5 * dist / v - 0.5 * Double(x.count) * log(2 * Double.pi * v)
    }
    let top = terms.max()!
    return top + log(terms.reduce(0.0) { $0 + exp($1 - top) })
}

/// max|a − b| / max|b| for one row.
private func rowError(_ a: ArraySlice<Float>, _ b: [Double]) -> Double {
    relativeError(Array(a), b.map { Float($0) }) + 1e-7  // b rounded to Float: ≤ 6e-8 relative
}

@Suite struct GaussianMixtureVelocityTests {
    @Test(arguments: gmmVelocityExpected.indices)
    func velocityMatchesNumPy(_ i: Int) throws {
        let c = gmmVelocityExpected[i]
        let v = try fixtureMixture.velocity(Matrix([c.x]), sigma: [c.sigma], labels: [c.label])
        #expect(rowError(v.row(0), c.v) <= 1e-5, "got \(Array(v.row(0))), want \(c.v)")
    }

    /// All the fixture rows in ONE call (mixed σ, conditional and unconditional rows) give the
    /// same values as one row at a time.
    @Test func stackedRowsEqualSeparateCalls() throws {
        let x = try Matrix(gmmVelocityExpected.map(\.x))
        let v = try fixtureMixture.velocity(x, sigma: gmmVelocityExpected.map(\.sigma),
                                            labels: gmmVelocityExpected.map(\.label))
        for (i, c) in gmmVelocityExpected.enumerated() {
            let one = try fixtureMixture.velocity(Matrix([c.x]), sigma: [c.sigma], labels: [c.label])
            #expect(Array(v.row(i)) == one.scalars)
        }
    }

    /// One Gaussian N(μ, s²): v = E[ε | x] − E[x0 | x] with the Gaussian conditional means
    /// E[x0 | x] = μ + c·s²/var·(x − cμ) and E[ε | x] = σ/var·(x − cμ).
    @Test(arguments: [0.0, 0.4, 1.3])
    func singleGaussianIsTheClosedForm(std s: Double) throws {
        let mu: [Double] = [1.5, -0.5, 2.0, 0.25, -3.0]
        let m = try GaussianMixtureModel(weights: [7], means: [mu], stds: [s], labels: [0])
        let sigmas: [Float] = [1, 0.999, 0.8, 0.5, 0.2, 0.01, 1e-4]
        let x = randomMatrix(rows: sigmas.count, columns: 5, seed: 21)
        for label in [0, ClassLabel.unconditional] {
            let v = try m.velocity(x, sigma: sigmas, labels: [Int](repeating: label, count: sigmas.count))
            for (r, sf) in sigmas.enumerated() {
                let (sg, c) = (Double(sf), 1 - Double(sf))
                let variance = c * c * s * s + sg * sg
                let want = (0..<5).map { j -> Double in
                    let r0 = Double(x[r, j]) - c * mu[j]
                    return sg / variance * r0 - (mu[j] + c * s * s / variance * r0)
                }
                #expect(rowError(v.row(r), want) <= 1e-5)
            }
        }
    }

    /// At σ = 1 the posterior is the prior: v(x, 1) = x − Σ π_k μ_k (within the class).
    @Test(arguments: [ClassLabel.unconditional, 0, 1])
    func atPureNoiseTheVelocityIsXMinusTheMean(label: Int) throws {
        let m = fixtureMixture
        let ks = m.labels.indices.filter { label < 0 || m.labels[$0] == label }
        let mass = ks.reduce(0.0) { $0 + m.weights[$1] }
        let mean = (0..<3).map { j in ks.reduce(0.0) { $0 + m.weights[$1] * m.means[$1][j] } / mass }
        let x = randomMatrix(rows: 6, columns: 3, seed: 22)
        let v = try m.velocity(x, sigma: [Float](repeating: 1, count: 6), labels: [Int](repeating: label, count: 6))
        for r in 0..<6 {
            #expect(rowError(v.row(r), (0..<3).map { Double(x[r, $0]) - mean[$0] }) <= 1e-6)
        }
    }

    /// At σ = 0, v = −x exactly, also for a class holding a point mass (s_k = 0, var_k = 0).
    @Test func atDataTheVelocityIsMinusX() throws {
        let x = randomMatrix(rows: 3, columns: 3, seed: 23)
        let v = try fixtureMixture.velocity(x, sigma: [0, 0, 0], labels: [-1, 0, 1])
        #expect(v.scalars == x.scalars.map { -$0 })
        let near = try fixtureMixture.velocity(x, sigma: [1e-30, 1e-30, 1e-30], labels: [-1, 0, 1])
        #expect(near.scalars.allSatisfy { $0.isFinite })
    }

    /// v = −(x + σ·∇ log p_σ(x)) / (1 − σ) (from x = (1−σ)·E[x0|x] + σ·E[ε|x] and
    /// E[ε|x] = −σ·∇ log p_σ), with the score by central differences of the log density.
    @Test(arguments: [(0.2, ClassLabel.unconditional), (0.5, 0), (0.8, 1), (0.05, 1), (0.5, -1)])
    func velocityIsConsistentWithTheScore(sigma: Double, label: Int) throws {
        for m in [fixtureMixture, GaussianMixtureModel.eightGaussians] where label < m.classCount {
            let x = randomMatrix(rows: 4, columns: m.dimension, seed: 24)
            let v = try m.velocity(x, sigma: [Float](repeating: Float(sigma), count: 4),
                                   labels: [Int](repeating: label, count: 4))
            let s = Double(Float(sigma))
            for r in 0..<4 {
                let xr = x.row(r).map(Double.init)
                let want = (0..<m.dimension).map { j -> Double in
                    var (plus, minus) = (xr, xr)
                    let h = 1e-5
                    plus[j] += h
                    minus[j] -= h
                    let score = (logDensity(m, plus, sigma: s, label: label)
                        - logDensity(m, minus, sigma: s, label: label)) / (2 * h)
                    return -(xr[j] + s * score) / (1 - s)
                }
                #expect(rowError(v.row(r), want) <= 1e-4, "row \(r): \(Array(v.row(r))) vs \(want)")
            }
        }
    }

    /// Integrating dx/dσ = v from noise (σ = 1) to data lands the samples of class c on the
    /// mode of class c (eightGaussians: one mode per class, std 0.3).
    @Test func theFlowTransportsNoiseToTheClassModes() throws {
        let m = GaussianMixtureModel.eightGaussians
        let n = 512
        let labels = (0..<n).map { $0 % 8 }
        var x = try NoiseGenerator(seed: 25).normal(rows: n, columns: 2)
        let grid = try TimeGrid.sd3(steps: 200, shift: 3)
        var v = Matrix(rows: n, columns: 2)
        for (i, h) in grid.stepSizes.enumerated() {
            try m.velocity(x, sigma: [Float](repeating: grid.sigmas[i], count: n), labels: labels, into: &v)
            try Kernels.eulerStep(&x, velocity: v, stepSize: h)
        }
        var sumSquares = 0.0
        for r in 0..<n {
            let mu = m.means[labels[r]]
            let (dx, dy) = (Double(x[r, 0]) - mu[0], Double(x[r, 1]) - mu[1])
            let d2 = dx * dx + dy * dy
            #expect(d2 < 4 * 4 * 0.09, "sample \(r) of class \(labels[r]) at \(Array(x.row(r)))")
            sumSquares += d2
        }
        // E‖x − μ‖² = 2·s² = 0.18 for the exact flow; Euler on 200 steps is close.
        #expect(abs(sumSquares / Double(n) - 0.18) < 0.05)
    }

    static let badCalls: [(rows: Int, columns: Int, sigma: [Float], labels: [Int], outRows: Int,
                           code: KernelError.Code, message: String)] = [
        (2, 4, [0.5, 0.5], [0, 0], 2, .shapeMismatch, "x has 4 columns, the model dimension is 3"),
        (2, 3, [0.5], [0, 0], 2, .shapeMismatch, "1 σ values for 2 rows"),
        (2, 3, [0.5, 0.5], [0], 2, .shapeMismatch, "1 labels for 2 rows"),
        (2, 3, [0.5, 0.5], [0, 0], 3, .shapeMismatch, "out is [3, 3], x is [2, 3]"),
        (2, 3, [0.5, 1.5], [0, 0], 2, .invalidArgument, "σ[1] = 1.5 is outside [0, 1]"),
        (2, 3, [-0.1, 0.5], [0, 0], 2, .invalidArgument, "σ[0] = -0.1 is outside [0, 1]"),
        (2, 3, [0.5, .nan], [0, 0], 2, .invalidArgument, "σ[1] = nan is outside [0, 1]"),
        (2, 3, [0.5, 0.5], [0, 2], 2, .invalidArgument, "labels[1] = 2 is neither a class in 0..<2"),
        (2, 3, [0.5, 0.5], [-2, 0], 2, .invalidArgument, "labels[0] = -2 is neither"),
    ]

    @Test(arguments: badCalls.indices)
    func badArgumentsThrow(_ i: Int) {
        let c = Self.badCalls[i]
        var out = Matrix(rows: c.outRows, columns: 3)
        #expect {
            try fixtureMixture.velocity(Matrix(rows: c.rows, columns: c.columns), sigma: c.sigma,
                                        labels: c.labels, into: &out)
        } throws: { ($0 as? KernelError)?.code == c.code && "\($0)".contains(c.message) }
    }

    @Test func aClassWithoutWeightThrows() throws {
        let m = try GaussianMixtureModel(weights: [0, 1], means: [[0], [1]], stds: [1, 1], labels: [0, 1])
        #expect(m.classCount == 2 && m.classPriors == [0, 1])
        #expect { _ = try m.velocity(Matrix(rows: 1, columns: 1), sigma: [0.5], labels: [0]) } throws: {
            "\($0)".contains("class 0 has no component of positive weight")
        }
        #expect { _ = try m.sample(count: 1, labels: [0], seed: 1) } throws: {
            "\($0)".contains("class 0 has no component of positive weight")
        }
        // The unconditional velocity ignores the weightless component.
        let v = try m.velocity(Matrix(rows: 1, columns: 1, scalars: [0.5]), sigma: [1], labels: [-1])
        #expect(v.scalars == [0.5 - 1])
    }
}
