#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
@testable import FlowGuide

@Suite struct TrainerTests {
    let architecture = MLPArchitecture(dimension: 2, classCount: 8, width: 32, depth: 2, sigmaFeatures: 8,
                                       classFeatures: 4)
    let configuration = TrainingConfiguration(steps: 40, batchSize: 64, learningRate: 3e-3, warmupSteps: 5, seed: 9)

    func eightGaussians(count: Int) throws -> (Matrix, [Int]) {
        let labels = (0..<count).map { $0 % 8 }
        return (try GaussianMixtureModel.eightGaussians.sample(count: count, labels: labels, seed: 1), labels)
    }

    func trainer(_ c: TrainingConfiguration? = nil) throws -> Trainer {
        try Trainer(model: MLPVelocityModel(architecture: architecture, seed: 4), configuration: c ?? configuration)
    }

    @Test func resumingGivesBitwiseTheSameParameters() throws {
        let (data, labels) = try eightGaussians(count: 500)
        var straight = try trainer()
        try straight.train(on: data, labels: labels, steps: 30)

        var first = try trainer()
        try first.train(on: data, labels: labels, steps: 12)
        // Through JSON, as a checkpoint would store it.
        let saved = try JSONDecoder().decode(TrainingState.self, from: JSONEncoder().encode(first.state))
        #expect(saved == first.state)
        var resumed = try Trainer(resuming: saved)
        #expect(resumed.step == 12)
        try resumed.train(on: data, labels: labels, steps: 7)
        try resumed.train(on: data, labels: labels, steps: 11)
        #expect(resumed.step == 30)
        #expect(resumed.model.parameters == straight.model.parameters)
        #expect(resumed.state == straight.state)
        // A different run (other seed) really differs.
        var other = configuration
        other.seed = 10
        var different = try trainer(other)
        try different.train(on: data, labels: labels, steps: 30)
        #expect(different.model.parameters != straight.model.parameters)
    }

    @Test func parametersAreTheSameForAnyThreadCount() throws {
        let (data, labels) = try eightGaussians(count: 800)
        var c = configuration
        c.batchSize = 600  // large enough for the kernels to run in parallel
        let saved = KernelRuntime.threadCount
        defer { try? KernelRuntime.setThreadCount(saved) }
        var results: [[Float]] = []
        for threads in [1, 2] {
            try KernelRuntime.setThreadCount(threads)
            var t = try trainer(c)
            try t.train(on: data, labels: labels, steps: 20)
            results.append(t.model.parameters)
        }
        #expect(results[0] == results[1])
    }

    /// A small MLP on 8 Gaussians: within a few hundred steps the loss falls from its start to
    /// near the Bayes floor, the loss of the exact mixture velocity (the optimal predictor) on
    /// the same batches.
    @Test func lossDecreasesOnEightGaussians() throws {
        let (data, labels) = try eightGaussians(count: 4096)
        let c = TrainingConfiguration(steps: 200, batchSize: 128, learningRate: 1e-2, warmupSteps: 20, seed: 2)
        var t = try trainer(c)
        var losses: [Double] = []
        try t.train(on: data, labels: labels, steps: 200, progress: { losses.append($0.loss) })
        let early = losses[0..<20].reduce(0, +) / 20, late = losses[150...].reduce(0, +) / 50
        var optimal = 0.0
        var batch = try FlowMatchingBatch(batchSize: 128, dimension: 2)
        for k in 150..<200 {
            try batch.draw(step: k, from: data, labels: labels, seed: 2)
            let v = try GaussianMixtureModel.eightGaussians.velocity(batch.input, sigma: batch.sigma, labels: batch.labels)
            optimal += zip(v.scalars, batch.target.scalars).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
                / Double(v.count) / 50
        }
        // (Measured: 6.6 → 1.19 against a floor of 0.69.)
        #expect(late < 0.3 * early, "first 20 steps \(early), last 50 \(late)")
        #expect(late < 2.5 * optimal, "last 50 steps \(late), exact velocity \(optimal)")
    }

    @Test func progressAndStopping() throws {
        let (data, labels) = try eightGaussians(count: 200)
        var t = try trainer()
        var reports: [TrainingProgress] = []
        let done = try t.train(on: data, labels: labels, steps: 10, shouldStop: { reports.count == 4 },
                               progress: { reports.append($0) })
        #expect(done == 4 && t.step == 4)
        #expect(reports.map(\.step) == [1, 2, 3, 4])
        #expect(reports.map(\.learningRate) == (0..<4).map { configuration.learningRate(atStep: $0) })
        #expect(reports.allSatisfy { $0.loss > 0 && $0.samplesPerSecond > 0 && $0.totalSteps == 40 })
        #expect(t.optimizer.stepCount == 4)
    }

    @Test func learningRateSchedule() {
        let c = TrainingConfiguration(steps: 110, learningRate: 1, warmupSteps: 10, finalLearningRateFraction: 0.1)
        #expect(c.learningRate(atStep: 0) == 0.1)
        #expect(c.learningRate(atStep: 4) == 0.5)
        #expect(c.learningRate(atStep: 9) == 1)
        #expect(c.learningRate(atStep: 10) == 1)
        #expect(abs(c.learningRate(atStep: 60) - 0.55) < 1e-6)  // halfway down the cosine
        #expect(abs(c.learningRate(atStep: 109) - Float(0.1 + 0.45 * (1 + cos(Double.pi * 0.99)))) < 1e-7)
        #expect(c.learningRate(atStep: 110) == Float(0.1))
        #expect(c.learningRate(atStep: 5000) == Float(0.1))
        let noWarmup = TrainingConfiguration(steps: 10, learningRate: 2, warmupSteps: 0)
        #expect(noWarmup.learningRate(atStep: 0) == 2)
    }

    @Test func badInputsThrow() throws {
        var t = try trainer()
        let (data, labels) = try eightGaussians(count: 16)
        #expect(throws: KernelError.self) { try t.train(on: data, labels: labels.map { $0 + 1 }, steps: 1) }
        #expect(throws: KernelError.self) { try t.train(on: data, labels: Array(labels.dropLast()), steps: 1) }
        var nan = data
        nan[3, 1] = .nan
        #expect(throws: KernelError.self) { try t.train(on: nan, labels: labels, steps: 1) }
        #expect(throws: KernelError.self) { try t.train(on: Matrix(rows: 16, columns: 3), labels: labels, steps: 1) }
        #expect(t.step == 0)
        for bad in [TrainingConfiguration(steps: 0), TrainingConfiguration(batchSize: 0),
                    TrainingConfiguration(learningRate: -1), TrainingConfiguration(finalLearningRateFraction: 2),
                    TrainingConfiguration(labelDropout: -0.1),
                    TrainingConfiguration(optimizer: .adamW(AdamW.Hyperparameters(beta2: 1)))] {
            #expect(throws: KernelError.self) { try trainer(bad) }
        }
        var state = t.state
        state.optimizerName = "lion"
        #expect(throws: KernelError.self) { try Trainer(resuming: state) }
        // A diverging run stops with an error and keeps the last finite parameters.
        var wild = try trainer(TrainingConfiguration(steps: 50, batchSize: 64, learningRate: 1e30, warmupSteps: 0))
        #expect(throws: KernelError.self) { try wild.train(on: data, labels: labels, steps: 50) }
        #expect(wild.step < 50 && wild.model.parameters.allSatisfy(\.isFinite))
    }
}
