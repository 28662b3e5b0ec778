internal import CFlowKernels

/// Counter-based noise (Philox4x32-10): the value at (seed, stream, row, column) never depends
/// on the batch size, the batch split or the thread count, so sample k's noise is the same
/// whether it is drawn alone or in a batch of 4096.
public struct NoiseGenerator: Hashable, Sendable {
    public var seed: UInt64
    /// Independent streams for independent purposes (initial noise, training noise, ...).
    public var stream: UInt32

    public init(seed: UInt64, stream: UInt32 = 0) {
        self.seed = seed
        self.stream = stream
    }

    /// Standard normal values for rows `firstRow ..< firstRow + out.rows` (and columns from
    /// `firstColumn`), written into `out`. The corresponding C function is `fk_randn`.
    public func fillNormal(_ out: inout Matrix, firstRow: Int = 0, firstColumn: Int = 0) throws(KernelError) {
        let (rows, cols) = (Int64(out.rows), Int64(out.columns))
        let status = out.scalars.withUnsafeMutableBufferPointer { op in
            fk_randn(seed, stream, Int64(firstRow), Int64(firstColumn), rows, cols, op.baseAddress, cols)
        }
        try check(status, "fk_randn")
    }

    /// Uniform values in [0, 1). The corresponding C function is `fk_randu`.
    public func fillUniform(_ out: inout Matrix, firstRow: Int = 0, firstColumn: Int = 0) throws(KernelError) {
        let (rows, cols) = (Int64(out.rows), Int64(out.columns))
        let status = out.scalars.withUnsafeMutableBufferPointer { op in
            fk_randu(seed, stream, Int64(firstRow), Int64(firstColumn), rows, cols, op.baseAddress, cols)
        }
        try check(status, "fk_randu")
    }

    /// A new [rows, columns] matrix of standard normal values for rows starting at `firstRow`.
    public func normal(rows: Int, columns: Int, firstRow: Int = 0) throws(KernelError) -> Matrix {
        var m = Matrix(rows: rows, columns: columns)
        try fillNormal(&m, firstRow: firstRow)
        return m
    }
}
