internal import CFlowKernels

// The forward pass of MLPVelocityModel, shared by sampling (`velocity`) and training
// (`lossAndGradient`): the same kernel calls in the same order, so a trained model samples with
// exactly the arithmetic it was trained with. Sampling keeps one residual-stream buffer and no
// pre-activations; training keeps every layer's input and pre-activation (the tape).

/// Where one forward pass over `rows` rows writes. Every slice is `[rows, width]` unless noted.
struct MLPForwardBuffers {
    /// `[rows, D+F+E]`: the input layer's input `[x | σ features | class embedding]`.
    var z: UnsafeMutablePointer<Float>
    /// The residual stream: slice `b` (at `h + b·hStride`, b = 0…depth) is the input of block b;
    /// slice `depth` feeds the output layer. `hStride = 0`: one slice updated in place.
    var h: UnsafeMutablePointer<Float>
    var hStride: Int
    /// Block b's hidden activation `silu(h_b·W_b0ᵀ + b_b0)` at `t + b·tStride` (0: one slice).
    var t: UnsafeMutablePointer<Float>
    var tStride: Int
    /// nil, or `depth + 1` consecutive slices receiving the pre-activations: slice 0 the input
    /// layer's, slice b + 1 block b's first layer (the SiLU inputs the backward pass needs).
    var pre: UnsafeMutablePointer<Float>?
}

extension MLPVelocityModel {
    /// The network of ``MLPArchitecture`` on `rows` rows of `x` (`[rows, D]`), writing the
    /// velocity into `out` (`[rows, D]`). Arguments are already validated (labels in
    /// `-1 ..< C`, `sigma` and `labels` with `rows` values).
    func forward(_ x: UnsafePointer<Float>, sigma: [Float], labels: [Int], rows: Int,
                 parameters p: UnsafePointer<Float>, buffers: MLPForwardBuffers,
                 out: UnsafeMutablePointer<Float>) -> fk_status {
        let a = architecture
        let (d, f, e, width, din) = (a.dimension, a.sigmaFeatures, a.classFeatures, a.width, a.inputWidth)
        let o = offsets
        let z = buffers.z
        // z = [x | σ features | class embedding], row by row (features reused for a repeated σ).
        let embedding = p + o.embedding
        for i in 0..<rows {
            let row = z + i * din
            row.update(from: x + i * d, count: d)
            if i > 0 && sigma[i] == sigma[i - 1] {
                (row + d).update(from: row + d - din, count: f)
            } else {
                a.sigmaFeatures(sigma[i], into: row + d)
            }
            let label = labels[i] == ClassLabel.unconditional ? a.classCount : labels[i]
            (row + d + f).update(from: embedding + label * e, count: e)
        }
        let (m, w64) = (Int64(rows), Int64(width))
        let slice = rows * width
        var s = fk_dense_forward(m, Int64(din), w64, z, Int64(din), p + o.inputWeight, Int64(din),
                                 p + o.inputBias, FK_ACT_SILU, buffers.h, w64, buffers.pre)
        for (b, block) in o.blocks.enumerated() where s == FK_OK {
            let h = buffers.h + b * buffers.hStride, next = buffers.h + (b + 1) * buffers.hStride
            let t = buffers.t + b * buffers.tStride
            s = fk_dense_forward(m, w64, w64, h, w64, p + block.w0, w64, p + block.b0, FK_ACT_SILU, t, w64,
                                 buffers.pre.map { $0 + (b + 1) * slice })
            if s != FK_OK { break }
            // next = h + t·W1ᵀ + b1: a GEMM with β = 1 onto a copy of h (in place when hStride = 0),
            // the bias added on each row tile in cache.
            if next != h { next.update(from: h, count: slice) }
            s = fk_dense_residual(m, w64, w64, t, w64, p + block.w1, w64, p + block.b1, next, w64)
        }
        if s != FK_OK { return s }
        let last = buffers.h + o.blocks.count * buffers.hStride
        return fk_dense_forward(m, w64, Int64(d), last, w64, p + o.outputWeight, w64, p + o.outputBias,
                                FK_ACT_IDENTITY, out, Int64(d), nil)
    }
}
