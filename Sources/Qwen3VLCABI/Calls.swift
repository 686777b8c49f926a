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

/// Bytes a record of qwen3vl_client_take_events takes: a 40-byte head, the text and the chunk
/// JSON, padded to a multiple of 8; nil if that overflows.
private func recordSize(_ e: CallEvent) -> Int? {
    let (a, o1) = e.text.count.addingReportingOverflow(e.chunk.count)
    let (b, o2) = a.addingReportingOverflow(40 + 7)
    return o1 || o2 ? nil : b & ~7
}

@c @implementation
public func qwen3vl_client_take_events(
    _ client: OpaquePointer?, _ timeout_ms: Int32, _ buf: UnsafeMutableRawPointer?,
    _ cap: Int, _ used: UnsafeMutablePointer<Int>?
) -> Int {
    used?.pointee = 0
    guard let c = Qwen3VLCABI.client(client), let buf else { return 0 }
    var room = cap
    var needed = 0 // the size of a first event that does not fit at all
    let batch = c.takeEvents(timeoutMs: timeout_ms) { e in
        let size = recordSize(e) ?? Int.max
        guard size <= room else {
            if room == cap { needed = size }
            return false
        }
        room -= size
        return true
    }
    var at = 0
    for e in batch {
        let size = recordSize(e) ?? 0 // each fitted, so its size was computed without overflow
        let head = buf + at
        head.storeBytes(of: UInt64(UInt(bitPattern: e.call.userData)), toByteOffset: 0, as: UInt64.self)
        head.storeBytes(
            of: UInt64(UInt(bitPattern: Unmanaged.passUnretained(e.call).toOpaque())), toByteOffset: 8,
            as: UInt64.self)
        head.storeBytes(of: UInt32(bitPattern: e.kind.rawValue), toByteOffset: 16, as: UInt32.self)
        head.storeBytes(of: 0, toByteOffset: 20, as: UInt32.self)
        head.storeBytes(of: UInt64(e.text.count), toByteOffset: 24, as: UInt64.self)
        head.storeBytes(of: UInt64(e.chunk.count), toByteOffset: 32, as: UInt64.self)
        (head + 40).copyMemory(from: e.text.base, byteCount: e.text.count)
        (head + 40 + e.text.count).copyMemory(from: e.chunk.base, byteCount: e.chunk.count)
        let end = 40 + e.text.count + e.chunk.count
        (head + end).initializeMemory(as: UInt8.self, repeating: 0, count: size - end)
        at += size
    }
    used?.pointee = batch.isEmpty ? needed : at
    return batch.count
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
    guard let text = event(ev)?.text else {
        len?.pointee = 0
        return Bytes.empty.base
    }
    len?.pointee = text.count
    return text.base
}

@c @implementation
public func qwen3vl_event_chunk_json(_ ev: OpaquePointer?) -> UnsafePointer<CChar>? {
    event(ev)?.chunk.base ?? Bytes.empty.base
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
