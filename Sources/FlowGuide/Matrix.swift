/// A dense float32 matrix, row-major and contiguous: `rows` samples of `columns` values each.
///
/// This is FlowGuide's batch layout (DESIGN.md §2): a batch of `B` samples of dimension `D` is a
/// `Matrix(rows: B, columns: D)`, and every per-sample norm or dot product is over one row.
/// It is a value type backed by a copy-on-write array; kernels that update a matrix take it
/// `inout`, so a uniquely held matrix is updated in place with no copy and no allocation.
public struct Matrix: Hashable, Sendable {
    public let rows: Int
    public let columns: Int
    /// The `rows * columns` values, row after row.
    public var scalars: [Float]

    /// A matrix filled with `value` (zero by default).
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix: negative shape [\(rows), \(columns)]")
        self.rows = rows
        self.columns = columns
        self.scalars = Array(repeating: value, count: rows * columns)
    }

    /// A matrix over existing values; throws unless `scalars.count == rows * columns`.
    public init(rows: Int, columns: Int, scalars: [Float]) throws(KernelError) {
        guard rows >= 0, columns >= 0, scalars.count == rows * columns else {
            throw KernelError(.shapeMismatch,
                              "Matrix: \(scalars.count) values do not make a [\(rows), \(columns)] matrix")
        }
        self.rows = rows
        self.columns = columns
        self.scalars = scalars
    }

    /// A matrix from rows of equal length.
    public init(_ rowArrays: [[Float]]) throws(KernelError) {
        let columns = rowArrays.first?.count ?? 0
        guard rowArrays.allSatisfy({ $0.count == columns }) else {
            throw KernelError(.shapeMismatch, "Matrix: rows of different lengths")
        }
        try self.init(rows: rowArrays.count, columns: columns, scalars: rowArrays.flatMap { $0 })
    }

    public var count: Int { scalars.count }

    public subscript(row: Int, column: Int) -> Float {
        get { scalars[row * columns + column] }
        set { scalars[row * columns + column] = newValue }
    }

    /// The values of one row.
    public func row(_ i: Int) -> ArraySlice<Float> {
        scalars[(i * columns)..<((i + 1) * columns)]
    }
}
