import Testing
@testable import FlowGuide

@Suite struct NoiseTests {
    @Test func aSampleDoesNotDependOnTheBatch() throws {
        let gen = NoiseGenerator(seed: 42)
        let whole = try gen.normal(rows: 100, columns: 37)
        let tail = try gen.normal(rows: 60, columns: 37, firstRow: 40)
        #expect(Array(whole.scalars[(40 * 37)...]) == tail.scalars)
    }

    @Test func seedsAndStreamsDiffer() throws {
        let a = try NoiseGenerator(seed: 1).normal(rows: 4, columns: 8)
        let b = try NoiseGenerator(seed: 2).normal(rows: 4, columns: 8)
        let c = try NoiseGenerator(seed: 1, stream: 1).normal(rows: 4, columns: 8)
        #expect(a != b && a != c)
    }

    @Test func momentsAreStandardNormal() throws {
        let z = try NoiseGenerator(seed: 7).normal(rows: 1000, columns: 1000)
        let n = Double(z.count)
        let mean = z.scalars.reduce(0.0) { $0 + Double($1) } / n
        let variance = z.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        #expect(abs(mean) < 5 / n.squareRoot())
        #expect(abs(variance - 1) < 5 * (2 / n).squareRoot())
    }

    @Test func uniformIsInTheUnitInterval() throws {
        var u = Matrix(rows: 100, columns: 100)
        try NoiseGenerator(seed: 3).fillUniform(&u)
        #expect(u.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
    }
}

@Suite(.serialized) struct DeterminismTests {
    /// The fused MG step and the noise give the same bits with 1 and 2 threads.
    @Test func resultsAreIdenticalAcrossThreadCounts() throws {
        let before = KernelRuntime.threadCount
        defer { try? KernelRuntime.setThreadCount(before) }
        func run() throws -> (Matrix, Matrix) {
            var x = try NoiseGenerator(seed: 9).normal(rows: 512, columns: 300)
            var state = MomentumState(rows: 512, columns: 300)
            var norms = [Float](repeating: 0, count: 512)
            for step in 0..<3 {
                let v = try NoiseGenerator(seed: 10, stream: UInt32(step)).normal(rows: 512, columns: 300)
                try Kernels.momentumEulerStep(&x, velocity: v, state: &state, stepSize: -0.3,
                                              options: .init(normalize: true), correctionNorms: &norms)
            }
            return (x, state.average)
        }
        try KernelRuntime.setThreadCount(1)
        let one = try run()
        try KernelRuntime.setThreadCount(2)
        let two = try run()
        #expect(one.0 == two.0 && one.1 == two.1)
    }
}
