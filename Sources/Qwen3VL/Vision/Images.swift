#if canImport(Glibc)
import Glibc
#endif

/// Images a host already holds in memory, made ready to send: encoded bytes (PNG, JPEG, ...) as a
/// data URI, or raw pixels (a decoded video frame, a screenshot) as a PNG data URI.
package enum Images {
    /// Pixel layouts ``png(pixels:width:height:stride:format:)`` understands; the raw values
    /// match the C header's `QWEN3VL_PIXELS_*`.
    package enum PixelFormat: Int32, Sendable {
        case gray8 = 0, rgb8 = 1, rgba8 = 2, bgra8 = 3, bgr8 = 4

        var bytesPerPixel: Int { [1, 3, 4, 4, 3][Int(rawValue)] }
        var channels: Int { bytesPerPixel }
        /// PNG colour type of the output: grey, RGB or RGBA.
        var pngColorType: UInt8 { self == .gray8 ? 0 : (channels == 4 ? 6 : 2) }
    }

    /// A malloc'd, NUL-terminated `before` + `data:<mime>;base64,...` + `after` for the image
    /// `bytes`, whose type is told from the bytes themselves, and its length without the NUL. One
    /// allocation holds it all, so a content part costs no copy of the URI. The caller frees it.
    package static func dataURI(
        _ bytes: UnsafeRawBufferPointer, before: String = "",
        after: String = ""
    ) throws(Qwen3VLError) -> (text: UnsafeMutablePointer<CChar>, count: Int) {
        guard !bytes.isEmpty else { throw Qwen3VLError(.invalidArgument, "no bytes given") }
        guard let type = MediaType.sniff(UnsafeRawBufferPointer(rebasing: bytes.prefix(MediaType.sniffLength))) else {
            throw Qwen3VLError(
                .file, "the bytes are not an image of a known type (JPEG, PNG, GIF, WEBP, BMP, TIFF, HEIC, AVIF)")
        }
        guard type.isImage else { throw Qwen3VLError(.file, "the bytes are \(type.mime), not an image") }
        let head = Array("\(before)data:\(type.mime);base64,".utf8), tail = Array(after.utf8)
        guard let b64 = Base64.encodedLength(bytes.count) else { throw Qwen3VLError(.file, "the image is too large") }
        let (body, o1) = head.count.addingReportingOverflow(b64)
        let (count, o2) = body.addingReportingOverflow(tail.count)
        guard !o1, !o2, count < Int.max, let out = malloc(count + 1) else {
            throw Qwen3VLError(.internal, "out of memory")
        }
        let raw = UnsafeMutableRawBufferPointer(start: out, count: count + 1)
        head.withUnsafeBytes { raw.copyMemory(from: $0) }
        Base64.encode(bytes, into: UnsafeMutableRawBufferPointer(rebasing: raw[head.count..<body]))
        tail.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[body..<count]).copyMemory(from: $0) }
        raw[count] = 0
        return (out.assumingMemoryBound(to: CChar.self), count)
    }

    /// Raw pixels as PNG: 8-bit grey, RGB or RGBA (BGR orders are swapped), rows `stride` bytes apart
    /// (0: packed, `width` × bytes per pixel).
    /// Stored (uncompressed) deflate blocks keep it fast and dependency-free; the size is about
    /// that of the pixels.
    package static func png(
        pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
        format: PixelFormat
    ) throws(Qwen3VLError) -> [UInt8] {
        let ch = format.channels
        guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24 else {
            throw Qwen3VLError(.invalidArgument, "width and height must be between 1 and \(1 << 24)")
        }
        let (rowBytes, o1) = width.multipliedReportingOverflow(by: ch)
        let stride = stride == 0 ? rowBytes : stride
        guard !o1, stride >= rowBytes else {
            throw Qwen3VLError(.invalidArgument, "stride is smaller than width × bytes per pixel")
        }
        let (last, o2) = stride.multipliedReportingOverflow(by: height - 1)
        let (need, o3) = last.addingReportingOverflow(rowBytes)
        guard !o2, !o3 else { throw Qwen3VLError(.invalidArgument, "stride × height is too large") }
        guard pixels.count >= need else {
            throw Qwen3VLError(
                .invalidArgument,
                "the pixel buffer holds \(pixels.count) bytes, fewer than the \(need) that width, height and stride need"
            )
        }
        let (rawLen, o4) = (rowBytes + 1).multipliedReportingOverflow(by: height)
        guard !o4, rawLen < Int(Int32.max) else {
            throw Qwen3VLError(.invalidArgument, "the image is too large for one PNG")
        }

        // Filter byte 0 and the row, for every row; BGR(A) turned into RGB(A).
        var raw = [UInt8](repeating: 0, count: rawLen)
        raw.withUnsafeMutableBytes { dst in
            for y in 0..<height {
                let src = UnsafeRawBufferPointer(rebasing: pixels[(y * stride)..<(y * stride + rowBytes)])
                let row = y * (rowBytes + 1) + 1
                if format == .bgra8 || format == .bgr8 {
                    for x in 0..<width {
                        let s = x * ch, d = row + x * ch
                        dst[d] = src[s + 2]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s]
                        if ch == 4 { dst[d + 3] = src[s + 3] }
                    }
                } else {
                    UnsafeMutableRawBufferPointer(rebasing: dst[row..<(row + rowBytes)]).copyMemory(from: src)
                }
            }
        }

        var zlib: [UInt8] = [0x78, 0x01]
        zlib.reserveCapacity(rawLen + rawLen / 65535 * 5 + 16)
        var at = 0
        repeat {
            let n = min(65535, rawLen - at)
            zlib.append(at + n == rawLen ? 1 : 0)
            zlib += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[at..<(at + n)]
            at += n
        } while at < rawLen
        zlib += bigEndian(adler32(raw))

        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out.reserveCapacity(zlib.count + 64)
        chunk(
            "IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, format.pngColorType, 0, 0, 0], into: &out
        )
        chunk("IDAT", zlib, into: &out)
        chunk("IEND", [], into: &out)
        return out
    }

    private static func chunk(_ type: String, _ data: [UInt8], into out: inout [UInt8]) {
        let t = Array(type.utf8)
        out += bigEndian(UInt32(data.count))
        out += t
        out += data
        out += bigEndian(crc32(t + data))
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < bytes.count {
            let end = min(i + 5552, bytes.count) // the most bytes before the sums can overflow
            while i < end { a &+= UInt32(bytes[i]); b &+= a; i += 1 }
            a %= 65521
            b %= 65521
        }
        return b << 16 | a
    }
}
