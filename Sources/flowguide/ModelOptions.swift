import ArgumentParser
import FlowGuide

/// `--model NAME|FILE.json|FILE.safetensors`: which velocity model to use.
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp(
        "A built-in mixture (\(ModelCatalog.builtInNames.joined(separator: ", "))), a mixture JSON file, or a model trained by 'flowguide train' (.safetensors).",
        valueName: "name|file.json|file.safetensors"))
    var name: String = "eight-gaussians"

    /// The model (reads the file for a JSON mixture or a safetensors model).
    func load() throws -> LoadedModel {
        try ModelCatalog.loadAny(name)
    }
}
