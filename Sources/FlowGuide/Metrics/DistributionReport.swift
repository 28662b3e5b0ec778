/// All distribution metrics of a generated sample set against a reference set, with the options
/// that produced them, ready for JSON (`flowguide eval`).
public struct DistributionReport: Codable, Hashable, Sendable {
    public var realCount: Int
    public var generatedCount: Int
    public var dimension: Int

    /// ``Metrics/frechetDistance(_:_:)``.
    public var frechetDistance: Double
    /// ``Metrics/slicedWasserstein(_:_:projections:seed:)`` and its options.
    public var slicedWasserstein: Double
    public var slicedWassersteinProjections: Int
    public var slicedWassersteinSeed: UInt64
    /// ``Metrics/mmd(_:_:bandwidth:)`` (MMD², unbiased) and the bandwidth used (given or the
    /// median heuristic).
    public var mmd: Double
    public var mmdBandwidth: Double
    /// ``Metrics/precisionRecall(real:generated:k:)`` and its k.
    public var precision: Double
    public var recall: Double
    public var nearestNeighbours: Int

    /// Metrics against the analytic mixture, when one was given.
    public var mixture: MixtureReport?
    /// ``Metrics/perClass(real:realLabels:generated:generatedLabels:k:projections:seed:bandwidth:)``,
    /// when both label arrays were given.
    public var perClass: [ClassMetrics]?

    /// The generated samples against an analytic ``GaussianMixtureModel`` at σ = 0.
    public struct MixtureReport: Codable, Hashable, Sendable {
        /// ``GaussianMixtureModel/meanDistanceToNearestMode(_:)``.
        public var meanDistanceToNearestMode: Double
        /// ``GaussianMixtureModel/modeCoverage(_:threshold:)`` and its threshold.
        public var modeCoverage: Double
        public var coverageThreshold: Double
        /// ``GaussianMixtureModel/classAccuracy(_:labels:)``, when generated labels were given.
        public var classAccuracy: Double?
        /// The mean of ``GaussianMixtureModel/logLikelihood(_:)`` over the generated samples.
        public var meanLogLikelihood: Double
    }

    /// Computes every metric of `generated` against `real` (same options as the functions in
    /// ``Metrics``); with a `mixture`, also the mixture metrics of `generated` (class accuracy
    /// if `generatedLabels` is given); with both label arrays, the per-class table.
    /// Throws the first error of the metrics (see each one); both sets need more than `k` samples.
    public init(real: Matrix, generated: Matrix, k: Int = 3, projections: Int = 256, seed: UInt64 = 0,
                bandwidth: Double? = nil, mixture: GaussianMixtureModel? = nil, coverageThreshold: Double = 3,
                realLabels: [Int]? = nil, generatedLabels: [Int]? = nil) throws(KernelError) {
        realCount = real.rows
        generatedCount = generated.rows
        dimension = real.columns
        frechetDistance = try Metrics.frechetDistance(real, generated)
        slicedWasserstein = try Metrics.slicedWasserstein(real, generated, projections: projections, seed: seed)
        slicedWassersteinProjections = projections
        slicedWassersteinSeed = seed
        var h = bandwidth ?? 0
        if bandwidth == nil { h = try Metrics.medianHeuristicBandwidth(real, generated) }
        mmd = try Metrics.mmd(real, generated, bandwidth: h)
        mmdBandwidth = h
        (precision, recall) = try Metrics.precisionRecall(real: real, generated: generated, k: k)
        nearestNeighbours = k
        if let mixture {
            let logs = try mixture.logLikelihood(generated)
            var accuracy: Double? = nil
            if let generatedLabels { accuracy = try mixture.classAccuracy(generated, labels: generatedLabels) }
            self.mixture = MixtureReport(
                meanDistanceToNearestMode: try mixture.meanDistanceToNearestMode(generated),
                modeCoverage: try mixture.modeCoverage(generated, threshold: coverageThreshold),
                coverageThreshold: coverageThreshold, classAccuracy: accuracy,
                meanLogLikelihood: logs.reduce(0, +) / Double(logs.count))
        }
        if let realLabels, let generatedLabels {
            perClass = try Metrics.perClass(real: real, realLabels: realLabels, generated: generated,
                                            generatedLabels: generatedLabels, k: k, projections: projections,
                                            seed: seed, bandwidth: bandwidth)
        }
    }
}
