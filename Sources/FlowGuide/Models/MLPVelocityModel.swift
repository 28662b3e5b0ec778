internal import CFlowKernels
import Synchronization

/// A small residual MLP velocity model `v(x, σ, class)` (``MLPArchitecture`` gives the network).
///
/// Every layer is one dense-layer kernel call (BLAS GEMM + a fused bias/activation pass) over the
/// whole batch, conditional and unconditional rows together. Scratch buffers come from a pool
/// owned by the model: after the first call of a given batch size no call allocates, and
/// concurrent callers each get their own buffers.
public struct MLPVelocityModel: VelocityModel {
    public let architecture: MLPArchitecture
    /// All weights, tensor after tensor in ``MLPArchitecture/tensors`` order.
    public var parameters: [Float]
    private let offsets: Offsets
    private let workspaces = WorkspacePool()

    /// Where each layer's tensors start in `parameters` (computed once: a call builds no names).
    private struct Offsets: Sendable {
        var embedding = 0, inputWeight = 0, inputBias = 0, outputWeight = 0, outputBias = 0
        var blocks: [(w0: Int, b0: Int, w1: Int, b1: Int)] = []

        init(_ a: MLPArchitecture) {
            let named = Dictionary(uniqueKeysWithValues: a.tensors.map { ($0.name, $0.offset) })
            embedding = named["class_embedding.weight"]!
            inputWeight = named["input.weight"]!
            inputBias = named["input.bias"]!
            outputWeight = named["output.weight"]!
            outputBias = named["output.bias"]!
            blocks = (0..<a.depth).map { b in
                (named["blocks.\(b).0.weight"]!, named["blocks.\(b).0.bias"]!,
                 named["blocks.\(b).1.weight"]!, named["blocks.\(b).1.bias"]!)
            }
        }
    }

    public var dimension: Int { architecture.dimension }
    public var classCount: Int { architecture.classCount }

    /// A model over given parameters (count = ``MLPArchitecture/parameterCount``).
    public init(architecture: MLPArchitecture, parameters: [Float]) throws(KernelError) {
        try architecture.validate()
        guard parameters.count == architecture.parameterCount else {
            throw KernelError(.shapeMismatch, "MLPVelocityModel: \(parameters.count) parameters, the architecture "
                                  + "needs \(architecture.parameterCount)")
        }
        self.architecture = architecture
        self.parameters = parameters
        self.offsets = Offsets(architecture)
    }

    /// A freshly initialized model: PyTorch's `nn.Linear` default (weights and biases uniform in
    /// ±1/√fan_in) and a standard normal class embedding, from counter-based noise with `seed`.
    public init(architecture: MLPArchitecture, seed: UInt64) throws(KernelError) {
        try architecture.validate()
        var values = [Float](repeating: 0, count: architecture.parameterCount)
        var uniform = Matrix(rows: 1, columns: values.count)
        var normal = Matrix(rows: 1, columns: values.count)
        try NoiseGenerator(seed: seed, stream: 0x4D4C_0001).fillUniform(&uniform)
        try NoiseGenerator(seed: seed, stream: 0x4D4C_0002).fillNormal(&normal)
        for tensor in architecture.tensors {
            let range = tensor.offset..<tensor.offset + tensor.count
            if tensor.name == "class_embedding.weight" {
                for i in range { values[i] = normal.scalars[i] }
            } else {
                let fanIn = tensor.name.hasSuffix(".bias")
                    ? architecture.tensors.first { $0.name == tensor.name.replacingBiasWithWeight }!.shape[1]
                    : tensor.shape[1]
                let bound = 1 / Float(fanIn).squareRoot()
                for i in range { values[i] = (2 * uniform.scalars[i] - 1) * bound }
            }
        }
        try self.init(architecture: architecture, parameters: values)
    }

    public func velocity(_ x: Matrix, sigma: [Float], labels: [Int], into out: inout Matrix) throws(KernelError) {
        try validateVelocityArguments(x, sigma: sigma, labels: labels, out: out)
        let rows = x.rows
        guard rows > 0 else { return }
        let a = architecture
        let (d, f, e, width, din) = (a.dimension, a.sigmaFeatures, a.classFeatures, a.width, a.inputWidth)
        let o = offsets
        let workspace = workspaces.take(rows: rows, architecture: a)
        defer { workspaces.put(workspace) }
        let status: fk_status = parameters.withUnsafeBufferPointer { pp in
            let p = pp.baseAddress!
            return workspace.z.withUnsafeMutableBufferPointer { zp in
                workspace.h.withUnsafeMutableBufferPointer { hp in
                    workspace.t.withUnsafeMutableBufferPointer { tp in
                        let (z, h, t) = (zp.baseAddress!, hp.baseAddress!, tp.baseAddress!)
                        // z = [x | σ features | class embedding], row by row (features cached per σ).
                        let embedding = p + o.embedding
                        x.scalars.withUnsafeBufferPointer { xp in
                            for i in 0..<rows {
                                let row = z + i * din
                                row.update(from: xp.baseAddress! + i * d, count: d)
                                if i > 0 && sigma[i] == sigma[i - 1] {
                                    (row + d).update(from: row + d - din, count: f)
                                } else {
                                    a.sigmaFeatures(sigma[i], into: row + d)
                                }
                                let label = labels[i] == ClassLabel.unconditional ? a.classCount : labels[i]
                                (row + d + f).update(from: embedding + label * e, count: e)
                            }
                        }
                        let (m, w64) = (Int64(rows), Int64(width))
                        var s = fk_dense_forward(m, Int64(din), w64, z, Int64(din), p + o.inputWeight, Int64(din),
                                                 p + o.inputBias, FK_ACT_SILU, h, w64, nil)
                        for block in o.blocks where s == FK_OK {
                            s = fk_dense_forward(m, w64, w64, h, w64, p + block.w0, w64,
                                                 p + block.b0, FK_ACT_SILU, t, w64, nil)
                            if s != FK_OK { break }
                            // h += t·W1ᵀ (GEMM with β = 1), then h += b1.
                            s = fk_sgemm(0, 1, m, w64, w64, 1, t, w64, p + block.w1, w64, 1, h, w64)
                            if s != FK_OK { break }
                            s = fk_bias_activation(m, w64, h, w64, p + block.b1, FK_ACT_IDENTITY, nil)
                        }
                        if s != FK_OK { return s }
                        return out.scalars.withUnsafeMutableBufferPointer { op in
                            fk_dense_forward(m, w64, Int64(d), h, w64, p + o.outputWeight, w64, p + o.outputBias,
                                             FK_ACT_IDENTITY, op.baseAddress, Int64(d), nil)
                        }
                    }
                }
            }
        }
        try check(status, "MLPVelocityModel.velocity")
    }
}

private extension String {
    /// "input.bias" → "input.weight".
    var replacingBiasWithWeight: String { String(dropLast("bias".count)) + "weight" }
}

/// Scratch buffers of one forward pass: z `[rows, D+F+E]`, h and t `[rows, width]`.
final class MLPWorkspace: @unchecked Sendable {
    // @unchecked: a workspace is used by one caller at a time (taken out of the pool, put back).
    var z: [Float] = []
    var h: [Float] = []
    var t: [Float] = []
    var rows = 0

    func reserve(rows: Int, architecture a: MLPArchitecture) {
        guard rows > self.rows else { return }
        z = [Float](repeating: 0, count: rows * a.inputWidth)
        h = [Float](repeating: 0, count: rows * a.width)
        t = [Float](repeating: 0, count: rows * a.width)
        self.rows = rows
    }
}

/// Workspaces for concurrent callers; a call takes one and puts it back.
final class WorkspacePool: Sendable {
    private let free = Mutex<[MLPWorkspace]>([])

    func take(rows: Int, architecture: MLPArchitecture) -> MLPWorkspace {
        let workspace = free.withLock { $0.popLast() } ?? MLPWorkspace()
        workspace.reserve(rows: rows, architecture: architecture)
        return workspace
    }

    func put(_ workspace: MLPWorkspace) {
        free.withLock { $0.append(workspace) }
    }
}
