#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Ground-truth samples

extension GaussianMixtureModel {
    /// The ``NoiseGenerator`` stream of the uniform value that picks each sample's component.
    public static let componentStream: UInt32 = 0x474D_0001
    /// The ``NoiseGenerator`` stream of each sample's Gaussian noise.
    public static let noiseStream: UInt32 = 0x474D_0002

    /// `count` data samples [count, D]: sample i draws a component of class `labels[i]` (or of
    /// the whole mixture for ``ClassLabel/unconditional``) with the class-conditional weights,
    /// from a uniform of stream ``componentStream``, then `μ_k + s_k·z` with `z` from stream
    /// ``noiseStream``. Both are addressed by (seed, firstIndex + i), so sample i is the same
    /// whatever `count` (and whatever split into chunks through `firstIndex`).
    public func sample(count: Int, labels: [Int], seed: UInt64, firstIndex: Int = 0) throws(KernelError) -> Matrix {
        guard count >= 0, firstIndex >= 0 else {
            throw KernelError(.invalidArgument,
                              "GaussianMixtureModel.sample: count \(count) and firstIndex \(firstIndex) must be >= 0")
        }
        guard labels.count == count else {
            throw KernelError(.shapeMismatch, "GaussianMixtureModel.sample: \(labels.count) labels for \(count) samples")
        }
        if let i = labels.firstIndex(where: { $0 != ClassLabel.unconditional && !(0..<classCount).contains($0) }) {
            throw KernelError(.invalidArgument,
                              "GaussianMixtureModel.sample: labels[\(i)] = \(labels[i]) is neither a class in "
                                  + "0..<\(classCount) nor unconditional (-1)")
        }
        var x = Matrix(rows: count, columns: dimension)
        guard count > 0 else { return x }
        var u = Matrix(rows: count, columns: 1)
        try NoiseGenerator(seed: seed, stream: Self.componentStream).fillUniform(&u, firstRow: firstIndex)
        try NoiseGenerator(seed: seed, stream: Self.noiseStream).fillNormal(&x, firstRow: firstIndex)
        let d = dimension
        for r in 0..<count {
            let comps = try components(for: labels[r], "sample")
            let mass = comps.reduce(0.0) { $0 + weights[$1] }
            let target = Double(u.scalars[r]) * mass
            var k = comps[comps.count - 1], cumulative = 0.0
            for i in comps {
                cumulative += weights[i]
                if target < cumulative { k = i; break }
            }
            for j in 0..<d {
                x.scalars[r * d + j] = Float(means[k][j] + stds[k] * Double(x.scalars[r * d + j]))
            }
        }
        return x
    }

    /// `count` unconditional samples (from the whole mixture).
    public func sample(count: Int, seed: UInt64) throws(KernelError) -> Matrix {
        try sample(count: count, labels: [Int](repeating: ClassLabel.unconditional, count: max(count, 0)),
                   seed: seed)
    }
}

// MARK: - JSON

/// The JSON description (DESIGN.md §5):
/// `{"weights": [K], "means": [[D] × K], "stds": [K], "labels": [K]}`.
/// Decoding validates like ``GaussianMixtureModel/init(weights:means:stds:labels:)`` and throws its
/// `KernelError`; weights are normalized on load, so a saved model holds normalized weights.
extension GaussianMixtureModel: Codable {
    private enum CodingKeys: String, CodingKey { case weights, means, stds, labels }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(weights: c.decode([Double].self, forKey: .weights),
                      means: c.decode([[Double]].self, forKey: .means),
                      stds: c.decode([Double].self, forKey: .stds),
                      labels: c.decode([Int].self, forKey: .labels))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(weights, forKey: .weights)
        try c.encode(means, forKey: .means)
        try c.encode(stds, forKey: .stds)
        try c.encode(labels, forKey: .labels)
    }

    /// A mixture from its JSON description. Throws `DecodingError` for malformed JSON, missing
    /// keys or wrong types, and `KernelError` for invalid values.
    public init(json: Data) throws {
        self = try JSONDecoder().decode(GaussianMixtureModel.self, from: json)
    }

    /// The mixture from a JSON file.
    public init(contentsOf url: URL) throws {
        try self.init(json: Data(contentsOf: url))
    }

    /// The JSON description (keys sorted).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Writes the JSON description to a file.
    public func write(to url: URL) throws {
        try jsonData().write(to: url)
    }
}

// MARK: - Built-in mixtures

extension GaussianMixtureModel {
    /// 2-D: 8 components of std 0.3 and equal weight at radius 4, angles 2πk/8 (k = 0 at (4, 0),
    /// counter-clockwise); component k is class k (8 classes).
    public static let eightGaussians = ring(count: 8, radius: 4, std: 0.3, classes: 8)

    /// 2-D: 25 components of std 0.1 and equal weight on a ring of radius 4, angles 2πk/25
    /// (k = 0 at (4, 0), neighbours 1.0 apart); component k is class k mod 5, so each of the
    /// 5 classes is a regular pentagon of modes.
    public static let ring25 = ring(count: 25, radius: 4, std: 0.1, classes: 5)

    /// 64-D: 20 components of std 0.5 and equal weight, component k is class k mod 10
    /// (10 classes of 2 modes each). The means are standard normal vectors drawn in order
    /// (component by component, coordinate by coordinate) by Box–Muller from splitmix64 seeded
    /// with 64, using only the cosine branch: u1, u2 = the top 53 bits of two successive
    /// outputs × 2⁻⁵³, z = √(−2·ln(1 − u1))·cos(2π·u2). Identical on every machine.
    public static let mixture64: GaussianMixtureModel = {
        var state: UInt64 = 64
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) * 0x1p-53
        }
        let means = (0..<20).map { _ in
            (0..<64).map { _ in
                let (u1, u2) = (next(), next())
                return (-2 * log(1 - u1)).squareRoot() * cos(2 * Double.pi * u2)
            }
        }
        return builtIn(weights: [Double](repeating: 1, count: 20), means: means,
                       stds: [Double](repeating: 0.5, count: 20), labels: (0..<20).map { $0 % 10 })
    }()

    private static func ring(count: Int, radius: Double, std: Double, classes: Int) -> GaussianMixtureModel {
        let means = (0..<count).map { k in
            let angle = 2 * Double.pi * Double(k) / Double(count)
            return [radius * cos(angle), radius * sin(angle)]
        }
        return builtIn(weights: [Double](repeating: 1, count: count), means: means,
                       stds: [Double](repeating: std, count: count), labels: (0..<count).map { $0 % classes })
    }

    /// Built-in parameters are valid by construction.
    private static func builtIn(weights: [Double], means: [[Double]], stds: [Double],
                                labels: [Int]) -> GaussianMixtureModel {
        do {
            return try GaussianMixtureModel(weights: weights, means: means, stds: stds, labels: labels)
        } catch {
            preconditionFailure("built-in GaussianMixtureModel is invalid: \(error)")
        }
    }
}
