// The image, video and grounding helpers of include/qwen3vl.h.
import CQwen3VL
import Qwen3VL
#if canImport(Glibc)
import Glibc
#endif

@c @implementation
public func qwen3vl_free(_ p: UnsafeMutableRawPointer?) { free(p) }

private func bytesArg(_ p: UnsafeRawPointer?, _ len: Int) -> UnsafeRawBufferPointer? {
    guard let p, len > 0 else { return nil }
    return UnsafeRawBufferPointer(start: p, count: len)
}

@c @implementation
public func qwen3vl_image_data_uri(_ bytes: UnsafeRawPointer?, _ len: Int, _ errbuf: UnsafeMutablePointer<CChar>?,
                                   _ errbuf_size: Int) -> UnsafeMutablePointer<CChar>? {
    guard let b = bytesArg(bytes, len) else { writeError("bytes is NULL or empty", to: errbuf, size: errbuf_size); return nil }
    do throws(Qwen3VLError) {
        let uri = try Images.dataURI(b)
        writeError("", to: errbuf, size: errbuf_size)
        return uri
    } catch {
        writeError(error.message, to: errbuf, size: errbuf_size)
        return nil
    }
}

@c @implementation
public func qwen3vl_image_part_json(_ bytes: UnsafeRawPointer?, _ len: Int, _ detail: UnsafePointer<CChar>?,
                                    _ errbuf: UnsafeMutablePointer<CChar>?, _ errbuf_size: Int) -> UnsafeMutablePointer<CChar>? {
    var detailText: String? = nil
    if let detail {
        guard let d = String(validatingCString: detail), ["auto", "low", "high"].contains(d) else {
            writeError("detail must be NULL, \"auto\", \"low\" or \"high\"", to: errbuf, size: errbuf_size)
            return nil
        }
        detailText = d
    }
    guard let uri = qwen3vl_image_data_uri(bytes, len, errbuf, errbuf_size) else { return nil }
    defer { free(uri) }
    // The URI is plain ASCII (base64), so it needs no JSON escaping.
    let head = #"{"type":"image_url","image_url":{"url":""#
    let tail = detailText.map { #"","detail":"\#($0)"}}"# } ?? #""}}"#
    let n = strlen(uri)
    guard let out = malloc(head.utf8.count + n + tail.utf8.count + 1)?.assumingMemoryBound(to: CChar.self) else {
        writeError("out of memory", to: errbuf, size: errbuf_size)
        return nil
    }
    var at = out
    for piece in [head, nil, tail] {
        if let piece {
            _ = piece.withCString { strcpy(at, $0) }
            at += piece.utf8.count
        } else {
            memcpy(at, uri, n)
            at += n
        }
    }
    at.pointee = 0
    return out
}

@c @implementation
public func qwen3vl_pixels_data_uri(_ pixels: UnsafeRawPointer?, _ width: Int32, _ height: Int32, _ stride: Int,
                                    _ format: Int32, _ errbuf: UnsafeMutablePointer<CChar>?,
                                    _ errbuf_size: Int) -> UnsafeMutablePointer<CChar>? {
    guard let pixels else { writeError("pixels is NULL", to: errbuf, size: errbuf_size); return nil }
    guard let fmt = Images.PixelFormat(rawValue: format) else {
        writeError("format must be one of QWEN3VL_PIXELS_*", to: errbuf, size: errbuf_size)
        return nil
    }
    guard width > 0, height > 0 else { writeError("width and height must be positive", to: errbuf, size: errbuf_size); return nil }
    // The buffer's extent is what width, height and stride say it is; png() checks they agree.
    let (last, o1) = stride.multipliedReportingOverflow(by: Int(height) - 1)
    let (extent, o2) = last.addingReportingOverflow(Int(width) * fmt.bytesPerPixel)
    guard !o1, !o2 else { writeError("stride × height is too large", to: errbuf, size: errbuf_size); return nil }
    do throws(Qwen3VLError) {
        let png = try Images.png(pixels: UnsafeRawBufferPointer(start: pixels, count: extent), width: Int(width),
                                 height: Int(height), stride: stride, format: fmt)
        let uri = try png.withUnsafeBytes { (b: UnsafeRawBufferPointer) -> Result<UnsafeMutablePointer<CChar>, Qwen3VLError> in
            do throws(Qwen3VLError) { return .success(try Images.dataURI(b)) } catch { return .failure(error) }
        }.get()
        writeError("", to: errbuf, size: errbuf_size)
        return uri
    } catch {
        writeError(error.message, to: errbuf, size: errbuf_size)
        return nil
    }
}

@c @implementation
public func qwen3vl_image_size(_ path: UnsafePointer<CChar>?, _ width: UnsafeMutablePointer<Int32>?,
                               _ height: UnsafeMutablePointer<Int32>?, _ errbuf: UnsafeMutablePointer<CChar>?,
                               _ errbuf_size: Int) -> Int32 {
    guard let p = swiftString(path) else {
        writeError("path is NULL or not UTF-8", to: errbuf, size: errbuf_size)
        return Status.invalidArgument.rawValue
    }
    do throws(Qwen3VLError) {
        let info = try ImageHeader.info(path: p)
        width?.pointee = Int32(clamping: info.width)
        height?.pointee = Int32(clamping: info.height)
        writeError("", to: errbuf, size: errbuf_size)
        return Status.ok.rawValue
    } catch {
        writeError(error.message, to: errbuf, size: errbuf_size)
        return error.status.rawValue
    }
}

@c @implementation
public func qwen3vl_image_size_from_bytes(_ bytes: UnsafeRawPointer?, _ len: Int, _ width: UnsafeMutablePointer<Int32>?,
                                          _ height: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let b = bytesArg(bytes, len) else { return Status.invalidArgument.rawValue }
    do throws(Qwen3VLError) {
        let info = try ImageHeader.info(b)
        width?.pointee = Int32(clamping: info.width)
        height?.pointee = Int32(clamping: info.height)
        return Status.ok.rawValue
    } catch {
        return error.status.rawValue
    }
}

@c @implementation
public func qwen3vl_image_tokens(_ width: Int32, _ height: Int32, _ min_pixels: Int64, _ max_pixels: Int64) -> Int64 {
    guard min_pixels >= 0, max_pixels >= 0 else { return -1 }
    let lo = min_pixels == 0 ? VisionTokens.defaultMinPixels : Int(clamping: min_pixels)
    let hi = max_pixels == 0 ? VisionTokens.defaultMaxPixels : Int(clamping: max_pixels)
    return VisionTokens.count(width: Int(width), height: Int(height), minPixels: lo, maxPixels: hi).map { Int64($0) } ?? -1
}

@c @implementation
public func qwen3vl_grounding_parse(_ text: UnsafePointer<CChar>?, _ width: Int32, _ height: Int32,
                                    _ errbuf: UnsafeMutablePointer<CChar>?, _ errbuf_size: Int) -> UnsafeMutablePointer<CChar>? {
    guard let t = swiftString(text) else { writeError("text is NULL or not UTF-8", to: errbuf, size: errbuf_size); return nil }
    do throws(Qwen3VLError) {
        let json = try Grounding.jsonArray(t, width: Int(width), height: Int(height))
        guard let out = malloc(json.count &+ 1) else { throw Qwen3VLError(.internal, "out of memory") }
        out.copyMemory(from: json.base, byteCount: json.count &+ 1) // with its NUL
        writeError("", to: errbuf, size: errbuf_size)
        return out.assumingMemoryBound(to: CChar.self)
    } catch {
        writeError(error.message, to: errbuf, size: errbuf_size)
        return nil
    }
}
