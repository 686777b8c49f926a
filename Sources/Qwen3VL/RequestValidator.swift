import CJansson
import CQwen3VLShims

#if canImport(Glibc)
import Glibc
#endif

/// Checks an OpenAI chat-completions request with jansson before anything is sent, naming the JSON
/// path of the first problem. Parameters it does not know pass through untouched.
enum RequestValidator {
    static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool", "function"]

    /// Validates `bytes` and returns the body to send, with local images and videos put in as data
    /// URIs (see ``MediaInliner``). `stream` says which entry point called: a plain call refuses
    /// `"stream": true`; a streaming call sets it and asks for usage.
    static func prepare(
        _ bytes: UnsafeRawBufferPointer, defaultModel: String, media: MediaPolicy = MediaPolicy(),
        stream: Bool
    ) throws(Qwen3VLError) -> RequestBody {
        let doc: JSONDocument
        switch JSONDocument.parse(bytes, rejectDuplicates: true) {
        case .success(let d): doc = d
        case .failure(let e) where e.outOfMemory:
            throw Qwen3VLError(.internal, "out of memory for a request of \(bytes.count) bytes")
        case .failure(let e): throw Qwen3VLError(.invalidRequest, "request JSON does not parse: \(e.description)")
        }
        let root = doc.root
        try validate(root)
        try media.checkCancelled()

        var changed = false
        if root["model"] == nil {
            guard let m = JSONBuild.string(defaultModel), json_object_set_new(root.raw, "model", m) == 0 else {
                throw Qwen3VLError(.internal, "out of memory")
            }
            changed = true
        }
        if stream {
            if root["stream"]?.bool != true {
                guard json_object_set_new(root.raw, "stream", json_true()) == 0 else {
                    throw Qwen3VLError(.internal, "out of memory")
                }
                changed = true
            }
            if root["stream_options"] == nil {
                let so = json_object()
                guard let so, json_object_set_new(so, "include_usage", json_true()) == 0,
                    json_object_set_new(root.raw, "stream_options", so) == 0
                else {
                    throw Qwen3VLError(.internal, "out of memory")
                }
                changed = true
            }
        } else if root["stream"]?.bool == true {
            throw Qwen3VLError(.invalidRequest, "stream: true needs the streaming call (qwen3vl_chat_stream)")
        }
        var inliner = MediaInliner(policy: media)
        changed = try inliner.rewrite(root) || changed
        guard changed else { return RequestBody(borrowing: bytes) }
        guard let out = json_dumps(root.raw, Int(JSON_COMPACT)) else { throw Qwen3VLError(.internal, "out of memory") }
        let text = UnsafeRawBufferPointer(start: out, count: strlen(out))
        return RequestBody(owning: out, segments: inliner.segments(of: text))
    }

    static func validate(_ root: JSONRef) throws(Qwen3VLError) {
        guard root.kind == .object else { throw fail("request", "must be a JSON object, not \(root.kindName)") }
        if let m = root["model"] { try nonEmptyString(m, "model") }
        guard let messages = root["messages"] else { throw fail("messages", "is required") }
        guard messages.kind == .array else { throw wrong("messages", "an array", messages) }
        guard messages.count > 0 else { throw fail("messages", "must not be empty") }
        for (i, m) in messages.elements.enumerated() { try message(m, "messages[\(i)]") }
        try parameters(root)
    }

    private static func message(_ m: JSONRef, _ path: String) throws(Qwen3VLError) {
        guard m.kind == .object else { throw wrong(path, "an object", m) }
        guard let roleRef = m["role"] else { throw fail("\(path).role", "is required") }
        guard let role = roleRef.string else { throw wrong("\(path).role", "a string", roleRef) }
        guard roles.contains(role) else {
            throw fail("\(path).role", "must be one of system, developer, user, assistant, tool, not \"\(role)\"")
        }
        if let n = m["name"] { try string(n, "\(path).name") }
        let content = m["content"]
        switch role {
        case "assistant":
            if let tc = m["tool_calls"] { try toolCalls(tc, "\(path).tool_calls") }
            if let c = content, !c.isNull {
                try contentValue(c, "\(path).content")
            } else if m["tool_calls"] == nil && m["function_call"] == nil {
                throw fail("\(path).content", "is required unless the message has tool_calls")
            }
        default:
            guard let c = content else { throw fail("\(path).content", "is required") }
            try contentValue(c, "\(path).content")
            if role == "tool" {
                guard let id = m["tool_call_id"] else {
                    throw fail("\(path).tool_call_id", "is required for role tool")
                }
                try nonEmptyString(id, "\(path).tool_call_id")
            }
        }
    }

    private static func contentValue(_ c: JSONRef, _ path: String) throws(Qwen3VLError) {
        switch c.kind {
        case .string: return
        case .array:
            for (i, p) in c.elements.enumerated() { try part(p, "\(path)[\(i)]") }
        default: throw wrong(path, "a string or an array of parts", c)
        }
    }

    private static func part(_ p: JSONRef, _ path: String) throws(Qwen3VLError) {
        guard p.kind == .object else { throw wrong(path, "an object", p) }
        guard let t = p["type"] else { throw fail("\(path).type", "is required") }
        guard let type = t.string else { throw wrong("\(path).type", "a string", t) }
        switch type {
        case "text":
            guard let text = p["text"] else { throw fail("\(path).text", "is required") }
            try string(text, "\(path).text")
        case "image_url", "video_url":
            guard let obj = p[type] else { throw fail("\(path).\(type)", "is required") }
            guard obj.kind == .object else { throw wrong("\(path).\(type)", "an object with a url", obj) }
            guard let url = obj["url"] else { throw fail("\(path).\(type).url", "is required") }
            try nonEmptyString(url, "\(path).\(type).url")
            if let d = obj["detail"] {
                try oneOf(d, "\(path).\(type).detail", ["auto", "low", "high"])
            }
        case "video":
            guard let frames = p["video"] else { throw fail("\(path).video", "is required") }
            guard frames.kind == .array, frames.count > 0 else {
                throw wrong("\(path).video", "a non-empty array of frame URLs", frames)
            }
            for (i, f) in frames.elements.enumerated() { try nonEmptyString(f, "\(path).video[\(i)]") }
        case "input_audio":
            guard let a = p["input_audio"] else { throw fail("\(path).input_audio", "is required") }
            guard a.kind == .object else { throw wrong("\(path).input_audio", "an object", a) }
            guard let data = a["data"] else { throw fail("\(path).input_audio.data", "is required") }
            try string(data, "\(path).input_audio.data")
        default:
            return // a part type this release does not know: the server decides
        }
    }

    private static func toolCalls(_ tc: JSONRef, _ path: String) throws(Qwen3VLError) {
        guard tc.kind == .array else { throw wrong(path, "an array", tc) }
        for (i, call) in tc.elements.enumerated() {
            let p = "\(path)[\(i)]"
            guard call.kind == .object else { throw wrong(p, "an object", call) }
            guard let id = call["id"] else { throw fail("\(p).id", "is required") }
            try string(id, "\(p).id")
            guard let f = call["function"] else { throw fail("\(p).function", "is required") }
            guard f.kind == .object else { throw wrong("\(p).function", "an object", f) }
            guard let name = f["name"] else { throw fail("\(p).function.name", "is required") }
            try nonEmptyString(name, "\(p).function.name")
            if let args = f["arguments"] { try string(args, "\(p).function.arguments") }
        }
    }

    private static func parameters(_ root: JSONRef) throws(Qwen3VLError) {
        for (key, v) in root.members {
            switch key {
            case "model", "messages": continue // checked elsewhere; first, as every request has them
            case "temperature": try number(v, key, 0...2)
            case "top_p", "min_p": try number(v, key, 0...1)
            case "presence_penalty", "frequency_penalty": try number(v, key, -2...2)
            case "repetition_penalty":
                guard let x = v.number else { throw wrong(key, "a number", v) }
                guard x > 0 else { throw fail(key, "must be greater than 0") }
            case "max_tokens", "max_completion_tokens": try integer(v, key, 1...Int64.max)
            case "n": try integer(v, key, 1...128)
            case "top_logprobs": try integer(v, key, 0...20)
            case "top_k": try integer(v, key, -1...Int64.max)
            case "seed": try integer(v, key, Int64.min...Int64.max)
            case "stream", "logprobs", "parallel_tool_calls":
                guard v.bool != nil else { throw wrong(key, "a boolean", v) }
            case "stream_options":
                guard v.kind == .object else { throw wrong(key, "an object", v) }
                if let u = v["include_usage"], u.bool == nil {
                    throw wrong("stream_options.include_usage", "a boolean", u)
                }
            case "stop":
                switch v.kind {
                case .string, .null: break
                case .array:
                    for (i, s) in v.elements.enumerated() { try string(s, "stop[\(i)]") }
                default: throw wrong(key, "a string or an array of strings", v)
                }
            case "user": try string(v, key)
            case "response_format":
                guard v.kind == .object else { throw wrong(key, "an object", v) }
                guard let t = v["type"] else { throw fail("response_format.type", "is required") }
                try oneOf(t, "response_format.type", ["text", "json_object", "json_schema"])
                if t.string == "json_schema" {
                    guard let s = v["json_schema"] else { throw fail("response_format.json_schema", "is required") }
                    guard s.kind == .object else { throw wrong("response_format.json_schema", "an object", s) }
                }
            case "tools":
                guard v.kind == .array else { throw wrong(key, "an array", v) }
                for (i, tool) in v.elements.enumerated() {
                    let p = "tools[\(i)]"
                    guard tool.kind == .object else { throw wrong(p, "an object", tool) }
                    guard let t = tool["type"] else { throw fail("\(p).type", "is required") }
                    try string(t, "\(p).type")
                    if t.string == "function" {
                        guard let f = tool["function"] else { throw fail("\(p).function", "is required") }
                        guard f.kind == .object else { throw wrong("\(p).function", "an object", f) }
                        guard let name = f["name"] else { throw fail("\(p).function.name", "is required") }
                        try nonEmptyString(name, "\(p).function.name")
                        if let params = f["parameters"], params.kind != .object {
                            throw wrong("\(p).function.parameters", "an object", params)
                        }
                    }
                }
            case "tool_choice":
                switch v.kind {
                case .string: try oneOf(v, key, ["none", "auto", "required"])
                case .object: break
                default: throw wrong(key, "a string or an object", v)
                }
            case "logit_bias":
                guard v.kind == .object else { throw wrong(key, "an object", v) }
                for (token, bias) in v.members { try number(bias, "logit_bias.\(token)", -100...100) }
            default:
                continue // unknown parameters pass through
            }
        }
    }

    // MARK: checks that name the path

    private static func fail(_ path: String, _ what: String) -> Qwen3VLError {
        Qwen3VLError(.invalidRequest, "\(path) \(what)")
    }

    private static func wrong(_ path: String, _ want: String, _ got: JSONRef) -> Qwen3VLError {
        fail(path, "must be \(want), not \(got.kindName)")
    }

    private static func string(_ v: JSONRef, _ path: String) throws(Qwen3VLError) {
        guard v.kind == .string else { throw wrong(path, "a string", v) }
    }

    private static func nonEmptyString(_ v: JSONRef, _ path: String) throws(Qwen3VLError) {
        guard v.kind == .string else { throw wrong(path, "a string", v) }
        guard json_string_length(v.raw) > 0 else { throw fail(path, "must not be empty") } // no copy of a big data URI
    }

    private static func oneOf(_ v: JSONRef, _ path: String, _ allowed: [String]) throws(Qwen3VLError) {
        guard let s = v.string else { throw wrong(path, "a string", v) }
        guard allowed.contains(s) else {
            throw fail(path, "must be one of \(allowed.joined(separator: ", ")), not \"\(s)\"")
        }
    }

    private static func number(_ v: JSONRef, _ path: String, _ range: ClosedRange<Double>) throws(Qwen3VLError) {
        guard let x = v.number else { throw wrong(path, "a number", v) }
        guard range.contains(x) else {
            throw fail(path, "must be between \(format(range.lowerBound)) and \(format(range.upperBound))")
        }
    }

    private static func integer(_ v: JSONRef, _ path: String, _ range: ClosedRange<Int64>) throws(Qwen3VLError) {
        guard let x = v.int else { throw wrong(path, "an integer", v) }
        guard range.contains(x) else {
            if range.upperBound == Int64.max { throw fail(path, "must be at least \(range.lowerBound)") }
            throw fail(path, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
