/// Image dimensions read from the file header alone, without decoding any pixels.
public enum ImageHeader {
    /// Random access to the image's bytes: `read(offset, count)` gives up to `count` bytes.
    public typealias Reader = (_ offset: Int, _ count: Int) -> [UInt8]

    /// A Reader over bytes in memory, valid while they are.
    public static func reader(_ bytes: UnsafeRawBufferPointer) -> Reader {
        { offset, count in
            guard offset >= 0, offset < bytes.count, count > 0 else { return [] }
            return Array(bytes[offset..<(offset + min(count, bytes.count - offset))])
        }
    }

    /// Width and height in pixels, or nil when the header is missing, truncated or not understood.
    public static func size(type: MediaType, read: Reader) -> (width: Int, height: Int)? {
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
                   area(s) > (best.map(area) ?? 0) {
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
              count > 0, count < 4096 else { return nil }
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

/// How many vision tokens Qwen3-VL spends on an image: the image is resized to multiples of 32 px
/// (16 px patches merged 2×2), its pixel count kept within [minPixels, maxPixels], and each 32×32
/// block is one token. This is transformers' `smart_resize` for Qwen3-VL step by step, with
/// Python's arithmetic: rounding halves to even, integer division exact before its one rounding.
/// Tests/data/image_tokens.tsv holds what transformers itself gives.
public enum VisionTokens {
    public static let factor = 32
    /// `size.shortest_edge` and `size.longest_edge` of Qwen3-VL's preprocessor_config.json, the
    /// limits its processor resizes to (qwen-vl-utils uses a smaller minimum, 4·32·32).
    public static let defaultMinPixels = 64 * 32 * 32
    public static let defaultMaxPixels = 16384 * 32 * 32
    /// The model's processor refuses images more elongated than this.
    public static let maxAspectRatio = 200.0

    /// The resized (width, height), or nil for sizes the processor refuses (not positive, sides
    /// over 2^31 - 1, aspect ratio over 200) and for limits that make no sense (not positive, or
    /// minPixels over maxPixels).
    public static func resized(width: Int, height: Int, minPixels: Int = defaultMinPixels,
                               maxPixels: Int = defaultMaxPixels) -> (width: Int, height: Int)? {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max), minPixels > 0,
              minPixels <= maxPixels else { return nil }
        let w = Double(width), h = Double(height), f = Double(factor)
        guard max(w, h) / min(w, h) <= maxAspectRatio else { return nil }
        // Sides are below 2^31, so these products stay below 2^62. A side under 16 px rounds to 0
        // here, and the image is then scaled up to minPixels, as transformers does.
        var hBar = Int((h / f).rounded(.toNearestOrEven)) * factor
        var wBar = Int((w / f).rounded(.toNearestOrEven)) * factor
        let area = width * height
        if hBar * wBar > maxPixels {
            let beta = quotient(area, maxPixels).squareRoot()
            guard let hb = multiple((h / beta / f).rounded(.down)), let wb = multiple((w / beta / f).rounded(.down)) else { return nil }
            (hBar, wBar) = (max(factor, hb), max(factor, wb))
        } else if hBar * wBar < minPixels {
            let beta = quotient(minPixels, area).squareRoot()
            guard let hb = multiple((h * beta / f).rounded(.up)), let wb = multiple((w * beta / f).rounded(.up)) else { return nil }
            (hBar, wBar) = (hb, wb)
        }
        return (wBar, hBar)
    }

    /// Tokens for a width×height image, or nil where ``resized`` refuses.
    public static func count(width: Int, height: Int, minPixels: Int = defaultMinPixels,
                             maxPixels: Int = defaultMaxPixels) -> Int? {
        guard let r = resized(width: width, height: height, minPixels: minPixels, maxPixels: maxPixels) else { return nil }
        let (n, overflow) = (r.width / factor).multipliedReportingOverflow(by: r.height / factor)
        return overflow ? nil : n
    }

    /// `blocks` 32 px blocks in pixels; nil if that is no Int (limits near Int.max can ask for it).
    private static func multiple(_ blocks: Double) -> Int? {
        guard let n = Int(exactly: blocks) else { return nil }
        let (px, overflow) = n.multipliedReportingOverflow(by: factor)
        return overflow ? nil : px
    }

    /// a / b as Python divides integers: exactly, then rounded once to the nearest Double. Plain
    /// Double division rounds the operands first when they pass 2^53. a ≥ 0, b > 0.
    static func quotient(_ a: Int, _ b: Int) -> Double {
        if a <= 1 << 53 && b <= 1 << 53 { return Double(a) / Double(b) }
        // An integer quotient of 55 bits or more, its lowest bit set if anything was left over,
        // rounds to Double as the exact quotient does. The shift keeps it under 2^56 (or it is
        // a / b itself, under 2^63), and a << shift under 2^118.
        let bits = { (x: Int) in Int.bitWidth - x.leadingZeroBitCount }
        let shift = max(0, 55 + bits(b) - bits(a))
        let (q, r) = (UInt128(a) << shift).quotientAndRemainder(dividingBy: UInt128(b))
        let sticky: UInt128 = r == 0 ? 0 : 1
        return Double(sign: .plus, exponent: -shift, significand: Double(UInt64(truncatingIfNeeded: q | sticky)))
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension ImageHeader {
    /// Type, width and height of an image in memory.
    public static func info(_ bytes: UnsafeRawBufferPointer) throws(Qwen3VLError) -> (type: MediaType, width: Int, height: Int) {
        guard let type = MediaType.sniff(UnsafeRawBufferPointer(rebasing: bytes.prefix(MediaType.sniffLength))), type.isImage else {
            throw Qwen3VLError(.file, "the bytes are not an image of a known type")
        }
        guard let s = size(type: type, read: reader(bytes)) else {
            throw Qwen3VLError(.file, "the \(type.mime) header is damaged or truncated")
        }
        return (type, s.width, s.height)
    }

    /// Type, width and height of an image file, from its first bytes only.
    public static func info(path: String) throws(Qwen3VLError) -> (type: MediaType, width: Int, height: Int) {
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
