internal import CFlowKernels

/// The activation fused into the dense layer.
public enum Activation: Hashable, Sendable {
    case identity
    /// z·sigmoid(z)
    case silu
    /// Exact GELU, z·Φ(z).
    case gelu

    var c: fk_activation {
        switch self {
        case .identity: FK_ACT_IDENTITY
        case .silu: FK_ACT_SILU
        case .gelu: FK_ACT_GELU
        }
    }
}

extension Kernels {
    /// `C = α·op(A)·op(B) + β·C` through the active BLAS (row-major).
    /// The corresponding C function is `fk_sgemm`.
    public static func gemm(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
                            alpha: Float = 1, beta: Float = 0, into c: inout Matrix) throws(KernelError) {
        let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
        let (kb, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
        guard k == kb, c.rows == m, c.columns == n else {
            throw KernelError(.shapeMismatch,
                              "gemm: op(A) [\(m), \(k)] · op(B) [\(kb), \(n)] into C [\(c.rows), \(c.columns)]")
        }
        let status = c.scalars.withUnsafeMutableBufferPointer { cp in
            a.scalars.withUnsafeBufferPointer { ap in
                b.scalars.withUnsafeBufferPointer { bp in
                    fk_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int64(m), Int64(n), Int64(k), alpha,
                             ap.baseAddress, Int64(a.columns), bp.baseAddress, Int64(b.columns), beta,
                             cp.baseAddress, Int64(n))
                }
            }
        }
        try check(status, "fk_sgemm")
    }

    /// `y = act(x·Wᵀ + b)`: one GEMM and one fused bias + activation pass.
    /// x: [m, k], weight: [n, k] (PyTorch's Linear layout), bias: n values or nil, y: [m, n].
    /// `preActivation`, if given ([m, n]), receives `x·Wᵀ + b` for the backward pass.
    /// The corresponding C function is `fk_dense_forward`.
    public static func denseForward(_ x: Matrix, weight: Matrix, bias: [Float]?, activation: Activation,
                                    into y: inout Matrix, preActivation: inout Matrix?) throws(KernelError) {
        try checkDense("denseForward", x, weight, bias, y)
        if let pre = preActivation { try requireSameShape("denseForward", y, pre) }
        let (m, k, n) = (Int64(x.rows), Int64(x.columns), Int64(weight.rows))
        let status = y.scalars.withUnsafeMutableBufferPointer { yp in
            x.scalars.withUnsafeBufferPointer { xp in
                weight.scalars.withUnsafeBufferPointer { wp in
                    withOptionalArray(bias) { bp in
                        withOptionalMutable(&preActivation) { pp in
                            fk_dense_forward(m, k, n, xp.baseAddress, k, wp.baseAddress, k, bp, activation.c,
                                             yp.baseAddress, n, pp)
                        }
                    }
                }
            }
        }
        try check(status, "fk_dense_forward")
    }

    /// `y = act(x·Wᵀ + b)` as a new matrix.
    public static func denseForward(_ x: Matrix, weight: Matrix, bias: [Float]?,
                                    activation: Activation) throws(KernelError) -> Matrix {
        var y = Matrix(rows: x.rows, columns: weight.rows)
        var none: Matrix? = nil
        try denseForward(x, weight: weight, bias: bias, activation: activation, into: &y, preActivation: &none)
        return y
    }

    /// The gradients of a dense layer. Given `dy` = dL/dy: `dz = dy ⊙ act'(pre)` (written into
    /// `dz`), `weightGradient` (+)= dzᵀ·x, `biasGradient` (+)= Σ rows of dz, and, if
    /// `inputGradient` is given, `dx = dz·W`. With `accumulate` the weight and bias gradients
    /// are added to; otherwise overwritten. The corresponding C function is `fk_dense_backward`.
    public static func denseBackward(
        _ x: Matrix, weight: Matrix, preActivation: Matrix?, activation: Activation, outputGradient dy: Matrix,
        dz: inout Matrix, weightGradient: inout Matrix, biasGradient: inout [Float]?,
        inputGradient: inout Matrix?, accumulate: Bool = false
    ) throws(KernelError) {
        try checkDense("denseBackward", x, weight, biasGradient, dy)
        try requireSameShape("denseBackward", dy, dz, preActivation)
        try requireSameShape("denseBackward", weight, weightGradient)
        if let dx = inputGradient { try requireSameShape("denseBackward", x, dx) }
        let (m, k, n) = (Int64(x.rows), Int64(x.columns), Int64(weight.rows))
        let status = dz.scalars.withUnsafeMutableBufferPointer { dzp in
            weightGradient.scalars.withUnsafeMutableBufferPointer { dwp in
                withOptionalMutableArray(&biasGradient) { dbp in
                    withOptionalMutable(&inputGradient) { dxp in
                        x.scalars.withUnsafeBufferPointer { xp in
                            weight.scalars.withUnsafeBufferPointer { wp in
                                dy.scalars.withUnsafeBufferPointer { dyp in
                                    withOptionalPointer(preActivation) { pp in
                                        fk_dense_backward(m, k, n, xp.baseAddress, k, wp.baseAddress, k, pp,
                                                          activation.c, dyp.baseAddress, n, dzp.baseAddress,
                                                          dwp.baseAddress, dbp, dxp, accumulate ? 1 : 0)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        try check(status, "fk_dense_backward")
    }

    private static func checkDense(_ op: String, _ x: Matrix, _ w: Matrix, _ bias: [Float]?,
                                   _ y: Matrix) throws(KernelError) {
        guard w.columns == x.columns, y.rows == x.rows, y.columns == w.rows, bias.map({ $0.count == w.rows }) ?? true
        else {
            throw KernelError(.shapeMismatch,
                              "\(op): x [\(x.rows), \(x.columns)], W [\(w.rows), \(w.columns)], bias \(bias?.count ?? 0), y [\(y.rows), \(y.columns)]")
        }
    }
}

func withOptionalArray<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}

func withOptionalMutableArray<R>(_ a: inout [Float]?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard a != nil else { return body(nil) }
    return a!.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}

func withOptionalMutable<R>(_ m: inout Matrix?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard m != nil else { return body(nil) }
    return m!.scalars.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}
