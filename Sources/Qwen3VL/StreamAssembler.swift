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
        if !sawEvent && head.count < Self.headLimit {
            head.append(contentsOf: bytes.prefix(Self.headLimit - head.count))
        }
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
        guard case .success(let doc) = JSONDocument.parse(body), let e = doc.root["error"], !e.isNull else {
            return nil
        }
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
        if name == "error" {
            let message =
                (try? JSONDocument.parse(raw).get()).flatMap { ReplyParser.errorMessage(in: $0.root) }
                ?? ReplyParser.excerpt(raw)
            failure = Qwen3VLError(.protocol, "server sent an error event: \(message)")
            return false
        }
        guard let parsed = parse(raw) else { return false }
        defer { q3v_json_decref(parsed) }
        let root = JSONRef(raw: parsed)
        guard root.kind == .object else {
            failure = Qwen3VLError(.protocol, "stream chunk is \(root.kindName), not an object")
            return false
        }
        let chunk = Chunk(root)
        if let err = chunk.error, !err.isNull {
            failure = Qwen3VLError(
                .protocol,
                "server reported an error in the stream: \(ReplyParser.errorMessage(in: root) ?? "(no message)")")
            return false
        }
        // Before taking the chunk in, so the assembled text is exactly what the caller was given.
        if isCancelled() { cancelled = true; return false }
        let text = absorb(chunk)
        // The chunk JSON is followed by a NUL in the decoder's buffer, as C wants it.
        let json = UnsafeBufferPointer(
            start: UnsafeRawPointer(data.baseAddress)?.assumingMemoryBound(to: CChar.self), count: data.count)
        let go = withEmptyCString { empty in
            onDelta(
                StreamChunk(
                    textBytes: UnsafeBufferPointer(start: text?.baseAddress ?? empty, count: text?.count ?? 0),
                    jsonBytes: json))
        }
        deliveredAny = true
        if !go { stoppedByCaller = true; return false }
        if isCancelled() { cancelled = true; return false }
        return true
    }

    /// A chunk's JSON as a new reference, or nil with `failure` set. Chunks are small and many, so
    /// they go to jansson directly; a failed or large one goes through JSONDocument.parse, which
    /// checks memory first and says what was wrong.
    private func parse(_ raw: UnsafeRawBufferPointer) -> UnsafeMutablePointer<json_t>? {
        if raw.count <= 1 << 20, let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self),
            let v = json_loadb(base, raw.count, Int(JSON_ALLOW_NUL), nil)
        {
            return v
        }
        switch JSONDocument.parse(raw) {
        case .success(let doc):
            return q3v_json_incref(doc.raw)
        case .failure(let e):
            if e.outOfMemory {
                outOfMemory()
            } else {
                failure = Qwen3VLError(.protocol, "stream chunk is not JSON: \(ReplyParser.excerpt(raw))")
            }
            return nil
        }
    }

    /// The members of a chunk that matter, found in one pass over its keys.
    private struct Chunk {
        var id, model, created, fingerprint, usage, meta, choices, error: JSONRef?
        init(_ root: JSONRef) {
            root.forEachMember { key, value in
                switch key.count {
                case 2: if isKey(key, "id") { id = value }
                case 4: if isKey(key, "meta") { meta = value }
                case 5:
                    if isKey(key, "model") {
                        model = value
                    } else if isKey(key, "usage") {
                        usage = value
                    } else if isKey(key, "error") {
                        error = value
                    }
                case 7: if isKey(key, "choices") { choices = value } else if isKey(key, "created") { created = value }
                case 18: if isKey(key, "system_fingerprint") { fingerprint = value }
                default: break
                }
            }
        }
    }

    /// Takes in one chunk; returns choice 0's content delta as jansson holds it (valid while the chunk is).
    private func absorb(_ chunk: Chunk) -> UnsafeBufferPointer<CChar>? {
        if id.isEmpty, let s = chunk.id?.string { id = s }
        if model.isEmpty, let s = chunk.model?.string { model = s }
        if created == nil { created = chunk.created?.int }
        if systemFingerprint == nil { systemFingerprint = chunk.fingerprint?.string }
        if let u = chunk.usage, u.kind == .object { usage = JSONDocument(retaining: u) }
        if let m = chunk.meta, m.kind == .object { meta = JSONDocument(retaining: m) }
        var text: UnsafeBufferPointer<CChar>?
        guard let list = chunk.choices, list.kind == .array else { return nil }
        for i in 0..<json_array_size(list.raw) {
            guard let raw = json_array_get(list.raw, i) else { continue }
            var indexValue, delta, finish: JSONRef?
            JSONRef(raw: raw).forEachMember { key, value in
                if isKey(key, "delta") {
                    delta = value
                } else if isKey(key, "index") {
                    indexValue = value
                } else if isKey(key, "finish_reason") {
                    finish = value
                }
            }
            let index = Int(indexValue?.int ?? 0)
            // In place: a copy out of the dictionary and back would copy the whole text so far.
            update(index) { choice in
                if let delta, delta.kind == .object {
                    var role, content, reasoning, calls: JSONRef?
                    delta.forEachMember { key, value in
                        switch key.count {
                        case 4: if isKey(key, "role") { role = value }
                        case 7: if isKey(key, "content") { content = value }
                        case 10: if isKey(key, "tool_calls") { calls = value }
                        case 17: if isKey(key, "reasoning_content") { reasoning = value }
                        default: break
                        }
                    }
                    if let r = role, r.kind == .string, let s = r.string, s != choice.role { choice.role = s }
                    if let s = content?.stringBytes {
                        if !choice.content.append(s) { outOfMemory() }
                        if index == 0 {
                            text = UnsafeBufferPointer(
                                start: s.baseAddress?.assumingMemoryBound(to: CChar.self), count: s.count)
                        }
                    }
                    if let s = reasoning?.stringBytes, !choice.reasoning.append(s) { outOfMemory() }
                    if let calls, calls.kind == .array {
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
                if let fr = finish?.string {
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
        if let choice = choices[0], !choice.toolCalls.isEmpty {
            var w = JSONWriter()
            writeToolCalls(choice, to: &w)
            guard let calls = w.finish() else { return nil }
            c.toolCallsJSON = calls
        }
        ReplyParser.readUsage(usage?.root, into: &c)
        return c
    }

    /// The chat.completion object the server would have sent without streaming; nil if out of memory.
    func completionJSON() -> Bytes? {
        let text = choices.values.reduce(0) { n, c in n &+ c.content.count &+ c.reasoning.count }
        var w = JSONWriter(capacity: text &+ 512)
        w.raw("{")
        w.key("id"); w.string(id)
        w.raw(",\"object\":\"chat.completion\",")
        w.key("created"); w.int(created ?? 0)
        w.raw(","); w.key("model"); w.string(model)
        if let fp = systemFingerprint { w.raw(","); w.key("system_fingerprint"); w.string(fp) }
        w.raw(","); w.key("choices"); w.raw("[")
        for (n, index) in choices.keys.sorted().enumerated() {
            guard let choice = choices[index] else { continue }
            if n > 0 { w.raw(",") }
            w.raw("{"); w.key("index"); w.int(Int64(index))
            w.raw(","); w.key("message"); w.raw("{"); w.key("role"); w.string(choice.role)
            w.raw(","); w.key("content")
            if choice.content.isEmpty && !choice.toolCalls.isEmpty {
                w.raw("null")
            } else {
                w.string(choice.content.bytes)
            }
            if !choice.reasoning.isEmpty { w.raw(","); w.key("reasoning_content"); w.string(choice.reasoning.bytes) }
            if !choice.toolCalls.isEmpty { w.raw(","); w.key("tool_calls"); writeToolCalls(choice, to: &w) }
            w.raw("},"); w.key("finish_reason")
            if let fr = choice.finishReason { w.string(fr) } else { w.raw("null") }
            w.raw(",\"logprobs\":null}")
        }
        w.raw("]")
        if let usage { w.raw(","); w.key("usage"); w.value(usage.raw) }
        if let meta { w.raw(","); w.key("meta"); w.value(meta.raw) }
        w.raw("}")
        return w.finish()
    }

    /// The choice's tool calls as a JSON array, in index order.
    private func writeToolCalls(_ choice: Choice, to w: inout JSONWriter) {
        w.raw("[")
        for (n, k) in choice.toolCalls.keys.sorted().enumerated() {
            guard let call = choice.toolCalls[k] else { continue }
            if n > 0 { w.raw(",") }
            w.raw("{"); w.key("index"); w.int(Int64(k))
            w.raw(","); w.key("id"); w.string(call.id)
            w.raw(","); w.key("type"); w.string(call.type.isEmpty ? "function" : call.type)
            w.raw(","); w.key("function"); w.raw("{"); w.key("name"); w.string(call.name)
            w.raw(","); w.key("arguments"); w.string(call.arguments)
            w.raw("}}")
        }
        w.raw("]")
    }
}

private func withEmptyCString<R>(_ body: (UnsafePointer<CChar>) -> R) -> R {
    var zero: CChar = 0
    return withUnsafePointer(to: &zero) { body($0) }
}
