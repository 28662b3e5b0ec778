/// Why a ``Dataset`` could not be made: invalid values, labels or arguments, an unknown
/// built-in name, or a `.npy` file that could not be read (with the file and what was wrong).
///
/// Every ``Dataset`` API throws only this type (errors of the noise generator and of
/// ``NumPyFile`` are wrapped with their context), so a caller handles one error type and shows
/// ``message`` as is.
public struct DatasetError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem it is (for callers and tests; ``message`` has the details).
    public enum Kind: Hashable, Sendable {
        /// An argument out of range: a negative count or index, a fraction outside [0, 1], a
        /// class count below 1.
        case invalidArgument
        /// Sizes that do not fit together: labels and samples of different lengths, a
        /// dimension of 0.
        case shapeMismatch
        /// A sample value that is NaN or infinite.
        case nonFiniteValue
        /// A label outside `0 ..< classCount` (negative labels included).
        case invalidLabel
        /// A built-in name that does not exist (see ``Dataset/builtInNames``).
        case unknownName
        /// A `.npy` file that is missing, malformed, or of the wrong dtype or shape.
        case file
    }

    public let kind: Kind
    /// One line: what was found and what was expected, naming the file or dataset.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
