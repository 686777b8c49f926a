/// What a chat.completion reply says, taken apart with jansson.
struct Completion {
    var id = ""
    var text = Bytes.empty
    var finishReason = ""
    var toolCallsJSON = Bytes.empty
    var promptTokens: Int64 = -1
    var completionTokens: Int64 = -1
    var totalTokens: Int64 = -1
}

enum ReplyParser {
    /// Parses a successful reply. Any shape other than a chat.completion is a protocol error.
    static func completion(_ body: UnsafeRawBufferPointer) throws(Qwen3VLError) -> Completion {
        let doc: JSONDocument
        switch JSONDocument.parse(body) {
        case .success(let d): doc = d
        case .failure(let e) where e.outOfMemory:
            throw Qwen3VLError(.internal, "out of memory for a reply of \(body.count) bytes")
        case .failure(let e):
            throw Qwen3VLError(.protocol, "reply is not JSON: \(e.description): \(excerpt(body))")
        }
        let root = doc.root
        guard root.kind == .object else {
            throw Qwen3VLError(.protocol, "reply is \(root.kindName), not a chat.completion object")
        }
        if let err = root["error"], !err.isNull {
            throw Qwen3VLError(.protocol, "server reported an error: \(errorMessage(in: root) ?? "(no message)")")
        }
        guard let choices = root["choices"], choices.kind == .array else {
            throw Qwen3VLError(.protocol, "reply has no choices array")
        }
        guard let choice = choices.elements.first, choice.kind == .object else {
            throw Qwen3VLError(.protocol, "reply has an empty choices array")
        }
        guard let message = choice["message"], message.kind == .object else {
            throw Qwen3VLError(.protocol, "reply's choices[0].message is missing or not an object")
        }
        var c = Completion()
        c.id = root["id"]?.string ?? ""
        c.text = try contentText(message["content"], path: "choices[0].message.content")
        if let fr = choice["finish_reason"], !fr.isNull {
            guard let s = fr.string else {
                throw Qwen3VLError(.protocol, "reply's choices[0].finish_reason is \(fr.kindName)")
            }
            c.finishReason = s
        }
        if let tc = message["tool_calls"], tc.kind == .array, tc.count > 0 {
            guard let dumped = tc.dumpBytes() else { throw Qwen3VLError(.internal, "out of memory") }
            c.toolCallsJSON = dumped
        }
        readUsage(root["usage"], into: &c)
        return c
    }

    /// Text of a message content: a string, null, or (some servers) an array of text parts.
    static func contentText(_ v: JSONRef?, path: String) throws(Qwen3VLError) -> Bytes {
        guard let v, !v.isNull else { return .empty }
        let oom = Qwen3VLError(.internal, "out of memory")
        if let s = v.stringBytes {
            guard let copy = Bytes.copy(s) else { throw oom }
            return copy
        }
        guard v.kind == .array else { throw Qwen3VLError(.protocol, "reply's \(path) is \(v.kindName)") }
        let out = ByteBuffer()
        for p in v.elements {
            if let t = p["text"]?.stringBytes, !out.append(t) { throw oom }
        }
        return out.take()
    }

    static func readUsage(_ usage: JSONRef?, into c: inout Completion) {
        guard let usage, usage.kind == .object else { return }
        c.promptTokens = usage["prompt_tokens"]?.int ?? c.promptTokens
        c.completionTokens = usage["completion_tokens"]?.int ?? c.completionTokens
        c.totalTokens = usage["total_tokens"]?.int ?? c.totalTokens
    }

    /// The server's own words about an error. Understands OpenAI's `{"error": {"message"}}`, the
    /// vendor's flat `{"message", "statusCode", ...}` (message sometimes a list), `{"error": "..."}`
    /// and `{"detail": ...}`; anything else gives a short excerpt of the body.
    /// An error body framed as server-sent events (`event: error` / `data: {...}`) gives the message
    /// of its first event that carries one.
    static func errorText(_ body: UnsafeRawBufferPointer) -> String {
        if body.isEmpty { return "(empty body)" }
        if case .success(let doc) = JSONDocument.parse(body), let m = errorMessage(in: doc.root) { return m }
        if let m = sseErrorMessage(body) { return m }
        return excerpt(body)
    }

    private static func sseErrorMessage(_ body: UnsafeRawBufferPointer) -> String? {
        guard body.starts(with: "event:".utf8) || body.starts(with: "data:".utf8) || body.starts(with: ":".utf8) else {
            return nil
        }
        var decoder = SSEDecoder(maxEventBytes: body.count + 1)
        var found: String?
        let take: SSERawEmit = { _, data in
            if case .success(let doc) = JSONDocument.parse(UnsafeRawBufferPointer(data)) {
                found = errorMessage(in: doc.root)
            }
            return found == nil
        }
        try? decoder.feed(body, raw: take)
        if found == nil { try? decoder.finish(raw: take) }
        return found
    }

    /// The request id an error body carries: the vendor's `requestId`, DashScope's `request_id`.
    static func errorRequestID(_ body: UnsafeRawBufferPointer) -> String? {
        guard !body.isEmpty, case .success(let doc) = JSONDocument.parse(body) else { return nil }
        return doc.root["requestId"]?.string ?? doc.root["request_id"]?.string
    }

    static func errorMessage(in root: JSONRef) -> String? {
        guard root.kind == .object else { return nil }
        if let e = root["error"] {
            if let s = e.string { return s }
            if let m = e["message"].flatMap(messageString) {
                var extra: [String] = []
                if let t = e["type"]?.string, !t.isEmpty { extra.append("type \(t)") }
                if let code = e["code"], let s = code.string ?? code.int.map({ String($0) }) {
                    extra.append("code \(s)")
                }
                return extra.isEmpty ? m : "\(m) (\(extra.joined(separator: ", ")))"
            }
        }
        if let m = root["message"].flatMap(messageString) { return m }
        if let d = root["detail"] { return messageString(d) ?? d.dump() }
        return nil
    }

    private static func messageString(_ v: JSONRef) -> String? {
        if let s = v.string { return s }
        if v.kind == .array {
            let parts = v.elements.compactMap { $0.string ?? $0["msg"]?.string ?? $0["message"]?.string }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        }
        return nil
    }

    /// At most 200 characters of a body for an error message, control characters and runs of
    /// white space folded to one space.
    static func excerpt(_ body: UnsafeRawBufferPointer, limit: Int = 200) -> String {
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
        var out = ""
        var lastSpace = true
        var n = 0
        for ch in text.unicodeScalars {
            if n >= limit { out += "…"; break }
            let isSpace = ch.value < 32 || ch.value == 127 || ch == " "
            if isSpace {
                if !lastSpace { out.unicodeScalars.append(" "); n += 1 }
                lastSpace = true
            } else {
                out.unicodeScalars.append(ch)
                n += 1
                lastSpace = false
            }
        }
        while out.last == " " { out.removeLast() }
        return out.isEmpty ? "(blank body)" : out
    }
}
