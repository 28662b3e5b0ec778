#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import FlowGuide

@Suite struct FlowMatchingBatchTests {
    let data = randomMatrix(rows: 50, columns: 3, seed: 1)
    let labels = (0..<50).map { $0 % 4 }

    func draw(step: Int, seed: UInt64 = 7, batchSize: Int = 16, sigma: SigmaSampling = .logitNormal(mean: 0, std: 1),
              dropout: Float = 0.1) throws -> FlowMatchingBatch {
        var batch = try FlowMatchingBatch(batchSize: batchSize, dimension: 3)
        try batch.draw(step: step, from: data, labels: labels, seed: seed, sigmaSampling: sigma, labelDropout: dropout)
        return batch
    }

    func same(_ a: FlowMatchingBatch, _ b: FlowMatchingBatch) -> Bool {
        a.indices == b.indices && a.labels == b.labels && a.sigma == b.sigma && a.noise == b.noise
            && a.input == b.input && a.target == b.target
    }

    @Test func batchDependsOnlyOnSeedAndStep() throws {
        let fresh = try draw(step: 5)
        // The same buffers after other steps: no history.
        var reused = try FlowMatchingBatch(batchSize: 16, dimension: 3)
        for k in [0, 9, 5] {
            try reused.draw(step: k, from: data, labels: labels, seed: 7)
        }
        #expect(same(fresh, reused))
        #expect(!same(fresh, try draw(step: 6)))
        #expect(!same(fresh, try draw(step: 5, seed: 8)))
        #expect(try draw(step: 5, sigma: .uniform).indices == fresh.indices)  // σ law does not move the rest
        #expect(try draw(step: 5, sigma: .uniform).noise == fresh.noise)
    }

    @Test func pathAndTargetFollowTheConvention() throws {
        let b = try draw(step: 3)
        for i in 0..<16 {
            let s = b.sigma[i]
            #expect(s >= 0 && s <= 1)
            for j in 0..<3 {
                let x0 = data[b.indices[i], j], e = b.noise[i, j]
                #expect(b.input[i, j] == (1 - s) * x0 + s * e)
                #expect(b.target[i, j] == e - x0)
            }
            #expect(b.labels[i] == -1 || b.labels[i] == labels[b.indices[i]])
        }
    }

    /// ε of example i at step k is row k·B + i of the noise stream; σ and dropout draws are
    /// (row k, column i); the index is (word·N) >> 32 of the word fk_randu uses at (row k, column i).
    @Test func drawsFollowTheDocumentedAddressing() throws {
        let b = try draw(step: 4, sigma: .uniform)
        let noise = try NoiseGenerator(seed: 7, stream: FlowMatchingBatch.noiseStream).normal(rows: 16, columns: 3,
                                                                                             firstRow: 4 * 16)
        #expect(b.noise == noise)
        var u = Matrix(rows: 1, columns: 16)
        try NoiseGenerator(seed: 7, stream: FlowMatchingBatch.sigmaStream).fillUniform(&u, firstRow: 4)
        #expect(b.sigma == u.scalars)
        // With N = 2^k (k <= 24), (word·N) >> 32 = floor(fk_randu·N).
        let pow2 = randomMatrix(rows: 64, columns: 3, seed: 2)
        var batch = try FlowMatchingBatch(batchSize: 16, dimension: 3)
        try batch.draw(step: 4, from: pow2, labels: [Int](repeating: 0, count: 64), seed: 7)
        try NoiseGenerator(seed: 7, stream: FlowMatchingBatch.indexStream).fillUniform(&u, firstRow: 4)
        #expect(batch.indices == u.scalars.map { Int($0 * 64) })
    }

    @Test func labelDropoutHasTheRequestedRate() throws {
        var big = try FlowMatchingBatch(batchSize: 4096, dimension: 3)
        try big.draw(step: 0, from: data, labels: labels, seed: 1, labelDropout: 0.1)
        let dropped = big.labels.filter { $0 == -1 }.count
        #expect(abs(Double(dropped) - 409.6) < 5 * (4096 * 0.1 * 0.9).squareRoot(), "\(dropped) dropped")
        try big.draw(step: 0, from: data, labels: labels, seed: 1, labelDropout: 0)
        #expect(!big.labels.contains(-1))
        try big.draw(step: 0, from: data, labels: labels, seed: 1, labelDropout: 1)
        #expect(big.labels.allSatisfy { $0 == -1 })
    }

    @Test func sigmaDistributions() throws {
        var big = try FlowMatchingBatch(batchSize: 8192, dimension: 3)
        try big.draw(step: 2, from: data, labels: labels, seed: 3, sigmaSampling: .logitNormal(mean: 0.5, std: 2))
        let logits = big.sigma.map { log(Double($0) / (1 - Double($0))) }
        let mean = logits.reduce(0, +) / Double(logits.count)
        let std = (logits.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(logits.count)).squareRoot()
        #expect(abs(mean - 0.5) < 0.1 && abs(std - 2) < 0.1, "mean \(mean) std \(std)")
        try big.draw(step: 2, from: data, labels: labels, seed: 3, sigmaSampling: .uniform)
        let m = big.sigma.reduce(0.0) { $0 + Double($1) } / 8192
        #expect(abs(m - 0.5) < 0.02 && big.sigma.allSatisfy { $0 >= 0 && $0 < 1 })
        // Indices cover the dataset roughly uniformly.
        var counts = [Int](repeating: 0, count: 50)
        for i in big.indices { counts[i] += 1 }
        #expect(counts.min()! > 100 && counts.max()! < 240, "\(counts)")
    }

    @Test func badArgumentsThrow() throws {
        #expect(throws: KernelError.self) { try FlowMatchingBatch(batchSize: 0, dimension: 3) }
        var b = try FlowMatchingBatch(batchSize: 4, dimension: 3)
        #expect(throws: KernelError.self) { try b.draw(step: -1, from: data, labels: labels, seed: 0) }
        #expect(throws: KernelError.self) { try b.draw(step: 0, from: data, labels: [1], seed: 0) }
        #expect(throws: KernelError.self) { try b.draw(step: 0, from: Matrix(rows: 5, columns: 2), labels: [0, 0, 0, 0, 0], seed: 0) }
        #expect(throws: KernelError.self) { try b.draw(step: 0, from: Matrix(rows: 0, columns: 3), labels: [], seed: 0) }
        #expect(throws: KernelError.self) { try b.draw(step: 0, from: data, labels: labels, seed: 0, labelDropout: 1.5) }
        #expect(throws: KernelError.self) {
            try b.draw(step: 0, from: data, labels: labels, seed: 0, sigmaSampling: .logitNormal(mean: 0, std: -1))
        }
        #expect(throws: KernelError.self) { try b.draw(step: Int.max / 2, from: data, labels: labels, seed: 0) }
    }
}
