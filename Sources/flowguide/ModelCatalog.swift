import FlowGuide
import Foundation

/// The built-in mixtures by name, and loading a model given by name or JSON file.
enum ModelCatalog {
    /// The built-in mixtures, in the order `flowguide models` lists them.
    static let builtIns: [(name: String, model: GaussianMixtureModel)] = [
        ("eight-gaussians", .eightGaussians),
        ("ring25", .ring25),
        ("mixture64", .mixture64),
    ]

    static var builtInNames: [String] { builtIns.map(\.name) }

    /// A built-in mixture, a mixture JSON file, or a trained model (a name ending in .safetensors).
    static func loadAny(_ name: String) throws -> LoadedModel {
        guard name.hasSuffix(".safetensors") else { return .mixture(try load(name)) }
        guard FileManager.default.fileExists(atPath: name) else { throw RunError("\(name): no such file") }
        let url = URL(fileURLWithPath: name)
        do {
            let file = try SafeTensors(contentsOf: url)  // read once: the model and its metadata
            return .mlp(try MLPVelocityModel(safeTensors: file), metadata: file.metadata)
        } catch let error as SafeTensorsError {
            throw RunError(error.description)
        } catch let error as KernelError {
            throw RunError("\(name): \(error.detail)")
        }
    }

    /// A built-in by name, or else a mixture JSON file (an existing path or a name ending in .json).
    static func load(_ name: String) throws -> GaussianMixtureModel {
        if let entry = builtIns.first(where: { $0.name == name }) { return entry.model }
        let isFile = FileManager.default.fileExists(atPath: name)
        guard isFile || name.hasSuffix(".json") else {
            throw RunError("unknown model '\(name)' (built-ins: \(builtInNames.joined(separator: ", ")); or a mixture .json file)")
        }
        guard isFile else { throw RunError("\(name): no such file") }
        do {
            return try GaussianMixtureModel(contentsOf: URL(fileURLWithPath: name))
        } catch let error as DecodingError {
            throw RunError("\(name): \(CLIFailure.describe(error))")
        } catch let error as KernelError {
            throw RunError("\(name): \(error.detail)")
        } catch {
            throw RunError("\(name): cannot read the mixture: \(error.localizedDescription)")
        }
    }
}
