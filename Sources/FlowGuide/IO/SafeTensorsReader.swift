/// Parses and validates the bytes of a safetensors file (the rules are listed on ``SafeTensors``).
struct SafeTensorsReader {
    /// Larger headers are rejected (the `safetensors` library's limit).
    static let maxHeaderLength = 100_000_000

    let bytes: [UInt8]
    let source: String

    private func fail(_ message: String) -> SafeTensorsError {
        SafeTensorsError(source: source, message: message)
    }

    /// One header entry, checked on its own.
    private struct Entry {
        let name: String
        let dtype: SafeTensors.DType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    func read() throws(SafeTensorsError) -> SafeTensors {
        guard bytes.count >= 8 else {
            throw fail("file too short: \(bytes.count) bytes, a safetensors file starts with an 8-byte header length")
        }
        let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(Self.maxHeaderLength) else {
            throw fail("header length \(length) exceeds the limit of \(Self.maxHeaderLength) bytes (not a safetensors file?)")
        }
        let headerLength = Int(length)
        guard headerLength <= bytes.count - 8 else {
            throw fail("header length \(headerLength) runs past the end of the file (\(bytes.count - 8) bytes follow the length field)")
        }
        let header = Array(bytes[8..<(8 + headerLength)])
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart

        if let bad = Self.firstInvalidUTF8(header) {
            throw fail("the header is not valid UTF-8 (byte \(bad) of the header)")
        }
        guard header.first == UInt8(ascii: "{") else {
            throw fail(header.isEmpty ? "the header is empty (it must be a JSON object)"
                       : "the header must be a JSON object starting with '{'")
        }
        let root: HeaderJSON
        do throws(HeaderJSONFailure) {
            root = try HeaderJSONParser.parse(header)
        } catch {
            throw fail("the header is not valid JSON: \(error.message)")
        }
        guard case .object(let fields) = root else { throw fail("the header must be a JSON object, got \(root.kind)") }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (key, value) in fields {
            if key == SafeTensors.metadataKey {
                metadata = try readMetadata(value)
            } else {
                entries.append(try readEntry(key, value, dataLength: dataLength))
            }
        }
        try checkTiling(entries, dataLength: dataLength)

        // Data order; zero-size tensors at the same offset in header order (the sort is stable).
        let ordered = entries.enumerated().sorted { ($0.element.begin, $0.element.end, $0.offset) < ($1.element.begin, $1.element.end, $1.offset) }
            .map(\.element)
        var tensors: [String: SafeTensors.Tensor] = [:]
        for entry in ordered {
            let range = (dataStart + entry.begin)..<(dataStart + entry.end)
            tensors[entry.name] = SafeTensors.Tensor(unchecked: entry.dtype, shape: entry.shape, bytes: Array(bytes[range]))
        }
        return SafeTensors(metadata: metadata, names: ordered.map(\.name), tensors: tensors, source: source)
    }

    private func readMetadata(_ value: HeaderJSON) throws(SafeTensorsError) -> [String: String] {
        guard case .object(let pairs) = value else {
            throw fail("\"__metadata__\" must be an object of strings, got \(value.kind)")
        }
        var metadata: [String: String] = [:]
        for (key, value) in pairs {
            guard case .string(let text) = value else {
                throw fail("\"__metadata__\" must map strings to strings, but \(HeaderJSONParser.quoted(key)) is \(value.kind)")
            }
            metadata[key] = text
        }
        return metadata
    }

    private func readEntry(_ name: String, _ value: HeaderJSON, dataLength: Int) throws(SafeTensorsError) -> Entry {
        let quotedName = HeaderJSONParser.quoted(name)
        func entryError(_ message: String) -> SafeTensorsError { fail("tensor \(quotedName): \(message)") }

        guard case .object(let fields) = value else {
            throw entryError("the entry must be an object with dtype, shape and data_offsets, got \(value.kind)")
        }
        let allowed = ["dtype", "shape", "data_offsets"]
        if let extra = fields.first(where: { !allowed.contains($0.key) }) {
            throw entryError("unexpected key \(HeaderJSONParser.quoted(extra.key)) (allowed: dtype, shape, data_offsets)")
        }
        let field = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0.value) })
        for key in allowed where field[key] == nil { throw entryError("missing \"\(key)\"") }

        guard case .string(let dtypeName) = field["dtype"]! else {
            throw entryError("dtype must be a string such as \"F32\", got \(field["dtype"]!.kind)")
        }
        guard let dtype = SafeTensors.DType(rawValue: dtypeName) else {
            throw entryError("unknown dtype \(HeaderJSONParser.quoted(dtypeName)) "
                             + "(supported: \(SafeTensors.DType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let shape = try integers(field["shape"]!, what: "shape", entryError)
        let offsets = try integers(field["data_offsets"]!, what: "data_offsets", entryError)
        guard offsets.count == 2 else {
            throw entryError("data_offsets must be two integers [begin, end], got \(offsets.count)")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw entryError("data_offsets [\(begin), \(end)] end before they begin") }
        guard let needed = SafeTensors.byteCount(dtype: dtype, shape: shape) else {
            throw entryError("shape \(SafeTensors.format(shape)) of \(dtype.rawValue) is too large (its byte size overflows)")
        }
        guard end - begin == needed else {
            throw entryError("data_offsets [\(begin), \(end)] hold \(end - begin) bytes, but shape "
                             + "\(SafeTensors.format(shape)) of \(dtype.rawValue) needs \(needed) bytes")
        }
        guard end <= dataLength else {
            throw entryError("data_offsets [\(begin), \(end)] run past the end of the data (\(dataLength) bytes after the header)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// A list of non-negative integers (`shape`, `data_offsets`).
    private func integers(_ value: HeaderJSON, what: String,
                          _ entryError: (String) -> SafeTensorsError) throws(SafeTensorsError) -> [Int] {
        guard case .array(let elements) = value else {
            throw entryError("\(what) must be a list of non-negative integers, got \(value.kind)")
        }
        var result: [Int] = []
        for element in elements {
            switch element.nonNegativeInteger {
            case .success(let n): result.append(n)
            case .failure(let failure):
                throw entryError("\(what) must be a list of non-negative integers: \(failure.message)")
            }
        }
        return result
    }

    /// The tensors must cover the data exactly: sorted by offset, each begins where the previous ends.
    private func checkTiling(_ entries: [Entry], dataLength: Int) throws(SafeTensorsError) {
        let sorted = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var last: Entry?   // the tensor that ends at `covered`
        for entry in sorted {
            if entry.begin < covered, let last {
                throw fail("tensors \(HeaderJSONParser.quoted(last.name)) [\(last.begin), \(last.end)] and "
                           + "\(HeaderJSONParser.quoted(entry.name)) [\(entry.begin), \(entry.end)] overlap")
            }
            if entry.begin > covered {
                throw fail("bytes \(covered)..<\(entry.begin) of the data are not covered by any tensor (a gap before "
                           + "\(HeaderJSONParser.quoted(entry.name)); the data must be fully indexed)")
            }
            if entry.end > entry.begin || last == nil { last = entry }
            covered = entry.end
        }
        if covered < dataLength {
            throw fail("bytes \(covered)..<\(dataLength) of the data are not covered by any tensor "
                       + "(\(dataLength - covered) trailing bytes; the data must be fully indexed)")
        }
    }

    /// The offset of the first byte that is not part of a valid UTF-8 sequence, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        guard String(validating: bytes, as: UTF8.self) == nil else { return nil }   // fast path
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
