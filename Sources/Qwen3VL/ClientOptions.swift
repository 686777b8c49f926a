#if canImport(Glibc)
import Glibc
#endif

/// How a client reaches the service. Build it in Swift, or parse it from the options JSON of
/// `qwen3vl_client_new` with ``ClientOptions/parse(json:environment:)``.
public struct ClientOptions: Sendable {
    public static let defaultBaseURL = "https://api.aimlapi.com/v1"
    public static let defaultModel = "alibaba/qwen3-vl-32b-instruct"

    public var apiKey: String?
    public var baseURL: String = ClientOptions.defaultBaseURL
    public var model: String = ClientOptions.defaultModel
    public var timeoutMs: Int64 = 600_000
    public var connectTimeoutMs: Int64 = 5_000
    /// 0 means no limit.
    public var idleTimeoutMs: Int64 = 60_000
    public var maxRetries: Int = 2
    public var maxResponseBytes: Int64 = 64 << 20
    /// Extra request headers, in the order given.
    public var headers: [(name: String, value: String)] = []
    /// Largest local image file (or frame) sent inline.
    public var maxImageBytes: Int64 = MediaPolicy().maxImageBytes
    /// Largest local video file sent inline.
    public var maxVideoBytes: Int64 = MediaPolicy().maxVideoBytes
    /// Most connections the non-blocking calls open to the server at once; more calls than this
    /// wait their turn (HTTP/1.1), or share connections (HTTP/2 multiplexes them over one).
    public var maxConnections: Int = 64
    /// Send `{"type": "video", "video": [frames]}` parts as successive image_url parts. That form is
    /// Qwen's own, not an OpenAI content part, and servers that do not know it (the AI/ML API,
    /// transformers serve) drop it without a word; false keeps it for servers that take it.
    public var videoFramesAsImages = MediaPolicy().framesAsImages
    /// Client-side resize of local and in-memory images (off unless asked for), with the pixel
    /// limits the model is served with and the quality of the JPEGs it sends.
    public var resize = MediaPolicy().resize
    /// Plain http:// is refused to anything but a loopback address unless this is set, so that a key
    /// never crosses a network in the clear by mistake.
    public var allowInsecureHTTP = false
    /// Turns TLS certificate and host-name checks off. For test servers only.
    public var insecureSkipVerify = false
    /// CA bundle file and CA directory to verify servers with, instead of the system's.
    public var caFile: String?
    public var caPath: String?
    /// Proxy URL (libcurl's syntax, e.g. http://proxy:3128); without it the usual proxy
    /// environment variables apply, as libcurl defines them.
    public var proxy: String?

    var mediaPolicy: MediaPolicy {
        MediaPolicy(
            maxImageBytes: maxImageBytes, maxVideoBytes: maxVideoBytes, framesAsImages: videoFramesAsImages,
            resize: resize)
    }

    /// Defaults, with `api_key` and `base_url` taken from the environment as the vendor's SDK does.
    public init(environment: (String) -> String? = ClientOptions.processEnvironment) {
        apiKey = Self.firstSet(["AIML_API_KEY", "AIMLAPI_API_KEY"], environment)
        if let base = Self.firstSet(["AIML_API_BASE", "AIMLAPI_API_BASE"], environment) { baseURL = base }
    }

    public static func processEnvironment(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(validatingCString: p)
    }

    private static func firstSet(_ names: [String], _ env: (String) -> String?) -> String? {
        for n in names { if let v = env(n), !v.isEmpty { return v } }
        return nil
    }

    /// The endpoint every chat call posts to.
    public var chatURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/chat/completions"
    }

    /// Parses the options JSON of `qwen3vl_client_new` (nil or empty means all defaults). Unknown keys
    /// and values of the wrong type or range are refused with a message naming the key; the message
    /// never contains the value of `api_key`.
    public static func parse(
        json: String?, environment: (String) -> String? = processEnvironment
    ) throws(Qwen3VLError) -> ClientOptions {
        var opts = ClientOptions(environment: environment)
        guard let json else { return opts }
        try OptionKey.apply(json, to: &opts, keys: keys, what: "option")
        try opts.validate()
        return opts
    }

    /// Every key of `options_json`, documented at qwen3vl_client_new in qwen3vl.h and in the README.
    static let keys: [OptionKey<ClientOptions>] = [
        .string("api_key") { $0.apiKey = $1.isEmpty ? nil : $1 },
        .string("base_url") { $0.baseURL = $1 },
        .string("model") { $0.model = $1 },
        .integer("timeout_ms") { $0.timeoutMs = $1 },
        .integer("connect_timeout_ms") { $0.connectTimeoutMs = $1 },
        .integer("idle_timeout_ms") { $0.idleTimeoutMs = $1 },
        .integer("max_retries") { $0.maxRetries = Int($1) },
        .integer("max_connections") { $0.maxConnections = Int(clamping: $1) },
        .integer("max_response_bytes") { $0.maxResponseBytes = $1 },
        .stringPairs("headers") { $0.headers = $1 },
        .boolean("allow_insecure_http") { $0.allowInsecureHTTP = $1 },
        .boolean("insecure_skip_verify") { $0.insecureSkipVerify = $1 },
        .nonEmptyString("ca_file") { $0.caFile = $1 },
        .nonEmptyString("ca_path") { $0.caPath = $1 },
        .nonEmptyString("proxy") { $0.proxy = $1 },
        .integer("max_image_bytes") { $0.maxImageBytes = $1 },
        .integer("max_video_bytes") { $0.maxVideoBytes = $1 },
        .boolean("video_frames_as_images") { $0.videoFramesAsImages = $1 },
        .resizeMode("resize") { $0.resize.mode = $1 },
        .integer("min_pixels") { $0.resize.minPixels = Int(clamping: $1) },
        .integer("max_pixels") { $0.resize.maxPixels = Int(clamping: $1) },
        .integer("jpeg_quality") { $0.resize.jpegQuality = Int(clamping: $1) },
    ]

    /// Checks every value's range, whether it came from JSON or from Swift code; the client
    /// refuses options that fail here. Messages name the option, never the key's value.
    public func validate() throws(Qwen3VLError) {
        if let key = apiKey, key.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
            throw Qwen3VLError(.invalidArgument, "option api_key must not contain CR, LF or NUL")
        }
        guard Self.isHTTPURL(baseURL) else {
            throw Qwen3VLError(.invalidArgument, "option base_url must be an http:// or https:// URL with a host")
        }
        if baseURL.lowercased().hasPrefix("http://") && !allowInsecureHTTP && !Self.isLoopback(baseURL) {
            throw Qwen3VLError(
                .invalidArgument,
                "option base_url uses plain http:// to a host that is not loopback; the API key would cross the network unencrypted (use https://, or set allow_insecure_http)"
            )
        }
        // Bounded here rather than found out at call time: libcurl refuses longer strings, and no
        // server takes a URL this long.
        for (name, value) in [("base_url", baseURL), ("ca_file", caFile), ("ca_path", caPath), ("proxy", proxy)] {
            guard let v = value else { continue }
            if v.utf8.count > Self.maxURLBytes {
                throw Qwen3VLError(.invalidArgument, "option \(name) is longer than \(Self.maxURLBytes) bytes")
            }
            if v.utf8.contains(where: { $0 < 32 }) {
                throw Qwen3VLError(.invalidArgument, "option \(name) must not contain control characters")
            }
        }
        guard !model.isEmpty else { throw Qwen3VLError(.invalidArgument, "option model must not be empty") }
        try Self.check("timeout_ms", timeoutMs, Self.timeoutRange)
        try Self.check("connect_timeout_ms", connectTimeoutMs, 1...Int64(Int32.max))
        try Self.check("idle_timeout_ms", idleTimeoutMs, Self.idleTimeoutRange)
        try Self.check("max_retries", Int64(maxRetries), Self.retriesRange)
        try Self.check("max_response_bytes", maxResponseBytes, 1...Int64.max)
        try Self.check("max_image_bytes", maxImageBytes, 1...Int64.max)
        try Self.check("max_video_bytes", maxVideoBytes, 1...Int64.max)
        try Self.check("max_connections", Int64(maxConnections), 1...100_000)
        try Self.checkHeaders(headers)
        try resize.validate()
    }

    /// Header names must be HTTP tokens, values free of CR, LF and NUL (no header injection).
    static func checkHeaders(_ headers: [(name: String, value: String)]) throws(Qwen3VLError) {
        for (name, value) in headers {
            guard Self.isToken(name) else {
                throw Qwen3VLError(.invalidArgument, "option headers: \"\(name)\" is not a valid header name")
            }
            guard !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else {
                throw Qwen3VLError(.invalidArgument, "option headers.\(name) must not contain CR, LF or NUL")
            }
        }
    }

    /// The ranges shared by client and per-call options.
    static let timeoutRange: ClosedRange<Int64> = 1...Int64(Int32.max) * 1000
    static let idleTimeoutRange: ClosedRange<Int64> = 0...Int64(Int32.max) * 1000
    static let retriesRange: ClosedRange<Int64> = 0...100

    static func check(_ key: String, _ n: Int64, _ range: ClosedRange<Int64>) throws(Qwen3VLError) {
        guard range.contains(n) else {
            throw Qwen3VLError(
                .invalidArgument, "option \(key) must be between \(range.lowerBound) and \(range.upperBound), not \(n)")
        }
    }

    static func isHTTPURL(_ s: String) -> Bool {
        let lower = s.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = lower.dropFirst(scheme.count)
            return !rest.isEmpty && !rest.hasPrefix("/")
                && !s.utf8.contains(where: { $0 <= 32 || $0 == 127 })
        }
        return false
    }

    /// Longest base_url, proxy, ca_file or ca_path accepted.
    static let maxURLBytes = 8192

    /// The user-info and host[:port] parts of a URL's authority ("user:pass" and "host:443").
    private static func authority(_ url: String) -> (userinfo: Substring?, host: Substring)? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        let all = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = all.lastIndex(of: "@") else { return (nil, all) }
        return (all[..<at], all[all.index(after: at)...])
    }

    /// The password in a URL's user-info (`https://user:pass@host/`), which logs must not show.
    static func urlPassword(_ url: String) -> String? {
        guard let info = authority(url)?.userinfo, let colon = info.firstIndex(of: ":") else { return nil }
        let pass = info[info.index(after: colon)...]
        return pass.isEmpty ? nil : String(pass)
    }

    /// True for http(s) URLs whose host is localhost, 127.0.0.0/8 or [::1].
    static func isLoopback(_ url: String) -> Bool {
        guard let host = authority(url)?.host else { return false }
        let h: Substring
        if host.hasPrefix("[") {
            h = host.dropFirst().prefix { $0 != "]" }
        } else {
            h = host.prefix { $0 != ":" }
        }
        let name = h.lowercased()
        if name == "localhost" || name == "::1" || name.hasSuffix(".localhost") { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// RFC 9110 token characters.
    static func isToken(_ s: String) -> Bool {
        !s.isEmpty
            && s.utf8.allSatisfy { c in
                switch c {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    return true
                default: return "!#$%&'*+-.^_`|~".utf8.contains(c)
                }
            }
    }
}
