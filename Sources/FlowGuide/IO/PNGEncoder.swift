/// An 8-bit RGB raster with the few drawing operations a scatter plot needs.
struct RGBImage {
    let width: Int
    let height: Int
    /// `height` rows of `width` pixels, 3 bytes each.
    var pixels: [UInt8]

    init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            (pixels[i], pixels[i + 1], pixels[i + 2]) = fill
        }
    }

    subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    mutating func set(_ x: Int, _ y: Int, _ colour: (UInt8, UInt8, UInt8)) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = (y * width + x) * 3
        (pixels[i], pixels[i + 1], pixels[i + 2]) = colour
    }

    /// Fills the pixels whose centres lie within `radius` of (cx, cy), and always the pixel
    /// containing the centre, so tiny markers stay visible.
    mutating func fillDisc(cx: Double, cy: Double, radius: Double, colour: (UInt8, UInt8, UInt8)) {
        guard cx.isFinite, cy.isFinite else { return }
        let r = max(radius, 0)
        let x0 = max(Int((cx - r).rounded(.down)), 0), x1 = min(Int((cx + r).rounded(.up)), width - 1)
        let y0 = max(Int((cy - r).rounded(.down)), 0), y1 = min(Int((cy + r).rounded(.up)), height - 1)
        if x0 <= x1, y0 <= y1 {
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                    if dx * dx + dy * dy <= r * r { set(x, y, colour) }
                }
            }
        }
        set(Int(cx.rounded(.down)), Int(cy.rounded(.down)), colour)
    }

    /// A horizontal or vertical line of pixels, end points included.
    mutating func line(from a: (x: Int, y: Int), to b: (x: Int, y: Int), colour: (UInt8, UInt8, UInt8)) {
        for y in min(a.y, b.y)...max(a.y, b.y) {
            for x in min(a.x, b.x)...max(a.x, b.x) { set(x, y, colour) }
        }
    }
}

/// A minimal PNG writer: 8-bit RGB, no filtering, and a zlib stream of stored (uncompressed)
/// deflate blocks, with the CRC-32 of every chunk and the Adler-32 of the image data.
enum PNGEncoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func encode(_ image: RGBImage) -> [UInt8] {
        var ihdr: [UInt8] = []
        ihdr += bigEndian(UInt32(image.width))
        ihdr += bigEndian(UInt32(image.height))
        ihdr += [8, 2, 0, 0, 0]   // bit depth 8, colour type RGB, deflate, no filter, no interlace

        // Each scanline starts with its filter type (0: none).
        let rowBytes = image.width * 3
        var raw = [UInt8]()
        raw.reserveCapacity((rowBytes + 1) * image.height)
        for y in 0..<image.height {
            raw.append(0)
            raw += image.pixels[(y * rowBytes)..<((y + 1) * rowBytes)]
        }

        var png = signature
        png += chunk("IHDR", ihdr)
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return png
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951, BTYPE 00).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]   // deflate, 32 KiB window; header checksum makes it a multiple of 31
        out.reserveCapacity(data.count + data.count / 65535 * 5 + 16)
        var start = 0
        repeat {
            let end = min(start + 65535, data.count)
            let length = UInt16(end - start)
            out.append(end == data.count ? 1 : 0)   // BFINAL on the last block
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            out += data[start..<end]
            start = end
        } while start < data.count
        out += bigEndian(adler32(data))
        return out
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeAndData = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typeAndData + bigEndian(crc32(typeAndData))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var index = 0
        while index < bytes.count {
            // 5552 bytes is the most that can be summed before the modulo without overflow.
            let end = min(index + 5552, bytes.count)
            for byte in bytes[index..<end] {
                a += UInt32(byte)
                b += a
            }
            a %= 65521
            b %= 65521
            index = end
        }
        return b << 16 | a
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
