import ArgumentParser
import FlowGuide
import Foundation

/// `flowguide models`: lists the built-in mixtures, or prints one model's JSON description.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the built-in mixtures, or print one as JSON.",
        discussion: "'flowguide models' prints a table; 'flowguide models --json NAME' prints the mixture JSON of NAME (a built-in or a .json file), which --model accepts back; 'flowguide models --json' lists the built-ins as JSON."
    )

    @Flag(help: "Print JSON: the mixture of NAME, or the list of built-ins without NAME.")
    var json = false

    @Argument(help: ArgumentHelp("A built-in name or a mixture .json file.", valueName: "name"))
    var name: String?

    func run() throws {
        if let name {
            let model = try ModelCatalog.load(name)
            if json {
                print(String(decoding: try model.jsonData(), as: UTF8.self))
            } else {
                print(Self.row(name, model))
            }
            return
        }
        if json {
            let list = ModelCatalog.builtIns.map {
                Summary(name: $0.name, dimension: $0.model.dimension, components: $0.model.componentCount,
                        classes: $0.model.classCount)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(list), as: UTF8.self))
            return
        }
        print(Self.pad("name", 18) + Self.pad("dimension", 11) + Self.pad("components", 12) + "classes")
        for (name, model) in ModelCatalog.builtIns { print(Self.row(name, model)) }
    }

    struct Summary: Encodable {
        var name: String
        var dimension: Int
        var components: Int
        var classes: Int
    }

    static func row(_ name: String, _ model: GaussianMixtureModel) -> String {
        pad(name, 18) + pad(String(model.dimension), 11) + pad(String(model.componentCount), 12) + String(model.classCount)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
