import Foundation
import Testing
@testable import FlowGuide

@Suite struct CheckpointTests {
    private func smallTrainer(steps: Int = 12) throws -> Trainer {
        let model = try MLPVelocityModel(architecture: MLPArchitecture(dimension: 2, classCount: 8, width: 8, depth: 1,
                                                                       sigmaFeatures: 4, classFeatures: 2), seed: 3)
        return try Trainer(model: model, configuration: TrainingConfiguration(steps: steps, batchSize: 16, warmupSteps: 2))
    }

    private func data() throws -> (Matrix, [Int]) {
        let labels = (0..<200).map { $0 % 8 }
        return (try GaussianMixtureModel.eightGaussians.sample(count: 200, labels: labels, seed: 1), labels)
    }

    @Test func aCheckpointResumesTheRunBitForBit() throws {
        let (x, y) = try data()
        var straight = try smallTrainer()
        try straight.train(on: x, labels: y, steps: 12)

        var first = try smallTrainer()
        try first.train(on: x, labels: y, steps: 5)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try first.state.save(to: url, extraMetadata: ["data": "eight-gaussians test"])
        var metadata: [String: String] = [:]
        let state = try TrainingState(checkpoint: url, metadata: &metadata)
        #expect(state == first.state)
        #expect(metadata["data"] == "eight-gaussians test")
        var resumed = try Trainer(resuming: state)
        try resumed.train(on: x, labels: y, steps: 7)
        #expect(resumed.model.parameters == straight.model.parameters)
    }

    @Test func aModelFileIsNotACheckpointAndReservedKeysAreRefused() throws {
        let trainer = try smallTrainer()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try trainer.model.save(to: url)
        var metadata: [String: String] = [:]
        #expect { try TrainingState(checkpoint: url, metadata: &metadata) } throws: { error in
            (error as? SafeTensorsError)?.message.contains("not a FlowGuide checkpoint") == true
        }
        #expect(throws: SafeTensorsError.self) { try trainer.state.save(to: url, extraMetadata: ["step": "9"]) }
    }

    @Test func aCheckpointWithAMissingOptimizerVectorOrABadStepIsRejected() throws {
        var trainer = try smallTrainer()
        let (x, y) = try data()
        try trainer.train(on: x, labels: y, steps: 2)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try trainer.state.save(to: url)
        var file = try SafeTensors(contentsOf: url)
        file.metadata["step"] = "-3"
        try file.write(to: url)
        var metadata: [String: String] = [:]
        #expect { try TrainingState(checkpoint: url, metadata: &metadata) } throws: { error in
            (error as? SafeTensorsError)?.message.contains("\"step\"") == true
        }
        file.metadata["step"] = "2"
        _ = file.remove("optimizer.exp_avg")
        try file.write(to: url)
        let state = try TrainingState(checkpoint: url, metadata: &metadata)
        #expect(throws: KernelError.self) { try Trainer(resuming: state) }
    }
}
