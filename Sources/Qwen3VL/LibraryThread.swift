import CQwen3VLShims

#if canImport(Glibc)
import Glibc
#endif

/// Starts the library's own threads (a client's I/O and preparer threads): every signal blocked
/// on them, so that the host's handlers never run there.
enum LibraryThread {
    private final class Start {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// A new joinable thread running `body` (which holds what it needs for as long as it runs); nil
    /// when none can be started.
    static func start(_ body: @escaping () -> Void) -> pthread_t? {
        var t = pthread_t()
        let arg = Unmanaged.passRetained(Start(body)).toOpaque()
        let rc = pthread_create(
            &t, nil,
            { p in
                guard let p else { return nil }
                let start = Unmanaged<Start>.fromOpaque(p).takeRetainedValue()
                q3v_block_signals()
                start.body()
                return nil
            }, arg)
        guard rc == 0 else {
            Unmanaged<Start>.fromOpaque(arg).release()
            return nil
        }
        return t
    }
}
