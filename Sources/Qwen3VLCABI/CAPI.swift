// The C functions of include/qwen3vl.h. Each is a thin translation between C and the Swift core:
// pointers are checked, strings copied, and nothing here can trap.
import CQwen3VL
import CQwen3VLShims
import Qwen3VL

#if canImport(Glibc)
import Glibc
#endif

@c @implementation
public func qwen3vl_version() -> UnsafePointer<CChar>? { q3v_version_string() }

@c @implementation
public func qwen3vl_version_number() -> Int32 { q3v_version_number() }

@c @implementation
public func qwen3vl_status_name(_ status: Int32) -> UnsafePointer<CChar>? {
    q3v_status_name(status)
}

// MARK: clients

func client(_ p: OpaquePointer?) -> Qwen3VLClient? {
    guard let p else { return nil }
    return Unmanaged<Qwen3VLClient>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

@c @implementation
public func qwen3vl_client_new(
    _ options_json: UnsafePointer<CChar>?, _ errbuf: UnsafeMutablePointer<CChar>?, _ errbuf_size: Int
) -> OpaquePointer? {
    var json: String? = nil
    if let options_json {
        guard let s = String(validatingCString: options_json) else {
            writeError("options JSON is not valid UTF-8", to: errbuf, size: errbuf_size)
            return nil
        }
        json = s
    }
    do {
        let c = try Qwen3VLClient(optionsJSON: json)
        writeError("", to: errbuf, size: errbuf_size)
        return OpaquePointer(Unmanaged.passRetained(c).toOpaque())
    } catch {
        writeError(error.message, to: errbuf, size: errbuf_size)
        return nil
    }
}

@c @implementation
public func qwen3vl_client_free(_ client: OpaquePointer?) {
    guard let client else { return }
    let handle = Unmanaged<Qwen3VLClient>.fromOpaque(UnsafeRawPointer(client))
    // Calls in flight hold their own reference: they are told to stop, and the last one out frees.
    handle.takeUnretainedValue().close()
    handle.release()
}

/// A C log function and its user pointer, which the host promises are usable from any thread.
private struct CLogTarget: @unchecked Sendable {
    let fn: qwen3vl_log_fn
    let user: UnsafeMutableRawPointer?
}

@c @implementation
public func qwen3vl_client_set_log(
    _ client: OpaquePointer?, _ fn: qwen3vl_log_fn?, _ max_level: Int32,
    _ user_data: UnsafeMutableRawPointer?
) {
    guard let c = Qwen3VLCABI.client(client) else { return }
    guard let fn else { c.setLog(level: .error, nil); return }
    let target = CLogTarget(fn: fn, user: user_data)
    let level = LogLevel(rawValue: max(0, min(max_level, LogLevel.debug.rawValue))) ?? .debug
    c.setLog(level: level) { lvl, message in message.withCString { target.fn(lvl.rawValue, $0, target.user) } }
}

@c @implementation
public func qwen3vl_client_cancel_all(_ client: OpaquePointer?) {
    Qwen3VLCABI.client(client)?.cancelAll()
}

// MARK: chat

func failed(_ status: Status, _ message: String) -> OpaquePointer? {
    var r = ChatResult()
    r.status = status
    r.error = message
    return ResultBox.export(r)
}

@c @implementation
public func qwen3vl_chat(_ client: OpaquePointer?, _ request_json: UnsafePointer<CChar>?) -> OpaquePointer? {
    chat(client, request_json, CallOptions(), nil, nil, nil)
}

@c @implementation
public func qwen3vl_chat_cancellable(
    _ client: OpaquePointer?, _ request_json: UnsafePointer<CChar>?,
    _ cancel: OpaquePointer?
) -> OpaquePointer? {
    chat(client, request_json, CallOptions(), nil, nil, cancel)
}

@c @implementation
public func qwen3vl_chat_stream(
    _ client: OpaquePointer?, _ request_json: UnsafePointer<CChar>?,
    _ on_delta: qwen3vl_delta_fn?, _ user_data: UnsafeMutableRawPointer?
) -> OpaquePointer? {
    guard let on_delta else { return failed(.invalidArgument, "on_delta is NULL") }
    return chat(client, request_json, CallOptions(), on_delta, user_data, nil)
}

@c @implementation
public func qwen3vl_chat_stream_cancellable(
    _ client: OpaquePointer?, _ request_json: UnsafePointer<CChar>?,
    _ on_delta: qwen3vl_delta_fn?, _ user_data: UnsafeMutableRawPointer?,
    _ cancel: OpaquePointer?
) -> OpaquePointer? {
    guard let on_delta else { return failed(.invalidArgument, "on_delta is NULL") }
    return chat(client, request_json, CallOptions(), on_delta, user_data, cancel)
}

/// The one path behind the blocking chat functions: a plain call unless there is `onDelta` (or the
/// call options ask for a stream).
func chat(
    _ client: OpaquePointer?, _ request: UnsafePointer<CChar>?, _ options: CallOptions, _ onDelta: qwen3vl_delta_fn?,
    _ user: UnsafeMutableRawPointer?, _ cancel: OpaquePointer?
) -> OpaquePointer? {
    guard let c = Qwen3VLCABI.client(client) else { return failed(.invalidArgument, "client is NULL") }
    guard let request else { return failed(.invalidArgument, "request_json is NULL") }
    // Borrow the caller's bytes for the whole call; jansson checks they are UTF-8 JSON.
    let bytes = UnsafeRawBufferPointer(start: request, count: strlen(request))
    let deliver = onDelta.map { fn in
        { (chunk: StreamChunk) -> Bool in
            fn(chunk.textBytes.baseAddress, chunk.textBytes.count, chunk.jsonBytes.baseAddress, user) == 0
        }
    }
    return ResultBox.export(c.chat(requestBytes: bytes, options: options, cancel: token(cancel), onDelta: deliver))
}

// MARK: cancellation

func token(_ p: OpaquePointer?) -> CancelToken? {
    guard let p else { return nil }
    return Unmanaged<CancelToken>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

@c @implementation
public func qwen3vl_cancel_new() -> OpaquePointer? {
    OpaquePointer(Unmanaged.passRetained(CancelToken()).toOpaque())
}

@c @implementation
public func qwen3vl_cancel_trigger(_ cancel: OpaquePointer?) { token(cancel)?.cancel() }

@c @implementation
public func qwen3vl_cancel_is_triggered(_ cancel: OpaquePointer?) -> Int32 {
    token(cancel)?.isCancelled == true ? 1 : 0
}

@c @implementation
public func qwen3vl_cancel_watch_fd(
    _ cancel: OpaquePointer?, _ fd: Int32, _ errbuf: UnsafeMutablePointer<CChar>?, _ errbuf_size: Int
) -> Int32 {
    report(errbuf, errbuf_size) { () throws(Qwen3VLError) in
        guard let t = token(cancel) else { throw Qwen3VLError(.invalidArgument, "cancel is NULL") }
        guard fd >= -1 else { throw Qwen3VLError(.invalidArgument, "fd \(fd) is negative (-1 stops watching)") }
        if fd >= 0 {
            var p = pollfd(fd: fd, events: 0, revents: 0)
            guard poll(&p, 1, 0) >= 0, p.revents & Int16(POLLNVAL) == 0 else {
                throw Qwen3VLError(.invalidArgument, "fd \(fd) is not an open descriptor")
            }
        }
        t.watchedFd = fd
    }
}

@c @implementation
public func qwen3vl_cancel_free(_ cancel: OpaquePointer?) {
    guard let cancel else { return }
    Unmanaged<CancelToken>.fromOpaque(UnsafeRawPointer(cancel)).release()
}

// MARK: results

@c @implementation
public func qwen3vl_result_status(_ r: OpaquePointer?) -> Int32 {
    ResultBox.from(r)?.status ?? Status.invalidArgument.rawValue
}

/// One of a result's strings; "" for NULL.
private func string(_ r: OpaquePointer?, _ field: (ResultBox) -> UnsafePointer<CChar>) -> UnsafePointer<CChar> {
    ResultBox.from(r).map(field) ?? cString("")
}

@c @implementation
public func qwen3vl_result_error(_ r: OpaquePointer?) -> UnsafePointer<CChar>? {
    r == nil ? cString("result is NULL") : string(r) { $0.error }
}

@c @implementation
public func qwen3vl_result_http_status(_ r: OpaquePointer?) -> Int32 { ResultBox.from(r)?.httpStatus ?? 0 }

@c @implementation
public func qwen3vl_result_text(_ r: OpaquePointer?) -> UnsafePointer<CChar>? { string(r) { $0.text.base } }

@c @implementation
public func qwen3vl_result_text_len(_ r: OpaquePointer?) -> Int { ResultBox.from(r)?.text.count ?? 0 }

@c @implementation
public func qwen3vl_result_finish_reason(_ r: OpaquePointer?) -> UnsafePointer<CChar>? { string(r) { $0.finishReason } }

@c @implementation
public func qwen3vl_result_json(_ r: OpaquePointer?) -> UnsafePointer<CChar>? { string(r) { $0.json.base } }

@c @implementation
public func qwen3vl_result_request_id(_ r: OpaquePointer?) -> UnsafePointer<CChar>? { string(r) { $0.requestID } }

@c @implementation
public func qwen3vl_result_tool_calls_json(_ r: OpaquePointer?) -> UnsafePointer<CChar>? {
    string(r) { $0.toolCalls.base }
}

@c @implementation
public func qwen3vl_result_headers(_ r: OpaquePointer?) -> UnsafePointer<CChar>? { string(r) { $0.headers.base } }

@c @implementation
public func qwen3vl_result_error_body(_ r: OpaquePointer?, _ len: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar>? {
    let body = ResultBox.from(r)?.errorBody ?? .empty
    len?.pointee = body.count
    return body.base
}

@c @implementation
public func qwen3vl_result_tokens(_ r: OpaquePointer?, _ kind: Int32) -> Int64 {
    guard let box = ResultBox.from(r) else { return -1 }
    switch kind {
    case QWEN3VL_TOKENS_PROMPT: return box.tokens.prompt
    case QWEN3VL_TOKENS_COMPLETION: return box.tokens.completion
    case QWEN3VL_TOKENS_TOTAL: return box.tokens.total
    default: return -1
    }
}

@c @implementation
public func qwen3vl_result_attempts(_ r: OpaquePointer?) -> Int32 { ResultBox.from(r)?.attempts ?? 0 }

@c @implementation
public func qwen3vl_result_elapsed_ms(_ r: OpaquePointer?) -> Double { ResultBox.from(r)?.elapsedMs ?? 0 }

@c @implementation
public func qwen3vl_result_free(_ r: OpaquePointer?) {
    guard let r else { return }
    Unmanaged<ResultBox>.fromOpaque(UnsafeRawPointer(r)).release()
}
