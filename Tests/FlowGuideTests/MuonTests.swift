import Testing
@testable import FlowGuide

/// The Newton–Schulz iteration written out in Double with naive products (the same steps as
/// ``Muon/newtonSchulz(_:steps:)``), on `[rows, cols]` row-major values.
private func referenceNewtonSchulz(_ g: [Float], rows: Int, cols: Int, steps: Int = 5) -> [Double] {
    let transposed = rows > cols
    let (r, c) = transposed ? (cols, rows) : (rows, cols)
    var x = [Double](repeating: 0, count: r * c)
    for i in 0..<rows { for j in 0..<cols { x[transposed ? j * rows + i : i * cols + j] = Double(g[i * cols + j]) } }
    let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot() + 1e-7
    x = x.map { $0 / norm }
    let (a, b, cc) = (3.4445, -4.7750, 2.0315)
    for _ in 0..<steps {
        var gram = [Double](repeating: 0, count: r * r)
        for i in 0..<r { for j in 0..<r { for k in 0..<c { gram[i * r + j] += x[i * c + k] * x[j * c + k] } } }
        var poly = gram.map { b * $0 }
        for i in 0..<r { for j in 0..<r { for k in 0..<r { poly[i * r + j] += cc * gram[i * r + k] * gram[k * r + j] } } }
        var next = x.map { a * $0 }
        for i in 0..<r { for j in 0..<c { for k in 0..<r { next[i * c + j] += poly[i * r + k] * x[k * c + j] } } }
        x = next
    }
    if !transposed { return x }
    var out = [Double](repeating: 0, count: rows * cols)
    for i in 0..<rows { for j in 0..<cols { out[i * cols + j] = x[j * rows + i] } }
    return out
}

/// The eigenvalues of a symmetric n×n matrix (cyclic Jacobi).
private func symmetricEigenvalues(_ m: [Double], _ n: Int) -> [Double] {
    var a = m
    for _ in 0..<50 {
        var off = 0.0
        for p in 0..<n { for q in (p + 1)..<n where q < n { off += a[p * n + q] * a[p * n + q] } }
        if off < 1e-22 { break }
        for p in 0..<(n - 1) {
            for q in (p + 1)..<n where abs(a[p * n + q]) > 1e-300 {
                let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {  // columns p, q
                    let akp = a[k * n + p], akq = a[k * n + q]
                    a[k * n + p] = c * akp - s * akq
                    a[k * n + q] = s * akp + c * akq
                }
                for k in 0..<n {  // rows p, q
                    let apk = a[p * n + k], aqk = a[q * n + k]
                    a[p * n + k] = c * apk - s * aqk
                    a[q * n + k] = s * apk + c * aqk
                }
            }
        }
    }
    return (0..<n).map { a[$0 * n + $0] }
}

@Suite struct MuonTests {
    let architecture = MLPArchitecture(dimension: 2, classCount: 3, width: 16, depth: 1, sigmaFeatures: 4,
                                       classFeatures: 4)

    /// Wide and tall (transposed) matrices: singular values in roughly [0.7, 1.2], and the same
    /// numbers as the Double iteration.
    @Test(arguments: [(12, 40), (40, 12), (16, 16), (1, 9)])
    func newtonSchulzIsNearlyOrthogonal(shape: (Int, Int)) throws {
        let (rows, cols) = shape
        let g = randomMatrix(rows: rows, columns: cols, seed: UInt64(rows * 100 + cols))
        let o = try Muon.newtonSchulz(g)
        #expect(o.rows == rows && o.columns == cols)
        let reference = referenceNewtonSchulz(g.scalars, rows: rows, cols: cols)
        let maxDiff = zip(o.scalars, reference).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(maxDiff < 1e-4, "max |NS - reference| = \(maxDiff)")
        // Singular values² = eigenvalues of the small Gram matrix.
        let r = min(rows, cols)
        var gram = [Double](repeating: 0, count: r * r)
        for i in 0..<r {
            for j in 0..<r {
                for k in 0..<max(rows, cols) {
                    gram[i * r + j] += rows <= cols
                        ? Double(o[i, k]) * Double(o[j, k]) : Double(o[k, i]) * Double(o[k, j])
                }
            }
        }
        let singular = symmetricEigenvalues(gram, r).map { $0.squareRoot() }
        #expect(singular.allSatisfy { $0 > 0.65 && $0 < 1.25 }, "singular values \(singular.sorted())")
        // The input itself is far from orthogonal (so the check above can fail).
        #expect(abs(g.scalars.map { Double($0) * Double($0) }.reduce(0, +) - Double(r)) > 1)
    }

    /// One step from zero state: W −= lr·(O·√max(1, out/in) + λ·mask·W) on the matrices with O
    /// the Newton–Schulz output of (1 + μ)·G, and an AdamW step at lr/10 on the other tensors.
    @Test(arguments: [false, true])
    func firstStepMatchesTheFormulas(cautious: Bool) throws {
        let h = Muon.Hyperparameters(momentum: 0.9, weightDecay: 0.5, cautious: cautious,
                                     adamW: AdamW.Hyperparameters(weightDecay: 0.2, cautious: cautious))
        var muon = Muon(h, architecture: architecture)
        let n = architecture.parameterCount
        let theta0 = randomMatrix(rows: 1, columns: n, seed: 3).scalars
        let g = randomMatrix(rows: 1, columns: n, seed: 4).scalars
        var theta = theta0
        try muon.step(parameters: &theta, gradient: g, learningRate: 0.05)
        var adamW = AdamW(h.adamW)
        for tensor in architecture.tensors {
            let range = tensor.offset..<(tensor.offset + tensor.count)
            if Muon.isMatrix(tensor) {
                let (rows, cols) = (tensor.shape[0], tensor.shape[1])
                let o = referenceNewtonSchulz(g[range].map { 1.9 * $0 }, rows: rows, cols: cols)
                let scale = max(1, Double(rows) / Double(cols)).squareRoot()
                for (i, j) in range.enumerated() {
                    let u = o[i] * scale, w = Double(theta0[j])
                    let mask: Double = cautious ? (u * w >= 0 ? 1 : 0) : 1
                    let want = w - 0.05 * (u + 0.5 * mask * w)
                    #expect(abs(Double(theta[j]) - want) < 1e-5, "\(tensor.name)[\(i)]")
                }
            } else {
                var slice = Array(theta0[range])
                adamW = AdamW(h.adamW)
                try adamW.step(parameters: &slice, gradient: Array(g[range]), learningRate: 0.005)
                #expect(Array(theta[range]) == slice, "\(tensor.name)")
            }
        }
        #expect(muon.state.keys.sorted() == ["exp_avg", "exp_avg_sq", "momentum"])
        #expect(muon.state.values.allSatisfy { $0.count == n })
    }

    @Test func badInputsThrow() throws {
        var muon = Muon(architecture: architecture)
        let n = architecture.parameterCount
        var theta = [Float](repeating: 0.1, count: n)
        #expect(throws: KernelError.self) { try muon.step(parameters: &theta, gradient: [Float](repeating: 0, count: n - 1), learningRate: 0.1) }
        #expect(throws: KernelError.self) { try muon.step(parameters: &theta, gradient: [Float](repeating: 0, count: n), learningRate: -1) }
        #expect(throws: KernelError.self) { try Muon.Hyperparameters(momentum: 1).validate() }
        #expect(throws: KernelError.self) { try Muon.Hyperparameters(newtonSchulzSteps: 0).validate() }
        #expect(throws: KernelError.self) { try Muon.Hyperparameters(adamW: AdamW.Hyperparameters(beta2: 1)).validate() }
        #expect(throws: KernelError.self) { try muon.restore(state: ["momentum": [], "exp_avg": [], "exp_avg_sq": []], stepCount: 1) }
        #expect(throws: KernelError.self) { try muon.restore(state: ["exp_avg": [Float](repeating: 0, count: n)], stepCount: 1) }
        #expect(theta.allSatisfy { $0 == 0.1 } && muon.stepCount == 0)
    }
}
