import CCurl
import CQwen3VLShims

/// The client's idle connections. A call takes one (or makes one) and gives it back when done, so
/// concurrent calls never share an easy handle and sequential calls reuse warm connections. Only DNS
/// and TLS sessions are shared between them, through a locked share handle.
final class ConnectionPool: @unchecked Sendable {
    /// Idle connections kept beyond this are closed.
    let maxIdle: Int
    private let share: OpaquePointer?
    private let idle = Locked<[Connection]>([])

    init?(maxIdle: Int = 32) {
        guard let s = q3v_share_new() else { return nil }
        share = s
        self.maxIdle = maxIdle
    }

    deinit {
        idle.withLock { $0.removeAll() } // connections go before the share handle they use
        q3v_share_free(share)
    }

    func acquire() -> Connection? {
        if let c = idle.withLock({ $0.popLast() }) { return c }
        return Connection(share: q3v_share_handle(share))
    }

    func release(_ c: Connection) {
        let extra: Connection? = idle.withLock { list in
            if list.count < maxIdle { list.append(c); return nil }
            return c
        }
        _ = extra // closed here, outside the lock
    }
}
