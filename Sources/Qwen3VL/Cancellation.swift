import CQwen3VLShims
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One call in flight: its cancellation flag and how to wake the thread that runs it (the
/// caller's poll loop, or the client's I/O thread) when the flag goes up.
final class CallContext: Sendable {
    private let flag = Atomic<Bool>(false)
    private let wake: @Sendable () -> Void
    /// The process the call started in (after fork() the parent's calls never end in the child).
    let pid = q3v_getpid()
    /// The token of a blocking call, and the descriptor it watches (-1: none) as the call started.
    private let token: CancelToken?
    let watchedFd: Int32

    init(wake: @escaping @Sendable () -> Void, token: CancelToken? = nil) {
        self.wake = wake
        self.token = token
        watchedFd = token?.watchedFd ?? -1
    }

    /// Whether the watched descriptor is readable, hung up or closed: if so the token fires (and
    /// with it this call). A look that does not wait.
    func watchFires() -> Bool {
        guard let token, watchedFd >= 0 else { return false }
        var p = pollfd(fd: watchedFd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 && p.revents != 0 else { return false }
        token.cancel()
        return true
    }

    /// The token fires: its watched descriptor was seen readable.
    func watchFired() { token?.cancel() }

    var isCancelled: Bool { flag.load(ordering: .acquiring) }

    /// Safe from any thread; the call notices within one wake-up of its poll loop.
    func cancel() {
        flag.store(true, ordering: .releasing)
        wake()
    }
}

/// The calls currently running, so that another thread can stop them all at once.
final class CallRegistry: Sendable {
    private struct State { var calls: [ObjectIdentifier: CallContext] = [:]; var cancelled = false }
    private let state = Locked(State())

    /// Adds a call; false if the registry was already cancelled for good (the call must not start).
    func add(_ c: CallContext) -> Bool {
        state.withLock { s in
            guard !s.cancelled else { return false }
            s.calls[ObjectIdentifier(c)] = c
            return true
        }
    }

    func remove(_ c: CallContext) {
        _ = state.withLock { $0.calls.removeValue(forKey: ObjectIdentifier(c)) }
    }

    /// Cancels every call now in flight; with `forever`, every later call too.
    func cancelAll(forever: Bool) {
        let calls = state.withLock { s in
            if forever { s.cancelled = true }
            return Array(s.calls.values)
        }
        for c in calls { c.cancel() }
    }

    var isCancelledForever: Bool { state.withLock { $0.cancelled } }

    /// Calls in flight on threads of this process (after fork() the parent's stay listed, and
    /// never end here).
    var countInThisProcess: Int {
        let pid = q3v_getpid()
        return state.withLock { s in s.calls.values.reduce(0) { $0 + ($1.pid == pid ? 1 : 0) } }
    }
}

/// A one-shot switch that stops the calls it was given to, from any thread: pass it to
/// ``Qwen3VLClient/chat(requestBytes:cancel:)`` or ``Qwen3VLClient/chatStream(requestBytes:cancel:onDelta:)``
/// and call ``cancel()`` when the answer is no longer wanted. A call started with a token that has
/// already fired returns `.cancelled` at once. One token may serve many calls.
public final class CancelToken: Sendable {
    let registry = CallRegistry()
    private let watched = Atomic<Int32>(-1)

    public init() {}

    /// The descriptor whose readability fires the token in the blocking calls started from now on
    /// (-1: none). The library only polls it.
    public var watchedFd: Int32 {
        get { watched.load(ordering: .acquiring) }
        set { watched.store(newValue, ordering: .releasing) }
    }

    public func cancel() { registry.cancelAll(forever: true) }

    public var isCancelled: Bool { registry.isCancelledForever }
}
