import CCurl
import CQwen3VLShims
#if canImport(Glibc)
import Glibc
#endif

/// A client of an OpenAI-compatible chat-completions endpoint, Qwen3-VL by default.
/// Safe to use from many threads at once: each call takes its own connection from the client's pool.
public final class Qwen3VLClient: @unchecked Sendable {
    public static let version = "0.1.0"

    /// The options the client was made with, less the API key (kept apart, and wiped at the end).
    public let options: ClientOptions
    private let key: SecretKey?
    /// Secrets no log line or error text may carry: the key, and a password in base_url.
    private let secrets: [SecretKey]
    private let pool: ConnectionPool
    /// curl_slists of the fixed request headers (plain and streamed calls differ in Accept),
    /// read-only after init and so shareable by all calls.
    private let plainHeaders: UnsafeMutablePointer<curl_slist>?
    private let streamHeaders: UnsafeMutablePointer<curl_slist>?
    private let userAgent: String
    private let url: String
    /// `url` as log lines show it: a password in it replaced, however short.
    private let logURL: String
    private let media: MediaPolicy
    private let inFlight = CallRegistry()
    private let logger = Logger()
    private let security: TransportSecurity

    public init(options: ClientOptions) throws(Qwen3VLError) {
        try options.validate()
        ProcessExit.installed
        guard !ProcessExit.isExiting else { throw Qwen3VLError(.cancelled, "the process is exiting") }
        guard q3v_curl_global_init() == Int32(CURLE_OK.rawValue) else {
            throw Qwen3VLError(.internal, "libcurl failed to initialise")
        }
        guard let pool = ConnectionPool() else { throw Qwen3VLError(.internal, "out of memory") }
        let extra = options.headers.map { "\($0.name): \($0.value)" }
        let plain = Self.headerList(["Content-Type: application/json", "Accept: application/json", "Expect:"] + extra)
        let stream = Self.headerList(["Content-Type: application/json", "Accept: text/event-stream", "Expect:"] + extra)
        guard let plain, let stream else {
            curl_slist_free_all(plain)
            curl_slist_free_all(stream)
            throw Qwen3VLError(.internal, "out of memory")
        }
        key = SecretKey(options.apiKey)
        secrets = [key, SecretKey(ClientOptions.urlPassword(options.baseURL))].compactMap { $0 }
        var kept = options
        kept.apiKey = nil
        self.options = kept
        self.pool = pool
        plainHeaders = plain
        streamHeaders = stream
        let url = options.chatURL
        self.url = url
        logURL = ClientOptions.urlPassword(url).map { url.replacing(":\($0)@", with: ":[redacted]@") } ?? url
        media = options.mediaPolicy
        security = TransportSecurity(skipVerify: options.insecureSkipVerify, caFile: options.caFile, caPath: options.caPath,
                                     proxy: options.proxy, httpsOnlyRedirects: options.baseURL.lowercased().hasPrefix("https://"))
        userAgent = "qwen3vl/\(Self.version) libcurl/\(String(cString: q3v_curl_version()))"
    }

    /// Parses `qwen3vl_client_new`'s options JSON (nil for defaults) and makes a client.
    public convenience init(optionsJSON: String?) throws(Qwen3VLError) {
        try self.init(options: ClientOptions.parse(json: optionsJSON))
    }

    deinit {
        curl_slist_free_all(plainHeaders)
        curl_slist_free_all(streamHeaders)
    }

    private static func headerList(_ lines: [String]) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            guard let next = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                return nil
            }
            list = next
        }
        return list
    }

    /// Sends this client's log lines at `level` and more severe to `handler` (nil: no logging):
    /// retries and their reasons, timeouts, failures, and at `.debug` each request with its headers
    /// (Authorization redacted). Any thread, any time; the handler runs on the calling threads.
    /// Once this returns, the previous handler is never called again.
    public func setLog(level: LogLevel, _ handler: LogHandler?) { logger.set(handler, level: level) }

    /// Cancels every call now in flight on this client (later calls are not affected). Any thread.
    public func cancelAll() { inFlight.cancelAll(forever: false) }

    /// Cancels the calls in flight and refuses new ones: what the C layer does when a host frees a
    /// client that other threads are still using. The memory goes when the last call returns.
    /// Once it returns the log handler is never called again, even by calls still winding down.
    public func close() {
        logger.close()
        inFlight.cancelAll(forever: true)
    }

    /// Sends a chat-completions request (JSON text) and waits for the whole reply.
    public func chat(_ requestJSON: String, cancel: CancelToken? = nil) -> ChatResult {
        var text = requestJSON
        return text.withUTF8 { chat(requestBytes: UnsafeRawBufferPointer($0), cancel: cancel) }
    }

    /// Same as ``chat(_:cancel:)`` for UTF-8 bytes the caller owns for the duration of the call.
    public func chat(requestBytes: UnsafeRawBufferPointer, cancel: CancelToken? = nil) -> ChatResult {
        execute(requestBytes, cancel: cancel, onDelta: nil)
    }

    /// Streams the reply, calling `onDelta` on this thread for each chunk as it arrives; returning
    /// false stops the call (`.cancelled`, text so far kept). The result holds the whole reply as if
    /// it had not been streamed.
    public func chatStream(_ requestJSON: String, cancel: CancelToken? = nil, onDelta: @escaping (StreamChunk) -> Bool) -> ChatResult {
        var text = requestJSON
        return text.withUTF8 { chatStream(requestBytes: UnsafeRawBufferPointer($0), cancel: cancel, onDelta: onDelta) }
    }

    /// Same as ``chatStream(_:cancel:onDelta:)`` for UTF-8 bytes the caller owns during the call.
    public func chatStream(requestBytes: UnsafeRawBufferPointer, cancel: CancelToken? = nil,
                           onDelta: @escaping (StreamChunk) -> Bool) -> ChatResult {
        execute(requestBytes, cancel: cancel, onDelta: onDelta)
    }

    private func execute(_ bytes: UnsafeRawBufferPointer, cancel: CancelToken?, onDelta: ((StreamChunk) -> Bool)?) -> ChatResult {
        let start = Clock.nowNs()
        var result: ChatResult
        do throws(Qwen3VLError) {
            let body = try RequestValidator.prepare(bytes, defaultModel: options.model, media: media,
                                                    stream: onDelta != nil)
            result = run(body, cancel: cancel, onDelta: onDelta)
        } catch {
            result = ChatResult(error: error)
        }
        result.error = redacted(result.error)
        result.elapsedMs = Double(Clock.nowNs() &- start) / 1e6
        if result.status != .ok {
            logger.log(.error, "\(result.status.name) after \(Int(result.elapsedMs)) ms: \(result.error)", redact: redacted)
        }
        return result
    }

    /// Takes a connection, registers the call for cancellation, and runs the attempts.
    private func run(_ body: RequestBody, cancel: CancelToken?, onDelta: ((StreamChunk) -> Bool)?) -> ChatResult {
        guard let conn = pool.acquire() else { return ChatResult(error: Qwen3VLError(.internal, "could not create a libcurl handle")) }
        // Back to the pool only after a clean exchange. After a garbled, cut, timed-out or cancelled
        // one, the connection may hold stray bytes (a Content-Length that lied, say) that would
        // poison the next call, so it is closed instead.
        var reusable = false
        defer { if reusable { pool.release(conn) } }
        let context = CallContext(connection: conn)
        guard inFlight.add(context) else { return ChatResult(error: Qwen3VLError(.cancelled, "the client was freed")) }
        defer { inFlight.remove(context) }
        guard ProcessExit.calls.add(context) else { return ChatResult(error: Qwen3VLError(.cancelled, "the process is exiting")) }
        defer { ProcessExit.calls.remove(context) }
        if let cancel {
            guard cancel.registry.add(context) else { return ChatResult(error: Qwen3VLError(.cancelled, "cancelled before it started")) }
        }
        defer { cancel?.registry.remove(context) }
        let result = attempts(body, conn: conn, context: context, onDelta: onDelta)
        reusable = [.ok, .auth, .rateLimit, .badRequest, .server].contains(result.status)
        return result
    }

    /// The retry loop: one HTTP attempt after another until success, a final failure, the deadline
    /// or cancellation.
    private func attempts(_ body: RequestBody, conn: Connection, context: CallContext,
                          onDelta: ((StreamChunk) -> Bool)?) -> ChatResult {
        let deadline = Clock.deadline(afterMs: options.timeoutMs)
        let request = HTTPRequest(
            url: url, body: body, headers: onDelta == nil ? plainHeaders : streamHeaders, bearer: key.map { UnsafePointer($0.cString) },
            userAgent: userAgent, connectTimeoutMs: options.connectTimeoutMs, idleTimeoutMs: options.idleTimeoutMs,
            idleFromStart: onDelta != nil, maxResponseBytes: options.maxResponseBytes, security: security)

        var result = ChatResult()
        while true {
            result.attempts += 1
            let sink = ResponseSink(limit: options.maxResponseBytes)
            let stream = onDelta.map { StreamAssembler(maxEventBytes: Int(clamping: options.maxResponseBytes),
                                                            isCancelled: { context.isCancelled }, onDelta: $0) }
            if let stream {
                sink.onData = { [unowned sink] bytes in
                    let more = stream.feed(bytes)
                    if !more && stream.sawDone { sink.complete = true }
                    return more
                }
            }
            logger.log(.debug, "POST \(logURL) (attempt \(result.attempts), \(body.count) bytes) with \(describeHeaders(streaming: onDelta != nil))",
                       redact: redacted)
            let attemptStart = Clock.nowNs()
            let outcome = conn.perform(request, sink: sink, deadlineNs: deadline, context: context)
            sink.onData = nil
            logger.log(.info, "POST \(logURL): HTTP \(sink.httpStatus) after \((Clock.nowNs() &- attemptStart) / 1_000_000) ms (attempt \(result.attempts))",
                       redact: redacted)
            result.httpStatus = sink.httpStatus
            result.requestID = sink.requestID ?? ""

            var failure: Qwen3VLError
            let retryable: Bool
            switch outcome {
            case .completed where (200..<300).contains(sink.httpStatus):
                if let stream, sink.streamed { return finishStream(result, stream, failure: nil) }
                return completed(result, body: sink.body, context: context, onDelta: onDelta)
            case .completed:
                if result.requestID.isEmpty { result.requestID = ReplyParser.errorRequestID(sink.body.bytes) ?? "" }
                (failure, retryable) = Self.httpFailure(status: sink.httpStatus, body: sink.body.bytes)
            case .failed(let e, let r):
                (failure, retryable) = (e, r)
            }
            // Never replay deltas the caller has already seen; an error inside the stream is final.
            if let stream, stream.deliveredAny || stream.failure != nil || stream.cancelled {
                return finishStream(result, stream, failure: failure)
            }
            if !retryable || result.attempts > options.maxRetries {
                return finish(result, failure)
            }
            let delay = RetryPolicy.delayMs(
                failedAttempts: result.attempts, retryAfterMs: sink.retryAfterMs, retryAfter: sink.retryAfter,
                nowEpochSeconds: Clock.epochSeconds(), random: Double.random(in: 0..<1))
            if Clock.msUntil(deadline) <= delay {
                failure.message += " (no time left in timeout_ms for another attempt)"
                return finish(result, failure)
            }
            logger.log(.warning, "attempt \(result.attempts) failed (\(failure.status.name): \(failure.message)); retrying in \(delay) ms",
                       redact: redacted)
            if !conn.sleep(ms: delay, context: context) {
                return finish(result, Qwen3VLError(.cancelled, "cancelled while waiting to retry"))
            }
        }
    }

    /// A whole non-streamed reply (also what a server that ignores "stream": true sends): parsed, and
    /// for a streaming caller handed over as a single chunk.
    private func completed(_ partial: ChatResult, body: ByteBuffer, context: CallContext,
                           onDelta: ((StreamChunk) -> Bool)?) -> ChatResult {
        var result = partial
        do throws(Qwen3VLError) {
            let c = try ReplyParser.completion(body.bytes)
            result.apply(c)
            result.jsonBytes = body.take() // the reply as received, without a copy
            if let onDelta {
                if context.isCancelled { return finish(result, Qwen3VLError(.cancelled, "cancelled")) }
                let go = onDelta(StreamChunk(textBytes: UnsafeBufferPointer(start: c.text.base, count: c.text.count),
                                             jsonBytes: UnsafeBufferPointer(start: result.jsonBytes.base, count: result.jsonBytes.count)))
                if !go { return finish(result, Qwen3VLError(.cancelled, "stopped by the stream callback")) }
            }
        } catch {
            result.status = error.status
            result.error = error.message
        }
        return result
    }

    /// The end of a stream, clean or not: what arrived is kept either way.
    private func finishStream(_ partial: ChatResult, _ stream: StreamAssembler, failure: Qwen3VLError?) -> ChatResult {
        var result = partial
        if failure == nil { stream.finish() }
        guard let assembled = stream.completion() else { return finish(result, Qwen3VLError(.internal, "out of memory")) }
        result.apply(assembled)
        if let e = stream.failure { return finish(result, e) }
        if stream.cancelled { return finish(result, Qwen3VLError(.cancelled, "cancelled")) }
        if stream.stoppedByCaller { return finish(result, Qwen3VLError(.cancelled, "stopped by the stream callback")) }
        if let failure { return finish(result, failure) }
        guard stream.isComplete else {
            return finish(result, Qwen3VLError(.protocol, "stream ended before any finish_reason and without [DONE]"))
        }
        guard let json = stream.completionJSON() else { return finish(result, Qwen3VLError(.internal, "out of memory")) }
        result.jsonBytes = json
        return result
    }

    /// The request headers for a debug line, with the key never shown.
    private func describeHeaders(streaming: Bool) -> String {
        var names = ["Content-Type: application/json", streaming ? "Accept: text/event-stream" : "Accept: application/json",
                     "User-Agent: \(userAgent)"]
        if key != nil { names.append("Authorization: Bearer [redacted]") }
        names += options.headers.map { $0.name.lowercased() == "authorization" ? "\($0.name): [redacted]" : "\($0.name): \($0.value)" }
        return names.joined(separator: ", ")
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

    /// Error text and log lines never carry a secret, whatever a server echoed back.
    private func redacted(_ s: String) -> String {
        secrets.reduce(s) { $1.redact($0) }
    }
}
