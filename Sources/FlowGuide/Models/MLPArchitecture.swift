#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The shape of an ``MLPVelocityModel`` (stored in its safetensors metadata).
///
/// The network, per row (DESIGN.md §5):
/// ```
/// z  = [x (D) | sigma features (F) | class embedding (E)]     class C = the null class
/// h  = silu(W_in·z + b_in)                                   [width]
/// for each block b:  h = h + W_b1·silu(W_b0·h + b_b0) + b_b1  (residual)
/// v  = W_out·h + b_out                                       [D]
/// ```
/// The σ features are `cos(σ·s·f_j)`, `sin(σ·s·f_j)` for `j < F/2` with
/// `f_j = 10000^(−j/(F/2))` and scale `s = sigmaScale` (the transformer timestep embedding on
/// σ·s, so σ in [0, 1] spans the usual 0…1000 timestep range).
public struct MLPArchitecture: Codable, Hashable, Sendable {
    /// Sample dimension D.
    public var dimension: Int
    /// Number of classes C (labels 0..<C; the embedding table has a row C for the null class).
    public var classCount: Int
    /// Hidden width.
    public var width: Int
    /// Number of residual blocks (two dense layers each).
    public var depth: Int
    /// Number of σ features F (even).
    public var sigmaFeatures: Int
    /// Class embedding size E.
    public var classFeatures: Int
    /// σ is multiplied by this before the sinusoidal features.
    public var sigmaScale: Float

    public init(dimension: Int, classCount: Int, width: Int = 128, depth: Int = 3, sigmaFeatures: Int = 32,
                classFeatures: Int = 16, sigmaScale: Float = 1000) {
        self.dimension = dimension
        self.classCount = classCount
        self.width = width
        self.depth = depth
        self.sigmaFeatures = sigmaFeatures
        self.classFeatures = classFeatures
        self.sigmaScale = sigmaScale
    }

    /// Throws `.invalidArgument` unless every size is positive (F even, depth ≥ 0, C ≥ 1).
    public func validate() throws(KernelError) {
        func fail(_ s: String) -> KernelError { KernelError(.invalidArgument, "MLPArchitecture: \(s)") }
        guard dimension >= 1 else { throw fail("dimension must be >= 1, got \(dimension)") }
        guard classCount >= 1 else { throw fail("classCount must be >= 1, got \(classCount)") }
        guard width >= 1 else { throw fail("width must be >= 1, got \(width)") }
        guard depth >= 0 else { throw fail("depth must be >= 0, got \(depth)") }
        guard sigmaFeatures >= 2, sigmaFeatures % 2 == 0 else {
            throw fail("sigmaFeatures must be even and >= 2, got \(sigmaFeatures)")
        }
        guard classFeatures >= 1 else { throw fail("classFeatures must be >= 1, got \(classFeatures)") }
        guard sigmaScale.isFinite, sigmaScale > 0 else { throw fail("sigmaScale must be finite and > 0, got \(sigmaScale)") }
    }

    /// The width of the input layer's input, D + F + E.
    public var inputWidth: Int { dimension + sigmaFeatures + classFeatures }

    /// One named tensor of the flat parameter vector.
    public struct Tensor: Hashable, Sendable {
        public let name: String
        public let shape: [Int]
        /// Offset of the first value in the flat parameter vector.
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    /// The tensors in parameter-vector order (PyTorch `nn.Linear` layout: weight `[out, in]`).
    public var tensors: [Tensor] {
        var list: [Tensor] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) {
            list.append(Tensor(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        add("class_embedding.weight", [classCount + 1, classFeatures])
        add("input.weight", [width, inputWidth])
        add("input.bias", [width])
        for b in 0..<depth {
            add("blocks.\(b).0.weight", [width, width])
            add("blocks.\(b).0.bias", [width])
            add("blocks.\(b).1.weight", [width, width])
            add("blocks.\(b).1.bias", [width])
        }
        add("output.weight", [dimension, width])
        add("output.bias", [dimension])
        return list
    }

    /// The total number of parameters.
    public var parameterCount: Int { tensors.last.map { $0.offset + $0.count } ?? 0 }

    /// Writes the F σ features of `sigma` into `out[0 ..< F]`.
    func sigmaFeatures(_ sigma: Float, into out: UnsafeMutablePointer<Float>) {
        let half = sigmaFeatures / 2
        let t = Double(sigma) * Double(sigmaScale)
        for j in 0..<half {
            let angle = t * pow(10000, -Double(j) / Double(half))
            out[j] = Float(cos(angle))
            out[half + j] = Float(sin(angle))
        }
    }
}
