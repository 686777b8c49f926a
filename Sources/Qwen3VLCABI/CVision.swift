// The image, video and grounding helpers of include/qwen3vl.h. All share one convention: an int
// status, a message in errbuf, results through out-parameters (cleared first), a length beside
// every buffer.
import CQwen3VL
import Qwen3VL

#if canImport(Glibc)
import Glibc
#endif

/// Text a helper hands out: malloc'd, NUL-terminated, `count` bytes before the NUL.
private typealias HandedText = (text: UnsafeMutablePointer<CChar>, count: Int)

@c @implementation
public func qwen3vl_free(_ p: UnsafeMutableRawPointer?) { free(p) }

/// Runs a helper that hands out text: `out` must be given; it and `outLen` are cleared first and
/// receive the malloc'd text the body makes.
private func reportText(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ outLen: UnsafeMutablePointer<Int>?,
    _ errbuf: UnsafeMutablePointer<CChar>?, _ errbufSize: Int,
    _ make: () throws(Qwen3VLError) -> HandedText
) -> Int32 {
    out?.pointee = nil
    outLen?.pointee = 0
    return report(errbuf, errbufSize) { () throws(Qwen3VLError) in
        guard let out else { throw Qwen3VLError(.invalidArgument, "out is NULL") }
        let made = try make()
        out.pointee = made.text
        outLen?.pointee = made.count
    }
}

/// Sets a size's out-parameters, each when given.
private func store(
    _ size: (width: Int, height: Int), _ width: UnsafeMutablePointer<Int32>?,
    _ height: UnsafeMutablePointer<Int32>?
) {
    width?.pointee = Int32(clamping: size.width)
    height?.pointee = Int32(clamping: size.height)
}

/// A (pointer, length) argument as a buffer; NULL or empty is refused, naming the argument.
private func bytesArg(
    _ p: UnsafeRawPointer?, _ len: Int, _ name: String
) throws(Qwen3VLError) -> UnsafeRawBufferPointer {
    guard let p, len > 0 else { throw Qwen3VLError(.invalidArgument, "\(name) is NULL or empty") }
    return UnsafeRawBufferPointer(start: p, count: len)
}

/// A malloc'd, NUL-terminated copy of `bytes` with its length; throws only when memory ran out.
private func copied(_ bytes: UnsafeRawBufferPointer) throws(Qwen3VLError) -> HandedText {
    let (size, overflow) = bytes.count.addingReportingOverflow(1)
    guard !overflow, let p = malloc(size) else { throw Qwen3VLError(.internal, "out of memory") }
    if let src = bytes.baseAddress { p.copyMemory(from: src, byteCount: bytes.count) }
    p.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
    return (p.assumingMemoryBound(to: CChar.self), bytes.count)
}

@c @implementation
public func qwen3vl_image_data_uri(
    _ bytes: UnsafeRawPointer?, _ len: Int,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ out_len: UnsafeMutablePointer<Int>?, _ errbuf: UnsafeMutablePointer<CChar>?,
    _ errbuf_size: Int
) -> Int32 {
    reportText(out, out_len, errbuf, errbuf_size) { () throws(Qwen3VLError) in
        try Images.dataURI(bytesArg(bytes, len, "bytes"))
    }
}

@c @implementation
public func qwen3vl_image_part_json(
    _ bytes: UnsafeRawPointer?, _ len: Int, _ detail: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ out_len: UnsafeMutablePointer<Int>?, _ errbuf: UnsafeMutablePointer<CChar>?,
    _ errbuf_size: Int
) -> Int32 {
    reportText(out, out_len, errbuf, errbuf_size) { () throws(Qwen3VLError) in
        var tail = #""}}"#
        if let detail {
            guard let d = String(validatingCString: detail), ["auto", "low", "high"].contains(d) else {
                throw Qwen3VLError(.invalidArgument, #"detail must be NULL, "auto", "low" or "high""#)
            }
            tail = #"","detail":"\#(d)"}}"#
        }
        // The URI is plain ASCII (base64), so it needs no JSON escaping.
        return try Images.dataURI(
            bytesArg(bytes, len, "bytes"), before: #"{"type":"image_url","image_url":{"url":""#,
            after: tail)
    }
}

@c @implementation
public func qwen3vl_pixels_data_uri(
    _ pixels: UnsafeRawPointer?, _ pixels_len: Int, _ width: Int32, _ height: Int32,
    _ stride: Int, _ format: Int32,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ out_len: UnsafeMutablePointer<Int>?, _ errbuf: UnsafeMutablePointer<CChar>?,
    _ errbuf_size: Int
) -> Int32 {
    reportText(out, out_len, errbuf, errbuf_size) { () throws(Qwen3VLError) in
        let buffer = try bytesArg(pixels, pixels_len, "pixels")
        guard let fmt = Images.PixelFormat(rawValue: format) else {
            throw Qwen3VLError(.invalidArgument, "format must be one of QWEN3VL_PIXELS_*")
        }
        // png() checks that width, height and stride fit the buffer.
        let png = try Images.png(pixels: buffer, width: Int(width), height: Int(height), stride: stride, format: fmt)
        return try png.withUnsafeBytes { b in Result { () throws(Qwen3VLError) in try Images.dataURI(b) } }.get()
    }
}

@c @implementation
public func qwen3vl_image_size(
    _ path: UnsafePointer<CChar>?, _ width: UnsafeMutablePointer<Int32>?,
    _ height: UnsafeMutablePointer<Int32>?, _ errbuf: UnsafeMutablePointer<CChar>?,
    _ errbuf_size: Int
) -> Int32 {
    store((0, 0), width, height)
    return report(errbuf, errbuf_size) { () throws(Qwen3VLError) in
        guard let p = swiftString(path) else { throw Qwen3VLError(.invalidArgument, "path is NULL or not UTF-8") }
        let info = try ImageHeader.info(path: p)
        store((info.width, info.height), width, height)
    }
}

@c @implementation
public func qwen3vl_image_size_from_bytes(
    _ bytes: UnsafeRawPointer?, _ len: Int, _ width: UnsafeMutablePointer<Int32>?,
    _ height: UnsafeMutablePointer<Int32>?,
    _ errbuf: UnsafeMutablePointer<CChar>?, _ errbuf_size: Int
) -> Int32 {
    store((0, 0), width, height)
    return report(errbuf, errbuf_size) { () throws(Qwen3VLError) in
        let info = try ImageHeader.info(bytesArg(bytes, len, "bytes"))
        store((info.width, info.height), width, height)
    }
}

@c @implementation
public func qwen3vl_image_tokens(
    _ width: Int32, _ height: Int32, _ min_pixels: Int64, _ max_pixels: Int64,
    _ tokens: UnsafeMutablePointer<Int64>?, _ errbuf: UnsafeMutablePointer<CChar>?,
    _ errbuf_size: Int
) -> Int32 {
    tokens?.pointee = 0
    return report(errbuf, errbuf_size) { () throws(Qwen3VLError) in
        guard min_pixels >= 0, max_pixels >= 0 else {
            throw Qwen3VLError(.invalidArgument, "min_pixels and max_pixels must not be negative")
        }
        let lo = min_pixels == 0 ? VisionTokens.defaultMinPixels : Int(clamping: min_pixels)
        let hi = max_pixels == 0 ? VisionTokens.defaultMaxPixels : Int(clamping: max_pixels)
        guard let n = VisionTokens.count(width: Int(width), height: Int(height), minPixels: lo, maxPixels: hi) else {
            throw Qwen3VLError(
                .invalidArgument,
                "Qwen3-VL takes no \(width) × \(height) image within [\(lo), \(hi)] pixels "
                    + "(sides must be positive, the aspect ratio at most 200, min_pixels at most max_pixels)")
        }
        tokens?.pointee = Int64(n)
    }
}

@c @implementation
public func qwen3vl_grounding_parse(
    _ text: UnsafePointer<CChar>?, _ text_len: Int, _ width: Int32, _ height: Int32,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ out_len: UnsafeMutablePointer<Int>?, _ errbuf: UnsafeMutablePointer<CChar>?,
    _ errbuf_size: Int
) -> Int32 {
    reportText(out, out_len, errbuf, errbuf_size) { () throws(Qwen3VLError) in
        guard let text, text_len >= 0 else { throw Qwen3VLError(.invalidArgument, "text is NULL") }
        let utf8 = UnsafeRawBufferPointer(start: text, count: text_len).assumingMemoryBound(to: UInt8.self)
        guard let t = String(validating: utf8, as: UTF8.self) else {
            throw Qwen3VLError(.invalidArgument, "text is not UTF-8")
        }
        let json = try Grounding.jsonArray(t, width: Int(width), height: Int(height))
        return try withExtendedLifetime(json) { () throws(Qwen3VLError) in try copied(json.buffer) }
    }
}
