/// A simple NumPy dtype string such as `'<f4'`, `'|u1'` or `'>i8'`.
struct NumPyDType: Equatable {
    enum Kind: Equatable { case float, signedInteger, unsignedInteger, other }
    enum ByteOrder: Equatable { case little, big, notApplicable }

    let descr: String
    let kind: Kind
    let byteOrder: ByteOrder
    /// Bytes per element (0 when the descr has no size NumPy files could use).
    let size: Int

    init(_ descr: String) {
        self.descr = descr
        var rest = Substring(descr)
        switch rest.first {
        case "<": byteOrder = .little; rest = rest.dropFirst()
        case ">": byteOrder = .big; rest = rest.dropFirst()
        case "|": byteOrder = .notApplicable; rest = rest.dropFirst()
        case "=": byteOrder = Self.nativeOrder; rest = rest.dropFirst()
        default: byteOrder = Self.nativeOrder
        }
        switch rest.first {
        case "f": kind = .float
        case "i": kind = .signedInteger
        case "u": kind = .unsignedInteger
        default: kind = .other
        }
        size = Int(rest.dropFirst()) ?? 0
    }

    static let float32 = NumPyDType("<f4")
    static let float64 = NumPyDType("<f8")
    static let int64 = NumPyDType("<i8")

    private static var nativeOrder: ByteOrder {
        #if _endian(little)
        .little
        #else
        .big
        #endif
    }

    var isInteger: Bool { kind == .signedInteger || kind == .unsignedInteger }

    /// True when the bytes can be read as little-endian (single bytes have no order).
    var isLittleEndianOrSingleByte: Bool {
        size == 1 || byteOrder == .little
    }

    var isFloat32: Bool { kind == .float && size == 4 && byteOrder == .little }
    var isFloat64: Bool { kind == .float && size == 8 && byteOrder == .little }
}
