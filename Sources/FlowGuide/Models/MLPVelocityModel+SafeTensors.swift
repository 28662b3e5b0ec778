#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Saving and loading an ``MLPVelocityModel`` as a safetensors file.
///
/// The file holds one F32 tensor per ``MLPArchitecture/tensors`` entry, with its name and shape
/// (PyTorch `nn.Linear` layout, so `safetensors.torch.load_file` fills a matching module), and
/// three `__metadata__` strings: `"format": "flowguide.mlp"`, `"format_version": "1"` and
/// `"architecture"`, the ``MLPArchitecture`` as JSON with sorted keys.
extension MLPVelocityModel {
    /// The `format` metadata value of a model file.
    public static let safeTensorsFormat = "flowguide.mlp"
    /// The `format_version` metadata value this version writes and reads.
    public static let safeTensorsFormatVersion = "1"
    private static let reservedKeys: Set<String> = ["format", "format_version", "architecture"]

    /// Writes the model atomically; `extraMetadata` goes into `__metadata__` too (its keys must
    /// not be `format`, `format_version` or `architecture`).
    public func save(to url: URL, extraMetadata: [String: String] = [:]) throws {
        if let clash = extraMetadata.keys.sorted().first(where: Self.reservedKeys.contains) {
            throw SafeTensorsError(source: url.relativePath, message: "extraMetadata key \"\(clash)\" is reserved for the model format")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(architecture), as: UTF8.self)
        var file = SafeTensors(metadata: extraMetadata.merging([
            "format": Self.safeTensorsFormat,
            "format_version": Self.safeTensorsFormatVersion,
            "architecture": json,
        ]) { _, new in new })
        for tensor in architecture.tensors {
            try file.set(tensor.name, float32: Array(parameters[tensor.offset..<tensor.offset + tensor.count]), shape: tensor.shape)
        }
        try file.write(to: url)
    }

    /// Loads a model written by ``save(to:extraMetadata:)``. Throws a ``SafeTensorsError`` for a
    /// malformed file, another format or version, a missing or invalid architecture, a missing
    /// tensor, a tensor of the wrong shape or of a dtype other than F32, and extra tensors.
    public init(contentsOf url: URL) throws {
        try self.init(safeTensors: try SafeTensors(contentsOf: url))
    }

    /// Builds the model from an already-read file (e.g. when the caller also wants its
    /// `metadata`); the checks of ``init(contentsOf:)``.
    public init(safeTensors file: SafeTensors) throws {
        func fail(_ message: String) -> SafeTensorsError { file.error(message) }

        guard let format = file.metadata["format"] else {
            throw fail("no \"format\" in __metadata__: not a FlowGuide model file (expected \"\(Self.safeTensorsFormat)\")")
        }
        guard format == Self.safeTensorsFormat else {
            throw fail("__metadata__ format is \"\(format)\", expected \"\(Self.safeTensorsFormat)\"")
        }
        guard let version = file.metadata["format_version"] else { throw fail("no \"format_version\" in __metadata__") }
        guard version == Self.safeTensorsFormatVersion else {
            throw fail("unsupported format_version \"\(version)\" (this version reads \"\(Self.safeTensorsFormatVersion)\")")
        }
        guard let json = file.metadata["architecture"] else { throw fail("no \"architecture\" in __metadata__") }
        let architecture: MLPArchitecture
        do {
            architecture = try JSONDecoder().decode(MLPArchitecture.self, from: Data(json.utf8))
        } catch {
            throw fail("the \"architecture\" metadata is not a valid MLPArchitecture JSON object: \(Self.describe(error))")
        }
        do throws(KernelError) {
            try architecture.validate()
        } catch {
            throw fail("invalid architecture in __metadata__: \(error)")
        }

        let expected = architecture.tensors
        let expectedNames = Set(expected.map(\.name))
        let extra = file.names.filter { !expectedNames.contains($0) }
        guard extra.isEmpty else {
            throw fail("unexpected tensors for this architecture: \(extra.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        var parameters: [Float] = []
        parameters.reserveCapacity(architecture.parameterCount)
        for tensor in expected {
            guard let stored = file[tensor.name] else {
                throw fail("missing tensor \"\(tensor.name)\" (shape \(SafeTensors.format(tensor.shape)))")
            }
            guard stored.dtype == .f32 else {
                throw fail("tensor \"\(tensor.name)\" has dtype \(stored.dtype.rawValue), expected F32")
            }
            parameters += try file.float32(tensor.name, shape: tensor.shape)
        }
        try self.init(architecture: architecture, parameters: parameters)
    }

    /// A one-line reason for a JSON decoding failure.
    private static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the top level" : "\"" + keys.map(\.stringValue).joined(separator: ".") + "\""
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, _)?: return "missing key \"\(key.stringValue)\""
        case .typeMismatch(let type, let context)?: return "expected \(type) at \(path(context.codingPath))"
        case .valueNotFound(let type, let context)?: return "expected \(type) at \(path(context.codingPath)), got null"
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context.codingPath))"
        default: return "\(error)"
        }
    }
}
