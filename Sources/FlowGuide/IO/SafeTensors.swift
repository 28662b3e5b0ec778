#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A safetensors file that could not be read, or a tensor request that could not be met: which
/// file, and what was wrong.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable {
    /// The file, as given (relative paths stay relative), or `<memory>` for bytes in memory.
    public let source: String
    /// What was found and what was expected.
    public let message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    /// `"<source>: <message>"`, e.g. `model.safetensors: tensor "input.bias": unknown dtype "F9"`.
    public var description: String { "\(source): \(message)" }
}

/// Named tensors in the Hugging Face safetensors format, read from and written to files.
///
/// The format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each
/// tensor name to `{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}` (offsets
/// into the data that follows the header) plus an optional `"__metadata__"` object of strings,
/// then the data: little-endian values in C (row-major) order.
///
/// **Reading** validates everything and throws a ``SafeTensorsError`` naming the file and the
/// problem for any malformed input (it never crashes): the header length against the file
/// and a 100 MB cap; the header's UTF-8 and JSON (with a strict parser that also rejects
/// duplicate keys); each entry's keys (exactly `dtype`, `shape`, `data_offsets`), dtype, shape
/// (overflow-checked), offsets and byte count; and that the tensors tile the data exactly, with
/// no overlap, no gap and no trailing bytes, as the safetensors specification requires.
///
/// **Writing** produces what the `safetensors` library reads: compact JSON with `__metadata__`
/// first (its keys sorted, left out when empty), then the tensors in ``names`` order (insertion
/// order) with contiguous data; the header is padded with spaces so the data starts at a
/// multiple of 8 bytes. Each tensor's data is therefore aligned to its element size whenever the
/// tensors before it have whole multiples of that size (always the case when all share one
/// dtype, as in model files); unlike the Python library, tensors are not reordered by dtype.
public struct SafeTensors: Sendable, Equatable {
    /// Element types of the format. Sub-byte types (F4, F6_*) are not supported.
    public enum DType: String, Sendable, Hashable, CaseIterable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2", f8e8m0 = "F8_E8M0"
        case c64 = "C64"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
        case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
        case bool = "BOOL"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .f64, .i64, .u64, .c64: 8
            case .f32, .i32, .u32: 4
            case .f16, .bf16, .i16, .u16: 2
            case .f8e4m3, .f8e5m2, .f8e8m0, .i8, .u8, .bool: 1
            }
        }
    }

    /// One tensor: its element type, shape and raw little-endian bytes in C order.
    public struct Tensor: Sendable, Hashable {
        public let dtype: DType
        public let shape: [Int]
        public let bytes: [UInt8]

        /// The number of elements, the product of `shape` (1 for a scalar, shape `[]`).
        public var count: Int { shape.reduce(1, *) }

        /// A tensor over raw bytes; throws unless every dimension is ≥ 0 and `bytes.count` is
        /// the product of `shape` times `dtype.size`.
        public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws(SafeTensorsError) {
            guard let needed = SafeTensors.byteCount(dtype: dtype, shape: shape) else {
                throw SafeTensorsError(source: "<memory>", message: "invalid shape \(SafeTensors.format(shape)): "
                                       + "dimensions must be >= 0 and the size must fit in memory")
            }
            guard needed == bytes.count else {
                throw SafeTensorsError(source: "<memory>", message: "\(bytes.count) bytes do not fill shape "
                                       + "\(SafeTensors.format(shape)) of \(dtype.rawValue) (\(needed) bytes)")
            }
            self.init(unchecked: dtype, shape: shape, bytes: bytes)
        }

        init(unchecked dtype: DType, shape: [Int], bytes: [UInt8]) {
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    /// The `__metadata__` strings.
    public var metadata: [String: String]
    /// The tensor names: in data order for a file read, insertion order otherwise (the order
    /// ``serialized()`` writes them in).
    public private(set) var names: [String]
    private var tensors: [String: Tensor]
    /// The file the tensors came from (for error messages), or `<memory>`.
    let source: String

    /// An empty set of tensors with the given metadata.
    public init(metadata: [String: String] = [:]) {
        self.init(metadata: metadata, names: [], tensors: [:], source: "<memory>")
    }

    init(metadata: [String: String], names: [String], tensors: [String: Tensor], source: String) {
        self.metadata = metadata
        self.names = names
        self.tensors = tensors
        self.source = source
    }

    /// Equal when the metadata, the names in order and every tensor are equal (the source is not compared).
    public static func == (a: SafeTensors, b: SafeTensors) -> Bool {
        a.metadata == b.metadata && a.names == b.names && a.tensors == b.tensors
    }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> Tensor? { tensors[name] }

    /// Adds `tensor` as `name` at the end of ``names``, or replaces the tensor of that name in
    /// place. `__metadata__` is reserved and an error.
    public mutating func set(_ name: String, _ tensor: Tensor) throws(SafeTensorsError) {
        guard name != Self.metadataKey else {
            throw error("\"\(Self.metadataKey)\" is reserved for the metadata and cannot name a tensor")
        }
        if tensors.updateValue(tensor, forKey: name) == nil { names.append(name) }
    }

    /// Removes and returns the tensor called `name`, if any.
    @discardableResult
    public mutating func remove(_ name: String) -> Tensor? {
        guard let removed = tensors.removeValue(forKey: name) else { return nil }
        names.removeAll { $0 == name }
        return removed
    }

    // MARK: - Files

    /// Reads and validates a safetensors file (errors name the file as `url.relativePath`).
    public init(contentsOf url: URL) throws(SafeTensorsError) {
        let source = url.relativePath
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            var isDirectory: Bool = false
            let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            throw SafeTensorsError(source: source, message: !exists ? "no such file"
                                   : isDirectory ? "is a directory, not a safetensors file"
                                   : "cannot read the file (\(error))")
        }
        try self.init(bytes: [UInt8](data), source: source)
    }

    /// Parses and validates the bytes of a safetensors file; `source` names them in errors.
    public init(bytes: [UInt8], source: String = "<memory>") throws(SafeTensorsError) {
        self = try SafeTensorsReader(bytes: bytes, source: source).read()
    }

    /// Writes ``serialized()`` to `url` atomically (a temporary file renamed over the destination).
    public func write(to url: URL) throws(SafeTensorsError) {
        do throws(AtomicFileFailure) {
            try AtomicFile.save(Data(serialized()), to: url)
        } catch {
            throw SafeTensorsError(source: url.relativePath, message: error.message)
        }
    }

    /// The file's bytes (the layout is described on ``SafeTensors``).
    public func serialized() -> [UInt8] {
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(HeaderJSONParser.quoted($0)):\(HeaderJSONParser.quoted(metadata[$0]!))" }
            entries.append("\(HeaderJSONParser.quoted(Self.metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(HeaderJSONParser.quoted(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\","
                           + "\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.bytes.count)]}")
            offset += tensor.bytes.count
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)

        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out += $0 }
        out += header
        for name in names { out += tensors[name]!.bytes }
        return out
    }

    // MARK: - Helpers

    /// The reserved header key of the metadata object.
    static let metadataKey = "__metadata__"

    func error(_ message: String) -> SafeTensorsError {
        SafeTensorsError(source: source, message: message)
    }

    /// `product(shape) · dtype.size`, or nil for a negative dimension or an overflow.
    static func byteCount(dtype: DType, shape: [Int]) -> Int? {
        var count = dtype.size
        for n in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard n >= 0, !overflow else { return nil }
            count = product
        }
        return count
    }

    /// `[2, 3]`.
    static func format(_ shape: [Int]) -> String {
        "[\(shape.map(String.init).joined(separator: ", "))]"
    }
}
