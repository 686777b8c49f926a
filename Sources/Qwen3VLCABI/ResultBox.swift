import Qwen3VL
#if canImport(Glibc)
import Glibc
#endif

/// A `qwen3vl_result`: a finished call with its strings copied out as C strings, so that the
/// pointers the accessors hand out stay put until `qwen3vl_result_free`.
final class ResultBox {
    let status: Int32
    let httpStatus: Int32
    let attempts: Int32
    let tokens: (prompt: Int64, completion: Int64, total: Int64)
    let elapsedMs: Double
    let error: UnsafeMutablePointer<CChar>
    let finishReason: UnsafeMutablePointer<CChar>
    let requestID: UnsafeMutablePointer<CChar>
    // Already NUL-terminated C memory, immutable: held, not copied.
    let text: Bytes
    let json: Bytes
    let toolCalls: Bytes
    let headers: Bytes
    let errorBody: Bytes

    /// Nil only when memory for the copies runs out.
    init?(_ r: ChatResult) {
        guard let e = cCopy(r.error), let f = cCopy(r.finishReason), let id = cCopy(r.requestID) else {
            return nil
        }
        status = r.status.rawValue
        httpStatus = Int32(clamping: r.httpStatus)
        attempts = Int32(clamping: r.attempts)
        tokens = (r.promptTokens, r.completionTokens, r.totalTokens)
        elapsedMs = r.elapsedMs
        (error, finishReason, requestID) = (e, f, id)
        (text, json, toolCalls) = (r.textBytes, r.jsonBytes, r.toolCallsBytes)
        (headers, errorBody) = (r.headersBytes, r.errorBodyBytes)
    }

    deinit {
        for p in [error, finishReason, requestID] { free(p) }
    }

    /// Hands the box to C as a `qwen3vl_result *`, or NULL when even that is impossible.
    static func export(_ r: ChatResult) -> OpaquePointer? {
        guard let box = ResultBox(r) else { return nil }
        return OpaquePointer(Unmanaged.passRetained(box).toOpaque())
    }

    static func from(_ p: OpaquePointer?) -> ResultBox? {
        guard let p else { return nil }
        return Unmanaged<ResultBox>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
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
