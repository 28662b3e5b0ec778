#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
internal import CFlowKernels

/// How the noise level σ of each training example is drawn.
public enum SigmaSampling: Codable, Hashable, Sendable {
    /// σ uniform in [0, 1).
    case uniform
    /// σ = sigmoid(n) with n ~ N(mean, std²): the logit-normal of SD3 (Esser et al. 2024), which
    /// puts more examples at intermediate noise levels. `mean: 0, std: 1` is the usual choice.
    case logitNormal(mean: Float, std: Float)

    /// Throws `.invalidArgument` unless mean and std are finite and std >= 0.
    public func validate() throws(KernelError) {
        if case .logitNormal(let mean, let std) = self, !(mean.isFinite && std.isFinite && std >= 0) {
            throw KernelError(.invalidArgument,
                              "SigmaSampling.logitNormal: mean \(mean) must be finite and std \(std) finite and >= 0")
        }
    }
}

/// One minibatch of the flow-matching objective (DESIGN.md §6), drawn deterministically.
///
/// For each example i of training step k, from data rows `x0` with labels:
/// ```
/// index_i  ~ uniform over the dataset rows, WITH replacement
/// σ_i      ~ SigmaSampling
/// label_i  = ClassLabel.unconditional with probability p (label dropout, for CFG), else the data's
/// ε_i      ~ N(0, I_D)
/// input_i  = x_σ = (1 − σ_i)·x0 + σ_i·ε_i        target_i = v = ε_i − x0
/// ```
/// **Addressing (what makes a resumed run identical):** every random value comes from the
/// counter-based ``NoiseGenerator`` (Philox4x32-10) at (seed, stream, row, column), so batch k
/// depends only on (seed, k, batch size B) and the data — not on earlier steps, threads or
/// timing:
/// - the row index of example i: the 32-bit Philox word that `fk_randu` would use for
///   (``indexStream``, row k, column i), mapped to `0 ..< N` as `(word·N) >> 32` (N < 2³²;
///   the bias is below N/2³²);
/// - σ_i: ``sigmaStream`` at (row k, column i) — uniform, or a standard normal n for the
///   logit-normal (σ = sigmoid(mean + std·n));
/// - the dropout draw of example i: a uniform of ``dropoutStream`` at (row k, column i); the label
///   is dropped when it is < p;
/// - ε_i: ``noiseStream`` at row k·B + i, columns 0 ..< D (each example's own row).
///
/// Sampling with replacement (not epoch permutations) keeps batch k a function of k alone, with
/// no per-epoch state to rebuild when resuming. The buffers are allocated once in `init`;
/// ``draw(step:from:labels:seed:sigmaSampling:labelDropout:)`` does not allocate.
public struct FlowMatchingBatch: Sendable {
    /// Stream of the Gaussian noise ε.
    public static let noiseStream: UInt32 = 0x464D_0001
    /// Stream of the σ draws.
    public static let sigmaStream: UInt32 = 0x464D_0002
    /// Stream of the label-dropout draws.
    public static let dropoutStream: UInt32 = 0x464D_0003
    /// Stream of the dataset row indices.
    public static let indexStream: UInt32 = 0x464D_0004

    /// B, the number of examples.
    public let batchSize: Int
    /// D, the sample dimension.
    public let dimension: Int
    /// The dataset rows of the examples.
    public private(set) var indices: [Int]
    /// The class labels after dropout (``ClassLabel/unconditional`` where dropped).
    public private(set) var labels: [Int]
    /// σ per example, in [0, 1].
    public private(set) var sigma: [Float]
    /// ε, `[B, D]`.
    public private(set) var noise: Matrix
    /// The model input x_σ = (1 − σ)·x0 + σ·ε, `[B, D]`.
    public private(set) var input: Matrix
    /// The velocity target ε − x0, `[B, D]`.
    public private(set) var target: Matrix
    /// Scratch for the dropout draws.
    private var uniforms: [Float]

    /// Empty buffers for batches of `batchSize` examples (1 ..< 2³¹) of dimension `dimension` (>= 1).
    public init(batchSize: Int, dimension: Int) throws(KernelError) {
        guard batchSize >= 1, batchSize < 1 << 31, dimension >= 1 else {
            throw KernelError(.invalidArgument,
                              "FlowMatchingBatch: batchSize \(batchSize) (1 ..< 2^31) and dimension \(dimension) (>= 1)")
        }
        self.batchSize = batchSize
        self.dimension = dimension
        indices = [Int](repeating: 0, count: batchSize)
        labels = [Int](repeating: 0, count: batchSize)
        sigma = [Float](repeating: 0, count: batchSize)
        uniforms = [Float](repeating: 0, count: batchSize)
        noise = Matrix(rows: batchSize, columns: dimension)
        input = Matrix(rows: batchSize, columns: dimension)
        target = Matrix(rows: batchSize, columns: dimension)
    }

    /// Fills the buffers with the batch of training step `step` (>= 0) drawn from `data`
    /// (`[N, D]`, N >= 1) and its `labels` (N values, copied as they are except for dropout).
    /// `labelDropout` is the probability p in [0, 1] of replacing a label by the null class.
    public mutating func draw(step: Int, from data: Matrix, labels dataLabels: [Int], seed: UInt64,
                              sigmaSampling: SigmaSampling = .logitNormal(mean: 0, std: 1),
                              labelDropout: Float = 0.1) throws(KernelError) {
        let name = "FlowMatchingBatch.draw"
        let (b, d, n) = (batchSize, dimension, data.rows)
        guard data.columns == d else {
            throw KernelError(.shapeMismatch, "\(name): data has \(data.columns) columns, the batch dimension is \(d)")
        }
        guard n >= 1, n <= Int(UInt32.max) else {
            throw KernelError(.invalidArgument, "\(name): the dataset has \(n) rows (1 ..< 2^32 allowed)")
        }
        guard dataLabels.count == n else {
            throw KernelError(.shapeMismatch, "\(name): \(dataLabels.count) labels for \(n) data rows")
        }
        guard labelDropout >= 0, labelDropout <= 1 else {
            throw KernelError(.invalidArgument, "\(name): labelDropout \(labelDropout) is outside [0, 1]")
        }
        try sigmaSampling.validate()
        let (noiseRow, overflow) = step.multipliedReportingOverflow(by: b)
        guard step >= 0, !overflow else {
            throw KernelError(.invalidArgument, "\(name): step \(step) is negative or too large for batch size \(b)")
        }

        drawIndices(step: step, count: n, seed: seed)
        // σ: uniforms, or normals mapped through the logistic function.
        var status = sigma.withUnsafeMutableBufferPointer { sp in
            switch sigmaSampling {
            case .uniform:
                return fk_randu(seed, Self.sigmaStream, Int64(step), 0, 1, Int64(b), sp.baseAddress, Int64(b))
            case .logitNormal:
                return fk_randn(seed, Self.sigmaStream, Int64(step), 0, 1, Int64(b), sp.baseAddress, Int64(b))
            }
        }
        try check(status, name)
        if case .logitNormal(let mean, let std) = sigmaSampling {
            for i in 0..<b { sigma[i] = Float(1 / (1 + exp(-(Double(mean) + Double(std) * Double(sigma[i]))))) }
        }
        // Label dropout.
        status = uniforms.withUnsafeMutableBufferPointer { up in
            fk_randu(seed, Self.dropoutStream, Int64(step), 0, 1, Int64(b), up.baseAddress, Int64(b))
        }
        try check(status, name)
        for i in 0..<b { labels[i] = uniforms[i] < labelDropout ? ClassLabel.unconditional : dataLabels[indices[i]] }
        // ε: row k·B + i of the noise stream for example i.
        status = noise.scalars.withUnsafeMutableBufferPointer { np in
            fk_randn(seed, Self.noiseStream, Int64(noiseRow), 0, Int64(b), Int64(d), np.baseAddress, Int64(d))
        }
        try check(status, name)
        // x_σ and the target, row by row.
        data.scalars.withUnsafeBufferPointer { xp in
            noise.scalars.withUnsafeBufferPointer { ep in
                input.scalars.withUnsafeMutableBufferPointer { ip in
                    target.scalars.withUnsafeMutableBufferPointer { tp in
                        for i in 0..<b {
                            let x0 = xp.baseAddress! + indices[i] * d, e = ep.baseAddress! + i * d
                            let xs = ip.baseAddress! + i * d, v = tp.baseAddress! + i * d
                            let s = sigma[i], keep = 1 - s
                            for j in 0..<d {
                                xs[j] = keep * x0[j] + s * e[j]
                                v[j] = e[j] - x0[j]
                            }
                        }
                    }
                }
            }
        }
    }

    /// indices[i] = (word·count) >> 32 with `word` the Philox word of (indexStream, row step, column i):
    /// counter {i/4, stream, step low, step high}, key {seed low, seed high}, word i % 4.
    private mutating func drawIndices(step: Int, count: Int, seed: UInt64) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 10) { buffer in
            let counter = buffer.baseAddress!, key = counter + 4, words = counter + 6
            key[0] = UInt32(truncatingIfNeeded: seed)
            key[1] = UInt32(truncatingIfNeeded: seed >> 32)
            counter[1] = Self.indexStream
            counter[2] = UInt32(truncatingIfNeeded: UInt64(step))
            counter[3] = UInt32(truncatingIfNeeded: UInt64(step) >> 32)
            for i in 0..<batchSize {
                if i % 4 == 0 {
                    counter[0] = UInt32(i / 4)
                    fk_philox4x32(counter, key, words)
                }
                indices[i] = Int((UInt64(words[i % 4]) &* UInt64(count)) >> 32)
            }
        }
    }
}
