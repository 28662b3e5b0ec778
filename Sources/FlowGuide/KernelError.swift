/// An error from FlowGuide's kernels: a status code of the C library (`fk_status`) or a shape
/// mismatch caught before the C call, with a human-readable detail.
public struct KernelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong. The raw values of the C statuses equal their `fk_status` codes.
    public enum Code: Int32, Sendable, Hashable {
        case nullPointer = -1
        case invalidSize = -2
        case invalidStride = -3
        case invalidArgument = -4
        case overlappingBuffers = -5
        case blasUnavailable = -6
        case unsupported = -7
        /// Operands whose shapes do not fit together (checked in Swift).
        case shapeMismatch = -100
        /// A status code this version does not know.
        case unknown = -999
    }

    public let code: Code
    /// What the operation was and why it failed.
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(detail) (\(code))" }
}
