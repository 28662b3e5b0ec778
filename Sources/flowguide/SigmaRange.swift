import ArgumentParser

/// Parses `LO,HI` (two finite floats, LO ≤ HI) into a closed σ range, for the `--…-interval`
/// and `--…-window` options.
enum SigmaRange {
    static func parse(_ text: String) throws -> ClosedRange<Float> {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lo = Float(parts[0]), let hi = Float(parts[1]), lo.isFinite, hi.isFinite else {
            throw ValidationError("expected LO,HI (two numbers, e.g. 0.2,0.8)")
        }
        guard lo <= hi else { throw ValidationError("LO \(parts[0]) is greater than HI \(parts[1])") }
        return lo...hi
    }
}
