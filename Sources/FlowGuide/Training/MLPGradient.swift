internal import CFlowKernels

extension MLPVelocityModel {
    /// The flow-matching loss of a batch and its gradient with respect to ``parameters``.
    ///
    /// `loss = mean over rows i and columns j of (v_θ(x_i, σ_i, label_i)_j − target_ij)²`
    /// (the mean over all `B·D` values), and `gradient` receives `∂loss/∂θ` in the layout of
    /// ``parameters`` (every tensor of ``MLPArchitecture/tensors`` at its offset); its previous
    /// contents are overwritten. A label of ``ClassLabel/unconditional`` uses (and trains) the
    /// null row C of the class embedding.
    ///
    /// The forward pass is the one ``velocity(_:sigma:labels:into:)`` runs; the backward pass is
    /// one `fk_dense_backward` per dense layer (GEMMs for the weight and input gradients), the
    /// residual sums, and the class-embedding gradient accumulated row by row in batch order
    /// (deterministic). Bitwise identical for any thread count. After the first call of a given
    /// batch size no call allocates (the tape comes from a pool owned by the model).
    /// - Returns: the loss (accumulated in Double from the float32 velocities).
    public func lossAndGradient(x: Matrix, sigma: [Float], labels: [Int], target: Matrix,
                                into gradient: inout [Float]) throws(KernelError) -> Double {
        let name = "MLPVelocityModel.lossAndGradient"
        guard target.rows == x.rows, target.columns == x.columns else {
            throw KernelError(.shapeMismatch,
                              "\(name): target is [\(target.rows), \(target.columns)], x is [\(x.rows), \(x.columns)]")
        }
        try validateVelocityArguments(x, sigma: sigma, labels: labels, out: target)
        guard x.rows > 0 else { throw KernelError(.invalidArgument, "\(name): the batch is empty (no mean loss)") }
        guard gradient.count == parameters.count else {
            throw KernelError(.shapeMismatch,
                              "\(name): gradient has \(gradient.count) values, the model has \(parameters.count) parameters")
        }
        let tape = tapes.take(rows: x.rows, architecture: architecture)
        defer { tapes.put(tape) }
        return try lossAndGradient(x: x, sigma: sigma, labels: labels, target: target, gradient: &gradient, tape: tape)
    }

    /// ``lossAndGradient(x:sigma:labels:target:into:)`` with the caller's tape (arguments already
    /// validated). Afterwards the tape holds the forward pass at ``parameters`` (z, h, t, pre),
    /// which ``tangent(labels:rows:direction:tape:)`` linearises around.
    func lossAndGradient(x: Matrix, sigma: [Float], labels: [Int], target: Matrix, gradient: inout [Float],
                         tape: MLPTape) throws(KernelError) -> Double {
        let name = "MLPVelocityModel.lossAndGradient"
        try tapedForward(x: x, sigma: sigma, labels: labels, tape: tape, operation: name)
        var loss = 0.0
        let status: fk_status = parameters.withUnsafeBufferPointer { pp in
            gradient.withUnsafeMutableBufferPointer { gp in
                target.scalars.withUnsafeBufferPointer { yp in
                    tape.withPointers { t in
                        loss = lossGradient(velocity: t.dv, target: yp.baseAddress!, count: x.count)
                        return backward(labels: labels, rows: x.rows, parameters: pp.baseAddress!, tape: t,
                                        gradient: gp.baseAddress!)
                    }
                }
            }
        }
        try check(status, name)
        return loss
    }

    /// Overwrites `velocity` with `∂loss/∂v = 2·(v − target)/count` and returns the loss, the mean
    /// of `(v − target)²` summed in Double in index order.
    private func lossGradient(velocity v: UnsafeMutablePointer<Float>, target: UnsafePointer<Float>,
                              count: Int) -> Double {
        var sum = 0.0
        let scale = Float(2.0 / Double(count))
        for j in 0..<count {
            let r = v[j] - target[j]
            sum += Double(r) * Double(r)
            v[j] = scale * r
        }
        return sum / Double(count)
    }

    /// The backward pass from `tape.dv = ∂loss/∂v`, writing every tensor of `gradient`.
    func backward(labels: [Int], rows: Int, parameters p: UnsafePointer<Float>, tape t: MLPTape.Pointers,
                          gradient g: UnsafeMutablePointer<Float>) -> fk_status {
        let a = architecture, o = offsets
        let (m, w64, din) = (Int64(rows), Int64(a.width), Int64(a.inputWidth))
        let slice = rows * a.width
        let depth = o.blocks.count
        // Output layer v = h_L·W_outᵀ + b_out: dW, db, and dh = dv·W_out.
        var s = fk_dense_backward(m, w64, Int64(a.dimension), t.h + depth * slice, w64, p + o.outputWeight, w64,
                                  nil, FK_ACT_IDENTITY, t.dv, Int64(a.dimension), t.dv,
                                  g + o.outputWeight, g + o.outputBias, t.dh, 0)
        // Blocks, last to first: h_{b+1} = h_b + t_b·W1ᵀ + b1, t_b = silu(h_b·W0ᵀ + b0).
        for b in stride(from: depth - 1, through: 0, by: -1) where s == FK_OK {
            let block = o.blocks[b]
            // Second layer (identity): dW1, db1, and dt = dh·W1 (dz aliases dy: dz = dy).
            s = fk_dense_backward(m, w64, w64, t.t + b * slice, w64, p + block.w1, w64, nil, FK_ACT_IDENTITY,
                                  t.dh, w64, t.dh, g + block.w1, g + block.b1, t.dt, 0)
            if s != FK_OK { break }
            // First layer (SiLU): dz = dt·silu'(pre) in place, dW0, db0, and the branch's dh_b.
            s = fk_dense_backward(m, w64, w64, t.h + b * slice, w64, p + block.w0, w64, t.pre + (b + 1) * slice,
                                  FK_ACT_SILU, t.dt, w64, t.dt, g + block.w0, g + block.b0, t.dx, 0)
            if s != FK_OK { break }
            // Residual: dh_b = dh_{b+1} + branch.
            s = fk_euler_step(m, w64, t.dh, w64, t.dx, w64, 1, t.dh, w64)
        }
        if s != FK_OK { return s }
        // Input layer (SiLU): dz in place into dh, dW_in, db_in; no dx except the embedding's.
        s = fk_dense_backward(m, din, w64, t.z, din, p + o.inputWeight, din, t.pre, FK_ACT_SILU,
                              t.dh, w64, t.dh, g + o.inputWeight, g + o.inputBias, nil, 0)
        if s != FK_OK { return s }
        // d(embedding columns of z) [rows, E] = dz [rows, width] · W_in[:, D+F ..< D+F+E].
        let e = a.classFeatures
        s = fk_sgemm(0, 0, m, Int64(e), w64, 1, t.dh, w64, p + o.inputWeight + a.dimension + a.sigmaFeatures, din,
                     0, t.dEmbedding, Int64(e))
        if s != FK_OK { return s }
        // Class embedding: row c collects the rows labelled c (the null row C those labelled −1),
        // in batch order, so the sums are the same for any thread count.
        let table = g + o.embedding
        table.update(repeating: 0, count: (a.classCount + 1) * e)
        for i in 0..<rows {
            let row = table + (labels[i] == ClassLabel.unconditional ? a.classCount : labels[i]) * e
            let source = t.dEmbedding + i * e
            for j in 0..<e { row[j] += source[j] }
        }
        return FK_OK
    }
}

/// The forward tape and backward scratch of ``MLPVelocityModel/lossAndGradient(x:sigma:labels:target:into:)``
/// for up to `rows` rows (W = width, L = depth).
final class MLPTape: MLPScratch, @unchecked Sendable {
    // @unchecked: a tape is used by one caller at a time (taken out of the pool, put back).
    private var z: [Float] = []           // [rows, D+F+E]
    private var h: [Float] = []           // L + 1 slices [rows, W]: the residual stream
    private var t: [Float] = []           // L slices [rows, W]: the block hidden activations
    private var pre: [Float] = []         // L + 1 slices [rows, W]: the SiLU inputs
    private var dv: [Float] = []          // [rows, D]: the velocity, then ∂loss/∂v
    private var dh: [Float] = []          // [rows, W]: ∂loss/∂h_b
    private var dt: [Float] = []          // [rows, W]: ∂loss/∂t_b, then ∂loss/∂(pre_b)
    private var dx: [Float] = []          // [rows, W]: a block branch's ∂loss/∂h_b
    private var dEmbedding: [Float] = []  // [rows, E]
    private var zdot: [Float] = []        // [rows, D+F+E]: the input's tangent (tangent pass)
    private(set) var rows = 0

    init() {}

    func reserve(rows: Int, architecture a: MLPArchitecture) {
        guard rows > self.rows else { return }
        let n = rows, slice = n * a.width
        z = [Float](repeating: 0, count: n * a.inputWidth)
        h = [Float](repeating: 0, count: (a.depth + 1) * slice)
        t = [Float](repeating: 0, count: max(a.depth, 1) * slice)
        pre = [Float](repeating: 0, count: (a.depth + 1) * slice)
        dv = [Float](repeating: 0, count: n * a.dimension)
        dh = [Float](repeating: 0, count: slice)
        dt = [Float](repeating: 0, count: slice)
        dx = [Float](repeating: 0, count: slice)
        dEmbedding = [Float](repeating: 0, count: n * a.classFeatures)
        zdot = [Float](repeating: 0, count: n * a.inputWidth)
        self.rows = n
    }

    struct Pointers {
        let z, h, t, pre, dv, dh, dt, dx, dEmbedding, zdot: UnsafeMutablePointer<Float>
    }

    /// Calls `body` with the base addresses of every buffer.
    func withPointers<R>(_ body: (Pointers) -> R) -> R {
        z.withUnsafeMutableBufferPointer { z in
            h.withUnsafeMutableBufferPointer { h in
                t.withUnsafeMutableBufferPointer { t in
                    pre.withUnsafeMutableBufferPointer { pre in
                        dv.withUnsafeMutableBufferPointer { dv in
                            dh.withUnsafeMutableBufferPointer { dh in
                                dt.withUnsafeMutableBufferPointer { dt in
                                    dx.withUnsafeMutableBufferPointer { dx in
                                        dEmbedding.withUnsafeMutableBufferPointer { de in
                                            zdot.withUnsafeMutableBufferPointer { zd in
                                                body(Pointers(z: z.baseAddress!, h: h.baseAddress!, t: t.baseAddress!,
                                                              pre: pre.baseAddress!, dv: dv.baseAddress!,
                                                              dh: dh.baseAddress!, dt: dt.baseAddress!,
                                                              dx: dx.baseAddress!, dEmbedding: de.baseAddress!,
                                                              zdot: zd.baseAddress!))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
