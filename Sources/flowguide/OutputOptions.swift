import ArgumentParser
import FlowGuide
import Foundation

/// Where results go and how the run reports: `--output`, `--trajectory`, `--plot`,
/// `--no-progress`, `--json`.
struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The samples: float32 .npy [rows, D].", valueName: "file.npy"))
    var output: String = "samples.npy"

    @Option(help: ArgumentHelp("Also write x before and after every step: float32 .npy [steps + 1, rows, D].", valueName: "file.npy"))
    var trajectory: String?

    @Option(help: ArgumentHelp("Also draw the samples over ground-truth data (2-D models only).", valueName: "file.svg|file.png"))
    var plot: String?

    @Flag(name: .customLong("no-progress"), help: "No progress bar (there is none anyway when stderr is not a terminal).")
    var noProgress = false

    @Flag(help: "Print a JSON summary on stdout instead of the summary line on stderr.")
    var json = false

    func validate() throws {
        if let plot, !["svg", "png"].contains(Self.pathExtension(plot)) {
            throw ValidationError("--plot must name a .svg or .png file, got '\(plot)'")
        }
        let paths = [("--output", output), ("--trajectory", trajectory), ("--plot", plot)]
            .compactMap { flag, path in path.map { (flag, URL(fileURLWithPath: $0).standardizedFileURL.path) } }
        for i in paths.indices { for j in paths.indices where j > i && paths[i].1 == paths[j].1 {
            throw ValidationError("\(paths[i].0) and \(paths[j].0) name the same file")
        } }
    }

    /// Checks, before any work, that every destination can be written: its directory exists
    /// (and is one), the file is not a directory, and a plot has 2-D data.
    func checkDestinations(dimension: Int) throws {
        if plot != nil, dimension != 2 {
            throw RunError("--plot needs 2-D data, but the model has dimension \(dimension)")
        }
        for (flag, path) in [("--output", output), ("--trajectory", trajectory), ("--plot", plot)] {
            if let path { try Self.checkWritable(flag: flag, path: path) }
        }
    }

    /// Throws a ``RunError`` unless `path` can be written: its directory exists (and is one),
    /// is writable, and the file is not a directory. `flag` names the option in the message.
    static func checkWritable(flag: String, path: String) throws {
        let url = URL(fileURLWithPath: path)
        let parent = (path as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunError("\(flag) \(path): the directory \(directory) does not exist")
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw RunError("\(flag) \(path) is a directory")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw RunError("\(flag) \(path): the directory \(directory) is not writable")
        }
    }

    static func pathExtension(_ path: String) -> String {
        URL(fileURLWithPath: path).pathExtension.lowercased()
    }
}
