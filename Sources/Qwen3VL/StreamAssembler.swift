import CJansson
import CQwen3VLShims
#if canImport(Glibc)
import Glibc
#endif

/// One piece of a streamed reply as handed to the caller: the content delta of choice 0 ("" when a
/// chunk has none) and the raw chunk JSON. Both are NUL-terminated and valid only during the callback.
public struct StreamChunk {
    /// UTF-8 bytes of the delta, without the terminating NUL (which follows them in memory).
    public let textBytes: UnsafeBufferPointer<CChar>
    /// The chunk JSON, without the terminating NUL (which follows it in memory).
    public let jsonBytes: UnsafeBufferPointer<CChar>

    public var text: String { String(decoding: UnsafeRawBufferPointer(textBytes), as: UTF8.self) }
    public var json: String { String(decoding: UnsafeRawBufferPointer(jsonBytes), as: UTF8.self) }
}

/// Turns the events of a chat-completions stream into deltas for the caller and, at the end, a
/// reply assembled as if it had not been streamed: text, finish reason, tool calls put together from
/// their indexed fragments, usage and the vendor's `meta` from the last chunk.
final class StreamAssembler {
    private struct ToolCall { var id = ""; var type = ""; var name = ""; var arguments = "" }
    private struct Choice {
        var role = "assistant"
        // Sized by the network, so grown without trapping when memory runs short.
        let content = ByteBuffer()
        let reasoning = ByteBuffer()
        var finishReason: String?
        var toolCalls: [Int: ToolCall] = [:]
    }

    private let onDelta: (StreamChunk) -> Bool
    /// Asked before and after each delta goes to the caller, so that a cancel stops delivery at
    /// once even when many events arrived in one read.
    private let isCancelled: () -> Bool
    private var decoder: SSEDecoder
    private var choices: [Int: Choice] = [:]
    private var id = ""
    private var model = ""
    private var created: Int64?
    private var systemFingerprint: String?
    private var usage: JSONDocument?
    private var meta: JSONDocument?

    /// `[DONE]` arrived.
    private(set) var sawDone = false
    /// A finish_reason arrived for some choice.
    private(set) var sawFinish = false
    /// At least one chunk went to the callback: from here on the call must not be retried.
    private(set) var deliveredAny = false
    /// The callback asked to stop.
    private(set) var stoppedByCaller = false
    /// The call was cancelled (token, cancel_all, client freed) while events were being handed over.
    private(set) var cancelled = false
    /// What went wrong in the stream itself (an error event, a malformed chunk, an oversized event).
    private(set) var failure: Qwen3VLError?

    init(maxEventBytes: Int, isCancelled: @escaping () -> Bool, onDelta: @escaping (StreamChunk) -> Bool) {
        self.onDelta = onDelta
        self.isCancelled = isCancelled
        decoder = SSEDecoder(maxEventBytes: maxEventBytes)
    }

    /// Feeds bytes from the network; false means stop receiving.
    func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !stopped else { return false }
        if !sawEvent && head.count < Self.headLimit { head.append(contentsOf: bytes.prefix(Self.headLimit - head.count)) }
        do {
            try decoder.feed(bytes, raw: handle)
        } catch {
            failure = Self.error(error)
        }
        return !stopped
    }

    /// The first bytes of a stream in which no event has come yet: a server that answers a stream
    /// request with a bare JSON error body (under a text/event-stream type) has its message there.
    private var head: [UInt8] = []
    private var sawEvent = false
    private static let headLimit = 64 << 10

    /// Nothing more is to be taken in: failed, stopped, cancelled or whole.
    private var stopped: Bool { failure != nil || stoppedByCaller || cancelled || sawDone }

    /// The connection ended cleanly: flush a last event that had no blank line after it.
    func finish() {
        guard !stopped else { return }
        do {
            try decoder.finish(raw: handle)
        } catch {
            failure = Self.error(error)
        }
        if !sawEvent, failure == nil, let message = head.withUnsafeBytes({ bareErrorMessage($0) }) {
            failure = Qwen3VLError(.protocol, "server reported an error: \(message)")
        }
    }

    private static func error(_ f: SSEDecoder.Failure) -> Qwen3VLError {
        switch f {
        case .eventTooLarge(let limit): return Qwen3VLError(.protocol, "stream event larger than \(limit) bytes")
        case .outOfMemory: return Qwen3VLError(.internal, "out of memory while reading the stream")
        }
    }

    private func bareErrorMessage(_ body: UnsafeRawBufferPointer) -> String? {
        guard case .success(let doc) = JSONDocument.parse(body), let e = doc.root["error"], !e.isNull else { return nil }
        return ReplyParser.errorMessage(in: doc.root) ?? "(no message)"
    }

    var isComplete: Bool { sawDone || sawFinish }

    private func handle(_ name: String, _ data: UnsafeBufferPointer<UInt8>) -> Bool {
        sawEvent = true
        let raw = UnsafeRawBufferPointer(data)
        // As openai-python does: anything starting with [DONE] ends the stream ("[DONE] " included).
        if raw.starts(with: "[DONE]".utf8) {
            sawDone = true
            return false
        }
        let parsed = JSONDocument.parse(raw)
        if name == "error" {
            let message = (try? parsed.get()).flatMap { ReplyParser.errorMessage(in: $0.root) } ?? ReplyParser.excerpt(raw)
            failure = Qwen3VLError(.protocol, "server sent an error event: \(message)")
            return false
        }
        guard case .success(let doc) = parsed else {
            if case .failure(let e) = parsed, e.outOfMemory { outOfMemory(); return false }
            failure = Qwen3VLError(.protocol, "stream chunk is not JSON: \(ReplyParser.excerpt(raw))")
            return false
        }
        let root = doc.root
        guard root.kind == .object else {
            failure = Qwen3VLError(.protocol, "stream chunk is \(root.kindName), not an object")
            return false
        }
        if let err = root["error"], !err.isNull {
            failure = Qwen3VLError(.protocol, "server reported an error in the stream: \(ReplyParser.errorMessage(in: root) ?? "(no message)")")
            return false
        }
        // Before taking the chunk in, so the assembled text is exactly what the caller was given.
        if isCancelled() { cancelled = true; return false }
        let text = absorb(root)
        // The chunk JSON is followed by a NUL in the decoder's buffer, as C wants it.
        let json = UnsafeBufferPointer(start: UnsafeRawPointer(data.baseAddress)?.assumingMemoryBound(to: CChar.self), count: data.count)
        let go = withEmptyCString { empty in
            onDelta(StreamChunk(textBytes: UnsafeBufferPointer(start: text?.baseAddress ?? empty, count: text?.count ?? 0),
                                jsonBytes: json))
        }
        deliveredAny = true
        if !go { stoppedByCaller = true; return false }
        if isCancelled() { cancelled = true; return false }
        return true
    }

    /// Takes in one chunk; returns choice 0's content delta as jansson holds it (valid while `root` is).
    private func absorb(_ root: JSONRef) -> UnsafeBufferPointer<CChar>? {
        if id.isEmpty, let s = root["id"]?.string { id = s }
        if model.isEmpty, let s = root["model"]?.string { model = s }
        if created == nil { created = root["created"]?.int }
        if systemFingerprint == nil { systemFingerprint = root["system_fingerprint"]?.string }
        if let u = root["usage"], u.kind == .object { usage = JSONDocument(retaining: u) }
        if let m = root["meta"], m.kind == .object { meta = JSONDocument(retaining: m) }
        var text: UnsafeBufferPointer<CChar>?
        guard let list = root["choices"], list.kind == .array else { return nil }
        for i in 0..<json_array_size(list.raw) {
            guard let raw = json_array_get(list.raw, i) else { continue }
            let c = JSONRef(raw: raw)
            let index = Int(c["index"]?.int ?? 0)
            // In place: a copy out of the dictionary and back would copy the whole text so far.
            update(index) { choice in
                if let delta = c["delta"], delta.kind == .object {
                    if let r = delta["role"], r.kind == .string, let s = r.string, s != choice.role { choice.role = s }
                    if let s = delta["content"]?.stringBytes {
                        if !choice.content.append(s) { outOfMemory() }
                        if index == 0 { text = UnsafeBufferPointer(start: s.baseAddress?.assumingMemoryBound(to: CChar.self), count: s.count) }
                    }
                    if let s = delta["reasoning_content"]?.stringBytes, !choice.reasoning.append(s) { outOfMemory() }
                    if let calls = delta["tool_calls"], calls.kind == .array {
                        for (n, fragment) in calls.elements.enumerated() {
                            let k = Int(fragment["index"]?.int ?? Int64(n))
                            var call = choice.toolCalls[k] ?? ToolCall()
                            if let s = fragment["id"]?.string { call.id += s }
                            if let s = fragment["type"]?.string { call.type = s }
                            if let f = fragment["function"] {
                                if let s = f["name"]?.string { call.name += s }
                                if let s = f["arguments"]?.string { call.arguments += s }
                            }
                            choice.toolCalls[k] = call
                        }
                    }
                }
                if let fr = c["finish_reason"]?.string {
                    choice.finishReason = fr
                    sawFinish = true
                }
            }
        }
        return text
    }

    private func update(_ index: Int, _ body: (inout Choice) -> Void) {
        body(&choices[index, default: Choice()])
    }

    private func outOfMemory() {
        if failure == nil { failure = Qwen3VLError(.internal, "out of memory while assembling the stream") }
    }

    // MARK: the assembled reply

    /// What has arrived so far, as if it had not been streamed; nil when memory runs out (the
    /// result then keeps no text rather than trapping).
    func completion() -> Completion? {
        var c = Completion()
        c.id = id
        if let content = choices[0]?.content {
            guard let text = Bytes.copy(content.bytes) else { return nil }
            c.text = text
        }
        c.finishReason = choices[0]?.finishReason ?? ""
        if let choice = choices[0], let calls = toolCallsJSON(choice) {
            defer { q3v_json_decref(calls) }
            guard let dumped = JSONRef(raw: calls).dumpBytes() else { return nil }
            c.toolCallsJSON = dumped
        }
        ReplyParser.readUsage(usage?.root, into: &c)
        return c
    }

    /// The chat.completion object the server would have sent without streaming; nil if out of memory.
    func completionJSON() -> Bytes? {
        guard let root = json_object() else { return nil }
        defer { q3v_json_decref(root) }
        set(root, "id", JSONBuild.string(id))
        set(root, "object", JSONBuild.string("chat.completion"))
        set(root, "created", json_integer(json_int_t(created ?? 0)))
        set(root, "model", JSONBuild.string(model))
        if let fp = systemFingerprint { set(root, "system_fingerprint", JSONBuild.string(fp)) }
        let list = json_array()
        for index in choices.keys.sorted() {
            guard let choice = choices[index], let obj = json_object(), let message = json_object() else { continue }
            set(message, "role", JSONBuild.string(choice.role))
            let calls = toolCallsJSON(choice)
            set(message, "content", choice.content.isEmpty && calls != nil ? json_null() : JSONBuild.string(choice.content.bytes))
            if !choice.reasoning.isEmpty {
                set(message, "reasoning_content", JSONBuild.string(choice.reasoning.bytes))
            }
            if let calls { set(message, "tool_calls", calls) }
            set(obj, "index", json_integer(json_int_t(index)))
            set(obj, "message", message)
            set(obj, "finish_reason", choice.finishReason.map { JSONBuild.string($0) } ?? json_null())
            set(obj, "logprobs", json_null())
            if let list { _ = json_array_append_new(list, obj) } else { q3v_json_decref(obj) }
        }
        set(root, "choices", list)
        if let usage { set(root, "usage", json_deep_copy(usage.raw)) }
        if let meta { set(root, "meta", json_deep_copy(meta.raw)) }
        return JSONRef(raw: root).dumpBytes()
    }

    /// A new JSON array of the choice's tool calls in index order, or nil if it has none.
    private func toolCallsJSON(_ choice: Choice) -> UnsafeMutablePointer<json_t>? {
        guard !choice.toolCalls.isEmpty, let list = json_array() else { return nil }
        for k in choice.toolCalls.keys.sorted() {
            guard let call = choice.toolCalls[k], let obj = json_object(), let fn = json_object() else { continue }
            set(obj, "index", json_integer(json_int_t(k)))
            set(obj, "id", JSONBuild.string(call.id))
            set(obj, "type", JSONBuild.string(call.type.isEmpty ? "function" : call.type))
            set(fn, "name", JSONBuild.string(call.name))
            set(fn, "arguments", JSONBuild.string(call.arguments))
            set(obj, "function", fn)
            _ = json_array_append_new(list, obj)
        }
        return list
    }

    /// json_object_set_new that tolerates a NULL value (out of memory): the key is then left out.
    private func set(_ obj: UnsafeMutablePointer<json_t>, _ key: String, _ value: UnsafeMutablePointer<json_t>?) {
        guard let value else { return }
        _ = json_object_set_new(obj, key, value)
    }
}

private func withEmptyCString<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
    var zero: CChar = 0
    return withUnsafePointer(to: &zero) { body($0) }
}
