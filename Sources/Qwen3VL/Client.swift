import CCurl
import CQwen3VLShims
#if canImport(Glibc)
import Glibc
#endif

/// A client of an OpenAI-compatible chat-completions endpoint, Qwen3-VL by default.
/// Safe to use from many threads at once: each call takes its own connection from the client's pool.
public final class Qwen3VLClient: @unchecked Sendable {
    public static let version = "0.1.0"

    public let options: ClientOptions
    private let pool: ConnectionPool
    /// curl_slist of the fixed request headers, read-only after init and so shareable by all calls.
    private let headerList: UnsafeMutablePointer<curl_slist>?
    private let userAgent: String
    private let url: String

    public init(options: ClientOptions) throws(Qwen3VLError) {
        try options.validate()
        guard q3v_curl_global_init() == Int32(CURLE_OK.rawValue) else {
            throw Qwen3VLError(.internal, "libcurl failed to initialise")
        }
        guard let pool = ConnectionPool() else { throw Qwen3VLError(.internal, "out of memory") }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        let fixed = ["Content-Type: application/json", "Accept: application/json", "Expect:"]
        for line in fixed + options.headers.map({ "\($0.name): \($0.value)" }) {
            guard let next = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw Qwen3VLError(.internal, "out of memory")
            }
            list = next
        }
        self.options = options
        self.pool = pool
        headerList = list
        url = options.chatURL
        userAgent = "qwen3vl/\(Self.version) libcurl/\(String(cString: q3v_curl_version()))"
    }

    /// Parses `qwen3vl_client_new`'s options JSON (nil for defaults) and makes a client.
    public convenience init(optionsJSON: String?) throws(Qwen3VLError) {
        try self.init(options: ClientOptions.parse(json: optionsJSON))
    }

    deinit { curl_slist_free_all(headerList) }

    /// Sends a chat-completions request (JSON text) and waits for the whole reply.
    public func chat(_ requestJSON: String) -> ChatResult {
        var text = requestJSON
        return text.withUTF8 { chat(requestBytes: UnsafeRawBufferPointer($0)) }
    }

    /// Same as ``chat(_:)`` for UTF-8 bytes the caller owns for the duration of the call.
    public func chat(requestBytes: UnsafeRawBufferPointer) -> ChatResult {
        let start = Clock.nowNs()
        var result = run(requestBytes, start: start)
        result.error = redacted(result.error)
        result.elapsedMs = Double(Clock.nowNs() &- start) / 1e6
        return result
    }

    private func run(_ bytes: UnsafeRawBufferPointer, start: UInt64) -> ChatResult {
        let body: RequestBody
        do {
            body = try RequestValidator.prepare(bytes, defaultModel: options.model, stream: false)
        } catch {
            return ChatResult(error: error)
        }
        guard let conn = pool.acquire() else { return ChatResult(error: Qwen3VLError(.internal, "could not create a libcurl handle")) }
        defer { pool.release(conn) }

        let deadline = Clock.deadline(afterMs: options.timeoutMs)
        let context = CallContext()
        let request = HTTPRequest(
            url: url, body: body.bytes, headers: headerList, bearer: options.apiKey, userAgent: userAgent,
            connectTimeoutMs: options.connectTimeoutMs, idleTimeoutMs: options.idleTimeoutMs,
            idleFromStart: false, maxResponseBytes: options.maxResponseBytes)

        var result = ChatResult()
        while true {
            result.attempts += 1
            let sink = ResponseSink(limit: options.maxResponseBytes)
            let outcome = withExtendedLifetime(body) {
                conn.perform(request, sink: sink, deadlineNs: deadline, context: context)
            }
            result.httpStatus = sink.httpStatus
            result.requestID = sink.requestID ?? ""

            let failure: Qwen3VLError
            let retryable: Bool
            switch outcome {
            case .completed where (200..<300).contains(sink.httpStatus):
                return sink.body.withUnsafeBytes { raw in
                    do throws(Qwen3VLError) {
                        result.apply(try ReplyParser.completion(raw))
                        result.json = String(decoding: raw, as: UTF8.self)
                    } catch {
                        result.status = error.status
                        result.error = error.message
                    }
                    return result
                }
            case .completed:
                (failure, retryable) = sink.body.withUnsafeBytes { raw in
                    if result.requestID.isEmpty { result.requestID = ReplyParser.errorRequestID(raw) ?? "" }
                    return Self.httpFailure(status: sink.httpStatus, body: raw)
                }
            case .failed(let e, let r):
                (failure, retryable) = (e, r)
            }

            if !retryable || result.attempts > options.maxRetries {
                return finish(result, failure)
            }
            let delay = RetryPolicy.delayMs(
                failedAttempts: result.attempts, retryAfterMs: sink.retryAfterMs, retryAfter: sink.retryAfter,
                nowEpochSeconds: Clock.epochSeconds(), random: Double.random(in: 0..<1))
            if Clock.msUntil(deadline) <= delay {
                var e = failure
                e.message += " (no time left in timeout_ms for another attempt)"
                return finish(result, e)
            }
            if !conn.sleep(ms: delay, context: context) {
                return finish(result, Qwen3VLError(.cancelled, "cancelled while waiting to retry"))
            }
        }
    }

    private func finish(_ partial: ChatResult, _ e: Qwen3VLError) -> ChatResult {
        var r = partial
        r.status = e.status
        r.error = r.attempts > 1 ? "\(e.message) (after \(r.attempts) attempts)" : e.message
        return r
    }

    /// The error for a non-2xx reply and whether another attempt may help.
    static func httpFailure(status: Int, body: UnsafeRawBufferPointer) -> (Qwen3VLError, Bool) {
        guard status >= 400 else {
            return (Qwen3VLError(.protocol, "unexpected HTTP status \(status): \(ReplyParser.excerpt(body))"), false)
        }
        let e = Qwen3VLError(Status.forHTTP(status), "HTTP \(status): \(ReplyParser.errorText(body))")
        return (e, RetryPolicy.isRetryable(httpStatus: status))
    }

    /// Error text never carries the API key, whatever a server echoed back.
    private func redacted(_ s: String) -> String {
        guard let key = options.apiKey, key.count >= 4, !s.isEmpty else { return s }
        var out = ""
        var rest = Substring(s)
        while let r = rest.firstRange(of: key) {
            out += rest[..<r.lowerBound]
            out += "[redacted]"
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
