import ArgumentParser

/// `--shard K/N`: part K (0-based) of N of a run of `count` samples.
struct Shard: Hashable, CustomStringConvertible {
    let index: Int
    let count: Int

    /// The whole run as one shard.
    static let whole = Shard(index: 0, count: 1)

    /// Parses `K/N` with N ≥ 1 and K in 0..<N.
    static func parse(_ text: String) throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw ValidationError("expected K/N, e.g. 0/4")
        }
        guard n >= 1 else { throw ValidationError("N must be >= 1, got \(n)") }
        guard (0..<n).contains(k) else { throw ValidationError("K must be in 0..<\(n), got \(k)") }
        return Shard(index: k, count: n)
    }

    /// The global sample indices of this shard: `[⌊K·total/N⌋, ⌊(K+1)·total/N⌋)`.
    func range(total: Int) -> Range<Int> {
        func bound(_ k: Int) -> Int {  // k·total/N without overflow (k ≤ N, so the quotient fits)
            count.dividingFullWidth(k.multipliedFullWidth(by: total)).quotient
        }
        return bound(index)..<bound(index + 1)
    }

    var description: String { "\(index)/\(count)" }
}
