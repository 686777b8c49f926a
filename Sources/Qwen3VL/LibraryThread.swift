import CQwen3VLShims

#if canImport(Glibc)
import Glibc
#endif

/// What one of the library's threads runs: the object itself is what the thread holds, no box of
/// its own. In the child of a fork the thread is gone but its owner is kept (``Abandoned``), so what
/// the thread held stays reachable instead of lost.
protocol LibraryThreadBody: AnyObject {
    func runThread()
}

/// Starts the library's own threads (a client's I/O and preparer threads): every signal blocked
/// on them, so that the host's handlers never run there.
enum LibraryThread {
    /// A new joinable thread running `body.runThread()` (`body` held for as long as it runs); nil
    /// when none can be started.
    static func start(_ body: some LibraryThreadBody) -> pthread_t? {
        var t = pthread_t()
        let arg = Unmanaged<AnyObject>.passRetained(body).toOpaque()
        let rc = pthread_create(
            &t, nil,
            { p in
                guard let p else { return nil }
                let body = Unmanaged<AnyObject>.fromOpaque(p).takeRetainedValue()
                q3v_block_signals()
                (body as? any LibraryThreadBody)?.runThread()
                return nil
            }, arg)
        guard rc == 0 else {
            Unmanaged<AnyObject>.fromOpaque(arg).release()
            return nil
        }
        return t
    }
}
