#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
@testable import FlowGuide

/// GaussianMixtureModel's ground-truth samples, JSON form and built-in mixtures.
@Suite struct GaussianMixtureDataTests {
    // MARK: Samples

    /// Per class of eightGaussians (one mode each): mean μ_c and per-coordinate variance s² = 0.09.
    @Test(arguments: 0..<8)
    func classSamplesHaveTheModeMoments(label: Int) throws {
        let m = GaussianMixtureModel.eightGaussians
        let n = 4000
        let x = try m.sample(count: n, labels: [Int](repeating: label, count: n), seed: 31)
        for j in 0..<2 {
            let column = (0..<n).map { Double(x[$0, j]) }
            let mean = column.reduce(0, +) / Double(n)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            #expect(abs(mean - m.means[label][j]) < 5 * 0.3 / Double(n).squareRoot())
            #expect(abs(variance - 0.09) < 5 * 0.09 * (2 / Double(n)).squareRoot())
        }
    }

    /// Unconditional samples of a weighted mixture pick components in proportion to the weights.
    @Test func unconditionalSamplesFollowTheWeights() throws {
        let m = try GaussianMixtureModel(weights: [1, 3, 4], means: [[-10], [0], [10]], stds: [0.5, 0.5, 0.5],
                                         labels: [0, 1, 1])
        let n = 8000
        let x = try m.sample(count: n, seed: 32)
        let counts = [-10.0, 0, 10].map { c in (0..<n).filter { abs(Double(x[$0, 0]) - c) < 3 }.count }
        #expect(counts.reduce(0, +) == n)
        for (count, p) in zip(counts, [0.125, 0.375, 0.5]) {
            #expect(abs(Double(count) / Double(n) - p) < 5 * (p * (1 - p) / Double(n)).squareRoot())
        }
        // Class 1 = components 1 and 2, renormalized to 3/7 and 4/7.
        let y = try m.sample(count: n, labels: [Int](repeating: 1, count: n), seed: 33)
        let high = (0..<n).filter { y[$0, 0] > 5 }.count
        #expect((0..<n).allSatisfy { y[$0, 0] > -3 })
        #expect(abs(Double(high) / Double(n) - 4.0 / 7) < 5 * (12.0 / 49 / Double(n)).squareRoot())
    }

    /// Sample i does not depend on the count or on a split into chunks.
    @Test func samplesDoNotDependOnTheBatch() throws {
        let m = GaussianMixtureModel.mixture64
        let labels = (0..<100).map { $0 % 11 - 1 }  // classes 0…9 and unconditional rows
        let all = try m.sample(count: 100, labels: labels, seed: 34)
        let first = try m.sample(count: 10, labels: Array(labels[..<10]), seed: 34)
        let tail = try m.sample(count: 40, labels: Array(labels[60...]), seed: 34, firstIndex: 60)
        #expect(first.scalars == Array(all.scalars[..<(10 * 64)]))
        #expect(tail.scalars == Array(all.scalars[(60 * 64)...]))
        #expect(try m.sample(count: 10, labels: Array(labels[..<10]), seed: 35) != first)
        #expect(try m.sample(count: 0, labels: [], seed: 1).rows == 0)
    }

    @Test func badSampleArgumentsThrow() {
        let m = GaussianMixtureModel.eightGaussians
        #expect(throws: KernelError.self) { try m.sample(count: 2, labels: [0], seed: 1) }
        #expect(throws: KernelError.self) { try m.sample(count: -1, seed: 1) }
        #expect(throws: KernelError.self) { try m.sample(count: 1, labels: [8], seed: 1) }
        #expect(throws: KernelError.self) { try m.sample(count: 1, labels: [0], seed: 1, firstIndex: -3) }
    }

    // MARK: JSON

    @Test func jsonRoundTrip() throws {
        for m in [GaussianMixtureModel.eightGaussians, .ring25, .mixture64] {
            #expect(try GaussianMixtureModel(json: m.jsonData()) == m)
        }
        let json = #"{"weights": [1, 3], "means": [[0, 1], [2, 3]], "stds": [0.5, 0], "labels": [4, 0]}"#
        let m = try GaussianMixtureModel(json: Data(json.utf8))
        #expect(m.weights == [0.25, 0.75] && m.labels == [4, 0] && m.classCount == 5 && m.dimension == 2)
        let url = URL(fileURLWithPath: "/tmp/flowguide-gmm-\(UInt32.random(in: 0...UInt32.max)).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try m.write(to: url)
        let loaded = try GaussianMixtureModel(contentsOf: url)
        #expect(loaded.means == m.means && loaded.stds == m.stds && loaded.labels == m.labels)
        #expect(zip(loaded.weights, m.weights).allSatisfy { abs($0 - $1) <= 1e-15 })
    }

    /// Malformed descriptions and the KernelError message each must produce.
    static let badJSON: [(json: String, message: String)] = [
        (#"{"weights": [], "means": [], "stds": [], "labels": []}"#, "no components"),
        (#"{"weights": [1, 1], "means": [[0, 0], [1]], "stds": [1, 1], "labels": [0, 0]}"#,
         "ragged means: means[1] has 1 values, means[0] has 2"),
        (#"{"weights": [1, 1], "means": [[0], [1]], "stds": [1], "labels": [0, 0]}"#,
         "2 weights, 2 means, 1 stds and 2 labels"),
        (#"{"weights": [1], "means": [[]], "stds": [1], "labels": [0]}"#, "means[0] is empty"),
        (#"{"weights": [1, 1], "means": [[0], [1]], "stds": [1, -0.5], "labels": [0, 0]}"#,
         "stds[1] = -0.5 is negative"),
        (#"{"weights": [1, 1], "means": [[0], [1]], "stds": [1, 1], "labels": [0, -1]}"#,
         "labels[1] = -1 is negative"),
        (#"{"weights": [-1, 1], "means": [[0], [1]], "stds": [1, 1], "labels": [0, 0]}"#,
         "weights[0] = -1.0 is negative"),
        (#"{"weights": [0, 0], "means": [[0], [1]], "stds": [1, 1], "labels": [0, 0]}"#,
         "the weights sum to 0.0"),
        (#"{"weights": [1e308, 1e308], "means": [[0], [1]], "stds": [1, 1], "labels": [0, 0]}"#,
         "the weights sum to inf"),
    ]

    @Test(arguments: badJSON)
    func malformedJSONIsRejected(_ json: String, message: String) {
        #expect {
            _ = try GaussianMixtureModel(json: Data(json.utf8))
        } throws: { error in
            (error as? KernelError).map { $0.detail.contains(message) } ?? false
        }
    }

    /// Not a mixture at all: decoding errors (and no crash).
    @Test(arguments: ["", "[1, 2]", #"{"weights": [1]}"#,
                      #"{"weights": [1], "means": [[1e999]], "stds": [1], "labels": [0]}"#,
                      #"{"weights": [1], "means": [[0]], "stds": [1], "labels": [0.5]}"#,
                      #"{"weights": [1], "means": [0], "stds": [1], "labels": [0]}"#])
    func nonMixtureJSONThrows(_ json: String) {
        #expect(throws: (any Error).self) { try GaussianMixtureModel(json: Data(json.utf8)) }
    }

    @Test func nonFiniteValuesAreRejected() {
        #expect { try GaussianMixtureModel(weights: [1], means: [[.nan]], stds: [1], labels: [0]) } throws: {
            "\($0)".contains("means[0][0] = nan is not finite")
        }
        #expect { try GaussianMixtureModel(weights: [1], means: [[0]], stds: [.infinity], labels: [0]) } throws: {
            "\($0)".contains("stds[0] = inf is not finite")
        }
        #expect { try GaussianMixtureModel(weights: [.nan], means: [[0]], stds: [1], labels: [0]) } throws: {
            "\($0)".contains("weights[0] = nan is not finite")
        }
    }

    // MARK: Built-ins

    @Test func builtInMixtures() throws {
        let e = GaussianMixtureModel.eightGaussians
        #expect(e.dimension == 2 && e.componentCount == 8 && e.classCount == 8)
        #expect(e.means.allSatisfy { abs(($0[0] * $0[0] + $0[1] * $0[1]).squareRoot() - 4) < 1e-12 })
        let r = GaussianMixtureModel.ring25
        #expect(r.dimension == 2 && r.componentCount == 25 && r.classCount == 5)
        #expect(r.classPriors.allSatisfy { abs($0 - 0.2) < 1e-12 })
        let m = GaussianMixtureModel.mixture64
        #expect(m.dimension == 64 && m.componentCount == 20 && m.classCount == 10)
        // The means are standard normal draws.
        let values = m.means.flatMap { $0 }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        #expect(abs(mean) < 5 / Double(values.count).squareRoot())
        #expect(abs(variance - 1) < 5 * (2 / Double(values.count)).squareRoot())
    }
}
