import Foundation
import Testing
@testable import FlowGuide

@Suite struct MLPVelocityModelSafeTensorsTests {
    static let architecture = MLPArchitecture(dimension: 3, classCount: 4, width: 10, depth: 2, sigmaFeatures: 6,
                                              classFeatures: 5, sigmaScale: 250.5)

    /// Writes `file` to a new temporary directory and runs `body` on its URL.
    func withFile<T>(_ file: SafeTensors, _ body: (URL) throws -> T) throws -> T {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try file.write(to: url)
        return try body(url)
    }

    /// The safetensors content of a saved model (to edit into malformed variants).
    func savedFile(_ model: MLPVelocityModel, extraMetadata: [String: String] = [:]) throws -> SafeTensors {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try model.save(to: url, extraMetadata: extraMetadata)
        return try SafeTensors(contentsOf: url)
    }

    func loadError(_ file: SafeTensors) throws -> String? {
        try withFile(file) { url in safetensorsErrorMessage { _ = try MLPVelocityModel(contentsOf: url) } }
    }

    @Test(arguments: [
        architecture,
        MLPArchitecture(dimension: 2, classCount: 1, width: 7, depth: 0, sigmaFeatures: 2, classFeatures: 1),
        MLPArchitecture(dimension: 64, classCount: 10),
    ])
    func roundTripIsBitwiseExact(architecture: MLPArchitecture) throws {
        var model = try MLPVelocityModel(architecture: architecture, seed: 11)
        model.parameters[0] = -0.0
        model.parameters[1] = .leastNonzeroMagnitude
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try model.save(to: url, extraMetadata: ["trained_steps": "1000"])

        let loaded = try MLPVelocityModel(contentsOf: url)
        #expect(loaded.architecture == architecture)
        #expect(loaded.parameters.map(\.bitPattern) == model.parameters.map(\.bitPattern))
        let x = randomMatrix(rows: 9, columns: architecture.dimension, seed: 3)
        let sigma = (0..<9).map { Float($0) / 8 }
        let labels = (0..<9).map { $0 % (architecture.classCount + 1) - 1 }
        let v0 = try model.velocity(x, sigma: sigma, labels: labels)
        let v1 = try loaded.velocity(x, sigma: sigma, labels: labels)
        #expect(v0.scalars.map(\.bitPattern) == v1.scalars.map(\.bitPattern))

        let file = try SafeTensors(contentsOf: url)
        #expect(file.names == architecture.tensors.map(\.name))
        #expect(file.metadata["format"] == "flowguide.mlp")
        #expect(file.metadata["format_version"] == "1")
        #expect(file.metadata["trained_steps"] == "1000")
        for tensor in architecture.tensors {
            #expect(file[tensor.name]?.dtype == .f32)
            #expect(file[tensor.name]?.shape == tensor.shape)
        }
    }

    @Test func architectureMetadataIsSortedKeyJSON() throws {
        let file = try savedFile(MLPVelocityModel(architecture: Self.architecture, seed: 1))
        #expect(file.metadata["architecture"] == #"{"classCount":4,"classFeatures":5,"depth":2,"dimension":3,"#
                + #""sigmaFeatures":6,"sigmaScale":250.5,"width":10}"#)
    }

    @Test func pythonReadsPyTorchStyleNamesAndShapes() throws {
        let model = try MLPVelocityModel(architecture: Self.architecture, seed: 4)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        try model.save(to: url)
        let python = try readWithPythonSafeTensors(url)
        #expect(python.metadata?["format"] == "flowguide.mlp")
        let architecture = try JSONDecoder().decode(MLPArchitecture.self, from: Data(try #require(python.metadata?["architecture"]).utf8))
        #expect(architecture == Self.architecture)
        #expect(python.keys.sorted() == Self.architecture.tensors.map(\.name).sorted())
        #expect(python.keys.contains("blocks.1.0.weight") && python.keys.contains("output.bias"))
        for tensor in Self.architecture.tensors {
            let got = try #require(python.tensors[tensor.name], "\(tensor.name)")
            #expect(got.dtype == "float32" && got.shape == tensor.shape, "\(tensor.name)")
            let values = Array(model.parameters[tensor.offset..<tensor.offset + tensor.count])
            // Python's str() of each float32 (as a double) parses back to the same float32.
            #expect(got.values.map { Float(Double($0)!) } == values, "\(tensor.name)")
        }
    }

    @Test func saveRejectsReservedMetadataKeys() throws {
        let model = try MLPVelocityModel(architecture: Self.architecture, seed: 1)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.safetensors")
        #expect(safetensorsErrorMessage { try model.save(to: url, extraMetadata: ["architecture": "x"]) }?
            .contains(#"extraMetadata key "architecture" is reserved"#) == true)
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    /// Each edit of a saved file, and the words its load error must contain.
    static let corruptions: [(name: String, edit: @Sendable (inout SafeTensors) throws -> Void, expected: String)] = [
        ("no format", { $0.metadata["format"] = nil }, #"no "format" in __metadata__: not a FlowGuide model file"#),
        ("other format", { $0.metadata["format"] = "pytorch" }, #"__metadata__ format is "pytorch", expected "flowguide.mlp""#),
        ("no version", { $0.metadata["format_version"] = nil }, #"no "format_version" in __metadata__"#),
        ("future version", { $0.metadata["format_version"] = "2" }, #"unsupported format_version "2""#),
        ("no architecture", { $0.metadata["architecture"] = nil }, #"no "architecture" in __metadata__"#),
        ("architecture not JSON", { $0.metadata["architecture"] = "{width: 3" }, "not a valid MLPArchitecture JSON object: not valid JSON"),
        ("architecture missing a key", { $0.metadata["architecture"] = #"{"dimension": 3}"# }, #"missing key "classCount""#),
        ("architecture wrong type", { $0.metadata["architecture"] = #"{"dimension":"3","classCount":4,"width":10,"depth":2,"sigmaFeatures":6,"classFeatures":5,"sigmaScale":1}"# },
         #"expected Int at "dimension""#),
        ("architecture invalid", { $0.metadata["architecture"] = #"{"dimension":3,"classCount":4,"width":10,"depth":2,"sigmaFeatures":5,"classFeatures":5,"sigmaScale":1}"# },
         "invalid architecture in __metadata__: MLPArchitecture: sigmaFeatures must be even"),
        ("missing tensor", { $0.remove("blocks.1.0.bias") }, #"missing tensor "blocks.1.0.bias" (shape [10])"#),
        ("wrong shape", { try $0.set("input.weight", float32: [Float](repeating: 0, count: 140), shape: [14, 10]) },
         #"tensor "input.weight" has shape [14, 10], expected [10, 14]"#),
        ("wrong dtype", { try $0.set("output.bias", .init(dtype: .f64, shape: [3], bytes: [UInt8](repeating: 0, count: 24))) },
         #"tensor "output.bias" has dtype F64, expected F32"#),
        ("half precision", { try $0.set("output.bias", .init(dtype: .f16, shape: [3], bytes: [UInt8](repeating: 0, count: 6))) },
         #"tensor "output.bias" has dtype F16, expected F32"#),
        ("extra tensors", { try $0.set("blocks.2.0.weight", float32: [1], shape: [1]); try $0.set("ema", float32: [], shape: [0]) },
         #"unexpected tensors for this architecture: "blocks.2.0.weight", "ema""#),
    ]

    @Test(arguments: corruptions.indices)
    func loadRejectsWithAClearMessage(index: Int) throws {
        let corruption = Self.corruptions[index]
        var file = try savedFile(MLPVelocityModel(architecture: Self.architecture, seed: 2))
        try corruption.edit(&file)
        let message = try loadError(file)
        #expect(message?.contains(corruption.expected) == true, "\(corruption.name): \(message ?? "loaded")")
    }

    @Test func loadErrorsNameTheFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("garbage.safetensors")
        try Data("not a model".utf8).write(to: url)
        do {
            _ = try MLPVelocityModel(contentsOf: url)
            Issue.record("loaded garbage")
        } catch let error as SafeTensorsError {
            #expect(error.source == url.relativePath)
            #expect(error.message.contains("header length"))
        }
        let missing = directory.appendingPathComponent("none.safetensors")
        #expect(safetensorsErrorMessage { _ = try MLPVelocityModel(contentsOf: missing) } == "no such file")
    }
}
