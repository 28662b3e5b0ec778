import ArgumentParser
import FlowGuide
import Foundation

/// The named σ schedules of `--grid`.
enum GridKind: String, CaseIterable, ExpressibleByArgument {
    case uniform, sd3, flux
}

extension Solver: ExpressibleByArgument {}

/// The time grid and the solver: `--steps`, `--solver`, `--grid`, `--shift`, `--tokens`, `--sigmas`.
struct GridOptions: ParsableArguments {
    static let defaultSteps = 16
    static let defaultShift = 3.0
    static let defaultTokens = 4096

    @Option(parsing: .unconditional, help: "Number of steps (default: \(defaultSteps)).")
    var steps: Int?

    @Option(help: "The ODE solver.")
    var solver: Solver = .euler

    @Option(help: "The σ schedule (default: uniform): sd3 = static shift, flux = resolution-dependent shift.")
    var grid: GridKind?

    @Option(parsing: .unconditional, help: "The sd3 grid's shift s > 0 (default: \(defaultShift)).")
    var shift: Double?

    @Option(parsing: .unconditional, help: "The flux grid's image token count (default: \(defaultTokens)).")
    var tokens: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "An explicit grid σ_0 > … > σ_N = 0 with σ_0 ≤ 1: a comma list or a float .npy file; replaces --steps and --grid.",
        valueName: "list|file.npy"))
    var sigmas: String?

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps must be >= 1, got \(steps)") }
        if sigmas != nil {
            if steps != nil { throw ValidationError("--sigmas replaces --steps: give one of them") }
            if grid != nil { throw ValidationError("--sigmas replaces --grid: give one of them") }
        }
        if shift != nil, grid != .sd3 { throw ValidationError("--shift applies to --grid sd3 only") }
        if tokens != nil, grid != .flux { throw ValidationError("--tokens applies to --grid flux only") }
        if let shift, !(shift.isFinite && shift > 0) { throw ValidationError("--shift must be finite and > 0, got \(shift)") }
        if let tokens, tokens <= 0 { throw ValidationError("--tokens must be > 0, got \(tokens)") }
    }

    /// The grid the options describe (reads the --sigmas file if one is given).
    func timeGrid() throws -> TimeGrid {
        if let sigmas {
            let values = try Self.readSigmas(sigmas)
            do { return try TimeGrid.custom(values) } catch {
                throw RunError("--sigmas \(sigmas): \(error.detail.replacingOccurrences(of: "TimeGrid: ", with: ""))")
            }
        }
        let n = steps ?? Self.defaultSteps
        switch grid ?? .uniform {
        case .uniform: return try .uniform(steps: n)
        case .sd3: return try .sd3(steps: n, shift: shift ?? Self.defaultShift)
        case .flux: return try .flux(steps: n, tokens: tokens ?? Self.defaultTokens)
        }
    }

    /// A short description: "uniform", "sd3 (shift 3)", "flux (4096 tokens)" or "custom".
    var gridDescription: String {
        if sigmas != nil { return "custom" }
        switch grid ?? .uniform {
        case .uniform: return "uniform"
        case .sd3: return "sd3 (shift \(shift ?? Self.defaultShift))"
        case .flux: return "flux (\(tokens ?? Self.defaultTokens) tokens)"
        }
    }

    /// σ values from a `.npy` file (1-D float) or a comma-separated list.
    static func readSigmas(_ text: String) throws -> [Float] {
        if text.hasSuffix(".npy") || FileManager.default.fileExists(atPath: text) {
            let (shape, values) = try NumPyFile.readFloat32(URL(fileURLWithPath: text))
            guard shape.count == 1 else {
                throw RunError("\(text): --sigmas expects a 1-D float array, got shape \(shape)")
            }
            return values
        }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let value = Float(trimmed) else {
                throw ValidationError("--sigmas: '\(trimmed)' is not a number (expected a comma list like 1,0.5,0 or a .npy file)")
            }
            return value
        }
    }
}
