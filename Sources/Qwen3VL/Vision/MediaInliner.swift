import CJansson
import CQwen3VLShims

#if canImport(Glibc)
import Glibc
#endif

/// Finds the local files a request refers to (a `file://` URL or a path without a scheme in
/// `image_url.url`, `video_url.url` or a `video` frame list), checks them, and puts a placeholder in
/// their place that the body builder swaps for the file's data URI while sending. `data:` URIs are
/// checked to be well-formed base64 of a declared image (or video) type; `http(s)://` and other
/// schemes pass untouched.
struct MediaInliner {
    let policy: MediaPolicy
    /// Unguessable, so no text a user sends can pass for a placeholder. Made only when a request
    /// has a local file: most have none, and getrandom costs a system call.
    private(set) lazy var marker: String = {
        var rng = SystemRandomNumberGenerator()
        return "qwen3vl-media-" + String(rng.next() as UInt64, radix: 16) + String(rng.next() as UInt64, radix: 16)
            + "-"
    }()
    private(set) var files: [MediaFile] = []

    init(policy: MediaPolicy) {
        self.policy = policy
    }

    /// Rewrites the messages in place; true if anything changed.
    mutating func rewrite(_ root: JSONRef) throws(Qwen3VLError) -> Bool {
        var changed = false
        for (i, message) in (root["messages"]?.elements ?? []).enumerated() {
            guard let content = message["content"], content.kind == .array else { continue }
            if policy.framesAsImages { changed = framesToImages(content) || changed }
            for (j, part) in content.elements.enumerated() {
                let path = "messages[\(i)].content[\(j)]"
                switch part["type"]?.string {
                case "image_url":
                    if let url = part["image_url"]?["url"] {
                        changed = try inline(url, "\(path).image_url.url", video: false, resize: true) || changed
                    }
                case "video_url":
                    if let url = part["video_url"]?["url"] {
                        changed = try inline(url, "\(path).video_url.url", video: true) || changed
                    }
                case "video":
                    for (k, frame) in (part["video"]?.elements ?? []).enumerated() {
                        changed = try inline(frame, "\(path).video[\(k)]", video: false) || changed
                    }
                default:
                    continue
                }
            }
        }
        return changed
    }

    /// Replaces each frame-list part by one image_url part per frame, in order.
    private func framesToImages(_ content: JSONRef) -> Bool {
        var changed = false
        var j = 0
        while j < json_array_size(content.raw) {
            guard let part = json_array_get(content.raw, j).map(JSONRef.init(raw:)), part["type"]?.string == "video",
                let frames = part["video"], frames.kind == .array
            else { j += 1; continue }
            let list = frames.elements.map { $0.raw }
            for raw in list { _ = json_incref(raw) }
            _ = json_array_remove(content.raw, j)
            for (k, raw) in list.enumerated() {
                let inner = json_object(), image = json_object()
                if let inner, let image {
                    _ = json_object_set_new(image, "url", raw)
                    _ = json_object_set_new(inner, "type", json_string("image_url"))
                    _ = json_object_set_new(inner, "image_url", image)
                    _ = json_array_insert_new(content.raw, j + k, inner)
                } else {
                    json_decref(raw); json_decref(inner); json_decref(image)
                }
            }
            j += list.count
            changed = true
        }
        return changed
    }

    /// Checks one media URL, and inlines it when it is a local file; `resize` for images that
    /// the client's resize applies to (image parts, not a video's frames).
    private mutating func inline(_ ref: JSONRef, _ path: String, video: Bool, resize: Bool = false) throws(Qwen3VLError)
        -> Bool
    {
        try policy.checkCancelled()
        // Read the URL where jansson keeps it: a data URI may be tens of megabytes.
        guard ref.kind == .string, let p = json_string_value(ref.raw) else { return false }
        let url = UnsafeRawBufferPointer(start: p, count: json_string_length(ref.raw))
        let lower = String(decoding: url.prefix(8), as: UTF8.self).lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") { return false }
        if lower.hasPrefix("data:") {
            let payload = try Self.checkDataURI(url, path, video: video).payload
            return resize ? try resizeDataURI(ref, url, payload: payload, path) : false
        }
        let text = String(decoding: url, as: UTF8.self)
        let local: String
        if lower.hasPrefix("file:") {
            local = try Self.filePath(text, path)
        } else if Self.hasScheme(text) {
            return false // a scheme some server knows (oss://, s3://, ...): its business
        } else {
            local = text
        }
        let file = try MediaFile(
            path: local, what: path, wantVideo: video,
            maxBytes: video ? policy.maxVideoBytes : policy.maxImageBytes,
            maxOption: video ? "max_video_bytes" : "max_image_bytes")
        if resize, try resizeFile(ref, file, path) { return true }
        try sendLater(ref, file)
        return true
    }

    /// Puts a placeholder for `file` into `ref`: its data URI goes into the body as it is sent.
    mutating func sendLater(_ ref: JSONRef, _ file: MediaFile) throws(Qwen3VLError) {
        guard json_string_set(ref.raw, "\(marker)\(files.count)") == 0 else {
            throw Qwen3VLError(.internal, "out of memory")
        }
        files.append(file)
    }

    /// Whether a request may have media parts, told from its bytes without parsing them: false
    /// only when "image_url" and "video" appear nowhere, not even spelt with a \u escape.
    static func mayHaveMedia(_ request: UnsafeRawBufferPointer) -> Bool {
        guard let base = request.baseAddress else { return false }
        return ["image_url", "video", "\\u"].contains { needle in
            needle.utf8CString.withUnsafeBufferPointer {
                q3v_memmem(base, request.count, $0.baseAddress, $0.count - 1) != nil
            }
        }
    }

    /// `scheme:` as RFC 3986 spells it: a letter, then letters, digits, "+", "-" or ".".
    static func hasScheme(_ s: String) -> Bool {
        var first = true
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: ":"): return !first
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): break
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
                if first { return false }
            default: return false
            }
            first = false
        }
        return false
    }

    /// The path of a `file:` URL (`file:///p`, `file://localhost/p` or `file:/p`), percent-decoded.
    static func filePath(_ url: String, _ path: String) throws(Qwen3VLError) -> String {
        var rest = Substring(url.dropFirst(5))
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            if rest.lowercased().hasPrefix("localhost/") { rest = rest.dropFirst(9) }
            guard rest.hasPrefix("/") else {
                throw Qwen3VLError(
                    .invalidRequest, "\(path) is a file URL for another host; only local files can be sent")
            }
        }
        guard rest.hasPrefix("/") else {
            throw Qwen3VLError(.invalidRequest, "\(path) is a file URL without an absolute path")
        }
        var out: [UInt8] = []
        var it = Array(rest.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else {
                    throw Qwen3VLError(.invalidRequest, "\(path) has a bad %-escape")
                }
                out.append(v)
                it = it.dropFirst(2)
            } else {
                out.append(c)
            }
        }
        guard !out.contains(0) else { throw Qwen3VLError(.invalidRequest, "\(path) has a NUL in its path") }
        return String(decoding: out, as: UTF8.self)
    }

    /// `data:<type>[;params];base64,<payload>` with a known image (or video) type and well-formed
    /// base64; the type, and where the payload starts.
    @discardableResult
    static func checkDataURI(
        _ raw: UnsafeRawBufferPointer, _ path: String, video: Bool
    ) throws(Qwen3VLError) -> (type: MediaType, payload: Int) {
        let what = video ? "video" : "image"
        guard let comma = raw.firstIndex(of: UInt8(ascii: ",")), comma >= 5 else {
            throw Qwen3VLError(.invalidRequest, "\(path) is a data URI without a comma")
        }
        let header = String(decoding: raw[5..<comma], as: UTF8.self).lowercased()
        let params = header.split(separator: ";").map(String.init)
        guard let mime = params.first, let type = MediaType(mime: mime), type.isVideo == video else {
            throw Qwen3VLError(
                .invalidRequest, "\(path) is a data URI of type \"\(params.first ?? "")\", not a known \(what) type")
        }
        guard params.dropFirst().contains("base64") else {
            throw Qwen3VLError(.invalidRequest, "\(path) is a data URI that is not base64-encoded")
        }
        guard Base64.isWellFormed(UnsafeRawBufferPointer(rebasing: raw[(comma + 1)...])) else {
            throw Qwen3VLError(.invalidRequest, "\(path) is a data URI whose base64 payload is malformed")
        }
        return (type, comma + 1)
    }

    /// Cuts serialised JSON at the placeholders: text, file, text, ...
    mutating func segments(of text: UnsafeRawBufferPointer) -> [RequestBody.Segment] {
        guard !files.isEmpty else { return [.bytes(text)] }
        var out: [RequestBody.Segment] = []
        let needle = Array(marker.utf8)
        var start = 0, i = 0
        while let r = UnsafeRawBufferPointer(rebasing: text[i...]).firstRange(of: needle) {
            let at = i + r.lowerBound
            var end = i + r.upperBound
            var index = 0
            while end < text.count, (48...57).contains(text[end]), index < 1 << 20 {
                index = index * 10 + Int(text[end] - 48)
                end += 1
            }
            guard index < files.count else { i = end; continue }
            out.append(.bytes(UnsafeRawBufferPointer(rebasing: text[start..<at])))
            out.append(.media(files[index]))
            start = end
            i = end
        }
        out.append(.bytes(UnsafeRawBufferPointer(rebasing: text[start...])))
        return out
    }
}
