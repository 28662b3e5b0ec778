#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import FlowGuide

/// The network of ``MLPArchitecture``'s documentation, written out with Double loops (no kernels).
private func naiveVelocity(_ model: MLPVelocityModel, _ x: Matrix, sigma: [Float], labels: [Int]) -> [Double] {
    let a = model.architecture
    let p = model.parameters.map(Double.init)
    let offset = Dictionary(uniqueKeysWithValues: a.tensors.map { ($0.name, $0.offset) })
    func linear(_ input: [Double], _ name: String, out: Int) -> [Double] {
        let w = offset["\(name).weight"]!, b = offset["\(name).bias"]!
        return (0..<out).map { o in
            var s = p[b + o]
            for i in input.indices { s += p[w + o * input.count + i] * input[i] }
            return s
        }
    }
    func silu(_ v: [Double]) -> [Double] { v.map { $0 / (1 + exp(-$0)) } }
    var result: [Double] = []
    for r in 0..<x.rows {
        let half = a.sigmaFeatures / 2
        let t = Double(sigma[r]) * Double(a.sigmaScale)
        let freqs = (0..<half).map { t * pow(10000, -Double($0) / Double(half)) }
        let label = labels[r] < 0 ? a.classCount : labels[r]
        let emb = (0..<a.classFeatures).map { p[offset["class_embedding.weight"]! + label * a.classFeatures + $0] }
        let z = x.row(r).map(Double.init) + freqs.map(cos) + freqs.map(sin) + emb
        var h = silu(linear(z, "input", out: a.width))
        for b in 0..<a.depth {
            let u = linear(silu(linear(h, "blocks.\(b).0", out: a.width)), "blocks.\(b).1", out: a.width)
            h = zip(h, u).map(+)
        }
        result += linear(h, "output", out: a.dimension)
    }
    return result
}

@Suite struct MLPVelocityModelTests {
    @Test(arguments: [
        MLPArchitecture(dimension: 2, classCount: 8, width: 16, depth: 2, sigmaFeatures: 8, classFeatures: 4),
        MLPArchitecture(dimension: 7, classCount: 3, width: 33, depth: 0, sigmaFeatures: 2, classFeatures: 1),
        MLPArchitecture(dimension: 64, classCount: 10, width: 128, depth: 3),
    ])
    func forwardMatchesTheDocumentedNetwork(architecture: MLPArchitecture) throws {
        let model = try MLPVelocityModel(architecture: architecture, seed: 5)
        for rows in [1, 7, 65] {
            let x = randomMatrix(rows: rows, columns: architecture.dimension, seed: UInt64(rows))
            let sigma = (0..<rows).map { Float($0 % 5) / 4 }
            let labels = (0..<rows).map { $0 % (architecture.classCount + 1) - 1 }
            let v = try model.velocity(x, sigma: sigma, labels: labels)
            let expected = naiveVelocity(model, x, sigma: sigma, labels: labels)
            #expect(relativeError(v.scalars, expected.map(Float.init)) < 2e-5, "rows \(rows)")
        }
    }

    @Test func parameterLayoutIsContiguousAndCounted() throws {
        let a = MLPArchitecture(dimension: 3, classCount: 4, width: 10, depth: 2, sigmaFeatures: 6, classFeatures: 5)
        var next = 0
        for t in a.tensors {
            #expect(t.offset == next)
            next += t.count
        }
        #expect(a.parameterCount == next)
        #expect(a.parameterCount == 5 * 5 + (10 * 14 + 10) + 2 * 2 * (100 + 10) + (3 * 10 + 3))
    }

    @Test func concurrentCallsAgreeWithSerialCalls() async throws {
        let model = try MLPVelocityModel(architecture: MLPArchitecture(dimension: 16, classCount: 4, width: 64), seed: 1)
        let inputs = (0..<6).map { randomMatrix(rows: 100 + $0, columns: 16, seed: UInt64($0)) }
        func run(_ x: Matrix) throws -> Matrix {
            try model.velocity(x, sigma: Array(repeating: 0.5, count: x.rows), labels: (0..<x.rows).map { $0 % 4 })
        }
        let serial = try inputs.map(run)
        let parallel = try await withThrowingTaskGroup(of: (Int, Matrix).self) { group in
            for (i, x) in inputs.enumerated() { group.addTask { (i, try run(x)) } }
            var out = [Matrix?](repeating: nil, count: inputs.count)
            for try await (i, m) in group { out[i] = m }
            return out
        }
        #expect(parallel == serial)
    }

    @Test func badArgumentsThrow() throws {
        let a = MLPArchitecture(dimension: 2, classCount: 2, width: 4, depth: 1)
        #expect(throws: KernelError.self) { try MLPVelocityModel(architecture: a, parameters: [1, 2, 3]) }
        var odd = a
        odd.sigmaFeatures = 3
        #expect(throws: KernelError.self) { try MLPVelocityModel(architecture: odd, seed: 0) }
        let model = try MLPVelocityModel(architecture: a, seed: 0)
        let x = Matrix(rows: 2, columns: 2)
        #expect(throws: KernelError.self) { try model.velocity(x, sigma: [0.5, 0.5], labels: [0, 2]) }
        #expect(throws: KernelError.self) { try model.velocity(x, sigma: [0.5, 1.5], labels: [0, 1]) }
        #expect(throws: KernelError.self) { try model.velocity(Matrix(rows: 2, columns: 3), sigma: [0.5, 0.5], labels: [0, 1]) }
    }

    @Test func samplingAnMLPIsDeterministicAcrossThreadCounts() throws {
        let model = try MLPVelocityModel(architecture: MLPArchitecture(dimension: 2, classCount: 8, width: 64), seed: 3)
        let saved = KernelRuntime.threadCount
        defer { try? KernelRuntime.setThreadCount(saved) }
        try KernelRuntime.setThreadCount(1)
        let one = try sample(model, guidance: Guidance(combiner: .cfg, scale: .constant(2), momentum: MomentumGuidance()),
                             count: 700)
        try KernelRuntime.setThreadCount(2)
        let two = try sample(model, guidance: Guidance(combiner: .cfg, scale: .constant(2), momentum: MomentumGuidance()),
                             count: 700)
        #expect(one.samples == two.samples)
    }
}
