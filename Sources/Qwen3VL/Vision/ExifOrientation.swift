/// The EXIF orientation of a photo (tag 0x0112 of the first IFD) and the pixel mapping it asks for,
/// as Pillow's `ImageOps.exif_transpose` applies it. Values outside 1...8 count as 1.
enum ExifOrientation: Int, Sendable {
    case normal = 1, mirrored = 2, rotated180 = 3, flipped = 4
    case transposed = 5, rotated90Clockwise = 6, transversed = 7, rotated90CounterClockwise = 8

    /// Whether width and height trade places.
    var swapsSides: Bool { rawValue >= 5 }

    /// The orientation an Exif block (a TIFF structure, with or without the "Exif\0\0" label of a
    /// JPEG APP1 segment) declares; `.normal` for anything missing or malformed.
    init(exif: UnsafeRawBufferPointer) {
        var b = exif
        if b.count >= 6, b[0] == 0x45, b[1] == 0x78, b[2] == 0x69, b[3] == 0x66, b[4] == 0, b[5] == 0 {
            b = UnsafeRawBufferPointer(rebasing: b[6...])
        }
        self = Self.parse(b) ?? .normal
    }

    private static func parse(_ b: UnsafeRawBufferPointer) -> ExifOrientation? {
        guard b.count >= 8 else { return nil }
        let little: Bool
        switch (b[0], b[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o <= b.count - 2 else { return nil }
            return little ? Int(b[o]) | Int(b[o + 1]) << 8 : Int(b[o]) << 8 | Int(b[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let lo = u16(little ? o : o + 2), let hi = u16(little ? o + 2 : o) else { return nil }
            return hi << 16 | lo
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for i in 0..<count {
            let entry = ifd + 2 + i * 12
            guard let tag = u16(entry) else { return nil }
            guard tag == 0x0112 else { continue }
            // SHORT, one value, held in the entry itself.
            guard u16(entry + 2) == 3, u32(entry + 4) == 1, let v = u16(entry + 8) else { return nil }
            return ExifOrientation(rawValue: v)
        }
        return nil
    }

    /// For a pixel (x, y) of the upright image, the pixel of the stored one (`width` × `height`,
    /// as stored) it comes from.
    func source(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch self {
        case .normal: return (x, y)
        case .mirrored: return (width - 1 - x, y)
        case .rotated180: return (width - 1 - x, height - 1 - y)
        case .flipped: return (x, height - 1 - y)
        case .transposed: return (y, x)
        case .rotated90Clockwise: return (y, height - 1 - x)
        case .transversed: return (width - 1 - y, height - 1 - x)
        case .rotated90CounterClockwise: return (width - 1 - y, x)
        }
    }
}
