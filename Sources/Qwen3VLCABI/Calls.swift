// The non-blocking calls of include/qwen3vl.h: call objects, the client's event descriptor and
// its events, and the blocking entry point with per-call options.
import CQwen3VL
import Qwen3VL

#if canImport(Glibc)
import Glibc
#endif

private func call(_ p: OpaquePointer?) -> AsyncCall? {
    guard let p else { return nil }
    return Unmanaged<AsyncCall>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

private func event(_ p: OpaquePointer?) -> CallEvent? {
    guard let p else { return nil }
    return Unmanaged<CallEvent>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

/// The request's bytes (borrowed for the call) and its parsed call options.
private func callOptions(_ json: UnsafePointer<CChar>?) -> Result<CallOptions, Qwen3VLError> {
    guard let json else { return .success(CallOptions()) }
    guard let text = String(validatingCString: json) else {
        return .failure(Qwen3VLError(.invalidArgument, "call options JSON is not valid UTF-8"))
    }
    do { return .success(try CallOptions.parse(json: text)) } catch { return .failure(error) }
}

@c @implementation
public func qwen3vl_call_start(
    _ client: OpaquePointer?, _ request_json: UnsafePointer<CChar>?,
    _ call_options_json: UnsafePointer<CChar>?, _ user_data: UnsafeMutableRawPointer?
) -> OpaquePointer? {
    guard let c = Qwen3VLCABI.client(client), let request_json else { return nil }
    let started: AsyncCall
    switch callOptions(call_options_json) {
    case .success(let options):
        started = c.start(
            requestBytes: UnsafeRawBufferPointer(start: request_json, count: strlen(request_json)),
            options: options, userData: user_data)
    case .failure(let e):
        // Bad call options fail like a bad request: as the call's DONE event.
        started = c.start(failing: e, userData: user_data)
    }
    return OpaquePointer(Unmanaged.passRetained(started).toOpaque())
}

@c @implementation
public func qwen3vl_client_event_fd(_ client: OpaquePointer?) -> Int32 {
    Qwen3VLCABI.client(client)?.eventFD ?? -1
}

@c @implementation
public func qwen3vl_client_next_event(_ client: OpaquePointer?, _ timeout_ms: Int32) -> OpaquePointer? {
    guard let e = Qwen3VLCABI.client(client)?.nextEvent(timeoutMs: timeout_ms) else { return nil }
    return OpaquePointer(Unmanaged.passRetained(e).toOpaque())
}

@c @implementation
public func qwen3vl_event_kind(_ ev: OpaquePointer?) -> Int32 { event(ev)?.kind.rawValue ?? 0 }

@c @implementation
public func qwen3vl_event_call(_ ev: OpaquePointer?) -> OpaquePointer? {
    // The event holds its call, so this pointer is the host's own and valid while the event is.
    event(ev).map { OpaquePointer(Unmanaged.passUnretained($0.call).toOpaque()) }
}

@c @implementation
public func qwen3vl_event_user_data(_ ev: OpaquePointer?) -> UnsafeMutableRawPointer? { event(ev)?.call.userData }

@c @implementation
public func qwen3vl_event_text(_ ev: OpaquePointer?, _ len: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar>? {
    let text = event(ev)?.text ?? .empty
    len?.pointee = text.count
    return text.base
}

@c @implementation
public func qwen3vl_event_chunk_json(_ ev: OpaquePointer?) -> UnsafePointer<CChar>? {
    (event(ev)?.chunk ?? .empty).base
}

@c @implementation
public func qwen3vl_event_free(_ ev: OpaquePointer?) {
    guard let ev else { return }
    Unmanaged<CallEvent>.fromOpaque(UnsafeRawPointer(ev)).release()
}

@c @implementation
public func qwen3vl_call_cancel(_ c: OpaquePointer?) { call(c)?.cancel() }

@c @implementation
public func qwen3vl_call_result(_ c: OpaquePointer?) -> OpaquePointer? {
    guard let box = call(c)?.exported({ ResultBox($0) }) as? ResultBox else { return nil }
    return OpaquePointer(Unmanaged.passUnretained(box).toOpaque())
}

@c @implementation
public func qwen3vl_call_free(_ c: OpaquePointer?) {
    guard let c else { return }
    let handle = Unmanaged<AsyncCall>.fromOpaque(UnsafeRawPointer(c))
    handle.takeUnretainedValue().release()
    handle.release()
}

@c @implementation
public func qwen3vl_chat_v2(
    _ client: OpaquePointer?, _ request_json: UnsafePointer<CChar>?,
    _ call_options_json: UnsafePointer<CChar>?, _ cancel: OpaquePointer?,
    _ on_delta: qwen3vl_delta_fn?, _ user_data: UnsafeMutableRawPointer?
) -> OpaquePointer? {
    switch callOptions(call_options_json) {
    case .success(let options): return chat(client, request_json, options, on_delta, user_data, cancel)
    case .failure(let e): return failed(e.status, e.message)
    }
}
