#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowGuide
import Foundation

/// A one-line progress bar on stderr, redrawn in place with `\r`: bar, step i/N (and batch),
/// σ, NFE and samples per second. Redraws at most every 0.1 s (and always at the last step).
final class ProgressBar {
    private let rows: Int
    private let start = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false
    private static let width = 24

    /// Whether a progress bar should be shown: stderr is a terminal and it was not turned off.
    static func wanted(disabled: Bool) -> Bool { !disabled && isatty(2) == 1 }

    init(rows: Int) { self.rows = rows }

    /// Draws the state after a step.
    func update(_ p: SamplingProgress) {
        let now = ContinuousClock.now
        let last = p.batch + 1 == p.batchCount && p.step == p.stepCount
        if let lastDraw, now - lastDraw < .milliseconds(100), !last { return }
        lastDraw = now
        let fraction = p.fractionCompleted
        let filled = Int((fraction * Double(Self.width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.width - filled)
        let seconds = Self.seconds(now - start)
        let rate = seconds > 0 ? fraction * Double(rows) / seconds : 0
        var line = "[\(bar)] step \(p.step)/\(p.stepCount)"
        if p.batchCount > 1 { line += " batch \(p.batch + 1)/\(p.batchCount)" }
        line += "  σ \(String(format: "%.4f", p.sigma))  NFE \(p.nfe)  \(Format.grouped(Int(rate.rounded()))) samples/s"
        FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
        drawn = true
    }

    /// Clears the line (before the summary or an error message).
    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// Number formatting for human-readable output.
enum Format {
    /// Thousands separated by spaces: 83000 → "83 000".
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(" ") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}
