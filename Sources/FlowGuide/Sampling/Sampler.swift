/// What to sample: how many, with which class labels, from which noise.
public struct SamplingRequest: Sendable {
    /// The number of samples.
    public var count: Int
    /// One class label per sample (``ClassLabel/unconditional`` allowed), or a single label for all.
    public var labels: [Int]
    /// The seed of the initial noise (ignored with `initialPoints`).
    public var seed: UInt64
    /// The global index of the first sample: sample k of this request is sample
    /// `firstIndex + k` of the whole run, and its noise is addressed by that index (shards).
    public var firstIndex: Int
    /// Starting points `[count, D]` in place of the seeded noise.
    public var initialPoints: Matrix?
    /// Keep x after every step (``SamplingResult/trajectory``).
    public var recordTrajectory: Bool
    /// Compute the per-step norms of ``SamplingProgress`` (‖v_c − v_u‖, ‖d − m‖): extra passes.
    public var diagnostics: Bool
    /// At most this many samples per model call batch (CFG doubles the rows); nil: all at once.
    public var batchSize: Int?

    public init(count: Int, labels: [Int], seed: UInt64 = 0, firstIndex: Int = 0, initialPoints: Matrix? = nil,
                recordTrajectory: Bool = false, diagnostics: Bool = false, batchSize: Int? = nil) {
        self.count = count
        self.labels = labels
        self.seed = seed
        self.firstIndex = firstIndex
        self.initialPoints = initialPoints
        self.recordTrajectory = recordTrajectory
        self.diagnostics = diagnostics
        self.batchSize = batchSize
    }

    /// `count` samples of one class (or unconditional).
    public init(count: Int, label: Int, seed: UInt64 = 0) {
        self.init(count: count, labels: [label], seed: seed)
    }

    /// The label of sample k (0-based within the request).
    public func label(_ k: Int) -> Int { labels.count == 1 ? labels[0] : labels[k] }
}

/// The outcome of a sampling run.
public struct SamplingResult: Sendable {
    /// The samples `[count, D]`.
    public var samples: Matrix
    /// x before the first step and after every step (steps + 1 matrices `[count, D]`), if asked.
    public var trajectory: [Matrix]?
    /// Model evaluations per sample (a guided evaluation counts 2), counted exactly.
    public var nfe: Int
    /// The progress record of every step (of the last batch, when the request was split).
    public var steps: [SamplingProgress]
}

/// The state after one step, with per-step diagnostics.
public struct SamplingProgress: Sendable, Hashable {
    /// The batch this step belongs to (0-based) and the number of batches.
    public var batch: Int
    public var batchCount: Int
    /// Steps done in this batch (1 ... stepCount).
    public var step: Int
    public var stepCount: Int
    /// The noise level reached (σ_{i+1}) and the one the step started from (σ_i).
    public var sigma: Float
    public var startSigma: Float
    /// Model evaluations per sample so far in this batch.
    public var nfe: Int
    /// The guidance scale w of the step's first evaluation (1: unguided).
    public var guidanceScale: Float
    /// Whether Momentum Guidance extrapolated in this step.
    public var momentumActive: Bool
    /// Batch mean of ‖v_c − v_u‖ at the step's first evaluation (diagnostics on, guided step).
    public var branchGap: Float?
    /// Batch mean of ‖d − m‖, the size of the MG correction before α (diagnostics on, MG active).
    public var momentumCorrection: Float?

    /// The fraction of the whole request done, in [0, 1].
    public var fractionCompleted: Double {
        Double(batch * stepCount + step) / Double(max(1, batchCount * stepCount))
    }
}

/// A step event of ``Sampler/events(_:)``.
public enum SamplingEvent: Sendable {
    case step(SamplingProgress)
    case finished(SamplingResult)
}

/// Samples a ``VelocityModel`` by integrating its flow from σ = 1 (noise) to 0 (data) with a
/// solver and a guidance chain: branch combiner (CFG and variants, APG) → Momentum Guidance →
/// solver step, through FlowGuide's fused kernels. docs/sampling.md states the exact semantics.
///
/// A sampler is an immutable value; each call owns its buffers (allocated once per call, none per
/// step), so one sampler may run on several tasks at once. Results are bitwise identical for any
/// thread count and any batch split (given a model whose rows are independent, as the mixture's).
public struct Sampler<Model: VelocityModel>: Sendable {
    public let model: Model
    public var options: SamplerOptions

    /// The Philox stream of the initial noise: sample k starts at `NoiseGenerator(seed: seed,
    /// stream: initialNoiseStream)` row k.
    public static var initialNoiseStream: UInt32 { 0x5341_0001 }

    public init(model: Model, options: SamplerOptions) {
        self.model = model
        self.options = options
    }

    /// Samples synchronously; `progress` is called after every step.
    public func sample(_ request: SamplingRequest,
                       progress: ((SamplingProgress) -> Void)? = nil) throws -> SamplingResult {
        try execute(request, observer: progress, shouldStop: { false })
    }

    /// Samples, checking for Task cancellation before every step: a cancelled task throws
    /// `CancellationError` within one step. The work runs on the calling task (it is CPU bound).
    public func sample(_ request: SamplingRequest,
                       progress: (@Sendable (SamplingProgress) -> Void)? = nil) async throws -> SamplingResult {
        try execute(request, observer: progress, shouldStop: { Task.isCancelled })
    }

    /// The run as an asynchronous sequence: a `.step` event per step, then `.finished` with the
    /// result. Ending the iteration early (or cancelling the consuming task) cancels the run.
    public func events(_ request: SamplingRequest) -> AsyncThrowingStream<SamplingEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached { [self] in
                do {
                    let result = try await sample(request) { continuation.yield(.step($0)) }
                    continuation.yield(.finished(result))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Validates, splits into batches and runs them.
    private func execute(_ request: SamplingRequest, observer: ((SamplingProgress) -> Void)?,
                         shouldStop: () -> Bool) throws -> SamplingResult {
        try validate(request)
        let count = request.count, dim = model.dimension
        let batch = max(1, min(request.batchSize ?? count, count))
        let batchCount = count == 0 ? 0 : (count + batch - 1) / batch
        var samples = Matrix(rows: count, columns: dim)
        var trajectory: [Matrix]? = request.recordTrajectory
            ? Array(repeating: Matrix(rows: count, columns: dim), count: options.grid.steps + 1) : nil
        var run: SamplingRun<Model>? = nil
        var nfe = 0
        var records: [SamplingProgress] = []
        for b in 0..<batchCount {
            let start = b * batch, rows = min(batch, count - start)
            if run?.rows != rows {
                run = try SamplingRun(model: model, options: options, rows: rows, diagnostics: request.diagnostics)
            }
            let labels = (start..<start + rows).map(request.label)
            let x = try startingPoints(request, start: start, rows: rows)
            records = try run!.run(x: x, labels: labels, batch: b, batchCount: batchCount,
                                   trajectory: trajectory == nil ? nil : { step, x in
                                       trajectory![step].scalars.replaceSubrange(
                                           start * dim..<(start + rows) * dim, with: x.scalars)
                                   },
                                   observer: observer, shouldStop: shouldStop)
            samples.scalars.replaceSubrange(start * dim..<(start + rows) * dim, with: run!.x.scalars)
            nfe = run!.nfe
        }
        return SamplingResult(samples: samples, trajectory: trajectory, nfe: nfe, steps: records)
    }

    private func startingPoints(_ request: SamplingRequest, start: Int, rows: Int) throws(KernelError) -> Matrix {
        let dim = model.dimension
        if let initial = request.initialPoints {
            return try Matrix(rows: rows, columns: dim,
                              scalars: Array(initial.scalars[start * dim..<(start + rows) * dim]))
        }
        let noise = NoiseGenerator(seed: request.seed, stream: Self.initialNoiseStream)
        return try noise.normal(rows: rows, columns: dim, firstRow: request.firstIndex + start)
    }

    private func validate(_ request: SamplingRequest) throws(KernelError) {
        func fail(_ text: String) -> KernelError { KernelError(.invalidArgument, "Sampler: \(text)") }
        guard request.count >= 0 else { throw fail("count must be >= 0, got \(request.count)") }
        guard request.firstIndex >= 0 else { throw fail("firstIndex must be >= 0, got \(request.firstIndex)") }
        if let b = request.batchSize, b < 1 { throw fail("batchSize must be >= 1, got \(b)") }
        guard request.labels.count == 1 || request.labels.count == request.count else {
            throw KernelError(.shapeMismatch,
                              "Sampler: \(request.labels.count) labels for \(request.count) samples (give 1 or \(request.count))")
        }
        if let i = request.labels.firstIndex(where: { $0 != ClassLabel.unconditional && !(0..<model.classCount).contains($0) }) {
            throw fail("label \(request.labels[i]) (at \(i)) is neither a class in 0..<\(model.classCount) nor unconditional (-1)")
        }
        if let p = request.initialPoints, p.rows != request.count || p.columns != model.dimension {
            throw KernelError(.shapeMismatch,
                              "Sampler: initial points are [\(p.rows), \(p.columns)], expected [\(request.count), \(model.dimension)]")
        }
        try options.validate(steps: options.grid.steps)
    }
}
