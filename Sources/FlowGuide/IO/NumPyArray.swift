#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A `.npy` file read into memory with its header parsed and checked; the payload's length is
/// checked by the typed accessors, once the dtype is known to be one they accept.
struct NumPyArray {
    let path: String
    let header: NumPyHeader
    let dtype: NumPyDType
    /// The whole file (memory-mapped when possible).
    let data: Data
    /// Where the array's values start in `data`.
    let payloadOffset: Int

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    static let supportedVersions: [(UInt8, UInt8)] = [(1, 0), (2, 0), (3, 0)]

    func error(_ message: String) -> NumPyFileError {
        NumPyFileError(path: path, message: message)
    }

    // MARK: - Loading

    /// Reads the file and parses its preamble and header.
    static func load(_ url: URL) throws(NumPyFileError) -> NumPyArray {
        let path = url.relativePath
        func fail(_ message: String) -> NumPyFileError { NumPyFileError(path: path, message: message) }

        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            var isDirectory: Bool = false
            let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            throw fail(!exists ? "no such file" : isDirectory ? "is a directory, not a .npy file" : "cannot read the file (\(error))")
        }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw fail("not a .npy file: it does not start with the magic string \\x93NUMPY (the file has \(data.count) bytes)")
        }
        guard bytes.count >= 8 else {
            throw fail("the file ends after the magic string, before the format version")
        }
        let version = (bytes[6], bytes[7])
        guard supportedVersions.contains(where: { $0 == version }) else {
            throw fail("unsupported .npy format version \(version.0).\(version.1) (supported: 1.0, 2.0, 3.0)")
        }
        let lengthSize = version.0 == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthSize else {
            throw fail("the file ends inside the header length field (the file has \(data.count) bytes)")
        }
        let headerLength = bytes[8..<(8 + lengthSize)].reversed().reduce(0) { $0 << 8 | Int($1) }
        let headerStart = 8 + lengthSize
        guard headerStart + headerLength <= data.count else {
            throw fail("header length \(headerLength) runs past the end of the file (the header would end at byte \(headerStart + headerLength), the file has \(data.count) bytes)")
        }
        let headerBytes = data[(data.startIndex + headerStart)..<(data.startIndex + headerStart + headerLength)]
        let text: String
        if version.0 == 3 {
            guard let utf8 = String(validating: headerBytes, as: UTF8.self) else {
                throw fail("the header is not valid UTF-8")
            }
            text = utf8
        } else {
            text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))   // Latin-1
        }
        let header: NumPyHeader
        do throws(NumPyHeaderFailure) {
            header = try NumPyHeader.parse(text)
        } catch {
            throw fail(error.message)
        }
        return NumPyArray(path: path, header: header, dtype: NumPyDType(header.descr), data: data,
                          payloadOffset: headerStart + headerLength)
    }

    // MARK: - Checks

    /// Throws unless the array is little-endian float32 or float64 in C order.
    func requireFloat() throws(NumPyFileError) {
        let convert = "convert it with np.asarray(a, dtype=np.float32) before saving"
        if dtype.kind == .float, dtype.size == 4 || dtype.size == 8, dtype.byteOrder == .big {
            throw error("big-endian data ('\(dtype.descr)') is not supported; expected little-endian '<f4' or '<f8' — \(convert)")
        }
        guard dtype.isFloat32 || dtype.isFloat64 else {
            throw error("expected float32 ('<f4') or float64 ('<f8') data, got dtype '\(dtype.descr)'; \(convert)")
        }
        if header.fortranOrder, header.shape.count >= 2 {
            throw error("Fortran-order (column-major) arrays are not supported; expected C order — save np.ascontiguousarray(a) instead")
        }
    }

    /// Throws unless the payload holds exactly the shape's elements of `dtype.size` bytes.
    func checkPayloadSize() throws(NumPyFileError) {
        let (expected, overflow) = header.elementCount.multipliedReportingOverflow(by: dtype.size)
        guard !overflow else {
            throw error("shape \(NumPyHeader.format(header.shape)) of '\(dtype.descr)' needs more bytes than fit in Int")
        }
        let found = data.count - payloadOffset
        let what = "shape \(NumPyHeader.format(header.shape)) of '\(dtype.descr)' needs \(expected) bytes of data, found \(found)"
        if found < expected { throw error("the data is too short: \(what)") }
        if found > expected { throw error("\(found - expected) bytes of extra data after the array: \(what)") }
    }

    // MARK: - Values

    /// The values as float32 (float64 is rounded). Call ``requireFloat()`` first.
    func floats() throws(NumPyFileError) -> [Float] {
        try checkPayloadSize()
        let count = header.elementCount
        return data.withUnsafeBytes { raw in
            let payload = UnsafeRawBufferPointer(rebasing: raw[payloadOffset...])
            if dtype.size == 4 {
                #if _endian(little)
                return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: payload)
                    initialized = count
                }
                #else
                return (0..<count).map { Float(bitPattern: UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                #endif
            }
            return (0..<count).map {
                Float(Double(bitPattern: UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))))
            }
        }
    }

    /// The values of an integer array as `Int`; throws for other dtypes or values beyond `Int`.
    func integers() throws(NumPyFileError) -> [Int] {
        guard dtype.isInteger else {
            if dtype.kind == .float {
                throw error("expected an integer array, got floating-point dtype '\(dtype.descr)'; values are never truncated silently — save np.asarray(a, dtype=np.int64) if that is what you mean")
            }
            throw error("expected an integer array ('<i1', '<i2', '<i4', '<i8', '|u1', '<u2', '<u4' or '<u8'), got dtype '\(dtype.descr)'")
        }
        guard dtype.isLittleEndianOrSingleByte else {
            throw error("big-endian data ('\(dtype.descr)') is not supported; expected little-endian — save a.astype('<i8') instead")
        }
        switch (dtype.kind, dtype.size) {
        case (.signedInteger, 1): return try decode(Int8.self)
        case (.signedInteger, 2): return try decode(Int16.self)
        case (.signedInteger, 4): return try decode(Int32.self)
        case (.signedInteger, 8): return try decode(Int64.self)
        case (.unsignedInteger, 1): return try decode(UInt8.self)
        case (.unsignedInteger, 2): return try decode(UInt16.self)
        case (.unsignedInteger, 4): return try decode(UInt32.self)
        case (.unsignedInteger, 8): return try decode(UInt64.self)
        default: throw error("unsupported integer dtype '\(dtype.descr)' (sizes 1, 2, 4 and 8 bytes are supported)")
        }
    }

    private func decode<T: FixedWidthInteger>(_: T.Type) throws(NumPyFileError) -> [Int] {
        try checkPayloadSize()
        let count = header.elementCount
        let (values, tooLarge) = data.withUnsafeBytes { raw -> ([Int], (index: Int, value: T)?) in
            let payload = UnsafeRawBufferPointer(rebasing: raw[payloadOffset...])
            var values = [Int]()
            values.reserveCapacity(count)
            for i in 0..<count {
                let value = T(littleEndian: payload.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
                guard let exact = Int(exactly: value) else { return ([], (i, value)) }
                values.append(exact)
            }
            return (values, nil)
        }
        if let tooLarge {
            throw error("value \(tooLarge.value) at index \(tooLarge.index) does not fit in Int")
        }
        return values
    }
}
