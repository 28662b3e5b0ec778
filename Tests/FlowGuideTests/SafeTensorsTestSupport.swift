import Foundation
@testable import FlowGuide

/// A safetensors file from header text and data bytes; `length` overrides the 8-byte header
/// length field (which is otherwise the header's byte count, unpadded).
func safetensorsBytes(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    safetensorsBytes(Array(header.utf8), data: data, length: length)
}

func safetensorsBytes(_ header: [UInt8], data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (length ?? UInt64(header.count)).littleEndian) { bytes += $0 }
    return bytes + header + data
}

/// The little-endian bytes of fixed-width values.
func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

/// `Tests/Fixtures/safetensors/<name>` in the source tree.
func safetensorsFixture(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/safetensors/\(name)")
}

/// SplitMix64: a small seeded generator, so fuzz runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The message of the ``SafeTensorsError`` that `body` throws, nil if it does not throw, or a
/// note if it throws another error.
func safetensorsErrorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as SafeTensorsError {
        return error.message
    } catch {
        return "not a SafeTensorsError: \(error)"
    }
}
