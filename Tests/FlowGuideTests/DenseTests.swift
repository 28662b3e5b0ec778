import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import FlowGuide

@Suite struct DenseTests {
    static func activation(_ act: Activation, _ z: Double) -> Double {
        switch act {
        case .identity: z
        case .silu: z / (1 + exp(-z))
        case .gelu: 0.5 * z * (1 + erf(z / 2.0.squareRoot()))
        }
    }

    @Test(arguments: [Activation.identity, .silu, .gelu])
    func forwardMatchesTheFormula(_ act: Activation) throws {
        let (m, k, n) = (13, 17, 11)
        let x = randomMatrix(rows: m, columns: k, seed: 30)
        let w = randomMatrix(rows: n, columns: k, seed: 31)
        let b = randomMatrix(rows: 1, columns: n, seed: 32).scalars
        let y = try Kernels.denseForward(x, weight: w, bias: b, activation: act)
        var want = [Float]()
        for i in 0..<m {
            for j in 0..<n {
                var z = Double(b[j])
                for p in 0..<k { z += Double(x[i, p]) * Double(w[j, p]) }
                want.append(Float(Self.activation(act, z)))
            }
        }
        #expect(relativeError(y.scalars, want) <= 1e-5)
    }

    /// The backward pass against central finite differences of L = Σ y ⊙ r.
    @Test(arguments: [Activation.identity, .silu, .gelu])
    func backwardMatchesFiniteDifferences(_ act: Activation) throws {
        let (m, k, n) = (4, 5, 3)
        let x = randomMatrix(rows: m, columns: k, seed: 33)
        var w = randomMatrix(rows: n, columns: k, seed: 34)
        let b = randomMatrix(rows: 1, columns: n, seed: 35).scalars
        let r = randomMatrix(rows: m, columns: n, seed: 36)
        var y = Matrix(rows: m, columns: n)
        var pre: Matrix? = Matrix(rows: m, columns: n)
        try Kernels.denseForward(x, weight: w, bias: b, activation: act, into: &y, preActivation: &pre)
        var dz = Matrix(rows: m, columns: n)
        var dw = Matrix(rows: n, columns: k)
        var db: [Float]? = [Float](repeating: 0, count: n)
        var dx: Matrix? = Matrix(rows: m, columns: k)
        try Kernels.denseBackward(x, weight: w, preActivation: pre, activation: act, outputGradient: r,
                                  dz: &dz, weightGradient: &dw, biasGradient: &db, inputGradient: &dx)
        func loss(_ w: Matrix) throws -> Double {
            let y = try Kernels.denseForward(x, weight: w, bias: b, activation: act)
            return zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let eps: Float = 1e-2
        for (j, p) in [(0, 0), (1, 3), (2, 4)] {
            let saved = w[j, p]
            w[j, p] = saved + eps
            let up = try loss(w)
            w[j, p] = saved - eps
            let down = try loss(w)
            w[j, p] = saved
            let numeric = (up - down) / Double(2 * eps)
            #expect(abs(numeric - Double(dw[j, p])) <= 2e-3 * max(1, abs(numeric)))
        }
        #expect(db != nil && dx != nil)
    }

    /// The backend FLOWGUIDE_BLAS asks for is the one in use (scripts/test.sh runs this suite
    /// again with FLOWGUIDE_BLAS=blis and =reference, same binary).
    @Test func usesTheRequestedBackend() throws {
        let info = KernelRuntime.blas
        print("BLAS in use: \(info)")
        if let requested = ProcessInfo.processInfo.environment["FLOWGUIDE_BLAS"],
           ["openblas", "blis", "reference", "builtin"].contains(requested) {
            #expect(info.family == requested)
        }
    }

    @Test func gemmRejectsMismatchedShapes() {
        var c = Matrix(rows: 2, columns: 2)
        #expect {
            try Kernels.gemm(Matrix(rows: 2, columns: 3), Matrix(rows: 2, columns: 2), into: &c)
        } throws: { ($0 as? KernelError)?.code == .shapeMismatch }
    }
}

