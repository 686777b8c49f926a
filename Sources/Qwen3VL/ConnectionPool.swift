import CCurl
import CQwen3VLShims

#if canImport(Glibc)
import Glibc
#endif

/// The client's idle connections. A call takes one (or makes one) and gives it back when done, so
/// concurrent calls never share an easy handle and sequential calls reuse warm connections. Only DNS
/// and TLS sessions are shared between them, through a locked share handle.
///
/// After fork() the child must not touch what it inherited: its idle connections are the parent's
/// sockets (a request from both sides would interleave on one stream), and closing them would send
/// TLS close-notify on the parent's behalf. So a pool that finds itself in a new process abandons
/// its connections and share handle without cleaning them up, and starts afresh.
final class ConnectionPool: @unchecked Sendable {
    /// Idle connections kept beyond this are closed.
    let maxIdle: Int
    private struct State {
        var idle: [Connection] = []
        var share: OpaquePointer
        var pid: pid_t
    }
    private let state: Locked<State>

    init?(maxIdle: Int = 32) {
        guard let s = q3v_share_new() else { return nil }
        state = Locked(State(share: s, pid: q3v_getpid()))
        self.maxIdle = maxIdle
    }

    deinit {
        state.withLock { s in
            // Inherited, never ours to close; or the process is exiting (see ProcessExit).
            guard s.pid == q3v_getpid(), !ProcessExit.isExiting else { return }
            s.idle.removeAll() // connections go before the share handle they use
            q3v_share_free(s.share)
        }
    }

    func acquire() -> Connection? {
        let (reused, share): (Connection?, OpaquePointer?) = state.withLock { s in
            guard adoptIfForked(&s) else { return (nil, nil) }
            return (s.idle.popLast(), s.share)
        }
        if let reused { return reused }
        return share.flatMap { Connection(share: q3v_share_handle($0)) }
    }

    func release(_ c: Connection) {
        let extra: Connection? = state.withLock { s in
            // A connection of the parent's, returned in the child (or the other way round): drop it.
            guard s.pid == q3v_getpid(), c.pid == s.pid else { Abandoned.keep(c); return nil }
            if s.idle.count < maxIdle { s.idle.append(c); return nil }
            return c
        }
        _ = extra // closed here, outside the lock
    }

    /// In a child process: leak the parent's connections and share handle (deliberately: see
    /// above) and take a new share handle. False if that cannot be made.
    private func adoptIfForked(_ s: inout State) -> Bool {
        let pid = q3v_getpid()
        guard s.pid != pid else { return true }
        guard let fresh = q3v_share_new() else { return false }
        Abandoned.keep(ShareHandle(s.share))
        for c in s.idle { Abandoned.keep(c) }
        s.idle.removeAll()
        s.share = fresh
        s.pid = pid
        return true
    }
}

/// A parent's share handle, kept (never freed) in a child process.
private final class ShareHandle {
    let raw: OpaquePointer
    init(_ raw: OpaquePointer) { self.raw = raw }
}

/// What a child process inherited and must neither use nor free (see ConnectionPool): kept
/// reachable here for the life of the process, so that it is neither closed nor reported as lost.
enum Abandoned {
    private static let items = Locked<[AnyObject]>([])
    static func keep(_ o: AnyObject) { items.withLock { $0.append(o) } }
}
