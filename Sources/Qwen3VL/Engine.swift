import CCurl
import CQwen3VLShims
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One event of a non-blocking call: a streamed delta, or the call's end.
public final class CallEvent: @unchecked Sendable {
    public enum Kind: Int32 { case delta = 1, done = 2 }
    /// `count` bytes at `base`, then a NUL.
    public struct Text {
        public let base: UnsafePointer<CChar>
        public let count: Int
    }
    public let kind: Kind
    public let call: AsyncCall
    /// DELTA: the content delta ("" for chunks without content) and the raw chunk JSON, both in
    /// one allocation (a stream makes one event per chunk). DONE: "".
    public let text: Text
    public let chunk: Text
    private let storage: UnsafeMutableRawPointer?

    /// A DONE event.
    init(done call: AsyncCall) {
        kind = .done
        self.call = call
        let empty = Bytes.empty.base
        text = Text(base: empty, count: 0)
        chunk = text
        storage = nil
    }

    /// A DELTA event with copies of `text` and `chunk`; nil when memory runs out.
    init?(delta call: AsyncCall, text: UnsafeRawBufferPointer, chunk: UnsafeRawBufferPointer) {
        let (sum, o1) = text.count.addingReportingOverflow(chunk.count)
        let (size, o2) = sum.addingReportingOverflow(2)
        guard !o1, !o2, let p = malloc(size) else { return nil }
        if let t = text.baseAddress { p.copyMemory(from: t, byteCount: text.count) }
        p.storeBytes(of: 0, toByteOffset: text.count, as: UInt8.self)
        let c = p + text.count + 1
        if let j = chunk.baseAddress { c.copyMemory(from: j, byteCount: chunk.count) }
        c.storeBytes(of: 0, toByteOffset: chunk.count, as: UInt8.self)
        kind = .delta
        self.call = call
        self.text = Text(base: UnsafePointer(p.assumingMemoryBound(to: CChar.self)), count: text.count)
        self.chunk = Text(base: UnsafePointer(c.assumingMemoryBound(to: CChar.self)), count: chunk.count)
        storage = p
    }

    deinit { free(storage) }

    /// What this event holds back from the call's budget until it is taken.
    var size: Int { text.count + chunk.count }
}

/// A call started with ``Qwen3VLClient/start(requestBytes:options:userData:)``: its events come from
/// the client's event queue, its result once its DONE event has been taken.
public final class AsyncCall: @unchecked Sendable {
    /// Comes back with every event, as the host gave it.
    public let userData: UnsafeMutableRawPointer?
    let context: CallContext
    private struct State { var done: ChatResult?; var taken = false; var exported: AnyObject? }
    /// Looked at for every event posted and taken: a flag of its own rather than under the lock.
    private let freed = Atomic<Bool>(false)
    private let state = Locked(State())
    /// Bytes of this call's events waiting in the queue, and whether its transfer is paused
    /// because of them (backpressure: a host that stops taking events costs bounded memory).
    let pendingBytes = Atomic<Int>(0)
    let paused = Atomic<Bool>(false)
    // The I/O thread's own: the call's plan and its transfer or retry timer.
    var run: Qwen3VLClient.CallRun?
    var handle: EasyHandle?
    var retryAtNs: UInt64 = 0

    init(userData: UnsafeMutableRawPointer?, wake: @escaping @Sendable () -> Void = {}) {
        self.userData = userData
        context = CallContext(wake: wake)
    }

    /// Ends the call with `.cancelled` (if it has not ended yet). Any thread.
    public func cancel() { context.cancel() }

    /// The result, once the DONE event has been taken from the queue; nil before.
    public var result: ChatResult? { state.withLock { $0.taken ? $0.done : nil } }

    /// What the C layer made of the result (its qwen3vl_result), made once when first asked for
    /// after DONE was taken; nil before.
    public func exported(_ make: (ChatResult) -> AnyObject?) -> AnyObject? {
        state.withLock { s in
            guard s.taken, let r = s.done else { return nil }
            if s.exported == nil { s.exported = make(r) }
            return s.exported
        }
    }

    /// The host lets go of the call: a running call is cancelled and nothing more of it is delivered.
    public func release() {
        freed.store(true, ordering: .releasing)
        let running = state.withLock { $0.done == nil }
        if running { cancel() } // a finished call needs no look from the I/O thread
    }

    /// The host let go of the call: nothing more of it is delivered.
    var isFreed: Bool { freed.load(ordering: .acquiring) }

    func setDone(_ r: ChatResult) { state.withLock { $0.done = r } }
    func markTaken() { state.withLock { $0.taken = true } }

    /// For a call that could not even reach the I/O thread: done, as if its DONE were taken.
    func finishedEarly(_ r: ChatResult) {
        state.withLock {
            $0.done = r; $0.taken = true
        }
    }
}

/// The events of one client's non-blocking calls, taken by the host on its own thread. An
/// eventfd is readable while the queue is not empty, for the host's poll/epoll/libuv/asyncio (and,
/// when a taker already awake takes an event as it is posted, until the next take finds none).
public final class EventQueue: @unchecked Sendable {
    public let fd: Int32
    private let lock = ConditionLock()
    private var items: [CallEvent] = []
    private var head = 0
    private var closed = false
    /// A paused call resumes once its waiting events fall below half the budget.
    static let budget = 1 << 20
    private let resume: (AsyncCall) -> Void

    init?(resume: @escaping (AsyncCall) -> Void) {
        let fd = q3v_eventfd()
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.resume = resume
    }

    deinit { Glibc.close(fd) }

    private var isEmpty: Bool { head == items.count }

    func post(_ e: CallEvent) { post(contentsOf: CollectionOfOne(e)) }

    /// Several events under one lock and at most one signal: the I/O thread hands over what one
    /// pass of its loop produced together. The signal is written after the lock is let go: the
    /// taker it wakes wants the lock at once, and woken on the poster's own core it would find the
    /// lock held and sleep on it (a futex wait, two wakes and a context switch more per hand-over).
    func post(contentsOf batch: some Collection<CallEvent>) {
        let signal: Bool = lock.withLock {
            guard !closed else { return false }
            let wasEmpty = isEmpty
            for e in batch where !e.call.isFreed { items.append(e) }
            return wasEmpty && !isEmpty
        }
        if signal { q3v_eventfd_signal(fd) }
    }

    /// The next event, waiting up to `timeoutMs` (0: no wait, negative: until one comes).
    public func next(timeoutMs: Int32) -> CallEvent? {
        var event: CallEvent?
        waitFor(timeoutMs) { event = popLocked() }
        guard let event else { return nil }
        taken(event)
        return event
    }

    /// The waiting events, waited for as by ``next(timeoutMs:)``, for as long as `accept` takes
    /// each (it sees an event before it is taken, under the queue's lock; one it refuses stays
    /// first): one lock for many events, for hosts that take them in batches.
    public func take(timeoutMs: Int32, accept: (CallEvent) -> Bool) -> [CallEvent] {
        var batch: [CallEvent] = []
        waitFor(timeoutMs) {
            while let e = peekLocked(), accept(e), let popped = popLocked() { batch.append(popped) }
        }
        for e in batch { taken(e) }
        return batch
    }

    /// Runs `body` under the lock once an event waits, waiting up to `timeoutMs` for one. A taker
    /// waits on the descriptor itself, outside the lock: a post then costs the one write that makes
    /// the descriptor readable, with no condition variable to signal beside it and no lock for the
    /// woken taker to wait for.
    private func waitFor(_ timeoutMs: Int32, _ body: () -> Void) {
        let deadline = timeoutMs > 0 ? Clock.deadline(afterMs: Int64(timeoutMs)) : 0
        while true {
            let ready: Bool = lock.withLock {
                if peekLocked() != nil {
                    body()
                    return true
                }
                // Found empty: the descriptor must not stay readable, also where a poster's signal
                // came after the taker that emptied the queue had drained it.
                if !closed { reset() }
                return closed
            }
            if ready || timeoutMs == 0 { return }
            let left = timeoutMs < 0 ? -1 : Clock.msUntil(deadline)
            if timeoutMs > 0 && left <= 0 { return }
            q3v_wait_readable(fd, Int32(clamping: left))
        }
    }

    /// The next event to take, if any. Events of calls the host has freed are skipped here rather
    /// than searched out when it frees them (with many calls waiting, that search made every free
    /// cost the queue).
    private func peekLocked() -> CallEvent? {
        while head < items.count && items[head].call.isFreed { head += 1 }
        return isEmpty ? nil : items[head]
    }

    private func popLocked() -> CallEvent? {
        guard let e = peekLocked() else { return nil }
        head += 1
        if isEmpty {
            reset()
        } else if head >= 1024 && head * 2 >= items.count {
            items.removeFirst(head) // taken events go in bulk, not one shift per event
            head = 0
        }
        return e
    }

    /// What taking an event means for its call: its end marked, or its budget given back.
    private func taken(_ event: CallEvent) {
        if event.kind == .done {
            event.call.markTaken()
        } else {
            let left = event.call.pendingBytes.subtract(event.size, ordering: .relaxed).newValue
            if left < Self.budget / 2 && event.call.paused.load(ordering: .acquiring) { resume(event.call) }
        }
    }

    /// The queue has just been emptied: the descriptor stops being readable.
    private func reset() {
        items.removeAll(keepingCapacity: true)
        head = 0
        q3v_eventfd_drain(fd)
    }

    /// No more events, now or later; waiters wake up empty-handed.
    func close() {
        lock.withLock {
            closed = true
            items.removeAll()
            head = 0
            q3v_eventfd_signal(fd) // wakes the takers waiting on it

        }
    }
}

/// The I/O thread of one client's non-blocking calls: every transfer on one curl multi handle,
/// retries and their waits as timers in the same loop, never a sleeping thread. Attempts are set up
/// and judged by the client exactly as for the blocking calls.
final class Engine: @unchecked Sendable {
    let pid = q3v_getpid()
    let events: EventQueue
    /// The client outlives its engine: it stops (and joins) the thread before it goes.
    private unowned(unsafe) let client: Qwen3VLClient
    private let multi: UnsafeMutableRawPointer
    private let share: OpaquePointer
    private let sockets: OpaquePointer
    /// The thread that prepares calls with images to resize, started with the first of them.
    private let preparer: Preparer
    /// Wakes the I/O thread from its poll (an eventfd: one write and one read per wakeup, where
    /// curl_multi_wakeup's socket pair costs a send and two receives).
    private let wakeFd: Int32
    private enum Command { case start(AsyncCall), resume(AsyncCall) }
    private let commands = Locked<[Command]>([])
    private struct Life { var thread: pthread_t?; var stopped = false }
    private let life = Locked(Life())
    private let stopping = Atomic<Bool>(false)
    private let sweepRequested = Atomic<Bool>(false)
    /// When the loop next looks at every call (sooner when a retry is due sooner).
    private var nextSweep: UInt64 = 0
    // The I/O thread's own state.
    private var waiting: [AsyncCall] = []
    private var spare: [EasyHandle] = []
    private var byEasy: [UnsafeMutableRawPointer: AsyncCall] = [:]
    /// Events of this pass of the loop, handed over together at its end (in order: a call's DONE
    /// always after its deltas).
    private var outbox: [CallEvent] = []

    init?(client: Qwen3VLClient) {
        guard let m = curl_multi_init() else { return nil }
        // HTTP/2 where the server offers it (ALPN): calls share connections as streams; HTTP/1.1
        // servers get at most max_connections, the other calls wait inside libcurl.
        _ = q3v_multi_setopt_long(m, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        _ = q3v_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, client.options.maxConnections)
        let wake = q3v_eventfd()
        guard wake >= 0, let sh = q3v_share_new(), let so = q3v_sockets_new() else {
            curl_multi_cleanup(m)
            if wake >= 0 { Glibc.close(wake) }
            return nil
        }
        multi = m
        share = sh
        sockets = so
        wakeFd = wake
        self.client = client
        weak var wakeTarget: Engine?
        guard let queue = EventQueue(resume: { call in wakeTarget?.send(.resume(call)) }) else {
            curl_multi_cleanup(m)
            q3v_share_free(sh)
            q3v_sockets_free(so)
            Glibc.close(wake)
            return nil
        }
        events = queue
        weak var prepareTarget: Engine?
        preparer = Preparer { job in prepareTarget?.prepare(job) }
        wakeTarget = self
        prepareTarget = self
    }

    deinit {
        guard !ProcessExit.isExiting else { return }
        spare.removeAll() // easy handles before the multi and share handles they used
        q3v_multi_cleanup(multi) // closes TLS connections: under the SIGPIPE guard
        q3v_share_free(share)
        q3v_sockets_free(sockets)
        Glibc.close(wakeFd)
    }

    func wakeup() { q3v_eventfd_signal(wakeFd) }

    /// Hands a call to the I/O thread, starting the thread if this is the first.
    func start(_ call: AsyncCall, _ run: Qwen3VLClient.CallRun) {
        if let e = register(call) { return finishAtOnce(call, client.finalize(ChatResult(error: e), start: run.start)) }
        launch(call, run)
    }

    /// Hands a call to the preparer thread, which plans it (``Qwen3VLClient/makeRun``) and then
    /// hands it to the I/O thread: for calls whose preparation may take long (images to resize).
    func start(_ call: AsyncCall, preparing job: Preparer.Job) {
        if let e = register(call) { return finishAtOnce(call, client.finalize(ChatResult(error: e), start: job.start)) }
        guard preparer.submit(job) else {
            unregister(call)
            return finishAtOnce(
                call,
                client.finalize(
                    ChatResult(error: Qwen3VLError(.internal, "could not start the preparation thread")),
                    start: job.start))
        }
    }

    /// Lists the call among those in flight (for cancel_all, client_free and exit); the error
    /// when it may not start.
    private func register(_ call: AsyncCall) -> Qwen3VLError? {
        guard client.inFlight.add(call.context) else { return Qwen3VLError(.cancelled, "the client was freed") }
        guard ProcessExit.calls.add(call.context) else {
            client.inFlight.remove(call.context)
            return Qwen3VLError(.cancelled, "the process is exiting")
        }
        return nil
    }

    /// A registered call, planned: on to the I/O thread.
    private func launch(_ call: AsyncCall, _ run: Qwen3VLClient.CallRun) {
        call.run = run
        guard ensureThread() else {
            unregister(call)
            return finishAtOnce(
                call,
                client.finalize(
                    ChatResult(error: Qwen3VLError(.internal, "could not start the I/O thread")), start: run.start))
        }
        send(.start(call))
    }

    /// On the preparer thread: plans a call (checked for cancellation before, between its images and
    /// after), and hands it on, or ends it with its DONE event.
    private func prepare(_ job: Preparer.Job) {
        let call = job.call
        let preparer = preparer
        let stop = { call.context.isCancelled || preparer.isStopping }
        var failure = Qwen3VLError(.cancelled, "cancelled before it was sent")
        if !stop() {
            do throws(Qwen3VLError) {
                let run = try client.makeRun(
                    job.request.buffer, job.options, onDelta: nil, start: job.start, isCancelled: stop)
                run.ownRequest = job.request // the body may borrow it
                if !stop() { return launch(call, run) }
            } catch {
                failure = error
            }
        }
        unregister(call)
        guard !preparer.isStopping else { return } // the queue is closing: nothing more is delivered
        finishAtOnce(call, client.finalize(ChatResult(error: failure), start: job.start))
    }

    /// A call that ended before reaching the thread (a bad request, say): its DONE goes out now.
    func finishAtOnce(_ call: AsyncCall, _ result: ChatResult) {
        call.setDone(result)
        events.post(CallEvent(done: call))
    }

    /// Only the command that finds the list empty wakes the thread: the others join a list the
    /// thread has not taken yet, so it will see them (a host starting calls from a batch of events
    /// would otherwise wake it once per call).
    private func send(_ c: Command) {
        let first = commands.withLock { list in
            list.append(c)
            return list.count == 1
        }
        if first { wakeup() }
    }

    private func ensureThread() -> Bool {
        life.withLock { l in
            if l.thread != nil { return true }
            guard !l.stopped, let t = LibraryThread.start(self) else { return false }
            l.thread = t
            return true
        }
    }

    /// Stops the threads (cancelling what runs), joins them and drops every waiting event. Idempotent;
    /// never called on the I/O or preparer thread (no host code runs there).
    func shutdown() {
        // The preparer first: what it has prepared goes to the I/O thread, which is still there.
        for job in preparer.shutdown() { unregister(job.call) }
        let thread: pthread_t? = life.withLock { l in
            l.stopped = true
            defer { l.thread = nil }
            return l.thread
        }
        stopping.store(true, ordering: .releasing)
        wakeup()
        if let thread { pthread_join(thread, nil) }
        events.close()
    }

    /// In a child process after fork(): the thread is the parent's, the connections too. Leave it
    /// all be, unfreed, as the connection pool does.
    func abandon() { Abandoned.keep(self) }

    // MARK: the I/O thread

    /// Asks the loop to look at every call now (a cancel came): from any thread.
    func sweepSoon() {
        sweepRequested.store(true, ordering: .releasing)
        wakeup()
    }

    /// The loop looks at each call's timers and flags only this often (or at once when asked): with
    /// a thousand calls in flight, a look at each on every pass would cost more than the transfers.
    private static let sweepEveryMs: Int64 = 250

    private func loop() {
        while !stopping.load(ordering: .acquiring) {
            for c in commands.withLock({ list in
                defer { list.removeAll() }; return list
            }) {
                switch c {
                case .start(let call): begin(call)
                case .resume(let call):
                    if call.paused.exchange(false, ordering: .acquiringAndReleasing), let h = call.handle {
                        _ = curl_easy_pause(h.easy, CURLPAUSE_CONT)
                    }
                }
            }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle,
                    let call = byEasy[UnsafeMutableRawPointer(easy)], let run = call.run, let h = call.handle
                else { continue }
                conclude(
                    call, h.outcome(msg.pointee.data.result, sink: run.sink, deadlineNs: run.deadline, req: run.request)
                )
            }
            if sweepRequested.exchange(false, ordering: .acquiringAndReleasing) || Clock.nowNs() >= nextSweep {
                nextSweep = Clock.deadline(afterMs: sweep())
            }
            flush()
            var wake = curl_waitfd(fd: wakeFd, events: Int16(CURL_WAIT_POLLIN), revents: 0)
            _ = curl_multi_poll(multi, &wake, 1, Int32(max(1, min(Clock.msUntil(nextSweep), 1000))), nil)
            if wake.revents != 0 { q3v_eventfd_drain(wakeFd) }
        }
        // Stopped: what still runs ends here, unannounced (the queue is being closed).
        for call in Array(byEasy.values) { detach(call); unregister(call) }
        for call in waiting { unregister(call) }
        waiting.removeAll()
        for case .start(let call) in commands.withLock({ list in
            defer { list.removeAll() }; return list
        }) {
            unregister(call)
        }
    }

    /// Cancellation, idle limits, deadlines and retry timers of every call; returns how long until
    /// the next look is due.
    private func sweep() -> Int64 {
        var waitMs = Self.sweepEveryMs
        var queue = EasyHandle.KernelQueue(sockets)
        for call in Array(byEasy.values) {
            guard let run = call.run, let h = call.handle else { continue }
            if call.context.isCancelled {
                conclude(call, .failed(Qwen3VLError(.cancelled, "cancelled"), retryable: false))
                continue
            }
            switch h.tick(
                run.request, sink: run.sink, deadlineNs: run.deadline, paused: call.paused.load(ordering: .acquiring),
                queue: &queue)
            {
            case .finished(let outcome): conclude(call, outcome)
            case .wait(let ms): waitMs = min(waitMs, ms)
            }
        }
        let now = Clock.nowNs()
        let timers = waiting
        waiting = [] // what begin() or conclude() below queues again lands in the fresh list
        for call in timers {
            if call.context.isCancelled {
                finish(call, Qwen3VLError(.cancelled, "cancelled while waiting to retry"))
            } else if call.retryAtNs <= now {
                begin(call)
            } else {
                waiting.append(call)
            }
        }
        for call in waiting {
            waitMs = min(waitMs, Int64(call.retryAtNs > now ? (call.retryAtNs - now) / 1_000_000 : 0) + 1)
        }
        return max(1, waitMs)
    }

    /// Starts the call's next attempt on a spare (or new) easy handle.
    private func begin(_ call: AsyncCall) {
        guard let run = call.run else { return }
        if call.context.isCancelled { return finish(call, Qwen3VLError(.cancelled, "cancelled")) }
        run.isCancelled = { [context = call.context] in context.isCancelled }
        if run.streaming && run.onDelta == nil {
            // Unowned without the check (each delta would take a strong reference and give it back):
            // the engine outlives every call, and the run holding this closure belongs to the call.
            run.onDelta = { [unowned(unsafe) self, unowned(unsafe) call] chunk in
                guard
                    let e = CallEvent(
                        delta: call, text: UnsafeRawBufferPointer(chunk.textBytes),
                        chunk: UnsafeRawBufferPointer(chunk.jsonBytes))
                else { return false }
                _ = call.pendingBytes.add(e.size, ordering: .relaxed)
                emit(e)
                return true
            }
        }
        client.beginAttempt(run)
        run.sink.shouldPause = { [unowned(unsafe) call] in
            guard call.pendingBytes.load(ordering: .relaxed) >= EventQueue.budget else { return false }
            call.paused.store(true, ordering: .releasing)
            return true
        }
        let remaining = Clock.msUntil(run.deadline)
        guard remaining > 0 else {
            return conclude(
                call,
                .failed(run.request.timedOut, retryable: false))
        }
        guard let h = spare.popLast() ?? EasyHandle(share: q3v_share_handle(share), sockets: sockets, multiplexed: true)
        else {
            return finish(call, Qwen3VLError(.internal, "could not create a libcurl handle"))
        }
        guard h.prepare(run.request, sink: run.sink, timeoutMs: remaining),
            curl_multi_add_handle(multi, h.easy) == CURLM_OK
        else {
            return finish(call, Qwen3VLError(.internal, "could not start the transfer"))
        }
        call.handle = h
        byEasy[h.easy] = call
    }

    /// An attempt ended: the client judges it; the call is done or waits for its retry.
    private func conclude(_ call: AsyncCall, _ outcome: TransferOutcome) {
        detach(call)
        guard let run = call.run else { return }
        switch client.verdict(run, outcome) {
        case .done(let result): done(call, result)
        case .retry(let ms):
            call.retryAtNs = Clock.deadline(afterMs: ms)
            waiting.append(call)
            nextSweep = min(nextSweep, call.retryAtNs) // a retry due at once must not wait for the sweep
        }
    }

    /// Takes the call's transfer out of the multi handle; the easy handle is kept for the next one.
    private func detach(_ call: AsyncCall) {
        guard let h = call.handle else { return }
        curl_multi_remove_handle(multi, h.easy)
        byEasy[h.easy] = nil
        call.handle = nil
        call.paused.store(false, ordering: .releasing)
        spare.append(h)
    }

    private func finish(_ call: AsyncCall, _ e: Qwen3VLError) {
        guard let run = call.run else { return }
        done(call, client.finish(run, e))
    }

    private func done(_ call: AsyncCall, _ result: ChatResult) {
        unregister(call)
        let start = call.run?.start ?? Clock.nowNs()
        call.run = nil // the body, its files and the stream decoder go now
        call.setDone(client.finalize(result, start: start))
        emit(CallEvent(done: call))
    }

    private func emit(_ e: CallEvent) {
        outbox.append(e)
        if outbox.count >= 256 { flush() }
    }

    private func flush() {
        guard !outbox.isEmpty else { return }
        events.post(contentsOf: outbox)
        outbox.removeAll(keepingCapacity: true)
    }

    private func unregister(_ call: AsyncCall) {
        client.inFlight.remove(call.context)
        ProcessExit.calls.remove(call.context)
    }
}

extension Engine: LibraryThreadBody {
    func runThread() { loop() }
}
