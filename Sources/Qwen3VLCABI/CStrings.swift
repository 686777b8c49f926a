// C strings across the boundary: literals handed out, arguments read, copies and error buffers written.
import Qwen3VL

#if canImport(Glibc)
import Glibc
#endif

/// A string literal as C text, in static storage: the pointer is good for the life of the library.
func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// strdup of a Swift string (cut at an embedded NUL, as a C string must be).
func cCopy(_ s: String) -> UnsafeMutablePointer<CChar>? {
    s.withCString { strdup($0) }
}

/// A C string argument as Swift text; nil for NULL or invalid UTF-8.
func swiftString(_ p: UnsafePointer<CChar>?) -> String? {
    guard let p else { return nil }
    return String(validatingCString: p)
}

/// Writes `message` into a caller's buffer, NUL-terminated and cut on a UTF-8 boundary.
func writeError(_ message: String, to buf: UnsafeMutablePointer<CChar>?, size: Int) {
    guard let buf, size > 0 else { return }
    var utf8 = Array(message.utf8.prefix(size - 1))
    // Drop a trailing partial sequence: continuation bytes, then the lead byte they belong to.
    if utf8.count < message.utf8.count {
        var i = utf8.count
        while i > 0 && utf8[i - 1] & 0xC0 == 0x80 { i -= 1 }
        if i > 0 && utf8[i - 1] >= 0xC0 {
            let lead = utf8[i - 1]
            let need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            if utf8.count - (i - 1) < need { utf8.removeSubrange((i - 1)...) }
        }
    }
    utf8.withUnsafeBufferPointer { src in
        if let base = src.baseAddress { UnsafeMutableRawPointer(buf).copyMemory(from: base, byteCount: src.count) }
    }
    buf[utf8.count] = 0
}

/// Runs the body of a function with an int status and an errbuf (the helpers, qwen3vl_cancel_watch_fd)
/// the one way all of them report: its status, and its message (or "") in errbuf.
func report(
    _ errbuf: UnsafeMutablePointer<CChar>?, _ errbufSize: Int,
    _ body: () throws(Qwen3VLError) -> Void
) -> Int32 {
    do throws(Qwen3VLError) {
        try body()
        writeError("", to: errbuf, size: errbufSize)
        return Status.ok.rawValue
    } catch {
        writeError(error.message, to: errbuf, size: errbufSize)
        return error.status.rawValue
    }
}
