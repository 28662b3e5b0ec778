import Foundation
import Testing
@testable import FlowGuide

@Suite struct SafeTensorsTests {
    /// A few tensors of several dtypes, with metadata.
    static func sample() throws -> SafeTensors {
        var file = SafeTensors(metadata: ["b": "2", "a": "ünï \"q\"\n\u{01}"])
        try file.set("z.weight", float32: [1, -2, 0.5, 0x1p-130, .infinity, -0.0], shape: [2, 3])
        try file.set("a.bytes", SafeTensors.Tensor(dtype: .u8, shape: [3], bytes: [0, 7, 255]))
        try file.set("m.index", SafeTensors.Tensor(dtype: .i64, shape: [2], bytes: littleEndianBytes([Int64.min, 42])))
        try file.set("scalar", float32: [2.5], shape: [])
        try file.set("empty", float32: [], shape: [0, 4])
        return file
    }

    @Test func roundTripsInMemoryAndKeepsInsertionOrder() throws {
        let file = try Self.sample()
        let bytes = file.serialized()
        let read = try SafeTensors(bytes: bytes)
        #expect(read == file)
        #expect(read.names == ["z.weight", "a.bytes", "m.index", "scalar", "empty"])
        #expect(read.metadata == file.metadata)
        #expect(try read.float32("z.weight", shape: [2, 3]).map(\.bitPattern)
                == [1, -2, 0.5, 0x1p-130, .infinity, -0.0].map { Float($0).bitPattern })
        #expect(try read.int64("m.index") == [Int64.min, 42])
        #expect(try read.int64("a.bytes") == [0, 7, 255])
        #expect(try read.float32("scalar", shape: []) == [2.5])
        #expect(try read.float32("empty", shape: [0, 4]) == [])
        #expect(read.serialized() == bytes)
    }

    @Test func headerIsCompactSortedAndPaddedToEightBytes() throws {
        var file = SafeTensors(metadata: ["y": "1", "x": "2"])
        try file.set("w", float32: [1, 2], shape: [2])
        try file.set("b", float32: [3], shape: [1])
        let bytes = file.serialized()
        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(length % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        let json = #"{"__metadata__":{"x":"2","y":"1"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        #expect(header == json + String(repeating: " ", count: length - json.utf8.count))
        #expect(bytes.count == 8 + length + 12)
        #expect(Array(bytes[(8 + length)...]) == littleEndianBytes([Float(1), 2, 3].map(\.bitPattern)))
        // No metadata: no "__metadata__" key.
        let bare = SafeTensors().serialized()
        #expect(bare == safetensorsBytes("{}      "))
    }

    @Test func readsDataInOffsetOrderWhateverTheHeaderOrder() throws {
        let header = #"{"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},"z":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"#
            + #""a":{"dtype":"I16","shape":[1],"data_offsets":[0,2]}}"#
        let file = try SafeTensors(bytes: safetensorsBytes(header, data: [0xFE, 0xFF, 9]))
        #expect(file.names == ["z", "a", "b"])
        #expect(try file.int64("a") == [-2])
        #expect(try file.int64("b") == [9])
        #expect(file.metadata == [:])
    }

    @Test func setReplacesInPlaceAndRemoveDrops() throws {
        var file = try Self.sample()
        try file.set("a.bytes", float32: [9], shape: [1])
        #expect(file.names == ["z.weight", "a.bytes", "m.index", "scalar", "empty"])
        #expect(try file.float32("a.bytes") == [9])
        #expect(file.remove("m.index")?.dtype == .i64)
        #expect(file.remove("m.index") == nil)
        #expect(file.names == ["z.weight", "a.bytes", "scalar", "empty"])
        #expect(try SafeTensors(bytes: file.serialized()) == file)
    }

    @Test func setRejectsBadTensors() throws {
        var file = SafeTensors()
        #expect(safetensorsErrorMessage { try file.set("w", float32: [1, 2, 3], shape: [2, 2]) }?
            .contains("12 bytes do not fill shape [2, 2] of F32 (16 bytes)") == true)
        #expect(safetensorsErrorMessage { try file.set("w", float32: [], shape: [-1]) }?.contains("invalid shape [-1]") == true)
        #expect(safetensorsErrorMessage { try file.set("w", float32: [], shape: [Int.max, 2]) }?.contains("invalid shape") == true)
        #expect(safetensorsErrorMessage { try file.set("__metadata__", float32: [1], shape: [1]) }?.contains("reserved") == true)
        #expect(file.names.isEmpty)
    }

    @Test func accessorsNameTheTensorAndShapes() throws {
        let file = try SafeTensors(bytes: Self.sample().serialized(), source: "model.safetensors")
        do {
            _ = try file.float32("missing")
            Issue.record("no error")
        } catch {
            #expect(error.source == "model.safetensors")
            #expect(error.description.hasPrefix("model.safetensors: no tensor named \"missing\""))
            #expect(error.message.contains("\"z.weight\""))
        }
        #expect(safetensorsErrorMessage { _ = try file.float32("z.weight", shape: [3, 2]) }
                == "tensor \"z.weight\" has shape [2, 3], expected [3, 2]")
        #expect(safetensorsErrorMessage { _ = try file.float32("m.index") }?.contains("dtype I64, which cannot be read as float32") == true)
        #expect(safetensorsErrorMessage { _ = try file.int64("z.weight") }?.contains("dtype F32, which cannot be read as int64") == true)
        #expect(safetensorsErrorMessage { _ = try SafeTensors().float32("w") }?.contains("there are no tensors") == true)
    }

    @Test func float32AcceptsExactWideningOnly() throws {
        var file = SafeTensors()
        // F16: 1, -2, 65504, the smallest subnormal, -0, +inf, NaN.
        try file.set("h", .init(dtype: .f16, shape: [7], bytes: littleEndianBytes([UInt16](
            [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0x7E00]))))
        // BF16: 1, -2.5, the largest finite value.
        try file.set("bf", .init(dtype: .bf16, shape: [3], bytes: littleEndianBytes([UInt16]([0x3F80, 0xC020, 0x7F7F]))))
        try file.set("d", .init(dtype: .f64, shape: [1], bytes: littleEndianBytes([Double(0.1).bitPattern])))
        let h = try file.float32("h")
        #expect(Array(h.prefix(6)) == [1, -2, 65504, 0x1p-24, 0, .infinity])
        #expect(h[4].sign == .minus && h[6].isNaN)
        #expect(try file.float32("bf") == [1, -2.5, Float(bitPattern: 0x7F7F_0000)])
        #expect(try file.float64("d") == [0.1])
        #expect(try file.float64("h").prefix(4) == [1, -2, 65504, 0x1p-24])
        #expect(safetensorsErrorMessage { _ = try file.float32("d") }?.contains("dtype F64, which cannot be read as float32") == true)
    }

    @Test func int64ReadsEveryIntegerType() throws {
        var file = SafeTensors()
        try file.set("i8", .init(dtype: .i8, shape: [2], bytes: [0x80, 0x7F]))
        try file.set("i16", .init(dtype: .i16, shape: [1], bytes: littleEndianBytes([Int16.min])))
        try file.set("i32", .init(dtype: .i32, shape: [1], bytes: littleEndianBytes([Int32.min])))
        try file.set("u16", .init(dtype: .u16, shape: [1], bytes: littleEndianBytes([UInt16.max])))
        try file.set("u32", .init(dtype: .u32, shape: [1], bytes: littleEndianBytes([UInt32.max])))
        try file.set("u64", .init(dtype: .u64, shape: [1], bytes: littleEndianBytes([UInt64(Int64.max)])))
        try file.set("big", .init(dtype: .u64, shape: [2], bytes: littleEndianBytes([0, UInt64.max])))
        try file.set("bool", .init(dtype: .bool, shape: [3], bytes: [0, 1, 2]))
        #expect(try file.int64("i8") == [-128, 127])
        #expect(try file.int64("i16") == [Int64(Int16.min)])
        #expect(try file.int64("i32") == [Int64(Int32.min)])
        #expect(try file.int64("u16") == [65535])
        #expect(try file.int64("u32") == [Int64(UInt32.max)])
        #expect(try file.int64("u64") == [Int64.max])
        #expect(try file.int64("bool") == [0, 1, 1])
        #expect(safetensorsErrorMessage { _ = try file.int64("big") }?.contains("U64 element 1 = 18446744073709551615") == true)
    }

    @Test func writesFilesAtomicallyAndReportsMissingFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("t.safetensors")
        let file = try Self.sample()
        try file.write(to: url)
        try SafeTensors().write(to: url)   // overwrite
        #expect(try SafeTensors(contentsOf: url) == SafeTensors())
        try file.write(to: url)
        #expect(try SafeTensors(contentsOf: url) == file)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["t.safetensors"])

        let missing = directory.appendingPathComponent("nope.safetensors")
        #expect(safetensorsErrorMessage { _ = try SafeTensors(contentsOf: missing) } == "no such file")
        #expect(safetensorsErrorMessage { _ = try SafeTensors(contentsOf: directory) }?.contains("is a directory") == true)
        let unwritable = directory.appendingPathComponent("no-dir/x.safetensors")
        #expect(safetensorsErrorMessage { try file.write(to: unwritable) }?.contains("cannot create a file") == true)
    }

    @Test func acceptsWhitespaceAndEscapesInTheHeader() throws {
        let header = "{ \"__metadata__\" : { \"k\\u00e9\\ud83d\\ude00\\/\" : \"v\\t\" } ,\n\t\"w\\\"\" : {\"data_offsets\":[0,4],"
            + "\"shape\":[ 1 ],\"dtype\":\"F32\"} }\r\n  "
        let file = try SafeTensors(bytes: safetensorsBytes(header, data: littleEndianBytes([Float(1.5).bitPattern])))
        #expect(file.metadata == ["ké😀/": "v\t"])
        #expect(file.names == ["w\""])
        #expect(try file.float32("w\"") == [1.5])
        #expect(try SafeTensors(bytes: file.serialized()) == file)
    }
}
