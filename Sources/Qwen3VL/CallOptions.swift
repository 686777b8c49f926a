/// Options of one call, overriding the client's for that call only: what `qwen3vl_call_start` and
/// `qwen3vl_chat_v2` take as `call_options_json`. Unset fields fall back to the client's options.
public struct CallOptions: Sendable {
    /// Stream the reply (SSE). Unset: stream when the caller takes deltas.
    public var stream: Bool?
    public var timeoutMs: Int64?
    public var idleTimeoutMs: Int64?
    public var maxRetries: Int?
    /// Extra request headers for this call, after the client's.
    public var headers: [(name: String, value: String)] = []
    /// Query parameters added to the URL (names and values are percent-encoded here).
    public var query: [(name: String, value: String)] = []
    /// The client's `resize`, for this call.
    public var resize: ResizeMode?
    /// Keep the reply's header lines in the result (a failed reply's are always kept).
    public var responseHeaders = false

    public init() {}

    /// Parses `call_options_json` (nil: no overrides). Unknown keys, wrong types and ranges are
    /// refused with a message naming the key, as for the client's options.
    public static func parse(json: String?) throws(Qwen3VLError) -> CallOptions {
        var opts = CallOptions()
        guard let json else { return opts }
        try OptionKey.apply(json, to: &opts, keys: keys, what: "call option")
        try opts.validate()
        return opts
    }

    /// Every key of `call_options_json`, documented at qwen3vl_chat_v2 in qwen3vl.h.
    static let keys: [OptionKey<CallOptions>] = [
        .boolean("stream") { $0.stream = $1 },
        .integer("timeout_ms") { $0.timeoutMs = $1 },
        .integer("idle_timeout_ms") { $0.idleTimeoutMs = $1 },
        .integer("max_retries") { $0.maxRetries = Int(clamping: $1) },
        .stringPairs("headers") { $0.headers = $1 },
        .stringPairs("query") { $0.query = $1 },
        .resizeMode("resize") { $0.resize = $1 },
        .boolean("response_headers") { $0.responseHeaders = $1 },
    ]

    public func validate() throws(Qwen3VLError) {
        if let t = timeoutMs { try ClientOptions.check("timeout_ms", t, ClientOptions.timeoutRange) }
        if let t = idleTimeoutMs { try ClientOptions.check("idle_timeout_ms", t, ClientOptions.idleTimeoutRange) }
        if let n = maxRetries { try ClientOptions.check("max_retries", Int64(n), ClientOptions.retriesRange) }
        try ClientOptions.checkHeaders(headers)
        try resize?.validate()
    }

    /// `url` with this call's query parameters appended.
    func url(_ base: String) -> String {
        guard !query.isEmpty else { return base }
        let pairs = query.map { "\(Self.percentEncoded($0.name))=\(Self.percentEncoded($0.value))" }
        return base + (base.contains("?") ? "&" : "?") + pairs.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters kept, every other byte %XX.
    static func percentEncoded(_ s: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
