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
    let error: UnsafePointer<CChar>
    let finishReason: UnsafePointer<CChar>
    let requestID: UnsafePointer<CChar>
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
        (error, finishReason, requestID) = (UnsafePointer(e), UnsafePointer(f), UnsafePointer(id))
        (text, json, toolCalls) = (r.textBytes, r.jsonBytes, r.toolCallsBytes)
        (headers, errorBody) = (r.headersBytes, r.errorBodyBytes)
    }

    deinit {
        for p in [error, finishReason, requestID] { free(UnsafeMutablePointer(mutating: p)) }
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
