/// The dictionary at the start of a `.npy` file, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
struct NumPyHeader: Equatable {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// The number of elements (the product of the shape; 1 for a 0-D array).
    var elementCount: Int {
        shape.reduce(1, *)   // checked against overflow in `parse`
    }

    /// The header as NumPy writes it (without padding).
    var literal: String {
        "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(Self.format(shape)), }"
    }

    /// A shape as a Python tuple: `()`, `(3,)`, `(3, 4)`.
    static func format(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// Parses and validates a header; the error is a message for ``NumPyFileError``.
    static func parse(_ text: String) throws(NumPyHeaderFailure) -> NumPyHeader {
        var parser = PythonLiteralParser(text)
        let value = try parser.parseDocument()
        guard case .dict(let entries) = value else {
            throw NumPyHeaderFailure("header is not a Python dict literal: \(Self.excerpt(text))")
        }
        var fields: [String: PythonLiteral] = [:]
        for (key, value) in entries {
            guard ["descr", "fortran_order", "shape"].contains(key) else {
                throw NumPyHeaderFailure("header has an unexpected key '\(key)' (expected 'descr', 'fortran_order', 'shape')")
            }
            guard fields.updateValue(value, forKey: key) == nil else {
                throw NumPyHeaderFailure("header has the key '\(key)' twice")
            }
        }
        for key in ["descr", "fortran_order", "shape"] where fields[key] == nil {
            throw NumPyHeaderFailure("header is missing the key '\(key)'")
        }

        guard case .string(let descr) = fields["descr"]! else {
            if case .list = fields["descr"]! {
                throw NumPyHeaderFailure("structured dtypes (a list 'descr') are not supported")
            }
            throw NumPyHeaderFailure("header 'descr' is not a string: \(fields["descr"]!)")
        }
        guard case .bool(let fortranOrder) = fields["fortran_order"]! else {
            throw NumPyHeaderFailure("header 'fortran_order' is not True or False: \(fields["fortran_order"]!)")
        }
        guard case .tuple(let items) = fields["shape"]! else {
            throw NumPyHeaderFailure("header 'shape' is not a tuple: \(fields["shape"]!)")
        }
        var shape: [Int] = []
        for item in items {
            guard case .int(let n) = item else {
                throw NumPyHeaderFailure("header 'shape' holds a non-integer: \(fields["shape"]!)")
            }
            shape.append(n)
        }
        if let negative = shape.first(where: { $0 < 0 }) {
            throw NumPyHeaderFailure("negative dimension \(negative) in shape \(format(shape))")
        }
        var count = 1
        for n in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else {
                throw NumPyHeaderFailure("shape \(format(shape)) has too many elements (the product overflows Int)")
            }
            count = product
        }
        return NumPyHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }

    static func excerpt(_ text: String) -> String {
        let trimmed = String(text.prefix(80))
        return "\"\(trimmed)\(text.count > 80 ? "…" : "")\""
    }
}

/// Why a header was rejected.
struct NumPyHeaderFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

// MARK: - Python literals

/// The subset of Python literals a `.npy` header uses.
indirect enum PythonLiteral: CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dict([(String, PythonLiteral)])

    var description: String {
        switch self {
        case .string(let s): "'\(s)'"
        case .int(let n): String(n)
        case .bool(let b): b ? "True" : "False"
        case .none: "None"
        case .tuple(let items): items.count == 1 ? "(\(items[0]),)" : "(" + items.map(\.description).joined(separator: ", ") + ")"
        case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .dict(let entries): "{" + entries.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A recursive-descent parser for strings (single or double quotes), integers, True/False/None,
/// tuples, lists and dicts with string keys. Whitespace and trailing commas are allowed.
struct PythonLiteralParser {
    private let chars: [Character]
    private var index = 0

    init(_ text: String) { chars = Array(text) }

    /// One literal, then nothing but whitespace.
    mutating func parseDocument() throws(NumPyHeaderFailure) -> PythonLiteral {
        let value = try parseValue()
        skipWhitespace()
        guard index == chars.count else { throw failure("unexpected text after the dict") }
        return value
    }

    private mutating func parseValue() throws(NumPyHeaderFailure) -> PythonLiteral {
        skipWhitespace()
        guard index < chars.count else { throw failure("unexpected end of header") }
        switch chars[index] {
        case "'", "\"": return .string(try parseString())
        case "(":
            index += 1
            let (items, trailingComma) = try parseItems(closing: ")")
            // `(x)` is just x in Python; `(x,)` is a tuple.
            return items.count == 1 && !trailingComma ? items[0] : .tuple(items)
        case "[":
            index += 1
            return .list(try parseItems(closing: "]").items)
        case "{":
            index += 1
            return try parseDict()
        case "-", "+", "0"..."9": return .int(try parseInt())
        default:
            let word = String(chars[index...].prefix(while: { $0.isLetter || $0 == "_" }))
            switch word {
            case "True": index += 4; return .bool(true)
            case "False": index += 5; return .bool(false)
            case "None": index += 4; return .none
            default: throw failure("unexpected '\(word.isEmpty ? String(chars[index]) : word)'")
            }
        }
    }

    /// Comma-separated values up to `closing`; reports whether the last one had a trailing comma.
    private mutating func parseItems(closing: Character) throws(NumPyHeaderFailure) -> (items: [PythonLiteral], trailingComma: Bool) {
        var items: [PythonLiteral] = []
        var trailingComma = false
        while true {
            skipWhitespace()
            if index < chars.count, chars[index] == closing { index += 1; return (items, trailingComma) }
            items.append(try parseValue())
            skipWhitespace()
            trailingComma = false
            if index < chars.count, chars[index] == "," { index += 1; trailingComma = true; continue }
            guard index < chars.count, chars[index] == closing else { throw failure("expected ',' or '\(closing)'") }
        }
    }

    private mutating func parseDict() throws(NumPyHeaderFailure) -> PythonLiteral {
        var entries: [(String, PythonLiteral)] = []
        while true {
            skipWhitespace()
            if index < chars.count, chars[index] == "}" { index += 1; return .dict(entries) }
            guard index < chars.count, chars[index] == "'" || chars[index] == "\"" else {
                throw failure("expected a quoted key")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < chars.count, chars[index] == ":" else { throw failure("expected ':' after the key '\(key)'") }
            index += 1
            entries.append((key, try parseValue()))
            skipWhitespace()
            if index < chars.count, chars[index] == "," { index += 1; continue }
            guard index < chars.count, chars[index] == "}" else { throw failure("expected ',' or '}'") }
        }
    }

    private mutating func parseString() throws(NumPyHeaderFailure) -> String {
        let quote = chars[index]
        index += 1
        var result = ""
        while index < chars.count {
            let c = chars[index]
            index += 1
            if c == quote { return result }
            if c == "\n" { break }
            if c == "\\", index < chars.count {
                let escaped = chars[index]
                index += 1
                switch escaped {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "\\", "'", "\"": result.append(escaped)
                default: result.append("\\"); result.append(escaped)
                }
            } else {
                result.append(c)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func parseInt() throws(NumPyHeaderFailure) -> Int {
        let start = index
        var negative = false
        if chars[index] == "-" || chars[index] == "+" {
            negative = chars[index] == "-"
            index += 1
        }
        var value = 0
        var digits = 0
        while index < chars.count, let digit = chars[index].wholeNumberValue, chars[index].isASCII {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            if o1 || o2 {
                let literal = String(chars[start...].prefix(while: { $0.isNumber || $0 == "-" || $0 == "+" }))
                throw NumPyHeaderFailure("integer \(literal) in the header overflows Int")
            }
            value = next
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw failure("expected digits") }
        if index < chars.count, chars[index] == "L" || chars[index] == "l" { index += 1 }  // Python 2 longs
        return value
    }

    private mutating func skipWhitespace() {
        while index < chars.count, chars[index].isWhitespace { index += 1 }
    }

    private func failure(_ what: String) -> NumPyHeaderFailure {
        let text = String(chars)
        return NumPyHeaderFailure("header is not a valid Python dict literal (\(what) at character \(index)): \(NumPyHeader.excerpt(text))")
    }
}
