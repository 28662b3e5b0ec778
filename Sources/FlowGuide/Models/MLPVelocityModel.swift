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
    let offsets: Offsets
    private let workspaces = WorkspacePool<MLPWorkspace>()
    /// Forward tapes and gradient scratch of ``lossAndGradient(x:sigma:labels:target:into:)``.
    let tapes = WorkspacePool<MLPTape>()

    /// Where each layer's tensors start in `parameters` (computed once: a call builds no names).
    struct Offsets: Sendable {
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
        let workspace = workspaces.take(rows: rows, architecture: architecture)
        defer { workspaces.put(workspace) }
        // One residual-stream buffer updated in place, no pre-activations kept (see MLPForward.swift).
        let status: fk_status = parameters.withUnsafeBufferPointer { pp in
            x.scalars.withUnsafeBufferPointer { xp in
                out.scalars.withUnsafeMutableBufferPointer { op in
                    workspace.z.withUnsafeMutableBufferPointer { zp in
                        workspace.h.withUnsafeMutableBufferPointer { hp in
                            workspace.t.withUnsafeMutableBufferPointer { tp in
                                let buffers = MLPForwardBuffers(z: zp.baseAddress!, h: hp.baseAddress!, hStride: 0,
                                                                t: tp.baseAddress!, tStride: 0, pre: nil)
                                return forward(xp.baseAddress!, sigma: sigma, labels: labels, rows: rows,
                                               parameters: pp.baseAddress!, buffers: buffers, out: op.baseAddress!)
                            }
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

/// Scratch that a ``WorkspacePool`` hands out: grown to a batch size, then reused.
protocol MLPScratch: AnyObject, Sendable {
    init()
    /// Makes room for `rows` rows (never shrinks).
    func reserve(rows: Int, architecture: MLPArchitecture)
}

/// Scratch buffers of one forward pass: z `[rows, D+F+E]`, h and t `[rows, width]`.
final class MLPWorkspace: MLPScratch, @unchecked Sendable {
    // @unchecked: a workspace is used by one caller at a time (taken out of the pool, put back).
    var z: [Float] = []
    var h: [Float] = []
    var t: [Float] = []
    var rows = 0

    init() {}

    func reserve(rows: Int, architecture a: MLPArchitecture) {
        guard rows > self.rows else { return }
        z = [Float](repeating: 0, count: rows * a.inputWidth)
        h = [Float](repeating: 0, count: rows * a.width)
        t = [Float](repeating: 0, count: rows * a.width)
        self.rows = rows
    }
}

/// Workspaces for concurrent callers; a call takes one and puts it back.
final class WorkspacePool<Workspace: MLPScratch>: Sendable {
    private let free = Mutex<[Workspace]>([])

    func take(rows: Int, architecture: MLPArchitecture) -> Workspace {
        let workspace = free.withLock { $0.popLast() } ?? Workspace()
        workspace.reserve(rows: rows, architecture: architecture)
        return workspace
    }

    func put(_ workspace: Workspace) {
        free.withLock { $0.append(workspace) }
    }
}
