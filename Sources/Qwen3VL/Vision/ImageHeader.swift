#if canImport(Glibc)
import Glibc
#endif

/// Image dimensions read from the file header alone, without decoding any pixels.
package enum ImageHeader {
    /// Random access to the image's bytes: `read(offset, count)` gives up to `count` bytes.
    typealias Reader = (_ offset: Int, _ count: Int) -> [UInt8]

    /// A Reader over bytes in memory, valid while they are.
    static func reader(_ bytes: UnsafeRawBufferPointer) -> Reader {
        { offset, count in
            guard offset >= 0, offset < bytes.count, count > 0 else { return [] }
            return Array(bytes[offset..<(offset + min(count, bytes.count - offset))])
        }
    }

    /// Width and height in pixels, or nil when the header is missing, truncated or not understood.
    static func size(type: MediaType, read: Reader) -> (width: Int, height: Int)? {
        let head = read(0, 64)
        func be(_ b: [UInt8], _ o: Int, _ n: Int) -> Int? {
            guard o >= 0, o + n <= b.count else { return nil }
            return b[o..<(o + n)].reduce(0) { $0 << 8 | Int($1) }
        }
        func le(_ b: [UInt8], _ o: Int, _ n: Int) -> Int? {
            guard o >= 0, o + n <= b.count else { return nil }
            return b[o..<(o + n)].reversed().reduce(0) { $0 << 8 | Int($1) }
        }
        func checked(_ w: Int?, _ h: Int?) -> (width: Int, height: Int)? {
            guard let w, let h, w > 0, h > 0 else { return nil }
            return (w, h)
        }
        switch type {
        case .png:
            guard head.count >= 24, String(decoding: head[12..<16], as: UTF8.self) == "IHDR" else { return nil }
            return checked(be(head, 16, 4), be(head, 20, 4))
        case .gif:
            return checked(le(head, 6, 2), le(head, 8, 2))
        case .bmp:
            guard let dib = le(head, 14, 4) else { return nil }
            if dib == 12 { return checked(le(head, 18, 2), le(head, 20, 2)) }
            guard let w = le(head, 18, 4), let rawH = le(head, 22, 4) else { return nil }
            let h = rawH >= 0x8000_0000 ? 0x1_0000_0000 - rawH : rawH // negative height: top-down rows
            return checked(w, h)
        case .webp:
            guard head.count >= 30 else { return nil }
            switch String(decoding: head[12..<16], as: UTF8.self) {
            case "VP8 ": return checked(le(head, 26, 2).map { $0 & 0x3FFF }, le(head, 28, 2).map { $0 & 0x3FFF })
            case "VP8L":
                guard let b = le(head, 21, 4) else { return nil }
                return checked((b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1)
            case "VP8X": return checked(le(head, 24, 3).map { $0 + 1 }, le(head, 27, 3).map { $0 + 1 })
            default: return nil
            }
        case .jpeg:
            return jpegSize(read)
        case .tiff:
            return tiffSize(read)
        case .heic, .avif:
            // The largest 'ispe' (image spatial extents) property is the primary image's size.
            let window = read(0, 1 << 18)
            var best: (width: Int, height: Int)?
            var i = 0
            while i + 16 <= window.count {
                if window[i] == 0x69 && window[i + 1] == 0x73 && window[i + 2] == 0x70 && window[i + 3] == 0x65,
                    let s = checked(be(window, i + 8, 4), be(window, i + 12, 4)),
                    area(s) > (best.map(area) ?? 0)
                {
                    best = s
                }
                i += 1
            }
            return best
        default:
            return nil
        }
    }

    /// width × height, saturating: header fields are 32-bit, so the product can pass Int.max.
    private static func area(_ s: (width: Int, height: Int)) -> Int {
        let (p, o) = s.width.multipliedReportingOverflow(by: s.height)
        return o ? Int.max : p
    }

    /// Walks JPEG segments to the first start-of-frame marker.
    private static func jpegSize(_ read: Reader) -> (width: Int, height: Int)? {
        var o = 2
        for _ in 0..<10_000 {
            let m = read(o, 4)
            guard m.count >= 2, m[0] == 0xFF else { return nil }
            let marker = m[1]
            if marker == 0xFF { o += 1; continue } // fill byte
            if marker == 0x01 || (0xD0...0xD9).contains(marker) { o += 2; continue } // no length
            guard m.count == 4 else { return nil }
            let len = Int(m[2]) << 8 | Int(m[3])
            guard len >= 2 else { return nil }
            if (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC {
                let sof = read(o + 5, 4)
                guard sof.count == 4 else { return nil }
                let h = Int(sof[0]) << 8 | Int(sof[1]), w = Int(sof[2]) << 8 | Int(sof[3])
                return w > 0 && h > 0 ? (w, h) : nil
            }
            o += 2 + len
        }
        return nil
    }

    /// Reads ImageWidth (256) and ImageLength (257) from the first IFD.
    private static func tiffSize(_ read: Reader) -> (width: Int, height: Int)? {
        let head = read(0, 8)
        guard head.count == 8 else { return nil }
        let little = head[0] == 0x49
        func num(_ b: [UInt8], _ o: Int, _ n: Int) -> Int? {
            guard o + n <= b.count else { return nil }
            let s = b[o..<(o + n)]
            return (little ? Array(s.reversed()) : Array(s)).reduce(0) { $0 << 8 | Int($1) }
        }
        guard let ifd = num(head, 4, 4), let countBytes = Optional(read(ifd, 2)), let count = num(countBytes, 0, 2),
            count > 0, count < 4096
        else { return nil }
        let entries = read(ifd + 2, count * 12)
        var w: Int?, h: Int?
        for e in 0..<count {
            let base = e * 12
            guard let tag = num(entries, base, 2), let type = num(entries, base + 2, 2) else { break }
            let value = type == 3 ? num(entries, base + 8, 2) : num(entries, base + 8, 4)
            if tag == 256 { w = value }
            if tag == 257 { h = value }
        }
        guard let w, let h, w > 0, h > 0 else { return nil }
        return (w, h)
    }
}

extension ImageHeader {
    /// Type, width and height of an image in memory.
    package static func info(_ bytes: UnsafeRawBufferPointer) throws(Qwen3VLError) -> (
        type: MediaType, width: Int, height: Int
    ) {
        guard let type = MediaType.sniff(UnsafeRawBufferPointer(rebasing: bytes.prefix(MediaType.sniffLength))),
            type.isImage
        else {
            throw Qwen3VLError(.file, "the bytes are not an image of a known type")
        }
        guard let s = size(type: type, read: reader(bytes)) else {
            throw Qwen3VLError(.file, "the \(type.mime) header is damaged or truncated")
        }
        return (type, s.width, s.height)
    }

    /// Type, width and height of an image file, from its first bytes only.
    package static func info(path: String) throws(Qwen3VLError) -> (type: MediaType, width: Int, height: Int) {
        let (fd, _) = try MediaFile.openRegular(path) { Qwen3VLError(.file, "\(path): \($0)") }
        defer { close(fd) }
        let head = MediaFile.read(fd, 0, MediaType.sniffLength)
        guard let type = head.withUnsafeBytes({ MediaType.sniff($0) }), type.isImage else {
            throw Qwen3VLError(.file, "\(path): is not an image of a known type")
        }
        guard let s = size(type: type, read: { MediaFile.read(fd, $0, $1) }) else {
            throw Qwen3VLError(.file, "\(path): the \(type.mime) header is damaged or truncated")
        }
        return (type, s.width, s.height)
    }
}
