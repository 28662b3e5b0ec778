@testable import FlowGuide

/// Deterministic pseudo-random matrices for tests (splitmix64, independent of the library).
func randomMatrix(rows: Int, columns: Int, seed: UInt64) -> Matrix {
    var state = seed
    var m = Matrix(rows: rows, columns: columns)
    for i in m.scalars.indices {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        m.scalars[i] = Float(Double(z >> 11) * 0x1p-53 * 2 - 1)
    }
    return m
}

/// max|a − b| / max|b| over all values (the max-norm relative error).
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var diff = 0.0, scale = 1e-30
    for (x, y) in zip(a, b) {
        diff = max(diff, abs(Double(x) - Double(y)))
        scale = max(scale, abs(Double(y)))
    }
    return diff / scale
}

/// Shapes at the edges: empty, one, odd, SIMD tails, a large row.
let testShapes: [(rows: Int, columns: Int)] = [(0, 0), (1, 1), (1, 7), (7, 3), (3, 1023), (33, 65), (2, 1 << 16)]
