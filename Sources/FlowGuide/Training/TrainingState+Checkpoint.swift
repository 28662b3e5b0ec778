import Foundation

/// Checkpoints: a ``TrainingState`` as a safetensors file.
///
/// Tensors: the model's (named as ``MLPArchitecture/tensors``) and every optimizer state vector
/// as `optimizer.<name>` `[parameterCount]`. `__metadata__`: `"format": "flowguide.checkpoint"`,
/// `"format_version": "1"`, `"architecture"` and `"configuration"` (JSON), `"optimizer"` (its
/// name), `"optimizer_step_count"` and `"step"` (decimal), `"optimizer_scalars"` (JSON object of
/// the optimizer's scalar state, e.g. AdamQLR's damping; absent when empty), plus the caller's
/// extra keys (e.g. the dataset). Resuming from it continues the run bit for bit.
extension TrainingState {
    public static let checkpointFormat = "flowguide.checkpoint"
    public static let checkpointFormatVersion = "1"
    private static let reservedKeys: Set<String> = ["format", "format_version", "architecture", "configuration",
                                                     "optimizer", "optimizer_step_count", "step", "optimizer_scalars"]

    /// Writes the checkpoint atomically.
    public func save(to url: URL, extraMetadata: [String: String] = [:]) throws {
        if let key = extraMetadata.keys.first(where: Self.reservedKeys.contains) {
            throw SafeTensorsError(source: url.path, message: "extra metadata key \"\(key)\" is reserved")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metadata = extraMetadata
        metadata["format"] = Self.checkpointFormat
        metadata["format_version"] = Self.checkpointFormatVersion
        metadata["architecture"] = String(decoding: try encoder.encode(architecture), as: UTF8.self)
        metadata["configuration"] = String(decoding: try encoder.encode(configuration), as: UTF8.self)
        metadata["optimizer"] = optimizerName
        metadata["optimizer_step_count"] = String(optimizerStepCount)
        metadata["step"] = String(step)
        if !optimizerScalars.isEmpty {
            metadata["optimizer_scalars"] = String(decoding: try encoder.encode(optimizerScalars), as: UTF8.self)
        }
        var file = SafeTensors(metadata: metadata)
        for tensor in architecture.tensors {
            try file.set(tensor.name, float32: Array(parameters[tensor.offset..<tensor.offset + tensor.count]),
                         shape: tensor.shape)
        }
        for name in optimizerState.keys.sorted() {
            let values = optimizerState[name]!
            try file.set("optimizer.\(name)", float32: values, shape: [values.count])
        }
        try file.write(to: url)
    }

    /// Reads a checkpoint written by ``save(to:extraMetadata:)``; `metadata` receives the file's
    /// `__metadata__`. Every inconsistency is a `SafeTensorsError` naming the file and the problem.
    public init(checkpoint url: URL, metadata: inout [String: String]) throws {
        let file = try SafeTensors(contentsOf: url)
        func fail(_ message: String) -> SafeTensorsError { SafeTensorsError(source: url.path, message: message) }
        let m = file.metadata
        guard m["format"] == Self.checkpointFormat else {
            throw fail("not a FlowGuide checkpoint (metadata \"format\" is \(m["format"].map { "\"\($0)\"" } ?? "missing"), "
                       + "expected \"\(Self.checkpointFormat)\")")
        }
        guard m["format_version"] == Self.checkpointFormatVersion else {
            throw fail("checkpoint format_version \(m["format_version"] ?? "missing"), this version reads \(Self.checkpointFormatVersion)")
        }
        func decode<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            guard let text = m[key] else { throw fail("no \"\(key)\" in __metadata__") }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw fail("\"\(key)\" in __metadata__ is not a valid \(T.self): \(error)")
            }
        }
        func integer(_ key: String) throws -> Int {
            guard let text = m[key], let value = Int(text), value >= 0 else {
                throw fail("\"\(key)\" in __metadata__ must be a non-negative integer, got \(m[key] ?? "nothing")")
            }
            return value
        }
        let architecture = try decode("architecture", as: MLPArchitecture.self)
        let configuration = try decode("configuration", as: TrainingConfiguration.self)
        guard let optimizerName = m["optimizer"] else { throw fail("no \"optimizer\" in __metadata__") }
        var parameters = [Float](repeating: 0, count: architecture.parameterCount)
        var known = Set<String>()
        for tensor in architecture.tensors {
            let values = try file.float32(tensor.name, shape: tensor.shape)
            parameters.replaceSubrange(tensor.offset..<tensor.offset + tensor.count, with: values)
            known.insert(tensor.name)
        }
        var state: [String: [Float]] = [:]
        for name in file.names where name.hasPrefix("optimizer.") {
            state[String(name.dropFirst("optimizer.".count))] = try file.float32(name, shape: [parameters.count])
            known.insert(name)
        }
        if let extra = file.names.first(where: { !known.contains($0) }) {
            throw fail("unexpected tensor \"\(extra)\" (neither a model tensor nor optimizer.*)")
        }
        let scalars = m["optimizer_scalars"] == nil ? [:] : try decode("optimizer_scalars", as: [String: Double].self)
        self.init(configuration: configuration, architecture: architecture, parameters: parameters,
                  optimizerName: optimizerName, optimizerState: state, optimizerScalars: scalars,
                  optimizerStepCount: try integer("optimizer_step_count"), step: try integer("step"))
        metadata = m
    }
}
