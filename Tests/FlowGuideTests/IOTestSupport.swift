import Foundation

/// Failure of a helper process in the I/O tests.
struct ScriptFailure: Error, CustomStringConvertible {
    let description: String
}

/// Runs `python3 -c script args...` and returns its standard output; throws (with standard
/// error) unless it exits with status 0. python3 with NumPy is available locally and in CI.
func runPython(_ script: String, _ arguments: [String] = []) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Standard output first (it may be large); the scripts write little to standard error.
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let stdout = String(decoding: outputData, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw ScriptFailure(description: "python3 exited with \(process.terminationStatus): \(String(decoding: errorData, as: UTF8.self))")
    }
    return stdout
}

/// A new empty directory under the system's temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("flowguide-io-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
