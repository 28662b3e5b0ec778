#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import FlowGuide
import Foundation

/// An error found while running a command (a file, a shape, a label...), with its message.
/// Exit code 1. Command-line contradictions found before running are `ValidationError`s (64).
struct RunError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One failure as the CLI reports it: a single line `error: <message>` on stderr and an exit code.
struct CLIFailure {
    let message: String
    let exitCode: Int32

    /// Exit codes (docs/cli.md): 64 for a bad command line, 1 for a failure while running.
    static let usageExitCode: Int32 = 64
    static let runExitCode: Int32 = 1

    /// `usage` and `exitCode` are ArgumentParser's message and code for its own errors.
    init(_ error: any Error, usage: (any Error) -> String, exitCode: (any Error) -> ExitCode) {
        let text: String
        var code = Self.runExitCode
        switch error {
        case let e as RunError: text = e.description
        case let e as KernelError: text = e.detail
        case let e as NumPyFileError: text = e.description
        case let e as DatasetError: text = e.message
        case let e as ScatterPlotError: text = e.description
        case let e as DecodingError: text = Self.describe(e)
        default:
            text = usage(error)
            code = exitCode(error).rawValue
            if code == 0 { code = Self.runExitCode }
        }
        message = Self.oneLine(text)
        self.exitCode = code
    }

    /// Writes `error: <message>` to stderr and exits with the code.
    func reportAndExit() -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(exitCode)
    }

    /// The lines of a message joined by "; " (blank lines dropped).
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
    }

    /// A JSON decoding error in a few words: what and where.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "invalid mixture JSON: missing key '\(key.stringValue)'\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "invalid mixture JSON\(path(context)): \(context.debugDescription)"
        @unknown default: return "invalid mixture JSON: \(error)"
        }
    }
}
