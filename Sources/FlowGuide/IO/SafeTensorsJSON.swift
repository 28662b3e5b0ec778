/// A JSON value of a safetensors header (objects keep their keys in file order).
indirect enum HeaderJSON {
    case object([(key: String, value: HeaderJSON)])
    case array([HeaderJSON])
    case string(String)
    /// The number's literal text (grammar-checked); ``integer`` interprets it.
    case number(String)
    case bool(Bool)
    case null

    /// "an object", "a list", … for error messages.
    var kind: String {
        switch self {
        case .object: "an object"
        case .array: "a list"
        case .string: "a string"
        case .number(let text): "the number \(text)"
        case .bool(let value): "\(value)"
        case .null: "null"
        }
    }

    /// A non-negative integer that fits in `Int`, or why the value is not one.
    var nonNegativeInteger: Result<Int, HeaderJSONFailure> {
        guard case .number(let text) = self else { return .failure(.init("expected a non-negative integer, got \(kind)")) }
        guard !text.hasPrefix("-") else { return .failure(.init("\(text) is negative")) }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .failure(.init("\(text) is not an integer"))
        }
        var value = 0
        for digit in text.utf8 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            guard !o1, !o2 else { return .failure(.init("\(text) is too large")) }
            value = sum
        }
        return .success(value)
    }
}

/// Why a header is not valid JSON (or a value not what was expected).
struct HeaderJSONFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A small, strict JSON parser for safetensors headers (RFC 8259).
///
/// Unlike `JSONSerialization` it rejects duplicate keys (which would otherwise silently hide a
/// tensor), keeps key order, limits nesting to ``maxDepth`` (so recursion is bounded) and reports
/// the byte offset of the first problem. The input must already be valid UTF-8.
struct HeaderJSONParser {
    /// Deeper nesting is an error; a valid header needs 3 levels.
    static let maxDepth = 16

    private let bytes: [UInt8]
    private var index = 0

    /// Parses one value spanning `bytes`, allowing whitespace before and after it.
    static func parse(_ bytes: [UInt8]) throws(HeaderJSONFailure) -> HeaderJSON {
        var parser = HeaderJSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 1)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.fail("unexpected \(parser.describeNext()) after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ message: String) -> HeaderJSONFailure {
        HeaderJSONFailure("\(message) at byte \(index) of the header")
    }

    private func describeNext() -> String {
        guard index < bytes.count else { return "end of the header" }
        let b = bytes[index]
        return b >= 0x20 && b < 0x7F ? "character '\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    private var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let b = next, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { index += 1 }
    }

    private mutating func expect(_ literal: String) throws(HeaderJSONFailure) {
        for b in literal.utf8 {
            guard next == b else { throw fail("invalid literal (expected \(literal))") }
            index += 1
        }
    }

    private mutating func value(depth: Int) throws(HeaderJSONFailure) -> HeaderJSON {
        guard let b = next else { throw fail("unexpected end of the header") }
        switch b {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case _ where b == UInt8(ascii: "-") || Self.isDigit(b): return .number(try number())
        default: throw fail("unexpected \(describeNext())")
        }
    }

    private mutating func object(depth: Int) throws(HeaderJSONFailure) -> HeaderJSON {
        guard depth <= Self.maxDepth else { throw fail("JSON nested deeper than \(Self.maxDepth) levels") }
        index += 1   // {
        var entries: [(key: String, value: HeaderJSON)] = []
        var seen = Set<String>()
        skipWhitespace()
        if next == UInt8(ascii: "}") { index += 1; return .object(entries) }
        while true {
            skipWhitespace()
            guard next == UInt8(ascii: "\"") else { throw fail("expected a string key, got \(describeNext())") }
            let keyStart = index
            let key = try string()
            guard seen.insert(key).inserted else {
                index = keyStart
                throw fail("duplicate key \(Self.quoted(key))")
            }
            skipWhitespace()
            guard next == UInt8(ascii: ":") else { throw fail("expected ':' after a key, got \(describeNext())") }
            index += 1
            skipWhitespace()
            entries.append((key, try value(depth: depth + 1)))
            skipWhitespace()
            switch next {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(entries)
            default: throw fail("expected ',' or '}' in an object, got \(describeNext())")
            }
        }
    }

    private mutating func array(depth: Int) throws(HeaderJSONFailure) -> HeaderJSON {
        guard depth <= Self.maxDepth else { throw fail("JSON nested deeper than \(Self.maxDepth) levels") }
        index += 1   // [
        var elements: [HeaderJSON] = []
        skipWhitespace()
        if next == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth + 1))
            skipWhitespace()
            switch next {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw fail("expected ',' or ']' in a list, got \(describeNext())")
            }
        }
    }

    /// A number's literal text: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func number() throws(HeaderJSONFailure) -> String {
        let start = index
        func isDigit(_ b: UInt8?) -> Bool { b.map(Self.isDigit) ?? false }
        func digits() throws(HeaderJSONFailure) {
            guard isDigit(next) else { throw fail("invalid number (expected a digit)") }
            while isDigit(next) { index += 1 }
        }
        if next == UInt8(ascii: "-") { index += 1 }
        if next == UInt8(ascii: "0") {
            index += 1
            guard !isDigit(next) else { throw fail("invalid number (leading zero)") }
        } else {
            try digits()
        }
        if next == UInt8(ascii: ".") { index += 1; try digits() }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            index += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            try digits()
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// A string with its escapes decoded; raw control characters and lone surrogates are errors.
    private mutating func string() throws(HeaderJSONFailure) -> String {
        index += 1   // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let b = next else { throw fail("unterminated string") }
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard let e = next else { throw fail("unterminated string") }
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = UInt32(try hex4())
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard next == UInt8(ascii: "\\") else { throw fail("unpaired UTF-16 surrogate in a string") }
                        index += 1
                        guard next == UInt8(ascii: "u") else { throw fail("unpaired UTF-16 surrogate in a string") }
                        index += 1
                        let low = UInt32(try hex4())
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired UTF-16 surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let s = Unicode.Scalar(scalar) else { throw fail("unpaired UTF-16 surrogate in a string") }
                    utf8.append(contentsOf: Array(String(Character(s)).utf8))
                default:
                    index -= 1
                    throw fail("invalid escape \\\(Character(Unicode.Scalar(e))) in a string")
                }
            default:
                guard b >= 0x20 else { throw fail("unescaped control character 0x\(String(b, radix: 16)) in a string") }
                utf8.append(b)
                index += 1
            }
        }
    }

    private mutating func hex4() throws(HeaderJSONFailure) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let b = next, let digit = Self.hexValue(b) else { throw fail("invalid \\u escape (expected 4 hex digits)") }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        if isDigit(b) { return b - UInt8(ascii: "0") }
        if b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f") { return b - UInt8(ascii: "a") + 10 }
        if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F") { return b - UInt8(ascii: "A") + 10 }
        return nil
    }

    // MARK: - Writing

    /// `s` as a JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`, … or
    /// `\u00XX`; everything else (non-ASCII included) as UTF-8, as serde_json writes it.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
