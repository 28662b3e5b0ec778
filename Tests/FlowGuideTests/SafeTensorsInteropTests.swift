import Foundation
import Testing
@testable import FlowGuide

/// What Python's `safetensors` package sees in a file: per tensor the NumPy dtype, shape, the
/// values as Python `str()`s and the little-endian bytes in hex; the metadata; the key order.
struct PythonSafeTensorsView: Decodable {
    struct Tensor: Decodable {
        let dtype: String
        let shape: [Int]
        let values: [String]
        let hex: String
    }
    let tensors: [String: Tensor]
    let metadata: [String: String]?
    let keys: [String]
}

/// Loads `url` with `safetensors.numpy.load_file` and `safe_open(...).metadata()`.
func readWithPythonSafeTensors(_ url: URL) throws -> PythonSafeTensorsView {
    let output = try runPython("""
        import json, sys
        import numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file
        path = sys.argv[1]
        tensors = load_file(path)
        with safe_open(path, framework="numpy") as f:
            metadata = f.metadata()
            keys = list(f.keys())
        print(json.dumps({
            "tensors": {name: {"dtype": str(a.dtype), "shape": list(a.shape),
                               "values": [str(v) for v in a.ravel().tolist()],
                               "hex": a.astype(a.dtype.newbyteorder("<")).tobytes().hex()}
                        for name, a in tensors.items()},
            "metadata": metadata, "keys": keys}))
        """, [url.path])
    return try JSONDecoder().decode(PythonSafeTensorsView.self, from: Data(output.utf8))
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

@Suite struct SafeTensorsInteropTests {
    /// Tests/Fixtures/safetensors/python_written.safetensors, written by make_fixture.py.
    @Test func readsTheFileWrittenByPython() throws {
        let file = try SafeTensors(contentsOf: safetensorsFixture("python_written.safetensors"))
        #expect(file.metadata == ["producer": "make_fixture.py", "note": "ünïcødé ✓ \"quoted\"\n"])
        #expect(Set(file.names) == ["weight", "double", "index", "bytes", "half", "int32", "int8", "flags", "scalar", "empty"])

        #expect(file["weight"]?.dtype == .f32)
        #expect(try file.float32("weight", shape: [2, 3]) == [-1.5, 0, 0.25, 0.1, 3.0e38, -Float.leastNonzeroMagnitude])
        #expect(file["double"]?.dtype == .f64)
        #expect(try file.float64("double", shape: [4]) == [0.1, -2.5, 1.0e300, Double(bitPattern: 1)])
        #expect(file["index"]?.dtype == .i64)
        #expect(try file.int64("index", shape: [4]) == [Int64.min, -1, 0, Int64.max])
        #expect(file["bytes"]?.dtype == .u8)
        #expect(try file.int64("bytes", shape: [2, 2]) == [0, 1, 127, 255])
        #expect(file["half"]?.dtype == .f16)
        let half = try file.float32("half", shape: [6])
        #expect(half == [1, -0.5, 65504, 0x1p-24, 0, .infinity])
        #expect(half[4].sign == .minus)
        #expect(file["int32"]?.dtype == .i32)
        #expect(try file.int64("int32", shape: [2]) == [Int64(Int32.min), 7])
        #expect(file["int8"]?.dtype == .i8)
        #expect(try file.int64("int8", shape: [2]) == [-128, 127])
        #expect(file["flags"]?.dtype == .bool)
        #expect(try file.int64("flags", shape: [3]) == [1, 0, 1])
        #expect(try file.float32("scalar", shape: []) == [2.5])
        #expect(try file.float32("empty", shape: [0, 3]) == [])
    }

    /// A file written by Swift, read back by Python's safetensors (values, dtypes, shapes, metadata).
    @Test func pythonReadsTheFileWrittenBySwift() throws {
        var file = SafeTensors(metadata: ["format": "test", "note": "ünï ✓ \"q\"\n\t\\", "empty": ""])
        try file.set("layer.weight", float32: [0.5, -1.25, 3, 1e-3, -0.0, 65536], shape: [2, 3])
        try file.set("u8", .init(dtype: .u8, shape: [3], bytes: [0, 128, 255]))   // odd size: misaligns what follows
        try file.set("f64", .init(dtype: .f64, shape: [2], bytes: littleEndianBytes([Double(0.1).bitPattern, Double(-2).bitPattern])))
        try file.set("i64", .init(dtype: .i64, shape: [1, 2], bytes: littleEndianBytes([Int64.min, Int64.max])))
        try file.set("f16", .init(dtype: .f16, shape: [2], bytes: littleEndianBytes([UInt16(0x3C00), 0xB800])))
        try file.set("i32", .init(dtype: .i32, shape: [1], bytes: littleEndianBytes([Int32(-7)])))
        try file.set("bool", .init(dtype: .bool, shape: [2], bytes: [1, 0]))
        try file.set("scalar", float32: [4], shape: [])
        try file.set("empty", float32: [], shape: [0, 2])
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("swift.safetensors")
        try file.write(to: url)

        let python = try readWithPythonSafeTensors(url)
        #expect(python.metadata == file.metadata)
        #expect(Set(python.keys) == Set(file.names))
        let expected: [String: (dtype: String, shape: [Int], values: [String])] = [
            "layer.weight": ("float32", [2, 3], ["0.5", "-1.25", "3.0", "0.0010000000474974513", "-0.0", "65536.0"]),
            "u8": ("uint8", [3], ["0", "128", "255"]),
            "f64": ("float64", [2], ["0.1", "-2.0"]),
            "i64": ("int64", [1, 2], ["-9223372036854775808", "9223372036854775807"]),
            "f16": ("float16", [2], ["1.0", "-0.5"]),
            "i32": ("int32", [1], ["-7"]),
            "bool": ("bool", [2], ["True", "False"]),
            "scalar": ("float32", [], ["4.0"]),
            "empty": ("float32", [0, 2], []),
        ]
        #expect(Set(python.tensors.keys) == Set(expected.keys))
        for (name, want) in expected {
            let got = try #require(python.tensors[name], "\(name)")
            #expect(got.dtype == want.dtype, "\(name)")
            #expect(got.shape == want.shape, "\(name)")
            #expect(got.values == want.values, "\(name)")
            #expect(got.hex == hex(try #require(file[name]).bytes), "\(name)")
        }
    }

    /// Regenerating the fixture with the installed safetensors gives the same tensors and metadata.
    @Test func fixtureScriptReproducesTheCommittedFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = safetensorsFixture("make_fixture.py")
        let copy = directory.appendingPathComponent("make_fixture.py")
        try FileManager.default.copyItem(at: script, to: copy)
        _ = try runPython("import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')", [copy.path])
        let fresh = try SafeTensors(contentsOf: directory.appendingPathComponent("python_written.safetensors"))
        let committed = try SafeTensors(contentsOf: safetensorsFixture("python_written.safetensors"))
        // Compared by content: the order of the data may change between safetensors versions.
        #expect(fresh.metadata == committed.metadata)
        #expect(Set(fresh.names) == Set(committed.names))
        for name in committed.names { #expect(fresh[name] == committed[name], "\(name)") }
    }
}
