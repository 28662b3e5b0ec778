import Foundation
import Testing
@testable import FlowGuide

// MARK: - Fixtures

/// Which reader a case goes through.
enum NumPyReader: String, Sendable, CaseIterable {
    case matrix, integers, float32

    func read(_ url: URL) throws {
        switch self {
        case .matrix: _ = try NumPyFile.readMatrix(url)
        case .integers: _ = try NumPyFile.readIntegers(url)
        case .float32: _ = try NumPyFile.readFloat32(url)
        }
    }
}

/// A `.npy` file: magic, version, header length, the header padded NumPy-style, the payload.
func npyBytes(_ header: String, version: (UInt8, UInt8) = (1, 0), payload: [UInt8] = [], pad: Bool = true) -> [UInt8] {
    var headerBytes = Array(header.utf8)
    let preamble = version.0 == 1 ? 10 : 12
    if pad {
        headerBytes += [UInt8](repeating: 0x20, count: 63 - (preamble + headerBytes.count) % 64) + [0x0A]
    }
    let n = headerBytes.count
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version.0, version.1]
    out += version.0 == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)]
                          : [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
    return out + headerBytes + payload
}

func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
}

func header(_ descr: String, _ shape: String, fortran: String = "False") -> String {
    "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
}

/// A file that must be rejected, and a fragment the error message must contain.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    var reader: NumPyReader = .matrix
    let expected: String
    var testDescription: String { name }
}

let twelveFloats = floatBytes((0..<12).map(Float.init))
let v1Magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

let malformedFiles: [MalformedCase] = [
    // Preamble
    MalformedCase(name: "empty file", bytes: [], expected: "magic string"),
    MalformedCase(name: "short magic", bytes: [0x93, 0x4E, 0x55], expected: "magic string"),
    MalformedCase(name: "wrong magic", bytes: Array("PK\u{3}\u{4}not numpy at all".utf8), expected: "not a .npy file"),
    MalformedCase(name: "magic without version", bytes: v1Magic, expected: "before the format version"),
    MalformedCase(name: "version 4.0", bytes: v1Magic + [4, 0, 0, 0], expected: "unsupported .npy format version 4.0"),
    MalformedCase(name: "version 1.1", bytes: v1Magic + [1, 1, 0, 0], expected: "version 1.1"),
    MalformedCase(name: "truncated length", bytes: v1Magic + [1, 0, 7], expected: "header length field"),
    MalformedCase(name: "v2 truncated length", bytes: v1Magic + [2, 0, 7, 0], expected: "header length field"),
    MalformedCase(name: "header past end (v1)", bytes: v1Magic + [1, 0, 0xE8, 0x03] + Array("{}".utf8),
                  expected: "header length 1000 runs past the end of the file"),
    MalformedCase(name: "header past end (v2)", bytes: v1Magic + [2, 0, 0xFF, 0xFF, 0xFF, 0xFF] + Array("{}".utf8),
                  expected: "header length 4294967295 runs past the end"),
    // Header dict
    MalformedCase(name: "not a dict", bytes: npyBytes("[1, 2, 3]"), expected: "not a Python dict literal"),
    MalformedCase(name: "garbage header", bytes: npyBytes("hello"), expected: "not a valid Python dict literal"),
    MalformedCase(name: "empty header", bytes: npyBytes("", pad: false), expected: "unexpected end of header"),
    MalformedCase(name: "unterminated string", bytes: npyBytes("{'descr: '<f4'}"), expected: "not a valid Python dict literal"),
    MalformedCase(name: "missing colon", bytes: npyBytes("{'descr' '<f4'}"), expected: "expected ':' after the key 'descr'"),
    MalformedCase(name: "unclosed dict", bytes: npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)"),
                  expected: "not a valid Python dict literal"),
    MalformedCase(name: "text after dict", bytes: npyBytes(header("<f4", "(3, 4)") + " x"), expected: "unexpected text after the dict"),
    MalformedCase(name: "missing shape", bytes: npyBytes("{'descr': '<f4', 'fortran_order': False}"), expected: "missing the key 'shape'"),
    MalformedCase(name: "extra key", bytes: npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}"),
                  expected: "unexpected key 'x'"),
    MalformedCase(name: "duplicate key", bytes: npyBytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}"),
                  expected: "the key 'descr' twice"),
    MalformedCase(name: "fortran_order not bool", bytes: npyBytes(header("<f4", "(3, 4)", fortran: "0")),
                  expected: "'fortran_order' is not True or False"),
    MalformedCase(name: "descr not string", bytes: npyBytes("{'descr': 4, 'fortran_order': False, 'shape': (1,)}"),
                  expected: "'descr' is not a string"),
    MalformedCase(name: "structured dtype", bytes: npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}"),
                  expected: "structured dtypes"),
    MalformedCase(name: "shape not tuple", bytes: npyBytes(header("<f4", "12")), expected: "'shape' is not a tuple"),
    MalformedCase(name: "shape as list", bytes: npyBytes(header("<f4", "[3, 4]")), expected: "'shape' is not a tuple"),
    MalformedCase(name: "shape with a string", bytes: npyBytes(header("<f4", "(3, 'a')")), expected: "non-integer"),
    MalformedCase(name: "shape with a float", bytes: npyBytes(header("<f4", "(3.5, 4)")), expected: "expected ',' or ')'"),
    MalformedCase(name: "negative shape", bytes: npyBytes(header("<f4", "(-3, 4)")), expected: "negative dimension -3 in shape (-3, 4)"),
    MalformedCase(name: "overflowing dimension", bytes: npyBytes(header("<f4", "(99999999999999999999, 1)")),
                  expected: "integer 99999999999999999999 in the header overflows Int"),
    MalformedCase(name: "overflowing product", bytes: npyBytes(header("<f4", "(4294967296, 4294967296)")),
                  expected: "too many elements"),
    MalformedCase(name: "overflowing byte count", bytes: npyBytes(header("<f8", "(1152921504606846976, 2)")),
                  expected: "needs more bytes than fit in Int"),
    MalformedCase(name: "v3 header not UTF-8", bytes: npyBytes("{'descr': '\u{FF}'}", version: (3, 0)).map { $0 == 0xC3 ? 0xFF : $0 },
                  expected: "not valid UTF-8"),
    // Payload size
    MalformedCase(name: "short data", bytes: npyBytes(header("<f4", "(3, 4)"), payload: Array(twelveFloats.prefix(40))),
                  expected: "too short: shape (3, 4) of '<f4' needs 48 bytes of data, found 40"),
    MalformedCase(name: "no data", bytes: npyBytes(header("<f8", "(3, 4)")), expected: "needs 96 bytes of data, found 0"),
    MalformedCase(name: "extra data", bytes: npyBytes(header("<f4", "(3, 4)"), payload: twelveFloats + [1, 2, 3, 4]),
                  expected: "4 bytes of extra data after the array: shape (3, 4) of '<f4' needs 48 bytes of data, found 52"),
    MalformedCase(name: "short integers", bytes: npyBytes(header("<i8", "(3,)"), payload: [1, 0, 0, 0]), reader: .integers,
                  expected: "needs 24 bytes of data, found 4"),
    // Not what the reader wants
    MalformedCase(name: "1-D as matrix", bytes: npyBytes(header("<f4", "(3,)"), payload: floatBytes([1, 2, 3])),
                  expected: "expected a 2-D float array, got shape (3,)"),
    MalformedCase(name: "3-D as matrix", bytes: npyBytes(header("<f4", "(1, 2, 3)"), payload: floatBytes([1, 2, 3, 4, 5, 6])),
                  expected: "expected a 2-D float array, got shape (1, 2, 3)"),
    MalformedCase(name: "0-D as matrix", bytes: npyBytes(header("<f4", "()"), payload: floatBytes([1])),
                  expected: "got shape ()"),
    MalformedCase(name: "int matrix", bytes: npyBytes(header("<i8", "(1, 2)"), payload: [UInt8](repeating: 0, count: 16)),
                  expected: "got dtype '<i8'; convert it with np.asarray(a, dtype=np.float32)"),
    MalformedCase(name: "float16 matrix", bytes: npyBytes(header("<f2", "(1, 2)"), payload: [0, 0, 0, 0]),
                  expected: "expected float32 ('<f4') or float64 ('<f8') data, got dtype '<f2'"),
    MalformedCase(name: "big-endian matrix", bytes: npyBytes(header(">f4", "(1, 3)"), payload: floatBytes([1, 2, 3])),
                  expected: "big-endian data ('>f4') is not supported"),
    MalformedCase(name: "Fortran-order matrix", bytes: npyBytes(header("<f4", "(3, 4)", fortran: "True"), payload: twelveFloats),
                  expected: "Fortran-order (column-major) arrays are not supported"),
    MalformedCase(name: "float as integers", bytes: npyBytes(header("<f4", "(3,)"), payload: floatBytes([1, 2, 3])),
                  reader: .integers, expected: "expected an integer array, got floating-point dtype '<f4'"),
    MalformedCase(name: "strings as integers", bytes: npyBytes(header("<U1", "(3,)"), payload: [UInt8](repeating: 65, count: 12)),
                  reader: .integers, expected: "expected an integer array ('<i1'"),
    MalformedCase(name: "bools as integers", bytes: npyBytes(header("|b1", "(3,)"), payload: [0, 1, 0]),
                  reader: .integers, expected: "got dtype '|b1'"),
    MalformedCase(name: "big-endian integers", bytes: npyBytes(header(">i4", "(1,)"), payload: [0, 0, 0, 1]),
                  reader: .integers, expected: "big-endian data ('>i4') is not supported"),
    MalformedCase(name: "2-D integers", bytes: npyBytes(header("<i8", "(1, 1)"), payload: [UInt8](repeating: 0, count: 8)),
                  reader: .integers, expected: "expected a 1-D integer array, got shape (1, 1)"),
    MalformedCase(name: "u8 beyond Int", bytes: npyBytes(header("<u8", "(2,)"), payload: [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0xFF, count: 8)),
                  reader: .integers, expected: "value 18446744073709551615 at index 1 does not fit in Int"),
    MalformedCase(name: "integers as float32", bytes: npyBytes(header("<i4", "(2, 2, 1)"), payload: [UInt8](repeating: 0, count: 16)),
                  reader: .float32, expected: "got dtype '<i4'"),
]

/// Headers NumPy (or a person) could write that must be accepted, all describing `(3, 4)` '<f4'.
let tolerantHeaders: [String] = [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }",
    "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3, 4)}",
    "{'shape':(3,4),'fortran_order':False,'descr':'<f4'}",
    "  {\n 'descr' : '<f4' ,\n 'fortran_order' : False ,\n 'shape' : ( 3 , 4 , ) ,\n }  \n",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4L), }",
    "{'descr': '=f4', 'fortran_order': False, 'shape': (3, 4), }",
]

// MARK: - Tests

@Suite struct NumPyFileTests {
    @Test(arguments: [(0, 3), (3, 0), (1, 1), (7, 3), (33, 65)])
    func matrixRoundTrip(rows: Int, columns: Int) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.npy")
        var matrix = randomMatrix(rows: rows, columns: columns, seed: 7)
        if matrix.count > 2 { matrix.scalars[0] = .nan; matrix.scalars[1] = -.infinity; matrix.scalars[2] = -0.0 }
        try NumPyFile.write(matrix, to: url)
        let read = try NumPyFile.readMatrix(url)
        #expect(read.rows == rows && read.columns == columns)
        #expect(read.scalars.map(\.bitPattern) == matrix.scalars.map(\.bitPattern))

        let bytes = try Data(contentsOf: url)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(bytes.count == 10 + headerLength + 4 * rows * columns)
    }

    @Test(arguments: [[Int](), [0], [5], [2, 3, 4], [2, 0, 3], [1, 1, 1, 1]])
    func float32RoundTrip(shape: [Int]) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("t.npy")
        let values = (0..<shape.reduce(1, *)).map { Float($0) * 0.5 - 1 }
        try NumPyFile.write(float32: values, shape: shape, to: url)
        let read = try NumPyFile.readFloat32(url)
        #expect(read.shape == shape)
        #expect(read.values == values)
    }

    @Test func integersRoundTrip() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("labels.npy")
        for values in [[], [0], [Int.min, -1, 0, 1, 42, Int.max]] {
            try NumPyFile.write(integers: values, to: url)
            #expect(try NumPyFile.readIntegers(url) == values)
        }
    }

    @Test func largeRoundTrip() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("big.npy")
        let matrix = randomMatrix(rows: 4096, columns: 256, seed: 3)
        try NumPyFile.write(matrix, to: url)
        #expect(try NumPyFile.readMatrix(url) == matrix)
    }

    @Test(arguments: tolerantHeaders)
    func acceptsHeaderVariants(header: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("h.npy")
        try Data(npyBytes(header, payload: twelveFloats)).write(to: url)
        let matrix = try NumPyFile.readMatrix(url)
        #expect(matrix.rows == 3 && matrix.columns == 4)
        #expect(matrix.scalars == (0..<12).map(Float.init))
    }

    @Test func acceptsUnpaddedHeaderAndOddOffset() throws {
        // Old writers aligned to 16 bytes or not at all; the payload may start anywhere.
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("odd.npy")
        try Data(npyBytes(header("<f4", "(3, 4)") + "\n", pad: false) + twelveFloats).write(to: url)
        #expect(try NumPyFile.readMatrix(url).scalars == (0..<12).map(Float.init))
    }

    @Test(arguments: malformedFiles)
    func rejectsMalformed(_ testCase: MalformedCase) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("bad.npy")
        try Data(testCase.bytes).write(to: url)
        let error = #expect(throws: NumPyFileError.self) { try testCase.reader.read(url) }
        #expect(error?.message.contains(testCase.expected) == true, "\(error?.message ?? "no error")")
        #expect(error?.description.hasPrefix(url.path + ": ") == true)
    }

    @Test func errorDescriptionKeepsRelativePath() throws {
        let error = #expect(throws: NumPyFileError.self) {
            try NumPyFile.readMatrix(URL(fileURLWithPath: "no-such-dir-\(UUID().uuidString)/samples.npy"))
        }
        #expect(error?.description.hasPrefix("no-such-dir-") == true)
        #expect(error?.message == "no such file")
    }

    // MARK: Writing

    @Test func writeToMissingDirectoryThrows() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("missing/m.npy")
        let error = #expect(throws: NumPyFileError.self) { try NumPyFile.write(Matrix(rows: 1, columns: 1), to: url) }
        #expect(error?.message.contains("cannot create a file in") == true)
        #expect(error?.message.contains("No such file or directory") == true)
    }

    @Test func rejectsInconsistentShapes() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("x.npy")
        try NumPyFile.write(integers: [1, 2, 3], to: url)
        let error = #expect(throws: NumPyFileError.self) { try NumPyFile.write(float32: [1, 2, 3], shape: [2, 2], to: url) }
        #expect(error?.message.contains("3 values do not fill shape (2, 2)") == true)
        #expect(throws: NumPyFileError.self) { try NumPyFile.write(float32: [], shape: [-1, 0], to: url) }
        #expect(try NumPyFile.readIntegers(url) == [1, 2, 3])   // untouched
    }

    @Test func overwriteReplacesWholeFileAndLeavesNoTemporaries() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("x.npy")
        try NumPyFile.write(randomMatrix(rows: 100, columns: 100, seed: 1), to: url)
        try NumPyFile.write(Matrix(rows: 1, columns: 2, repeating: 5), to: url)
        #expect(try NumPyFile.readMatrix(url) == Matrix(rows: 1, columns: 2, repeating: 5))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["x.npy"])
    }
}

// MARK: - Interoperability with NumPy

/// Files written by NumPy itself, once per test run, into a temporary directory.
let numpyFixtures: Result<URL, any Error> = Result {
    let directory = try makeTemporaryDirectory()
    _ = try runPython("""
        import sys, numpy as np
        d = sys.argv[1]
        def save(name, a, version=None):
            with open(f"{d}/{name}.npy", "wb") as f:
                np.lib.format.write_array(f, a, version=version)
        save("f4", (np.arange(12, dtype=np.float32) * 0.5 - 2).reshape(3, 4))
        save("f8", (np.arange(12) * 0.1).reshape(4, 3))
        save("f8_1d", np.array([0.5, 1.0, 2.7]))
        save("f4_empty_rows", np.zeros((0, 3), dtype=np.float32))
        save("f4_v2", (np.arange(12, dtype=np.float32) * 0.5 - 2).reshape(3, 4), version=(2, 0))
        save("f4_v3", (np.arange(12, dtype=np.float32) * 0.5 - 2).reshape(3, 4), version=(3, 0))
        save("f4_3d", (np.arange(24, dtype=np.float32) * 0.5 - 2).reshape(2, 3, 4))
        save("f4_fortran", np.asfortranarray((np.arange(12, dtype=np.float32)).reshape(3, 4)))
        save("f4_big", np.arange(6, dtype=">f4").reshape(2, 3))
        save("i1", np.array([-128, -1, 0, 127], dtype=np.int8))
        save("i2", np.array([-32768, 0, 32767], dtype="<i2"))
        save("i4", np.array([-2**31, -1, 0, 1, 2**31 - 1], dtype="<i4"))
        save("i8", np.array([-2**63, -1, 0, 2**63 - 1], dtype="<i8"))
        save("u1", np.array([0, 1, 255], dtype=np.uint8))
        save("u2", np.array([0, 65535], dtype="<u2"))
        save("u4", np.array([0, 2**32 - 1], dtype="<u4"))
        save("u8", np.array([0, 2**63 - 1], dtype="<u8"))
        save("u8_huge", np.array([2**64 - 1], dtype="<u8"))
        save("i8_empty", np.zeros(0, dtype=np.int64))
        """, [directory.path])
    return directory
}

@Suite struct NumPyFileInteropTests {
    func fixture(_ name: String) throws -> URL {
        try numpyFixtures.get().appendingPathComponent(name + ".npy")
    }

    @Test(arguments: ["f4", "f4_v2", "f4_v3"])
    func readsNumPyFloat32(name: String) throws {
        let matrix = try NumPyFile.readMatrix(fixture(name))
        #expect(matrix.rows == 3 && matrix.columns == 4)
        #expect(matrix.scalars == (0..<12).map { Float($0) * 0.5 - 2 })
    }

    @Test func readsNumPyFloat64AsFloat32() throws {
        let matrix = try NumPyFile.readMatrix(fixture("f8"))
        #expect(matrix.rows == 4 && matrix.columns == 3)
        #expect(matrix.scalars == (0..<12).map { Float(Double($0) * 0.1) })
    }

    @Test func readsNumPyEmptyAnd3D() throws {
        let empty = try NumPyFile.readMatrix(fixture("f4_empty_rows"))
        #expect(empty.rows == 0 && empty.columns == 3)
        let cube = try NumPyFile.readFloat32(fixture("f4_3d"))
        #expect(cube.shape == [2, 3, 4])
        #expect(cube.values == (0..<24).map { Float($0) * 0.5 - 2 })
        #expect(try NumPyFile.readIntegers(fixture("i8_empty")) == [])
    }

    @Test(arguments: [
        ("i1", [-128, -1, 0, 127]), ("i2", [-32768, 0, 32767]), ("i4", [-(1 << 31), -1, 0, 1, (1 << 31) - 1]),
        ("i8", [Int.min, -1, 0, Int.max]), ("u1", [0, 1, 255]), ("u2", [0, 65535]), ("u4", [0, (1 << 32) - 1]),
        ("u8", [0, Int.max]),
    ])
    func readsNumPyIntegers(name: String, expected: [Int]) throws {
        #expect(try NumPyFile.readIntegers(fixture(name)) == expected)
    }

    @Test(arguments: [
        ("f4_fortran", NumPyReader.matrix, "Fortran-order"), ("f4_big", .matrix, "big-endian data ('>f4')"),
        ("u8_huge", .integers, "does not fit in Int"), ("f8_1d", .integers, "floating-point dtype '<f8'"),
        ("f8", .integers, "expected a 1-D integer array, got shape (4, 3)"),
        ("i4", .matrix, "expected a 2-D float array, got shape (5,)"),
    ])
    func rejectsUnsupportedNumPyFiles(name: String, reader: NumPyReader, expected: String) throws {
        let url = try fixture(name)
        let error = #expect(throws: NumPyFileError.self) { try reader.read(url) }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
    }

    /// NumPy loads what FlowGuide writes; a position-weighted sum of the raw bits (mod 2^64)
    /// compares every value exactly.
    @Test func numpyReadsFlowGuideFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let matrix = randomMatrix(rows: 33, columns: 65, seed: 11)
        let cube = (0..<24).map { Float($0) / 3 }
        let labels = [Int.min, -5, 0, 3, Int.max]
        try NumPyFile.write(matrix, to: directory.appendingPathComponent("m.npy"))
        try NumPyFile.write(float32: cube, shape: [2, 3, 4], to: directory.appendingPathComponent("c.npy"))
        try NumPyFile.write(integers: labels, to: directory.appendingPathComponent("l.npy"))
        try NumPyFile.write(Matrix(rows: 0, columns: 2), to: directory.appendingPathComponent("e.npy"))

        let output = try runPython("""
            import sys, numpy as np
            d = sys.argv[1]
            def checksum(a):
                bits = a.reshape(-1).view(np.uint32 if a.dtype.itemsize == 4 else np.uint64).astype(np.uint64)
                return int((bits * (np.arange(bits.size, dtype=np.uint64) + np.uint64(1))).sum(dtype=np.uint64))
            for name in ["m", "c", "l", "e"]:
                a = np.load(f"{d}/{name}.npy")
                print(name, a.dtype.str, a.shape, checksum(a))
            """, [directory.path])

        func checksum<T: FixedWidthInteger>(_ bits: [T]) -> UInt64 {
            var sum: UInt64 = 0
            for (i, b) in bits.enumerated() { sum &+= UInt64(truncatingIfNeeded: b) &* UInt64(i + 1) }
            return sum
        }
        let expected = """
            m <f4 (33, 65) \(checksum(matrix.scalars.map(\.bitPattern)))
            c <f4 (2, 3, 4) \(checksum(cube.map(\.bitPattern)))
            l <i8 (5,) \(checksum(labels))
            e <f4 (0, 2) 0

            """
        #expect(output == expected)
    }

    /// FlowGuide's files are byte for byte those of `np.save` (same header and padding).
    @Test func writesTheSameBytesAsNumPy() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = ["m", "c", "l", "s", "e"]
        try NumPyFile.write(randomMatrix(rows: 5, columns: 3, seed: 2), to: directory.appendingPathComponent("m.npy"))
        try NumPyFile.write(float32: [1, 2, 3, 4, 5, 6], shape: [1, 2, 3], to: directory.appendingPathComponent("c.npy"))
        try NumPyFile.write(integers: Array(-3...3), to: directory.appendingPathComponent("l.npy"))
        try NumPyFile.write(float32: [7], shape: [], to: directory.appendingPathComponent("s.npy"))
        try NumPyFile.write(Matrix(rows: 123_456_789, columns: 0), to: directory.appendingPathComponent("e.npy"))
        _ = try runPython("""
            import sys, numpy as np
            d = sys.argv[1]
            for name in sys.argv[2:]:
                np.save(f"{d}/{name}.numpy.npy", np.load(f"{d}/{name}.npy"))
            """, [directory.path] + files)
        for name in files {
            let ours = try Data(contentsOf: directory.appendingPathComponent("\(name).npy"))
            let theirs = try Data(contentsOf: directory.appendingPathComponent("\(name).numpy.npy"))
            #expect(ours == theirs, "\(name).npy differs from np.save's output")
        }
    }
}
