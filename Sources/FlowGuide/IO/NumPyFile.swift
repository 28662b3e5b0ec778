#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A `.npy` file that could not be read or written: which file, and what was wrong.
public struct NumPyFileError: Error, CustomStringConvertible, Sendable {
    /// The file, as given (relative paths stay relative).
    public let path: String
    /// What was found and what was expected.
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `"<path>: <message>"`, e.g. `samples.npy: expected a 2-D float array, got shape (3,)`.
    public var description: String { "\(path): \(message)" }
}

/// Reading and writing NumPy `.npy` files.
///
/// Reads format versions 1.0, 2.0 and 3.0 (little-endian, C order); writes version 1.0 with the
/// header padded so the data starts at a multiple of 64 bytes, byte for byte as `np.save` does.
/// Malformed files are rejected with a ``NumPyFileError`` that says what was found; writes are
/// atomic (a temporary file in the same directory, renamed over the destination).
public enum NumPyFile {
    /// Reads a 2-D float array as a ``Matrix``: `'<f4'`, or `'<f8'` converted to float32, in C
    /// order. Other dtypes, byte orders, Fortran order and other dimensions are errors.
    public static func readMatrix(_ url: URL) throws -> Matrix {
        let array = try NumPyArray.load(url)
        let shape = array.header.shape
        guard shape.count == 2 else {
            throw array.error("expected a 2-D float array, got shape \(NumPyHeader.format(shape))")
        }
        try array.requireFloat()
        return try Matrix(rows: shape[0], columns: shape[1], scalars: array.floats())
    }

    /// Reads a 1-D integer array: `'|i1'`/`'<i1'`, `'<i2'`, `'<i4'`, `'<i8'`, `'|u1'`, `'<u2'`,
    /// `'<u4'` or `'<u8'`. Every value must fit in `Int`; float arrays are an error (they are
    /// never truncated silently).
    public static func readIntegers(_ url: URL) throws -> [Int] {
        let array = try NumPyArray.load(url)
        guard array.header.shape.count == 1 else {
            throw array.error("expected a 1-D integer array, got shape \(NumPyHeader.format(array.header.shape))")
        }
        return try array.integers()
    }

    /// Reads a float array of any shape (e.g. `[steps, rows, columns]` trajectories): `'<f4'`, or
    /// `'<f8'` converted to float32. `values.count` is the product of `shape`.
    public static func readFloat32(_ url: URL) throws -> (shape: [Int], values: [Float]) {
        let array = try NumPyArray.load(url)
        try array.requireFloat()
        return (array.header.shape, try array.floats())
    }

    /// Writes a matrix as a `'<f4'` array of shape `(rows, columns)`.
    public static func write(_ matrix: Matrix, to url: URL) throws {
        try write(float32: matrix.scalars, shape: [matrix.rows, matrix.columns], to: url)
    }

    /// Writes float32 values as a `'<f4'` array of the given shape (row-major); throws unless
    /// `values.count` is the product of `shape`.
    public static func write(float32 values: [Float], shape: [Int], to url: URL) throws {
        var count = 1
        for n in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard n >= 0, !overflow else {
                throw NumPyFileError(path: url.relativePath, message: "invalid shape \(NumPyHeader.format(shape))")
            }
            count = product
        }
        guard count == values.count else {
            throw NumPyFileError(path: url.relativePath,
                                 message: "\(values.count) values do not fill shape \(NumPyHeader.format(shape)) (\(count) values)")
        }
        let header = NumPyHeader(descr: NumPyDType.float32.descr, fortranOrder: false, shape: shape)
        #if _endian(little)
        try values.withUnsafeBytes { try save(header: header, payload: $0, to: url) }
        #else
        try values.map(\.bitPattern.littleEndian).withUnsafeBytes { try save(header: header, payload: $0, to: url) }
        #endif
    }

    /// Writes integers as a 1-D `'<i8'` array.
    public static func write(integers: [Int], to url: URL) throws {
        let header = NumPyHeader(descr: NumPyDType.int64.descr, fortranOrder: false, shape: [integers.count])
        #if _endian(little) && _pointerBitWidth(_64)
        try integers.withUnsafeBytes { try save(header: header, payload: $0, to: url) }   // Int is Int64
        #else
        try integers.map { Int64($0).littleEndian }.withUnsafeBytes { try save(header: header, payload: $0, to: url) }
        #endif
    }

    // MARK: - Encoding

    /// NumPy pads the header with room for the first axis to grow to this many digits.
    static let growthAxisMaxDigits = 21

    /// The file: magic, version 1.0 (2.0 for a header over 64 KiB), padded header, payload.
    static func encode(header: NumPyHeader, payload: UnsafeRawBufferPointer) -> Data {
        var text = header.literal
        if let first = header.shape.first {
            text += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(first).count))
        }
        let headerBytes = Array(text.utf8)
        let isVersion1 = headerBytes.count + 1 + 64 <= Int(UInt16.max)
        let preamble = isVersion1 ? 10 : 12
        let padding = 64 - (preamble + headerBytes.count + 1) % 64
        let headerLength = headerBytes.count + padding + 1

        var data = Data(capacity: preamble + headerLength + payload.count)
        data.append(contentsOf: [0x93] + Array("NUMPY".utf8) + [isVersion1 ? 1 : 2, 0])
        if isVersion1 {
            withUnsafeBytes(of: UInt16(headerLength).littleEndian) { data.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: UInt32(headerLength).littleEndian) { data.append(contentsOf: $0) }
        }
        data.append(contentsOf: headerBytes)
        data.append(contentsOf: [UInt8](repeating: 0x20, count: padding) + [0x0A])
        data.append(contentsOf: payload)
        return data
    }

    /// Writes the header and the payload (already little-endian bytes) atomically.
    private static func save(header: NumPyHeader, payload: UnsafeRawBufferPointer, to url: URL) throws {
        do throws(AtomicFileFailure) {
            try AtomicFile.save(encode(header: header, payload: payload), to: url)
        } catch {
            throw NumPyFileError(path: url.relativePath, message: error.message)
        }
    }
}
