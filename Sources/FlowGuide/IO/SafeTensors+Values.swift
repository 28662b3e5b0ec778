/// Typed access to tensor values (the raw bytes are ``SafeTensors/Tensor/bytes``).
///
/// Reads are exact or fail: ``float32(_:shape:)`` accepts F32, F16 and BF16 (widened exactly) and
/// rejects F64, which would round (read it with ``float64(_:shape:)``); integers never come
/// back as floats or the reverse.
extension SafeTensors {
    /// Adds (or replaces in place) an F32 tensor; throws unless `values.count` is the product of `shape`.
    public mutating func set(_ name: String, float32 values: [Float], shape: [Int]) throws(SafeTensorsError) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
        }
        try set(name, Tensor(dtype: .f32, shape: shape, bytes: bytes))
    }

    /// The values of an F32, F16 or BF16 tensor as float32 (exact). Throws when the tensor is
    /// missing, of another dtype, or (with `expected`) of another shape.
    public func float32(_ name: String, shape expected: [Int]? = nil) throws(SafeTensorsError) -> [Float] {
        let tensor = try tensor(name, shape: expected)
        switch tensor.dtype {
        case .f32: return tensor.elements(UInt32.self).map { Float(bitPattern: $0) }
        case .f16: return tensor.elements(UInt16.self).map(Self.float16ToFloat)
        case .bf16: return tensor.elements(UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
        default: throw dtypeError(name, tensor.dtype, "float32", accepted: "F32, F16, BF16")
        }
    }

    /// The values of an F64, F32, F16 or BF16 tensor as float64 (exact); errors as ``float32(_:shape:)``.
    public func float64(_ name: String, shape expected: [Int]? = nil) throws(SafeTensorsError) -> [Double] {
        let tensor = try tensor(name, shape: expected)
        switch tensor.dtype {
        case .f64: return tensor.elements(UInt64.self).map { Double(bitPattern: $0) }
        case .f32, .f16, .bf16: return try float32(name).map(Double.init)
        default: throw dtypeError(name, tensor.dtype, "float64", accepted: "F64, F32, F16, BF16")
        }
    }

    /// The values of an integer or BOOL tensor (BOOL: any nonzero byte is 1); a U64 value above
    /// `Int64.max` is an error. Other errors as ``float32(_:shape:)``.
    public func int64(_ name: String, shape expected: [Int]? = nil) throws(SafeTensorsError) -> [Int64] {
        let tensor = try tensor(name, shape: expected)
        switch tensor.dtype {
        case .i64: return tensor.elements(UInt64.self).map { Int64(bitPattern: $0) }
        case .i32: return tensor.elements(UInt32.self).map { Int64(Int32(bitPattern: $0)) }
        case .i16: return tensor.elements(UInt16.self).map { Int64(Int16(bitPattern: $0)) }
        case .i8: return tensor.bytes.map { Int64(Int8(bitPattern: $0)) }
        case .u32: return tensor.elements(UInt32.self).map { Int64($0) }
        case .u16: return tensor.elements(UInt16.self).map { Int64($0) }
        case .u8: return tensor.bytes.map { Int64($0) }
        case .bool: return tensor.bytes.map { $0 == 0 ? 0 : 1 }
        case .u64:
            let values = tensor.elements(UInt64.self)
            if let i = values.firstIndex(where: { $0 > UInt64(Int64.max) }) {
                throw error("tensor \(HeaderJSONParser.quoted(name)): U64 element \(i) = \(values[i]) does not fit in Int64")
            }
            return values.map { Int64($0) }
        default: throw dtypeError(name, tensor.dtype, "int64", accepted: "I64, I32, I16, I8, U64, U32, U16, U8, BOOL")
        }
    }

    // MARK: - Helpers

    /// The tensor called `name`, checked against `expected` when given.
    func tensor(_ name: String, shape expected: [Int]?) throws(SafeTensorsError) -> Tensor {
        guard let tensor = self[name] else {
            let listed = names.prefix(8).map { HeaderJSONParser.quoted($0) }.joined(separator: ", ")
            let more = names.count > 8 ? ", … (\(names.count) in all)" : ""
            throw error("no tensor named \(HeaderJSONParser.quoted(name))"
                        + (names.isEmpty ? " (there are no tensors)" : " (tensors: \(listed)\(more))"))
        }
        if let expected, tensor.shape != expected {
            throw error("tensor \(HeaderJSONParser.quoted(name)) has shape \(Self.format(tensor.shape)), expected \(Self.format(expected))")
        }
        return tensor
    }

    private func dtypeError(_ name: String, _ dtype: DType, _ target: String, accepted: String) -> SafeTensorsError {
        error("tensor \(HeaderJSONParser.quoted(name)) has dtype \(dtype.rawValue), which cannot be read as \(target) (accepted: \(accepted))")
    }

    /// IEEE 754 half → float (exact: normals, subnormals, ±0, ±∞, NaN payloads).
    static func float16ToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0x1F: return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24   // subnormal or zero, exact
            return sign == 0 ? magnitude : -magnitude
        default: return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | mantissa << 13)
        }
    }
}

extension SafeTensors.Tensor {
    /// The little-endian elements read as `T` (the caller matches `T` to the dtype's size).
    func elements<T: FixedWidthInteger>(_: T.Type) -> [T] {
        bytes.withUnsafeBytes { raw in
            (0..<raw.count / MemoryLayout<T>.size).map {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))
            }
        }
    }
}
