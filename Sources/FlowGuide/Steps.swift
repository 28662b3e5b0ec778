internal import CFlowKernels

/// FlowGuide's kernels over `Matrix` batches. Conventions (DESIGN.md §2): σ decreases from 1
/// (noise) to 0 (data), a step is `x ← x + h·v` with `h = σ_next − σ < 0`, and CFG is
/// `g = u + w·(c − u)`. Every function checks shapes and throws `KernelError`; none allocates
/// except those returning a new matrix.
public enum Kernels {}

extension Kernels {
    /// `x += h·v`. The corresponding C function is `fk_euler_step`.
    public static func eulerStep(_ x: inout Matrix, velocity v: Matrix, stepSize h: Float) throws(KernelError) {
        try requireSameShape("eulerStep", x, v)
        let (rows, cols) = (Int64(x.rows), Int64(x.columns))
        let status = x.scalars.withUnsafeMutableBufferPointer { xp in
            v.scalars.withUnsafeBufferPointer { vp in
                fk_euler_step(rows, cols, xp.baseAddress, cols, vp.baseAddress, cols, h, xp.baseAddress, cols)
            }
        }
        try check(status, "fk_euler_step")
    }

    /// `out = base + Σ cₖ·termₖ` (1 to 4 terms; `base` nil means zero): the combinations of
    /// Heun, midpoint, RK4 and Adams–Bashforth. The corresponding C function is `fk_combine`.
    public static func combine(base: Matrix?, terms: [(coefficient: Float, matrix: Matrix)],
                               into out: inout Matrix) throws(KernelError) {
        guard (1...4).contains(terms.count) else {
            throw KernelError(.invalidArgument, "combine: \(terms.count) terms (1 to 4 allowed)")
        }
        try requireSameShape("combine", out, base)
        for t in terms { try requireSameShape("combine", out, t.matrix) }
        let (rows, cols) = (Int64(out.rows), Int64(out.columns))
        let coeffs = terms.map(\.coefficient)
        // Nested pointer access for up to four terms: gather the base addresses first.
        let status = withBaseAddresses(terms.map(\.matrix)) { termPointers in
            coeffs.withUnsafeBufferPointer { cp in
                out.scalars.withUnsafeMutableBufferPointer { op in
                    withOptionalPointer(base) { bp in
                        fk_combine(rows, cols, cols, bp, Int32(coeffs.count), cp.baseAddress,
                                   termPointers, op.baseAddress)
                    }
                }
            }
        }
        try check(status, "fk_combine")
    }
}

/// Calls `body` with a (stack) array of the read-only base addresses of the matrices.
func withBaseAddresses<R>(_ ms: [Matrix], _ body: (UnsafePointer<UnsafePointer<Float>?>) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: max(ms.count, 1)) { buffer in
        func nest(_ i: Int) -> R {
            if i == ms.count { return body(UnsafePointer(buffer.baseAddress!)) }
            return ms[i].scalars.withUnsafeBufferPointer { p in
                buffer[i] = p.baseAddress
                return nest(i + 1)
            }
        }
        return nest(0)
    }
}

/// Calls `body` with the base address of `m`, or nil.
func withOptionalPointer<R>(_ m: Matrix?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let m else { return body(nil) }
    return m.scalars.withUnsafeBufferPointer { body($0.baseAddress) }
}
