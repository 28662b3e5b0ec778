import ArgumentParser
import FlowGuide
import Foundation

/// `flowguide data`: writes a built-in dataset to `.npy` files (samples and labels), or lists
/// the built-ins. The files are what `Dataset(samplesFile:labelsFile:)` and `flowguide eval`
/// read back, so this is also the way to try the external-data path.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write a built-in dataset to .npy (samples and labels), or list the built-ins.",
        discussion: "Sample i (global index --first-index + i) has class i mod C and depends only on (--seed, i), so chunks written with --first-index concatenate to one larger set."
    )

    /// One line per built-in for `--list`.
    static let descriptions: [String: String] = [
        "checkerboard": "uniform on the 8 filled squares of a 4x4 board over [-4, 4]^2",
        "eight-gaussians": "exact samples of the eight-gaussians mixture (std 0.3 at radius 4)",
        "moons": "two interleaved half circles of radius 2, noise 0.1",
        "rings": "concentric circles of radii 1, 2, 3, noise 0.1",
        "spirals": "three spiral arms (radius 0.5 to 4, 1.5 turns), noise 0.1",
        "mixture64": "exact samples of the mixture64 mixture (20 modes, std 0.5)",
        "spirals16": "spirals mapped into 16-D by a fixed orthonormal map, plus noise 0.05",
    ]

    @Argument(help: ArgumentHelp("The dataset (see --list).", valueName: "name"))
    var name: String?

    @Flag(help: "List the built-in datasets (name, dimension, classes, description).")
    var list = false

    @Option(parsing: .unconditional, help: "Number of samples.")
    var count: Int = 1000

    @Option(parsing: .unconditional, help: "Seed of the dataset's noise.")
    var seed: UInt64 = 0

    @Option(name: .customLong("first-index"), parsing: .unconditional, help: "Global index of the first sample.")
    var firstIndex: Int = 0

    @Option(help: ArgumentHelp("The samples: float32 .npy [count, D].", valueName: "file.npy"))
    var output: String = "data.npy"

    @Option(name: .customLong("labels-output"), help: ArgumentHelp("Also the labels: int64 .npy [count].", valueName: "file.npy"))
    var labelsOutput: String?

    func validate() throws {
        if list {
            if name != nil { throw ValidationError("--list takes no dataset name") }
            return
        }
        guard name != nil else { throw ValidationError("missing the dataset name (see 'flowguide data --list')") }
        if count < 0 { throw ValidationError("--count must be >= 0, got \(count)") }
        if firstIndex < 0 { throw ValidationError("--first-index must be >= 0, got \(firstIndex)") }
        if let labelsOutput,
           URL(fileURLWithPath: labelsOutput).standardizedFileURL.path == URL(fileURLWithPath: output).standardizedFileURL.path {
            throw ValidationError("--output and --labels-output name the same file")
        }
    }

    func run() throws {
        if list {
            print(ModelsCommand.pad("name", 17) + ModelsCommand.pad("dimension", 11) + ModelsCommand.pad("classes", 9) + "description")
            for name in Dataset.builtInNames {
                let shape = Dataset.builtInShape(name: name)!
                print(ModelsCommand.pad(name, 17) + ModelsCommand.pad(String(shape.dimension), 11)
                          + ModelsCommand.pad(String(shape.classCount), 9) + (Self.descriptions[name] ?? ""))
            }
            return
        }
        let name = self.name!
        guard Dataset.builtInShape(name: name) != nil else {
            throw RunError("unknown dataset '\(name)' (built-ins: \(Dataset.builtInNames.joined(separator: ", ")))")
        }
        try OutputOptions.checkWritable(flag: "--output", path: output)
        if let labelsOutput { try OutputOptions.checkWritable(flag: "--labels-output", path: labelsOutput) }
        let data = try Dataset.builtIn(name: name, count: count, seed: seed, firstIndex: firstIndex)
        try data.write(samplesTo: URL(fileURLWithPath: output), labelsTo: labelsOutput.map { URL(fileURLWithPath: $0) })
        let files = [output] + (labelsOutput.map { [$0] } ?? [])
        let line = "\(data.count) samples of \(name) (\(data.dimension)-D, \(data.classCount) classes, seed \(seed)) -> "
            + files.joined(separator: ", ")
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
