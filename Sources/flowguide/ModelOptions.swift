import ArgumentParser
import FlowGuide

/// `--model NAME|FILE.json`: which velocity model to use (shared by sample, and later train/eval).
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp(
        "A built-in mixture (\(ModelCatalog.builtInNames.joined(separator: ", "))) or a mixture JSON file.",
        valueName: "name|file.json"))
    var name: String = "eight-gaussians"

    /// The model (reads the file for a JSON mixture).
    func load() throws -> GaussianMixtureModel {
        try ModelCatalog.load(name)
    }
}
