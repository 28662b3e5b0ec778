internal import CFlowKernels

// Curvature-vector products of the MLP (forward mode): the Jacobian-vector product `J·u` of the
// velocity with respect to the parameters, and the Gauss–Newton-vector product `G·u = Jᵀ·H·J·u`
// of the flow-matching loss, computed without forming any matrix. The tangent pass follows the
// forward pass layer by layer (`fk_dense_tangent`: two GEMMs and one fused act'(pre) pass each)
// around the forward tape of `lossAndGradient`; `Jᵀ(·)` is the existing backward pass.

extension MLPVelocityModel {
    /// `J·u`: how the velocity of each row moves when the parameters move along `direction`
    /// (the derivative of `velocity(x, σ, labels)` at ``parameters`` along `direction`,
    /// `[rows, D]`, written into `out`). `direction` has one value per parameter, in the layout
    /// of ``parameters``. One forward pass and one tangent pass (about three forward passes of GEMMs).
    public func jacobianVectorProduct(x: Matrix, sigma: [Float], labels: [Int], direction: [Float],
                                      into out: inout Matrix) throws(KernelError) {
        try validateVelocityArguments(x, sigma: sigma, labels: labels, out: out)
        try validateDirection(direction, "MLPVelocityModel.jacobianVectorProduct")
        guard x.rows > 0 else { return }
        let tape = tapes.take(rows: x.rows, architecture: architecture)
        defer { tapes.put(tape) }
        try tapedForward(x: x, sigma: sigma, labels: labels, tape: tape)
        try tangent(labels: labels, rows: x.rows, direction: direction, tape: tape)
        tape.withPointers { t in
            out.scalars.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: t.dv, count: x.count) }
        }
    }

    /// `G·u` for the flow-matching loss of ``lossAndGradient(x:sigma:labels:target:into:)``
    /// (the mean of `(v − target)²` over all `B·D` values): `G = Jᵀ·H·J` with `H = 2/(B·D)·I`,
    /// the loss's Hessian with respect to the velocities (so `G` does not depend on the target).
    /// `G` is the Gauss–Newton matrix: symmetric, positive semi-definite, equal to the Hessian
    /// of the loss up to the terms with the network's second derivatives. Writes `G·u` (one
    /// value per parameter) into `product`; a forward, a tangent and a backward pass.
    public func gaussNewtonVectorProduct(x: Matrix, sigma: [Float], labels: [Int], direction: [Float],
                                         into product: inout [Float]) throws(KernelError) {
        let name = "MLPVelocityModel.gaussNewtonVectorProduct"
        try validateVelocityArguments(x, sigma: sigma, labels: labels, out: x)
        try validateDirection(direction, name)
        guard x.rows > 0 else { throw KernelError(.invalidArgument, "\(name): the batch is empty (no mean loss)") }
        guard product.count == parameters.count else {
            throw KernelError(.shapeMismatch,
                              "\(name): product has \(product.count) values, the model has \(parameters.count) parameters")
        }
        let tape = tapes.take(rows: x.rows, architecture: architecture)
        defer { tapes.put(tape) }
        try tapedForward(x: x, sigma: sigma, labels: labels, tape: tape)
        try tangent(labels: labels, rows: x.rows, direction: direction, tape: tape)
        let scale = Float(2.0 / Double(x.count))
        let status = parameters.withUnsafeBufferPointer { pp in
            product.withUnsafeMutableBufferPointer { gp in
                tape.withPointers { t in
                    for j in 0..<x.count { t.dv[j] *= scale }
                    return backward(labels: labels, rows: x.rows, parameters: pp.baseAddress!, tape: t,
                                    gradient: gp.baseAddress!)
                }
            }
        }
        try check(status, name)
    }

    private func validateDirection(_ direction: [Float], _ name: String) throws(KernelError) {
        guard direction.count == parameters.count else {
            throw KernelError(.shapeMismatch,
                              "\(name): direction has \(direction.count) values, the model has \(parameters.count) parameters")
        }
    }

    /// The forward pass at ``parameters`` into `tape` (every layer's input and pre-activation;
    /// the velocity in `tape.dv`). Arguments already validated; `operation` names the caller in errors.
    func tapedForward(x: Matrix, sigma: [Float], labels: [Int], tape: MLPTape,
                      operation: String = "MLPVelocityModel.forward") throws(KernelError) {
        tape.reserve(rows: x.rows, architecture: architecture)
        let status = parameters.withUnsafeBufferPointer { pp in
            x.scalars.withUnsafeBufferPointer { xp in
                tape.withPointers { t in
                    forward(xp.baseAddress!, sigma: sigma, labels: labels, rows: x.rows, parameters: pp.baseAddress!,
                            buffers: MLPForwardBuffers(z: t.z, h: t.h, hStride: x.rows * architecture.width, t: t.t,
                                                       tStride: x.rows * architecture.width, pre: t.pre),
                            out: t.dv)
                }
            }
        }
        try check(status, operation)
    }

    /// The tangent pass: `tape.dv = J·u` (`[rows, D]`) around the forward pass the tape holds
    /// (`rows` rows, from ``tapedForward(x:sigma:labels:tape:)`` or `lossAndGradient`).
    /// Uses the tape's `zdot`, `dh` (the residual stream's tangent) and `dt` as scratch.
    func tangent(labels: [Int], rows: Int, direction: [Float], tape: MLPTape) throws(KernelError) {
        let a = architecture, o = offsets
        let (d, f, e, width, din) = (a.dimension, a.sigmaFeatures, a.classFeatures, a.width, a.inputWidth)
        let (m, w64, din64) = (Int64(rows), Int64(width), Int64(din))
        let slice = rows * width
        let status: fk_status = parameters.withUnsafeBufferPointer { pp in
            direction.withUnsafeBufferPointer { up in
                tape.withPointers { t in
                    let p = pp.baseAddress!, u = up.baseAddress!
                    // ż = [0 (x) | 0 (σ features) | the embedding's tangent, row label_i].
                    t.zdot.update(repeating: 0, count: rows * din)
                    for i in 0..<rows {
                        let label = labels[i] == ClassLabel.unconditional ? a.classCount : labels[i]
                        (t.zdot + i * din + d + f).update(from: u + o.embedding + label * e, count: e)
                    }
                    // ḣ_0 = silu'(pre_0)·(ż·W_inᵀ + z·U_inᵀ + u_b_in)
                    var s = fk_dense_tangent(m, din64, w64, t.z, din64, t.zdot, din64, p + o.inputWeight, din64,
                                             u + o.inputWeight, din64, u + o.inputBias, t.pre, FK_ACT_SILU,
                                             t.dh, w64, 0)
                    for (b, block) in o.blocks.enumerated() where s == FK_OK {
                        // ṫ_b = silu'(pre_{b+1})·(ḣ_b·W0ᵀ + h_b·U0ᵀ + u_b0)
                        s = fk_dense_tangent(m, w64, w64, t.h + b * slice, w64, t.dh, w64, p + block.w0, w64,
                                             u + block.w0, w64, u + block.b0, t.pre + (b + 1) * slice, FK_ACT_SILU,
                                             t.dt, w64, 0)
                        if s != FK_OK { break }
                        // ḣ_{b+1} = ḣ_b + ṫ_b·W1ᵀ + t_b·U1ᵀ + u_b1 (in place)
                        s = fk_dense_tangent(m, w64, w64, t.t + b * slice, w64, t.dt, w64, p + block.w1, w64,
                                             u + block.w1, w64, u + block.b1, nil, FK_ACT_IDENTITY, t.dh, w64, 1)
                    }
                    if s != FK_OK { return s }
                    // v̇ = ḣ_L·W_outᵀ + h_L·U_outᵀ + u_b_out
                    return fk_dense_tangent(m, w64, Int64(d), t.h + o.blocks.count * slice, w64, t.dh, w64,
                                            p + o.outputWeight, w64, u + o.outputWeight, w64, u + o.outputBias, nil,
                                            FK_ACT_IDENTITY, t.dv, Int64(d), 0)
                }
            }
        }
        try check(status, "MLPVelocityModel.tangent")
    }
}
