#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
@testable import FlowGuide

/// The Trainer with each optimizer: it learns, resumes bit for bit, and ignores the thread count.
@Suite struct OptimizerTrainingTests {
    static let optimizers: [(OptimizerConfiguration, Float)] = [(.adamW, 1e-2), (.lion, 2e-3), (.muon, 0.03),
                                                                (.adamQLR, 0)]  // AdamQLR picks its own step

    let architecture = MLPArchitecture(dimension: 2, classCount: 8, width: 32, depth: 1, sigmaFeatures: 8,
                                       classFeatures: 4)

    func eightGaussians(count: Int) throws -> (Matrix, [Int]) {
        let labels = (0..<count).map { $0 % 8 }
        return (try GaussianMixtureModel.eightGaussians.sample(count: count, labels: labels, seed: 1), labels)
    }

    func trainer(_ optimizer: OptimizerConfiguration, lr: Float, steps: Int = 100, batchSize: Int = 128,
                 seed: UInt64 = 5) throws -> Trainer {
        let c = TrainingConfiguration(steps: steps, batchSize: batchSize, learningRate: lr, warmupSteps: 10, seed: seed,
                                      optimizer: optimizer)
        return try Trainer(model: MLPVelocityModel(architecture: architecture, seed: 4), configuration: c)
    }

    @Test(arguments: optimizers)
    func lowersTheLossIn100Steps(optimizer: OptimizerConfiguration, lr: Float) throws {
        let (data, labels) = try eightGaussians(count: 2048)
        var t = try trainer(optimizer, lr: lr)
        var losses: [Double] = []
        try t.train(on: data, labels: labels, steps: 100, progress: { losses.append($0.loss) })
        let early = losses[0..<10].reduce(0, +) / 10, late = losses[80...].reduce(0, +) / 20
        #expect(late < 0.5 * early, "\(t.optimizer.name): first 10 steps \(early), last 20 \(late)")
        #expect(t.optimizer.stepCount == 100)
    }

    @Test(arguments: optimizers)
    func resumesBitForBit(optimizer: OptimizerConfiguration, lr: Float) throws {
        let (data, labels) = try eightGaussians(count: 500)
        var straight = try trainer(optimizer, lr: lr, steps: 30, batchSize: 64)
        try straight.train(on: data, labels: labels, steps: 25)
        var first = try trainer(optimizer, lr: lr, steps: 30, batchSize: 64)
        try first.train(on: data, labels: labels, steps: 11)
        let saved = try JSONDecoder().decode(TrainingState.self, from: JSONEncoder().encode(first.state))
        #expect(saved == first.state)
        #expect(saved.optimizerState.values.allSatisfy { $0.count == saved.parameters.count })
        var resumed = try Trainer(resuming: saved)
        try resumed.train(on: data, labels: labels, steps: 14)
        #expect(resumed.model.parameters == straight.model.parameters)
        #expect(resumed.state == straight.state)
        // Without the optimizer state the run differs (so the check above can fail).
        var fresh = saved
        fresh.optimizerState = [:]
        fresh.optimizerScalars = [:]
        fresh.optimizerStepCount = 0
        var amnesiac = try Trainer(resuming: fresh)
        try amnesiac.train(on: data, labels: labels, steps: 14)
        #expect(amnesiac.model.parameters != straight.model.parameters)
    }

    @Test(arguments: optimizers)
    func sameParametersForAnyThreadCount(optimizer: OptimizerConfiguration, lr: Float) throws {
        let (data, labels) = try eightGaussians(count: 800)
        let saved = KernelRuntime.threadCount
        defer { try? KernelRuntime.setThreadCount(saved) }
        var results: [[Float]] = []
        for threads in [1, 2] {
            try KernelRuntime.setThreadCount(threads)
            var t = try trainer(optimizer, lr: lr, steps: 20, batchSize: 600)
            try t.train(on: data, labels: labels, steps: 10)
            results.append(t.model.parameters)
        }
        #expect(results[0] == results[1])
    }

    @Test func configurationsRoundTripThroughJSON() throws {
        for (optimizer, _) in Self.optimizers {
            let c = TrainingConfiguration(optimizer: optimizer)
            #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: JSONEncoder().encode(c)) == c)
        }
        let custom = OptimizerConfiguration.muon(Muon.Hyperparameters(momentum: 0.9, nesterov: false, cautious: false))
        #expect(try JSONDecoder().decode(OptimizerConfiguration.self, from: JSONEncoder().encode(custom)) == custom)
        // A state saved by one optimizer does not resume another.
        var t = try trainer(.lion, lr: 1e-3)
        let (data, labels) = try eightGaussians(count: 64)
        try t.train(on: data, labels: labels, steps: 1)
        var state = t.state
        state.configuration.optimizer = .muon
        #expect(throws: KernelError.self) { try Trainer(resuming: state) }
    }
}
