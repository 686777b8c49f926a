import CCurl
import CQwen3VLShims

#if canImport(Glibc)
import Glibc
#endif

/// A client of an OpenAI-compatible chat-completions endpoint, Qwen3-VL by default.
/// Safe to use from many threads at once: each call takes its own connection from the client's pool.
public final class Qwen3VLClient: @unchecked Sendable {
    public static let version = String(cString: q3v_version_string())

    /// The options the client was made with, less the API key (kept apart, and wiped at the end).
    public let options: ClientOptions
    private let key: SecretKey?
    /// Secrets no log line or error text may carry: the key, and a password in base_url.
    private let secrets: [SecretKey]
    private let pool: ConnectionPool
    /// The fixed request header lines (plain and streamed calls differ in Accept), and the lists
    /// made of them once, read-only after init and so shared by all calls.
    private let plainHeaders: HeaderList
    private let streamHeaders: HeaderList
    private let userAgent: String
    private let url: String
    /// `url` as log lines show it: a password in it replaced, however short.
    private let logURL: String
    private let media: MediaPolicy
    let inFlight = CallRegistry()
    let logger = Logger()
    private let security: TransportSecurity
    /// The I/O thread of non-blocking calls with its event queue, made on first use.
    private let engineSlot = Locked<Engine?>(nil)

    public init(options: ClientOptions) throws(Qwen3VLError) {
        try options.validate()
        ProcessExit.installed
        guard !ProcessExit.isExiting else { throw Qwen3VLError(.cancelled, "the process is exiting") }
        guard q3v_curl_global_init() == Int32(CURLE_OK.rawValue) else {
            throw Qwen3VLError(.internal, "libcurl failed to initialise")
        }
        guard let pool = ConnectionPool() else { throw Qwen3VLError(.internal, "out of memory") }
        let userAgent = "qwen3vl/\(Self.version) libcurl/\(String(cString: q3v_curl_version()))"
        let key = SecretKey(options.apiKey)
        guard let plain = Self.headerList(accept: "application/json", userAgent: userAgent, options.headers, key),
            let stream = Self.headerList(accept: "text/event-stream", userAgent: userAgent, options.headers, key)
        else {
            throw Qwen3VLError(.internal, "out of memory")
        }
        self.key = key
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
        security = TransportSecurity(
            skipVerify: options.insecureSkipVerify, caFile: options.caFile, caPath: options.caPath,
            proxy: options.proxy, httpsOnlyRedirects: options.baseURL.lowercased().hasPrefix("https://"))
        self.userAgent = userAgent
    }

    /// A request's header lines: ours, then the given ones, each replacing an earlier line of the
    /// same name (so a caller's User-Agent replaces ours), and whether the key's Authorization line
    /// goes in (it is ours too: a given Authorization replaces it). User-Agent and Accept-Encoding go
    /// in the list rather than through their libcurl options, which libcurl formats anew for every
    /// request.
    static func headerLines(accept: String, userAgent: String, _ given: [(name: String, value: String)]) -> (
        lines: [String], bearer: Bool
    ) {
        var lines: [(name: String, line: String)] = [
            ("content-type", "Content-Type: application/json"),
            ("accept", "Accept: \(accept)"), ("expect", "Expect:"),
            ("user-agent", "User-Agent: \(userAgent)"),
        ]
        let encodings = String(cString: q3v_accept_encoding())
        if !encodings.isEmpty { lines.append(("accept-encoding", "Accept-Encoding: \(encodings)")) }
        var bearer = true
        for h in given {
            let name = h.name.lowercased()
            lines.removeAll { $0.name == name }
            lines.append((name, "\(h.name): \(h.value)"))
            if name == "authorization" { bearer = false }
        }
        return (lines.map(\.line), bearer)
    }

    /// The header list of ``headerLines(accept:userAgent:_:)``, with the key's line; nil when
    /// memory ran out.
    static func headerList(
        accept: String, userAgent: String, _ given: [(name: String, value: String)], _ key: SecretKey?
    ) -> HeaderList? {
        let (lines, bearer) = headerLines(accept: accept, userAgent: userAgent, given)
        return HeaderList(lines, bearer: bearer ? key : nil)
    }

    /// Parses `qwen3vl_client_new`'s options JSON (nil for defaults) and makes a client.
    public convenience init(optionsJSON: String?) throws(Qwen3VLError) {
        try self.init(options: ClientOptions.parse(json: optionsJSON))
    }

    deinit {
        // The I/O thread holds no reference to the client, so this is where it stops.
        engineSlot.withLock { $0?.shutdown() }
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
        // Non-blocking calls end here: cancelled, the I/O thread joined, their events dropped.
        engineSlot.withLock { $0?.shutdown() }
    }

    /// The one blocking entry point behind the others: per-call options, a cancel token and, when
    /// `onDelta` is given, the reply streamed to it on this thread (returning false stops the call:
    /// `.cancelled`, text so far kept). `options.stream` unset means: stream when there is `onDelta`.
    public func chat(
        requestBytes: UnsafeRawBufferPointer, options call: CallOptions, cancel: CancelToken? = nil,
        onDelta: ((StreamChunk) -> Bool)? = nil
    ) -> ChatResult {
        execute(requestBytes, call: call, cancel: cancel, onDelta: onDelta)
    }

    /// Sends a chat-completions request (JSON text) and waits for the whole reply.
    public func chat(_ requestJSON: String, cancel: CancelToken? = nil) -> ChatResult {
        var text = requestJSON
        return text.withUTF8 { chat(requestBytes: UnsafeRawBufferPointer($0), cancel: cancel) }
    }

    /// Same as ``chat(_:cancel:)`` for UTF-8 bytes the caller owns for the duration of the call.
    public func chat(requestBytes: UnsafeRawBufferPointer, cancel: CancelToken? = nil) -> ChatResult {
        execute(requestBytes, call: CallOptions(), cancel: cancel, onDelta: nil)
    }

    /// Streams the reply, calling `onDelta` on this thread for each chunk as it arrives; returning
    /// false stops the call (`.cancelled`, text so far kept). The result holds the whole reply as if
    /// it had not been streamed.
    public func chatStream(
        _ requestJSON: String, cancel: CancelToken? = nil, onDelta: @escaping (StreamChunk) -> Bool
    ) -> ChatResult {
        var text = requestJSON
        return text.withUTF8 { chatStream(requestBytes: UnsafeRawBufferPointer($0), cancel: cancel, onDelta: onDelta) }
    }

    /// Same as ``chatStream(_:cancel:onDelta:)`` for UTF-8 bytes the caller owns during the call.
    public func chatStream(
        requestBytes: UnsafeRawBufferPointer, cancel: CancelToken? = nil,
        onDelta: @escaping (StreamChunk) -> Bool
    ) -> ChatResult {
        execute(requestBytes, call: CallOptions(), cancel: cancel, onDelta: onDelta)
    }

    // MARK: non-blocking calls

    /// The client's I/O thread and event queue, made on first use (and afresh in a child process
    /// after fork(): the parent's thread does not exist there). Nil if they cannot be made.
    func engine() -> Engine? {
        engineSlot.withLock { slot in
            if let e = slot, e.pid == q3v_getpid() { return e }
            if let inherited = slot { inherited.abandon() }
            slot = Engine(client: self)
            return slot
        }
    }

    /// Starts a call on the I/O thread and returns at once; its events (deltas of a stream, then
    /// DONE) come from ``nextEvent(timeoutMs:)``. Never fails here: a bad request, like any other
    /// failure, is the status of its DONE event's result. A small request is checked here, on the
    /// caller's thread (as fast as the blocking calls'); a large one, or one with images to resize,
    /// is prepared on the client's preparer thread (see ``Preparer``).
    public func start(
        requestBytes: UnsafeRawBufferPointer, options call: CallOptions, userData: UnsafeMutableRawPointer?
    ) -> AsyncCall {
        guard Preparer.takes(requestBytes, resizing: (call.resize ?? media.resize.mode) != .off) else {
            return start(userData: userData) { start throws(Qwen3VLError) in
                try makeRun(requestBytes, call, onDelta: nil, start: start)
            }
        }
        guard let copy = Bytes.copy(requestBytes) else {
            return start(
                failing: Qwen3VLError(.internal, "out of memory for a request of \(requestBytes.count) bytes"),
                userData: userData)
        }
        guard let engine = engine() else { return Self.engineless(userData) }
        let asyncCall = AsyncCall(userData: userData, wake: { [weak engine] in engine?.sweepSoon() })
        engine.start(
            asyncCall, preparing: Preparer.Job(call: asyncCall, request: copy, options: call, start: Clock.nowNs()))
        return asyncCall
    }

    /// A call that failed before it could start (its call options were refused): its DONE event,
    /// with that error, is the first thing it delivers.
    public func start(failing e: Qwen3VLError, userData: UnsafeMutableRawPointer?) -> AsyncCall {
        start(userData: userData) { _ throws(Qwen3VLError) in throw e }
    }

    private func start(
        userData: UnsafeMutableRawPointer?, plan: (UInt64) throws(Qwen3VLError) -> CallRun
    ) -> AsyncCall {
        guard let engine = engine() else { return Self.engineless(userData) }
        let asyncCall = AsyncCall(userData: userData, wake: { [weak engine] in engine?.sweepSoon() })
        let start = Clock.nowNs()
        do throws(Qwen3VLError) {
            engine.start(asyncCall, try plan(start))
        } catch {
            engine.finishAtOnce(asyncCall, finalize(ChatResult(error: error), start: start))
        }
        return asyncCall
    }

    /// A call on a client whose engine could not be made: done at once, unannounced.
    private static func engineless(_ userData: UnsafeMutableRawPointer?) -> AsyncCall {
        let failed = AsyncCall(userData: userData)
        failed.finishedEarly(ChatResult(error: Qwen3VLError(.internal, "could not start the I/O thread")))
        return failed
    }

    /// A descriptor that is readable while events wait (-1 if the queue cannot be made).
    public var eventFD: Int32 { engine()?.events.fd ?? -1 }

    /// The next event of any non-blocking call, waiting up to `timeoutMs` (0: not at all, -1: until
    /// one comes). Nil when none came.
    public func nextEvent(timeoutMs: Int32) -> CallEvent? {
        // The engine as it is, without engine()'s fork check (a pid check per event): events only
        // ever come from calls started in this process, which made the engine here.
        (engineSlot.withLock { $0 } ?? engine())?.events.next(timeoutMs: timeoutMs)
    }

    /// Waiting events in one go: see ``EventQueue/take(timeoutMs:accept:)``.
    public func takeEvents(timeoutMs: Int32, accept: (CallEvent) -> Bool) -> [CallEvent] {
        (engineSlot.withLock { $0 } ?? engine())?.events.take(timeoutMs: timeoutMs, accept: accept) ?? []
    }

    // MARK: one call, as both drivers run it

    /// One call's fixed plan (body, request, limits), shared by its attempts, and its result so far.
    final class CallRun {
        let body: RequestBody
        let request: HTTPRequest
        let deadline: UInt64
        let maxRetries: Int
        let streaming: Bool
        let keepHeaders: Bool
        var onDelta: ((StreamChunk) -> Bool)?
        let start: UInt64
        /// The request's bytes when the call keeps its own copy (it was prepared on the preparer
        /// thread, after the host's call returned): the body may borrow them.
        var ownRequest: Bytes?
        /// Set by the driver before the first attempt.
        var isCancelled: () -> Bool = { false }
        var result = ChatResult()
        private(set) var sink = ResponseSink(limit: 0)
        private(set) var stream: StreamAssembler?
        fileprivate var attemptStart: UInt64 = 0

        init(
            body: RequestBody, request: HTTPRequest, deadline: UInt64, maxRetries: Int, streaming: Bool,
            keepHeaders: Bool, onDelta: ((StreamChunk) -> Bool)?, start: UInt64
        ) {
            self.body = body
            self.request = request
            self.deadline = deadline
            self.maxRetries = maxRetries
            self.streaming = streaming
            self.keepHeaders = keepHeaders
            self.onDelta = onDelta
            self.start = start
        }

        fileprivate func newAttempt(limit: Int64) {
            result.attempts += 1
            let sink = ResponseSink(limit: limit)
            sink.keepHeaders = keepHeaders
            stream = nil
            if streaming {
                let stream = StreamAssembler(
                    maxEventBytes: Int(clamping: limit), isCancelled: isCancelled, onDelta: onDelta ?? { _ in true })
                sink.onData = { [unowned sink] bytes in
                    let more = stream.feed(bytes)
                    if !more && stream.sawDone { sink.complete = true }
                    return more
                }
                self.stream = stream
            }
            self.sink = sink
            attemptStart = Clock.nowNs()
        }
    }

    /// What comes after an attempt.
    enum Verdict {
        case done(ChatResult)
        case retry(afterMs: Int64)
    }

    /// Checks the request and plans the call; `isCancelled` is asked between the images it resizes.
    func makeRun(
        _ bytes: UnsafeRawBufferPointer, _ call: CallOptions, onDelta: ((StreamChunk) -> Bool)?,
        start: UInt64, isCancelled: @escaping () -> Bool = { false }
    ) throws(Qwen3VLError) -> CallRun {
        let streaming = call.stream ?? (onDelta != nil)
        var media = self.media
        if let mode = call.resize { media.resize.mode = mode }
        media.log = { [logger] line in logger.log(.debug, line(), redact: self.redacted) }
        media.isCancelled = isCancelled
        let body = try RequestValidator.prepare(bytes, defaultModel: options.model, media: media, stream: streaming)
        var headers = streaming ? streamHeaders : plainHeaders
        if !call.headers.isEmpty {
            guard
                let h = Self.headerList(
                    accept: streaming ? "text/event-stream" : "application/json", userAgent: userAgent,
                    options.headers + call.headers, key)
            else {
                throw Qwen3VLError(.internal, "out of memory")
            }
            headers = h
        }
        let timeoutMs = call.timeoutMs ?? options.timeoutMs
        let request = HTTPRequest(
            url: call.url(url), body: body, headers: headers,
            connectTimeoutMs: options.connectTimeoutMs, idleTimeoutMs: call.idleTimeoutMs ?? options.idleTimeoutMs,
            timeoutMs: timeoutMs, idleFromStart: streaming, maxResponseBytes: options.maxResponseBytes,
            security: security)
        return CallRun(
            body: body, request: request, deadline: Clock.deadline(afterMs: timeoutMs),
            maxRetries: call.maxRetries ?? options.maxRetries, streaming: streaming, keepHeaders: call.responseHeaders,
            onDelta: onDelta, start: start)
    }

    /// Sets up the next attempt of `run` (its sink and stream decoder).
    func beginAttempt(_ run: CallRun) {
        run.newAttempt(limit: options.maxResponseBytes)
        logger.log(
            .debug,
            "POST \(logURL) (attempt \(run.result.attempts), \(run.body.count) bytes) with \(describeHeaders(streaming: run.streaming))",
            redact: redacted)
    }

    /// Judges how an attempt ended: the call's result, or another attempt after a wait. The one
    /// place where outcomes are classified, for the blocking calls and the I/O thread alike.
    func verdict(_ run: CallRun, _ outcome: TransferOutcome) -> Verdict {
        let sink = run.sink
        sink.onData = nil
        logger.log(
            .info,
            "POST \(logURL): HTTP \(sink.httpStatus) after \((Clock.nowNs() &- run.attemptStart) / 1_000_000) ms (attempt \(run.result.attempts))",
            redact: redacted)
        run.result.httpStatus = sink.httpStatus
        run.result.requestID = sink.requestID ?? ""
        run.result.headersBytes = redacted(sink.headerLines.bytes)
        run.result.errorBodyBytes = .empty

        var failure: Qwen3VLError
        let retryable: Bool
        switch outcome {
        case .completed where (200..<300).contains(sink.httpStatus):
            if let stream = run.stream, sink.streamed { return .done(finishStream(run.result, stream, failure: nil)) }
            return .done(completed(run.result, body: sink.body, isCancelled: run.isCancelled, onDelta: run.onDelta))
        case .completed:
            if run.result.requestID.isEmpty { run.result.requestID = ReplyParser.errorRequestID(sink.body.bytes) ?? "" }
            if sink.httpStatus >= 400 { run.result.errorBodyBytes = redacted(sink.body.bytes) }
            (failure, retryable) = Self.httpFailure(status: sink.httpStatus, body: sink.body.bytes)
        case .failed(let e, let r):
            (failure, retryable) = (e, r)
        }
        // Never replay deltas the caller has already seen; an error inside the stream is final.
        if let stream = run.stream, stream.deliveredAny || stream.failure != nil || stream.cancelled {
            return .done(finishStream(run.result, stream, failure: failure))
        }
        if !retryable || run.result.attempts > run.maxRetries {
            return .done(finish(run.result, failure))
        }
        let delay = RetryPolicy.delayMs(
            failedAttempts: run.result.attempts, retryAfterMs: sink.retryAfterMs, retryAfter: sink.retryAfter,
            nowEpochSeconds: Clock.epochSeconds(), random: Double.random(in: 0..<1))
        if Clock.msUntil(run.deadline) <= delay {
            failure.message += " (no time left in timeout_ms for another attempt)"
            return .done(finish(run.result, failure))
        }
        logger.log(
            .warning,
            "attempt \(run.result.attempts) failed (\(failure.status.name): \(failure.message)); retrying in \(delay) ms",
            redact: redacted)
        return .retry(afterMs: delay)
    }

    /// The result as the caller gets it: secrets redacted, time taken, a failure logged.
    func finalize(_ r: ChatResult, start: UInt64) -> ChatResult {
        var result = r
        result.error = redacted(result.error)
        result.elapsedMs = Double(Clock.nowNs() &- start) / 1e6
        if result.status != .ok {
            logger.log(
                .error, "\(result.status.name) after \(Int(result.elapsedMs)) ms: \(result.error)", redact: redacted)
        }
        return result
    }

    /// A call ended before or between attempts (cancelled, say), keeping what it had.
    func finish(_ run: CallRun, _ e: Qwen3VLError) -> ChatResult { finish(run.result, e) }

    // MARK: blocking calls

    private func execute(
        _ bytes: UnsafeRawBufferPointer, call: CallOptions, cancel: CancelToken?,
        onDelta: ((StreamChunk) -> Bool)?
    ) -> ChatResult {
        let start = Clock.nowNs()
        let result: ChatResult
        do throws(Qwen3VLError) {
            result = runBlocking(try makeRun(bytes, call, onDelta: onDelta, start: start), cancel: cancel)
        } catch {
            result = ChatResult(error: error)
        }
        return finalize(result, start: start)
    }

    /// Takes a connection, registers the call for cancellation, and runs the attempts on this thread.
    private func runBlocking(_ run: CallRun, cancel: CancelToken?) -> ChatResult {
        guard let conn = pool.acquire() else {
            return ChatResult(error: Qwen3VLError(.internal, "could not create a libcurl handle"))
        }
        // Back to the pool only after a clean exchange. After a garbled, cut, timed-out or cancelled
        // one, the connection may hold stray bytes (a Content-Length that lied, say) that would
        // poison the next call, so it is closed instead.
        var reusable = false
        defer { if reusable { pool.release(conn) } }
        let context = CallContext(wake: { conn.wakeup() }, token: cancel)
        guard inFlight.add(context) else { return ChatResult(error: Qwen3VLError(.cancelled, "the client was freed")) }
        defer { inFlight.remove(context) }
        guard ProcessExit.calls.add(context) else {
            return ChatResult(error: Qwen3VLError(.cancelled, "the process is exiting"))
        }
        defer { ProcessExit.calls.remove(context) }
        if let cancel {
            guard cancel.registry.add(context) else {
                return ChatResult(error: Qwen3VLError(.cancelled, "cancelled before it started"))
            }
        }
        defer { cancel?.registry.remove(context) }
        if context.watchFires() { return ChatResult(error: Qwen3VLError(.cancelled, "cancelled before it started")) }
        run.isCancelled = { context.isCancelled }
        while true {
            beginAttempt(run)
            let outcome = conn.perform(run.request, sink: run.sink, deadlineNs: run.deadline, context: context)
            switch verdict(run, outcome) {
            case .done(let result):
                reusable = Self.leavesConnectionClean(result.status)
                return result
            case .retry(let ms):
                if !conn.sleep(ms: ms, context: context) {
                    return finish(run, Qwen3VLError(.cancelled, "cancelled while waiting to retry"))
                }
            }
        }
    }

    /// Outcomes after which a connection holds nothing stray and may serve another call.
    static func leavesConnectionClean(_ status: Status) -> Bool {
        [.ok, .auth, .rateLimit, .badRequest, .server].contains(status)
    }

    /// A whole non-streamed reply (also what a server that ignores "stream": true sends): parsed, and
    /// for a streaming caller handed over as a single chunk.
    private func completed(
        _ partial: ChatResult, body: ByteBuffer, isCancelled: () -> Bool,
        onDelta: ((StreamChunk) -> Bool)?
    ) -> ChatResult {
        var result = partial
        do throws(Qwen3VLError) {
            let c = try ReplyParser.completion(body.bytes)
            result.apply(c)
            result.jsonBytes = body.take() // the reply as received, without a copy
            if let onDelta {
                if isCancelled() { return finish(result, Qwen3VLError(.cancelled, "cancelled")) }
                let go = onDelta(
                    StreamChunk(
                        textBytes: UnsafeBufferPointer(start: c.text.base, count: c.text.count),
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
        guard let assembled = stream.completion() else {
            return finish(result, Qwen3VLError(.internal, "out of memory"))
        }
        result.apply(assembled)
        if let e = stream.failure { return finish(result, e) }
        if stream.cancelled { return finish(result, Qwen3VLError(.cancelled, "cancelled")) }
        if stream.stoppedByCaller { return finish(result, Qwen3VLError(.cancelled, "stopped by the stream callback")) }
        if let failure { return finish(result, failure) }
        guard stream.isComplete else {
            return finish(result, Qwen3VLError(.protocol, "stream ended before any finish_reason and without [DONE]"))
        }
        guard let json = stream.completionJSON() else {
            return finish(result, Qwen3VLError(.internal, "out of memory"))
        }
        result.jsonBytes = json
        return result
    }

    /// The request headers for a debug line, with the key never shown.
    private func describeHeaders(streaming: Bool) -> String {
        let (lines, bearer) = Self.headerLines(
            accept: streaming ? "text/event-stream" : "application/json", userAgent: userAgent, options.headers)
        var shown = lines.map { line in
            line.lowercased().hasPrefix("authorization:") ? "\(line.prefix { $0 != ":" }): [redacted]" : line
        }
        if bearer && key != nil { shown.append("Authorization: Bearer [redacted]") }
        return shown.joined(separator: ", ")
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

    /// A reply's header lines or error body as the result keeps them: a secret the server echoed
    /// is redacted (invalid UTF-8 repaired); "" when there are none or memory runs out.
    private func redacted(_ raw: UnsafeRawBufferPointer) -> Bytes {
        guard !raw.isEmpty else { return .empty }
        return Bytes.copy(redacted(String(decoding: raw, as: UTF8.self))) ?? .empty
    }
}
