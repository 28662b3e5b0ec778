import Testing
@testable import FlowGuide

/// A malformed file and the words its error message must contain.
struct MalformedSafeTensors: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let expected: String
    var testDescription: String { name }

    init(_ name: String, _ bytes: [UInt8], _ expected: String) {
        self.name = name
        self.bytes = bytes
        self.expected = expected
    }

    /// A header of `{ entries }` over `data` (8 bytes by default: one F32 [2] tensor's worth).
    init(_ name: String, header entries: String, data: [UInt8] = [UInt8](repeating: 0, count: 8), _ expected: String) {
        self.init(name, safetensorsBytes("{\(entries)}", data: data), expected)
    }
}

/// One tensor entry, `"name":{"dtype":…,"shape":…,"data_offsets":…}` (values given as JSON text).
private func entry(_ name: String = "w", dtype: String = #""F32""#, shape: String = "[2]", offsets: String = "[0,8]") -> String {
    #""\#(name)":{"dtype":\#(dtype),"shape":\#(shape),"data_offsets":\#(offsets)}"#
}

private let malformedCases: [MalformedSafeTensors] = [
    // Length field and header bytes.
    .init("empty file", [], "file too short: 0 bytes"),
    .init("seven bytes", [8, 0, 0, 0, 0, 0, 0], "file too short: 7 bytes"),
    .init("header length past the end", safetensorsBytes("{}", length: 3), "header length 3 runs past the end of the file (2 bytes"),
    .init("header length huge", safetensorsBytes("{}", length: UInt64.max), "header length 18446744073709551615 exceeds the limit"),
    .init("header length just over the cap", safetensorsBytes("{}", length: 100_000_001), "exceeds the limit of 100000000 bytes"),
    .init("empty header", safetensorsBytes(""), "the header is empty"),
    .init("invalid UTF-8", safetensorsBytes(Array(#"{"a":"#.utf8) + [0xC3, 0x28] + Array("}".utf8)), "not valid UTF-8 (byte 5"),
    .init("UTF-8 surrogate", safetensorsBytes(Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array("\"}".utf8)), "not valid UTF-8"),
    .init("header not an object", safetensorsBytes("[1, 2]"), "must be a JSON object starting with '{'"),
    .init("header with leading space", safetensorsBytes(" {}"), "must be a JSON object starting with '{'"),
    // JSON syntax.
    .init("missing value", safetensorsBytes(#"{"a":}"#), "not valid JSON: unexpected character '}' at byte 5"),
    .init("trailing garbage", safetensorsBytes("{} x"), "unexpected character 'x' after the JSON value at byte 3"),
    .init("trailing NUL padding", safetensorsBytes("{}\0\0"), "unexpected byte 0x0 after the JSON value"),
    .init("unterminated object", safetensorsBytes(#"{"w":{"dtype":"F32""#), "expected ',' or '}' in an object, got end of the header"),
    .init("unterminated string", safetensorsBytes(#"{"w"#), "unterminated string"),
    .init("single quotes", safetensorsBytes("{'w':1}"), "expected a string key, got character '''"),
    .init("trailing comma", safetensorsBytes(#"{"__metadata__":{"a":"b"},}"#), "expected a string key, got character '}'"),
    .init("leading zero", safetensorsBytes(#"{"w":01}"#), "invalid number (leading zero)"),
    .init("bare minus", safetensorsBytes(#"{"w":-}"#), "invalid number (expected a digit)"),
    .init("bad literal", safetensorsBytes(#"{"w":tru}"#), "invalid literal (expected true)"),
    .init("control character in a string", safetensorsBytes("{\"w\n\":1}"), "unescaped control character 0xa"),
    .init("invalid escape", safetensorsBytes(#"{"\x":1}"#), #"invalid escape \x"#),
    .init("short unicode escape", safetensorsBytes(#"{"\u12":1}"#), "invalid \\u escape (expected 4 hex digits)"),
    .init("lone high surrogate", safetensorsBytes(#"{"\ud800":1}"#), "unpaired UTF-16 surrogate"),
    .init("lone low surrogate", safetensorsBytes(#"{"\udc00":1}"#), "unpaired UTF-16 surrogate"),
    .init("nested too deep", safetensorsBytes(#"{"__metadata__":"# + String(repeating: "[", count: 40) + "}"),
          "nested deeper than 16 levels"),
    .init("duplicate tensor", header: entry() + "," + entry(offsets: "[0,8]"), #"duplicate key "w" at byte 54 of the header"#),
    .init("duplicate metadata key", header: #""__metadata__":{"a":"1","a":"2"},"# + entry(), #"duplicate key "a""#),
    .init("duplicate __metadata__", header: #""__metadata__":{},"__metadata__":{},"# + entry(), #"duplicate key "__metadata__""#),
    .init("duplicate field", header: #""w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, #"duplicate key "dtype""#),
    // Metadata.
    .init("metadata not an object", header: #""__metadata__":["a"],"# + entry(), #""__metadata__" must be an object of strings, got a list"#),
    .init("metadata null", header: #""__metadata__":null,"# + entry(), "must be an object of strings, got null"),
    .init("metadata value not a string", header: #""__metadata__":{"n":1},"# + entry(),
          #""__metadata__" must map strings to strings, but "n" is the number 1"#),
    // Tensor entries.
    .init("entry not an object", header: #""w":[0,8]"#, #"tensor "w": the entry must be an object with dtype, shape and data_offsets, got a list"#),
    .init("missing dtype", header: #""w":{"shape":[2],"data_offsets":[0,8]}"#, #"tensor "w": missing "dtype""#),
    .init("missing shape", header: #""w":{"dtype":"F32","data_offsets":[0,8]}"#, #"tensor "w": missing "shape""#),
    .init("missing data_offsets", header: #""w":{"dtype":"F32","shape":[2]}"#, #"tensor "w": missing "data_offsets""#),
    .init("extra key", header: #""w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}"#, #"tensor "w": unexpected key "extra""#),
    .init("unknown dtype", header: entry(dtype: #""F9""#), #"tensor "w": unknown dtype "F9" (supported: F64"#),
    .init("sub-byte dtype", header: entry(dtype: #""F4""#), #"unknown dtype "F4""#),
    .init("lower-case dtype", header: entry(dtype: #""f32""#), #"unknown dtype "f32""#),
    .init("dtype not a string", header: entry(dtype: "3"), #"tensor "w": dtype must be a string such as "F32", got the number 3"#),
    .init("shape not a list", header: entry(shape: "2"), "shape must be a list of non-negative integers, got the number 2"),
    .init("negative dimension", header: entry(shape: "[-2]"), "shape must be a list of non-negative integers: -2 is negative"),
    .init("fractional dimension", header: entry(shape: "[2.0]"), "shape must be a list of non-negative integers: 2.0 is not an integer"),
    .init("exponent dimension", header: entry(shape: "[2e0]"), "2e0 is not an integer"),
    .init("string dimension", header: entry(shape: #"["2"]"#), "expected a non-negative integer, got a string"),
    .init("dimension beyond Int", header: entry(shape: "[9223372036854775808]"), "9223372036854775808 is too large"),
    .init("element count overflows", header: entry(shape: "[4294967296,4294967296]"),
          "shape [4294967296, 4294967296] of F32 is too large (its byte size overflows)"),
    .init("byte size overflows", header: entry(shape: "[4611686018427387904]"), "is too large (its byte size overflows)"),
    .init("one offset", header: entry(offsets: "[8]"), "data_offsets must be two integers [begin, end], got 1"),
    .init("three offsets", header: entry(offsets: "[0,4,8]"), "data_offsets must be two integers [begin, end], got 3"),
    .init("negative offset", header: entry(offsets: "[-8,0]"), "data_offsets must be a list of non-negative integers: -8 is negative"),
    .init("offsets not a list", header: entry(offsets: #"{"begin":0}"#), "data_offsets must be a list of non-negative integers, got an object"),
    .init("end before begin", header: entry(offsets: "[8,0]"), "data_offsets [8, 0] end before they begin"),
    .init("too few bytes for the shape", header: entry(shape: "[3]"), "data_offsets [0, 8] hold 8 bytes, but shape [3] of F32 needs 12 bytes"),
    .init("too many bytes for the shape", header: entry(dtype: #""F64""#, shape: "[2]"), "hold 8 bytes, but shape [2] of F64 needs 16 bytes"),
    .init("offsets past the data", header: entry(offsets: "[4,12]"), "data_offsets [4, 12] run past the end of the data (8 bytes after the header)"),
    .init("offsets far past the data", header: entry(shape: "[0]", offsets: "[9223372036854775807,9223372036854775807]"),
          "run past the end of the data"),
    // Tiling of the data region.
    .init("overlapping tensors", header: entry("a", shape: "[1]", offsets: "[0,4]") + "," + entry("b", shape: "[1]", offsets: "[2,6]")
          + "," + entry("c", shape: "[0]", offsets: "[8,8]"),
          #"tensors "a" [0, 4] and "b" [2, 6] overlap"#),
    .init("same offsets", header: entry("a") + "," + entry("b"), #"tensors "a" [0, 8] and "b" [0, 8] overlap"#),
    .init("empty tensor inside another", header: entry("a") + "," + entry("z", shape: "[0]", offsets: "[4,4]"),
          #"tensors "a" [0, 8] and "z" [4, 4] overlap"#),
    .init("gap between tensors", header: entry("a", shape: "[1]", offsets: "[0,4]") + "," + entry("b", dtype: #""U8""#, shape: "[2]", offsets: "[6,8]"),
          #"bytes 4..<6 of the data are not covered by any tensor (a gap before "b""#),
    .init("gap at the start", header: entry(shape: "[1]", offsets: "[4,8]"), "bytes 0..<4 of the data are not covered by any tensor"),
    .init("trailing bytes", header: entry(shape: "[1]", offsets: "[0,4]"), "bytes 4..<8 of the data are not covered by any tensor (4 trailing bytes"),
    .init("data without tensors", header: "", "bytes 0..<8 of the data are not covered by any tensor"),
]

@Suite struct SafeTensorsFuzzTests {
    @Test(arguments: malformedCases)
    func rejectsMalformedFileWithPreciseMessage(_ malformed: MalformedSafeTensors) {
        do {
            let file = try SafeTensors(bytes: malformed.bytes, source: "bad.safetensors")
            Issue.record("accepted: \(file.names)")
        } catch {
            #expect(error.source == "bad.safetensors")
            #expect(error.message.contains(malformed.expected), "\(error.message)")
            #expect(error.description.hasPrefix("bad.safetensors: "))
        }
    }

    @Test func malformedCaseNamesAreUnique() {
        #expect(Set(malformedCases.map(\.name)).count == malformedCases.count)
    }

    /// The file every mutation starts from: several dtypes, shapes (scalar, empty) and metadata.
    static let seedFile: [UInt8] = {
        var file = SafeTensors(metadata: ["format": "test", "note": "ü"])
        try! file.set("class_embedding.weight", float32: (0..<12).map { Float($0) / 4 }, shape: [3, 4])
        try! file.set("index", .init(dtype: .i64, shape: [2], bytes: littleEndianBytes([Int64(-1), 5])))
        try! file.set("half", .init(dtype: .f16, shape: [2], bytes: littleEndianBytes([UInt16(0x3C00), 0xC000])))
        try! file.set("flags", .init(dtype: .bool, shape: [1, 3], bytes: [1, 0, 1]))
        try! file.set("scalar", float32: [7], shape: [])
        try! file.set("empty", float32: [], shape: [2, 0])
        return file.serialized()
    }()

    /// The header bytes, if the length field is within the file.
    static func headerRange(_ bytes: [UInt8]) -> Range<Int>? {
        guard bytes.count >= 8 else { return nil }
        let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return length <= UInt64(bytes.count - 8) ? 8..<(8 + Int(length)) : nil
    }

    /// Replaces the header (keeping the length field right, or not).
    static func replaceHeader(_ bytes: inout [UInt8], _ range: Range<Int>, with header: [UInt8], fixLength: Bool) {
        bytes.replaceSubrange(range, with: header)
        if fixLength {
            bytes.replaceSubrange(0..<8, with: littleEndianBytes([UInt64(header.count)]))
        }
    }

    static let numberReplacements = ["0", "1", "2", "3", "4", "8", "12", "24", "-1", "1.5", "1e3", "01", "",
                                     "9223372036854775807", "9223372036854775808", "18446744073709551616",
                                     "4294967296", "4611686018427387904", "99999999999999999999999"]
    static let tokens = Array(#"{}[],:"\ -0123456789euF"#.utf8)
    static let dtypes = ["F32", "F64", "F16", "BF16", "I64", "U8", "BOOL", "F4", "f32", "", "F32\\", "\\u0046\\u0033\\u0032"]

    /// Applies one random mutation.
    static func mutate(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
        let kind = Int.random(in: 0..<10, using: &rng)
        let header = headerRange(bytes)
        switch kind {
        case 0 where !bytes.isEmpty:   // bit flip: in the header, in the data or anywhere
            var range = bytes.indices
            if let header, Bool.random(using: &rng) {
                range = Bool.random(using: &rng) ? header : header.upperBound..<bytes.count
            }
            guard !range.isEmpty else { return }
            bytes[Int.random(in: range, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
        case 1:   // truncation
            bytes.removeLast(Int.random(in: 0...(Bool.random(using: &rng) ? min(bytes.count, 24) : bytes.count), using: &rng))
        case 2:   // insert random bytes
            let at = Int.random(in: 0...bytes.count, using: &rng)
            bytes.insert(contentsOf: (0..<Int.random(in: 1...4, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
        case 3 where !bytes.isEmpty:   // delete a range
            let start = Int.random(in: 0..<bytes.count, using: &rng)
            bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...8, using: &rng)))
        case 4 where bytes.count >= 8:   // header-length lie
            let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let lie: UInt64 = switch Int.random(in: 0..<4, using: &rng) {
            case 0: length &+ UInt64.random(in: 1...16, using: &rng)
            case 1: length &- UInt64.random(in: 1...16, using: &rng)
            case 2: UInt64.random(in: 0...UInt64.max, using: &rng)
            default: UInt64.random(in: 0...UInt64(bytes.count), using: &rng)
            }
            bytes.replaceSubrange(0..<8, with: littleEndianBytes([lie]))
        case 5, 6, 7, 8, 9:   // JSON edits, mostly with a consistent length field
            guard let header else { return }
            var text = Array(bytes[header])
            switch kind {
            case 5:   // a number → another
                let runs = numberRuns(text)
                guard let run = runs.randomElement(using: &rng) else { return }
                let replacement = Bool.random(using: &rng) ? numberReplacements.randomElement(using: &rng)!
                    : String(Int.random(in: 0...300, using: &rng))
                text.replaceSubrange(run, with: Array(replacement.utf8))
            case 6:   // a structural character → another, or removed
                guard !text.isEmpty else { return }
                let at = Int.random(in: text.indices, using: &rng)
                if Bool.random(using: &rng) { text[at] = tokens.randomElement(using: &rng)! } else { text.remove(at: at) }
            case 7:   // a dtype → another
                let names = ["F32", "I64", "F16", "BOOL"]
                let from = Array("\"\(names.randomElement(using: &rng)!)\"".utf8)
                guard let at = ranges(of: from, in: text).randomElement(using: &rng) else { return }
                text.replaceSubrange(at, with: Array("\"\(dtypes.randomElement(using: &rng)!)\"".utf8))
            case 8:   // shift a tensor's data_offsets, keeping its size (overlaps, gaps)
                guard let key = ranges(of: Array(#""data_offsets":["#.utf8), in: text).randomElement(using: &rng),
                      let comma = text[key.upperBound...].firstIndex(of: UInt8(ascii: ",")),
                      let close = text[comma...].firstIndex(of: UInt8(ascii: "]")),
                      let begin = Int(String(decoding: text[key.upperBound..<comma], as: UTF8.self)),
                      let end = Int(String(decoding: text[(comma + 1)..<close], as: UTF8.self)) else { return }
                let shift = Int.random(in: -8...8, using: &rng)
                let shifted = "\(max(0, begin + shift)),\(max(0, end + shift))"
                text.replaceSubrange(key.upperBound..<close, with: Array(shifted.utf8))
            default:   // copy a slice elsewhere (duplicate keys, nested junk)
                guard !text.isEmpty else { return }
                let start = Int.random(in: text.indices, using: &rng)
                let slice = text[start..<min(text.count, start + Int.random(in: 1...80, using: &rng))]
                text.insert(contentsOf: slice, at: Int.random(in: 0...text.count, using: &rng))
            }
            replaceHeader(&bytes, header, with: text, fixLength: Int.random(in: 0..<4, using: &rng) != 0)
        default:
            break
        }
    }

    static func numberRuns(_ text: [UInt8]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var i = 0
        while i < text.count {
            guard text[i] >= UInt8(ascii: "0") && text[i] <= UInt8(ascii: "9") else { i += 1; continue }
            let start = i
            while i < text.count && text[i] >= UInt8(ascii: "0") && text[i] <= UInt8(ascii: "9") { i += 1 }
            runs.append(start..<i)
        }
        return runs
    }

    /// Every place `needle` occurs in `text`.
    static func ranges(of needle: [UInt8], in text: [UInt8]) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var start = 0
        while start + needle.count <= text.count {
            var i = 0
            while i < needle.count && text[start + i] == needle[i] { i += 1 }
            if i == needle.count { found.append(start..<start + needle.count) }
            start += 1
        }
        return found
    }

    /// Thousands of seeded random mutations of a valid file: each one is either read into a
    /// consistent value (which round-trips) or rejected with a ``SafeTensorsError``; never a crash.
    @Test func randomMutationsAreReadOrRejectedNeverCrash() throws {
        #expect(try SafeTensors(bytes: Self.seedFile).names.count == 6)
        var rng = SplitMix64(state: 0x5AFE_7E45_0001)
        var accepted = 0
        var messages = Set<String>()
        for _ in 0..<10000 {
            var bytes = Self.seedFile
            for _ in 0..<Int.random(in: 1...3, using: &rng) { Self.mutate(&bytes, &rng) }
            do {
                let file = try SafeTensors(bytes: bytes, source: "fuzz")
                accepted += 1
                // (Plain checks in the loop: #expect is slow in debug builds.)
                var consistent = Set(file.names).count == file.names.count
                for name in file.names {
                    guard let tensor = file[name] else { consistent = false; continue }
                    consistent = consistent && SafeTensors.byteCount(dtype: tensor.dtype, shape: tensor.shape) == tensor.bytes.count
                    _ = try? file.float32(name)
                    _ = try? file.float64(name)
                    _ = try? file.int64(name)
                }
                if !consistent || (try? SafeTensors(bytes: file.serialized())) != file {
                    Issue.record("inconsistent or not round-tripping: \(bytes)")
                }
            } catch {
                if error.source != "fuzz" || error.message.isEmpty { Issue.record("bad error \(error)") }
                messages.insert(error.message)
            }
        }
        // The mutations reach every layer of validation, and leave some files valid.
        #expect(accepted >= 200, "accepted \(accepted)")
        for fragment in ["file too short", "runs past the end of the file", "exceeds the limit", "not valid UTF-8",
                         "not valid JSON", "duplicate key", "unknown dtype", "is too large", "shape must be",
                         "needs", "run past the end of the data", "overlap", "not covered by any tensor"] {
            #expect(messages.contains { $0.contains(fragment) },
                    "no error containing \"\(fragment)\" among \(messages.count), e.g. \(Array(messages.prefix(10)))")
        }
    }

    /// Random byte strings and random JSON-ish headers (no seed file): same guarantee.
    @Test func randomHeadersAreRejectedOrReadNeverCrash() throws {
        var rng = SplitMix64(state: 42)
        let alphabet = Array(#"{}[],:" "__metadata__"dtype"shape"data_offsets"F32"U8"0123456789-."#.utf8)
        var parsed = 0
        for round in 0..<3000 {
            let count = Int.random(in: 0...60, using: &rng)
            let header = (0..<count).map { _ in
                round % 3 == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
            }
            let data = (0..<Int.random(in: 0...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let file = try? SafeTensors(bytes: safetensorsBytes([UInt8(ascii: "{")] + header, data: data)) {
                parsed += 1
                #expect(try SafeTensors(bytes: file.serialized()) == file)
            }
        }
        #expect(parsed < 3000)
    }
}
