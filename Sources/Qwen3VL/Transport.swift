import CCurl
import CQwen3VLShims

#if canImport(Glibc)
import Glibc
#endif

/// Request header lines as libcurl takes them (a curl_slist), freed with this object.
final class HeaderList: @unchecked Sendable {
    let list: UnsafeMutablePointer<curl_slist>

    /// `lines`, then the key's Authorization line when `bearer` is given. Nil when memory runs out
    /// (or for no lines at all).
    init?(_ lines: [String], bearer: SecretKey? = nil) {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            guard let next = curl_slist_append(list, line) else {
                q3v_slist_free_wiped(list)
                return nil
            }
            list = next
        }
        if let bearer {
            guard let next = q3v_slist_append_bearer(list, bearer.cString) else {
                q3v_slist_free_wiped(list)
                return nil
            }
            list = next
        }
        guard let list else { return nil }
        self.list = list
    }

    deinit { q3v_slist_free_wiped(list) }
}

/// One HTTP exchange as the transport needs it described.
struct HTTPRequest {
    var url: String
    var body: RequestBody
    var headers: HeaderList
    var connectTimeoutMs: Int64
    var idleTimeoutMs: Int64
    /// The call's whole limit (timeout_ms), for the message that says it was hit.
    var timeoutMs: Int64
    /// The failure of a call that reached timeout_ms.
    var timedOut: Qwen3VLError { Qwen3VLError(.timeout, "the call took longer than timeout_ms (\(timeoutMs) ms)") }
    /// Streams count silence from the start of the attempt; plain calls only once the reply began,
    /// since a model may think for minutes before its first byte.
    var idleFromStart: Bool
    var maxResponseBytes: Int64
    var security: TransportSecurity
}

/// TLS, proxy and redirect settings that come from the client's options.
struct TransportSecurity {
    var skipVerify = false
    var caFile: String?
    var caPath: String?
    var proxy: String?
    /// An https base URL never follows a redirect down to plain http.
    var httpsOnlyRedirects = true
}

/// Where a reply's bytes go while they arrive.
final class ResponseSink {
    var httpStatus = 0
    var requestID: String?
    var retryAfter: String?
    var retryAfterMs: String?
    var contentType = ""
    /// Header lines are kept (in `headerLines`) for every reply when set, else for HTTP errors only.
    var keepHeaders = false
    let headerLines = ByteBuffer()
    /// A reply's body, sized by the server: grown without trapping when memory runs short.
    let body = ByteBuffer()
    /// Memory ran out while the body arrived.
    var outOfMemory = false
    let limit: Int64
    var received: Int64 = 0
    var tooLarge = false
    var lastActivityNs: UInt64 = 0
    var gotHeaders = false
    /// For streams: takes a successful text/event-stream body piece by piece instead of `body`.
    /// False stops the transfer.
    var onData: ((UnsafeRawBufferPointer) -> Bool)?
    /// Asked before each piece of the body: true pauses the transfer (the host is behind on events).
    var shouldPause: (() -> Bool)?
    /// Some of the body went to `onData`.
    var streamed = false
    var consumerStopped = false
    /// Set by a stream's consumer once the reply is whole ([DONE]): the transfer is then given a
    /// moment to end cleanly (so the connection can be reused) and otherwise abandoned.
    var complete = false

    init(limit: Int64) { self.limit = limit }

    /// One header line. Worked on as bytes: this runs for every header of every reply, and only a
    /// handful of names matter.
    fileprivate func header(_ line: UnsafeRawBufferPointer) {
        lastActivityNs = Clock.nowNs()
        gotHeaders = true
        var end = line.count
        while end > 0 && (line[end - 1] == 10 || line[end - 1] == 13) { end -= 1 }
        let text = UnsafeRawBufferPointer(rebasing: line[0..<end])
        if text.count > 5 && text[0] == UInt8(ascii: "H") && text.starts(with: "HTTP/".utf8) {
            // A new response (after a redirect or a 100 Continue): forget the previous one's headers.
            var i = 0
            while i < text.count && text[i] != 32 { i += 1 }
            var code = 0
            i += 1
            while i < text.count, text[i] >= 48, text[i] <= 57, code < 1000 {
                code = code * 10 + Int(text[i] - 48); i += 1
            }
            httpStatus = code
            requestID = nil; retryAfter = nil; retryAfterMs = nil; contentType = ""
            headerLines.removeAll()
            return
        }
        guard let colon = text.firstIndex(of: 58) else { return }
        if keepHeaders || httpStatus >= 400, !(headerLines.append(text) && headerLines.append(byte: 10)) {
            outOfMemory = true
        }
        // Only names of the lengths below matter: most lines are passed over by their length alone.
        guard colon < Self.wanted.count else { return }
        guard let name = Self.wanted[colon].first(where: { n in n.indices.allSatisfy { text[$0] | 0x20 == n[$0] } })
        else { return }
        var a = colon + 1, b = text.count
        while a < b && (text[a] == 32 || text[a] == 9) { a += 1 }
        while b > a && (text[b - 1] == 32 || text[b - 1] == 9) { b -= 1 }
        let value = String(decoding: text[a..<b], as: UTF8.self)
        switch name {
        case Self.contentLength:
            // Room for the whole body at once, rather than doubling towards it (within the limit).
            if let n = Int64(value), n > 0, n <= limit, !body.reserve(Int(n)) { outOfMemory = true }
        case Self.inferenceID: requestID = value
        case Self.requestIDName: if requestID == nil { requestID = value }
        case Self.retryAfterName: retryAfter = value
        case Self.retryAfterMsName: retryAfterMs = value
        default: contentType = value.lowercased()
        }
    }

    private static let contentLength = Array("content-length".utf8), inferenceID = Array("x-inference-id".utf8)
    private static let requestIDName = Array("x-request-id".utf8), retryAfterName = Array("retry-after".utf8)
    private static let retryAfterMsName = Array("retry-after-ms".utf8), contentTypeName = Array("content-type".utf8)
    /// The header names read, lower case, by length: wanted[n] holds those n bytes long.
    private static let wanted: [[[UInt8]]] = (0...14).map { n in
        [contentLength, inferenceID, requestIDName, retryAfterName, retryAfterMsName, contentTypeName].filter {
            $0.count == n
        }
    }

    /// False asks libcurl to stop.
    fileprivate func data(_ chunk: UnsafeRawBufferPointer) -> Bool {
        lastActivityNs = Clock.nowNs()
        let (total, overflow) = received.addingReportingOverflow(Int64(chunk.count))
        guard !overflow, total <= limit else { tooLarge = true; return false }
        received = total
        if let onData, (200..<300).contains(httpStatus), contentType.hasPrefix("text/event-stream") {
            streamed = true
            if !onData(chunk) {
                if complete { return true } // whole already: just let the rest go by
                consumerStopped = true
                return false
            }
            return true
        }
        guard body.append(chunk) else { outOfMemory = true; return false }
        return true
    }
}

/// How one attempt ended, before HTTP status codes are judged.
enum TransferOutcome {
    case completed
    case failed(Qwen3VLError, retryable: Bool)
}

private let bodySink: q3v_data_fn = { data, size, nmemb, user in
    guard let user else { return 0 }
    let (n, o) = size.multipliedReportingOverflow(by: nmemb)
    guard !o else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(user).takeUnretainedValue()
    if let pause = sink.shouldPause, pause() { return Int(CURL_WRITEFUNC_PAUSE) } // offered again on resume
    return sink.data(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : n)) ? n : 0
}

private let bodyReader: q3v_data_fn = { data, size, nmemb, user in
    guard let user, let data else { return Int(CURL_READFUNC_ABORT) }
    let (n, o) = size.multipliedReportingOverflow(by: nmemb)
    guard !o else { return Int(CURL_READFUNC_ABORT) }
    let body = Unmanaged<RequestBody>.fromOpaque(user).takeUnretainedValue()
    return body.read(into: UnsafeMutableRawBufferPointer(start: data, count: n)) ?? Int(CURL_READFUNC_ABORT)
}

private let bodySeeker: q3v_seek_fn = { user, offset, origin in
    guard let user, offset == 0, origin == SEEK_SET else { return Int32(Q3V_SEEK_CANTSEEK.rawValue) }
    Unmanaged<RequestBody>.fromOpaque(user).takeUnretainedValue().rewind()
    return Int32(Q3V_SEEK_OK.rawValue)
}

private let headerSink: q3v_data_fn = { data, size, nmemb, user in
    guard let user else { return 0 }
    let (n, o) = size.multipliedReportingOverflow(by: nmemb)
    guard !o else { return 0 }
    Unmanaged<ResponseSink>.fromOpaque(user).takeUnretainedValue().header(
        UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : n))
    return n
}

/// One libcurl easy handle set up for a client's requests, driven either by a `Connection` (a
/// blocking call on the caller's thread) or by the client's `Engine` (non-blocking calls). It
/// judges the progress of an attempt and the way it ended the same way for both.
final class EasyHandle: @unchecked Sendable {
    /// What the kernel still holds unsent or unacknowledged on a set of sockets, asked at most once
    /// per look: the engine's calls share one set (every connection of its multi handle), and a look
    /// at a thousand calls must not make a thousand ioctls each.
    struct KernelQueue {
        private let sockets: OpaquePointer
        private var known: Int?
        init(_ sockets: OpaquePointer) { self.sockets = sockets }

        mutating func bytes() -> Int {
            if let b = known { return b }
            let b = q3v_sockets_unacked(sockets)
            known = b
            return b
        }
    }

    /// A fresh probe of this handle's sockets, for one look.
    var kernelQueue: KernelQueue { KernelQueue(sockets) }

    let easy: UnsafeMutableRawPointer
    private let share: UnsafeMutableRawPointer?
    /// The process that made it: a pool never lends a handle across fork().
    let pid = q3v_getpid()
    /// The client-wide options are set (see `configure`), and the URL last set.
    private var configured = false
    private var configuredURL = ""
    /// This handle's sockets, for asking the kernel how much of an upload is still unsent; its own,
    /// or the engine's (freed by whoever made it).
    private let sockets: OpaquePointer
    private let ownsSockets: Bool
    /// libcurl writes its detailed error text here during a transfer, so it must not move.
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    // The attempt under way: upload progress and the grace period after a complete stream.
    private var uploaded: curl_off_t = 0
    private var unacked = 0
    private var graceUntil: UInt64 = 0

    /// Driven by the engine's shared multi handle: wait for a connection that can multiplex
    /// (HTTP/2) rather than open one more per call.
    private let multiplexed: Bool

    init?(share: UnsafeMutableRawPointer?, sockets shared: OpaquePointer? = nil, multiplexed: Bool = false) {
        self.multiplexed = multiplexed
        guard let e = curl_easy_init() else { return nil }
        guard let s = shared ?? q3v_sockets_new() else { curl_easy_cleanup(e); return nil }
        easy = e
        sockets = s
        ownsSockets = shared == nil
        self.share = share
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        // Once exit() has begun, OpenSSL may be tearing down: closing a TLS connection then could
        // crash, and the process is ending anyway.
        guard !ProcessExit.isExiting else { return }
        curl_easy_cleanup(easy)
        if ownsSockets { q3v_sockets_free(sockets) } // after the cleanup, which closes sockets through it
        errorBuffer.deallocate()
    }

    /// Sets up one attempt; false if libcurl refused an option.
    func prepare(_ req: HTTPRequest, sink: ResponseSink, timeoutMs: Int64) -> Bool {
        errorBuffer[0] = 0
        uploaded = 0
        unacked = 0
        graceUntil = 0
        sink.lastActivityNs = Clock.nowNs()
        return configure(req, sink: sink, timeoutMs: timeoutMs)
    }

    /// What a driver does between polls for this attempt: wait at most this long, or stop here
    /// (the idle limit passed, or a complete stream's grace period ended).
    enum Tick { case wait(ms: Int64), finished(TransferOutcome) }

    /// Idle means no progress either way: a large image going out slowly is not silence, neither
    /// while libcurl hands it over nor while the kernel still sends what it holds. `paused`: the
    /// host has not taken the events yet, which is not the server's silence.
    func tick(
        _ req: HTTPRequest, sink: ResponseSink, deadlineNs: UInt64, paused: Bool = false, queue: inout KernelQueue
    ) -> Tick {
        var up: curl_off_t = 0
        if q3v_easy_getinfo_off(easy, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK, up != uploaded {
            uploaded = up
            unacked = queue.bytes()
            sink.lastActivityNs = Clock.nowNs()
        }
        // Until the request starts going out, the call waits for a connection (queued behind
        // max_connections, or connecting): connect_timeout_ms's business, not silence.
        var sentAfter: curl_off_t = 0
        let started = q3v_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &sentAfter) == CURLE_OK && sentAfter > 0
        if paused || !started { sink.lastActivityNs = Clock.nowNs() }
        var waitMs = Clock.msUntil(deadlineNs)
        // libcurl does not time out a transfer still queued for a connection (behind
        // max_connections): that wait counts towards timeout_ms, so the deadline is checked here.
        if !started && waitMs <= 0 {
            return .finished(.failed(req.timedOut, retryable: false))
        }
        if sink.complete {
            if graceUntil == 0 { graceUntil = Clock.deadline(afterMs: 200) }
            let graceLeft = Clock.msUntil(graceUntil)
            if graceLeft <= 0 { return .finished(.completed) }
            waitMs = min(waitMs, graceLeft)
        } else if req.idleTimeoutMs > 0
            && (req.idleFromStart || sink.gotHeaders || (uploaded > 0 && uploaded < Int64(req.body.count)))
        {
            var idleLeft = Clock.msUntil(sink.lastActivityNs &+ UInt64(req.idleTimeoutMs) &* 1_000_000)
            if idleLeft <= 0, uploaded > 0, case let queued = queue.bytes(), queued != unacked {
                unacked = queued // the peer took some of what was queued (all of it, maybe): progress
                sink.lastActivityNs = Clock.nowNs()
                idleLeft = req.idleTimeoutMs
            }
            if idleLeft <= 0 {
                return .finished(
                    .failed(
                        Qwen3VLError(.timeout, "no data from the server for \(req.idleTimeoutMs) ms (idle_timeout_ms)"),
                        retryable: false))
            }
            waitMs = min(waitMs, idleLeft)
        }
        return .wait(ms: waitMs)
    }

    /// Sets the options of one attempt. Those that are the same for every call of a client (a
    /// connection never changes client) are set on first use only: most of libcurl's per-call cost
    /// in a short call is setting options again.
    private func configure(_ req: HTTPRequest, sink: ResponseSink, timeoutMs: Int64) -> Bool {
        var ok = true
        func long(_ o: CURLoption, _ v: Int) { ok = ok && q3v_easy_setopt_long(easy, o, v) == CURLE_OK }
        func str(_ o: CURLoption, _ v: String) {
            ok = ok && v.withCString { q3v_easy_setopt_ptr(easy, o, $0) } == CURLE_OK
        }
        func ptr(_ o: CURLoption, _ v: UnsafeRawPointer?) { ok = ok && q3v_easy_setopt_ptr(easy, o, v) == CURLE_OK }

        if req.url != configuredURL {
            str(CURLOPT_URL, req.url)
            configuredURL = req.url
        }
        if !configured {
            long(CURLOPT_POST, 1)
            str(CURLOPT_ACCEPT_ENCODING, "")
            long(CURLOPT_NOSIGNAL, 1)
            ok = ok && q3v_easy_set_redirects(easy, 5, req.security.httpsOnlyRedirects ? 1 : 0) == CURLE_OK
            long(CURLOPT_SSL_VERIFYPEER, req.security.skipVerify ? 0 : 1)
            long(CURLOPT_SSL_VERIFYHOST, req.security.skipVerify ? 0 : 2)
            if let f = req.security.caFile { str(CURLOPT_CAINFO, f) }
            if let p = req.security.caPath { str(CURLOPT_CAPATH, p) }
            if let p = req.security.proxy { str(CURLOPT_PROXY, p) }
            long(CURLOPT_TCP_KEEPALIVE, 1)
            // Wait for a connection that may multiplex only where one can (HTTP/2 comes over TLS by
            // ALPN): on plain http every later call would wait for the first to finish.
            if multiplexed && req.url.lowercased().hasPrefix("https://") { long(CURLOPT_PIPEWAIT, 1) }
            ok =
                ok && q3v_easy_setopt_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(req.maxResponseBytes)) == CURLE_OK
            if let share { ptr(CURLOPT_SHARE, share) }
            ptr(CURLOPT_ERRORBUFFER, errorBuffer)
            ok = ok && q3v_easy_track_sockets(easy, sockets) == CURLE_OK
            configured = ok
        }
        if let bytes = req.body.contiguous {
            ptr(CURLOPT_POSTFIELDS, bytes.baseAddress)
            ok = ok && q3v_easy_set_reader(easy, bodyReader, bodySeeker, nil) == CURLE_OK
        } else {
            // Files go out through a reader that encodes them as it goes, in large pieces.
            req.body.rewind()
            ptr(CURLOPT_POSTFIELDS, nil)
            long(CURLOPT_UPLOAD_BUFFERSIZE, 512 * 1024)
            ok =
                ok
                && q3v_easy_set_reader(easy, bodyReader, bodySeeker, Unmanaged.passUnretained(req.body).toOpaque())
                    == CURLE_OK
        }
        ok = ok && q3v_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(req.body.count)) == CURLE_OK
        ptr(CURLOPT_HTTPHEADER, UnsafeRawPointer(req.headers.list))
        long(CURLOPT_TIMEOUT_MS, Int(timeoutMs))
        long(CURLOPT_CONNECTTIMEOUT_MS, Int(min(req.connectTimeoutMs, timeoutMs)))
        ok = ok && q3v_easy_set_sinks(easy, bodySink, headerSink, Unmanaged.passUnretained(sink).toOpaque()) == CURLE_OK
        return ok
    }

    static let deadlineSlackMs: Int64 = 20

    func outcome(_ code: CURLcode, sink: ResponseSink, deadlineNs: UInt64, req: HTTPRequest) -> TransferOutcome {
        if code == CURLE_OK { return .completed }
        let detail = curlDetail(code)
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR:
            return .failed(Qwen3VLError(.connect, detail), retryable: true)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_USE_SSL_FAILED:
            return .failed(Qwen3VLError(.connect, "TLS: \(detail)"), retryable: false)
        case CURLE_OPERATION_TIMEDOUT:
            // libcurl's timers may fire a millisecond or two before the deadline: with so little
            // left, it was the call's limit (and no retry could start anyway).
            if Clock.msUntil(deadlineNs) <= Self.deadlineSlackMs {
                return .failed(req.timedOut, retryable: false)
            }
            // Well within the deadline, so the limit hit was the connection attempt's.
            return .failed(
                Qwen3VLError(.timeout, "\(detail) (connect_timeout_ms \(req.connectTimeoutMs) ms)"),
                retryable: !sink.gotHeaders)
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE:
            if !sink.gotHeaders || sink.httpStatus == 0 {
                return .failed(Qwen3VLError(.connect, "connection lost before a reply: \(detail)"), retryable: true)
            }
            return .failed(Qwen3VLError(.protocol, "reply cut short: \(detail)"), retryable: false)
        case CURLE_WRITE_ERROR, CURLE_FILESIZE_EXCEEDED:
            if sink.tooLarge || code == CURLE_FILESIZE_EXCEEDED {
                return .failed(
                    Qwen3VLError(.tooLarge, "reply is larger than max_response_bytes (\(req.maxResponseBytes) bytes)"),
                    retryable: false)
            }
            if sink.outOfMemory {
                return .failed(
                    Qwen3VLError(.internal, "out of memory for a reply of over \(sink.received) bytes"),
                    retryable: false)
            }
            if sink.consumerStopped {
                return .failed(Qwen3VLError(.cancelled, "stopped by the stream callback"), retryable: false)
            }
            return .failed(Qwen3VLError(.internal, detail), retryable: false)
        case CURLE_BAD_CONTENT_ENCODING:
            return .failed(Qwen3VLError(.protocol, "reply's content encoding is broken: \(detail)"), retryable: false)
        case CURLE_TOO_MANY_REDIRECTS, CURLE_UNSUPPORTED_PROTOCOL, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2,
            CURLE_HTTP2_STREAM,
            CURLE_HTTP3:
            return .failed(Qwen3VLError(.protocol, detail), retryable: false)
        case CURLE_ABORTED_BY_CALLBACK, CURLE_READ_ERROR:
            return .failed(req.body.readError ?? Qwen3VLError(.internal, detail), retryable: false)
        case CURLE_OUT_OF_MEMORY where sink.gotHeaders && sink.received == 0:
            // libcurl reports a header line over its 100 KB limit as out of memory: the server's fault.
            return .failed(
                Qwen3VLError(.protocol, "a response header is larger than libcurl accepts"), retryable: false)
        case CURLE_OUT_OF_MEMORY:
            return .failed(Qwen3VLError(.internal, "out of memory"), retryable: false)
        default:
            return .failed(Qwen3VLError(.connect, detail), retryable: false)
        }
    }

    private func curlDetail(_ code: CURLcode) -> String {
        errorBuffer[Int(CURL_ERROR_SIZE)] = 0
        let specific = String(cString: errorBuffer)
        if !specific.isEmpty { return specific }
        return String(cString: curl_easy_strerror(code))
    }
}

/// A blocking attempt on the caller's thread: an easy handle driven by a multi handle of its own,
/// which holds this connection's cache (so keep-alive works across calls) and lets another thread
/// wake the call at once with curl_multi_wakeup, which a bare curl_easy_perform cannot offer. Used
/// by one thread at a time.
final class Connection: @unchecked Sendable {
    private let handle: EasyHandle
    private let multi: UnsafeMutableRawPointer
    var pid: pid_t { handle.pid }

    init?(share: UnsafeMutableRawPointer?) {
        guard let h = EasyHandle(share: share), let m = curl_multi_init() else { return nil }
        handle = h
        multi = m
    }

    deinit {
        guard !ProcessExit.isExiting else { return }
        q3v_multi_cleanup(multi) // closes TLS connections: under the SIGPIPE guard
    }

    /// Wakes the thread blocked in this connection's `perform` or `sleep`. Safe from any thread.
    func wakeup() { _ = curl_multi_wakeup(multi) }

    /// Sleeps up to `ms`, returning early (false) if the call is cancelled.
    func sleep(ms: Int64, context: CallContext) -> Bool {
        let until = Clock.deadline(afterMs: ms)
        while !context.isCancelled {
            let left = Clock.msUntil(until)
            if left <= 0 { return true }
            wait(ms: Int32(min(left, 1000)), context: context)
        }
        return false
    }

    /// Waits in curl_multi_poll up to `ms` (a transfer's activity, a wakeup), and on the descriptor
    /// the call's token watches, if any: readable, it fires the token, which ends the call.
    private func wait(ms: Int32, context: CallContext) {
        let fd = context.watchedFd
        guard fd >= 0 else {
            _ = curl_multi_poll(multi, nil, 0, ms, nil)
            return
        }
        var extra = curl_waitfd(fd: fd, events: Int16(CURL_WAIT_POLLIN), revents: 0)
        var ready: Int32 = 0
        _ = curl_multi_poll(multi, &extra, 1, ms, &ready)
        // libcurl passes on POLLIN only: a hang-up or a closed descriptor, which end the wait too,
        // takes a look of its own (not to spin on them).
        if extra.revents != 0 {
            context.watchFired()
        } else if ready > 0 {
            _ = context.watchFires()
        }
    }

    /// Runs one HTTP POST to its end, a failure, the deadline, the idle limit or cancellation.
    func perform(_ req: HTTPRequest, sink: ResponseSink, deadlineNs: UInt64, context: CallContext) -> TransferOutcome {
        let remaining = Clock.msUntil(deadlineNs)
        guard remaining > 0 else {
            return .failed(
                Qwen3VLError(.timeout, "timed out before the request was sent (timeout_ms \(req.timeoutMs) ms)"),
                retryable: false)
        }
        guard handle.prepare(req, sink: sink, timeoutMs: remaining) else {
            return .failed(Qwen3VLError(.internal, "could not configure libcurl"), retryable: false)
        }
        guard curl_multi_add_handle(multi, handle.easy) == CURLM_OK else {
            return .failed(Qwen3VLError(.internal, "could not start the transfer"), retryable: false)
        }
        defer { curl_multi_remove_handle(multi, handle.easy) }

        var guardState = q3v_sigpipe_state()
        q3v_sigpipe_guard(&guardState)
        defer { q3v_sigpipe_release(&guardState) }

        var running: Int32 = 1
        while true {
            guard curl_multi_perform(multi, &running) == CURLM_OK else {
                return .failed(Qwen3VLError(.internal, "libcurl multi interface failed"), retryable: false)
            }
            if running == 0 { break }
            if context.isCancelled { return .failed(Qwen3VLError(.cancelled, "cancelled"), retryable: false) }
            var queue = handle.kernelQueue
            switch handle.tick(req, sink: sink, deadlineNs: deadlineNs, queue: &queue) {
            case .finished(let outcome): return outcome
            case .wait(let ms): wait(ms: Int32(max(1, min(ms, 1000))), context: context)
            }
        }

        var code = CURLE_OK
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            if msg.pointee.msg == CURLMSG_DONE { code = msg.pointee.data.result }
        }
        return handle.outcome(code, sink: sink, deadlineNs: deadlineNs, req: req)
    }
}
