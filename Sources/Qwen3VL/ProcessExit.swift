import CQwen3VLShims
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What happens when the host calls exit() while calls run on other threads (Python's daemon
/// threads do exactly that). OpenSSL tears its state down in an atexit handler of its own, and a
/// thread still inside a handshake then crashes the process. The library cannot stop a host that
/// initialised OpenSSL first from having that handler, but its own handler, registered later, runs
/// before it: it stops every call in flight, refuses new ones, waits (briefly) for their threads
/// to leave libcurl, and from then on leaves connections unclosed rather than touch TLS state.
enum ProcessExit {
    /// Every call in flight in this process, over all clients.
    static let calls = CallRegistry()
    private static let exiting = Atomic<Bool>(false)

    static var isExiting: Bool { exiting.load(ordering: .acquiring) }

    /// Installs the handler, once per process, on first use of the library.
    static let installed: Void = { q3v_on_exit(run) }()

    /// The longest exit() waits for calls to wind down.
    private static let graceMs: Int64 = 250

    private static let run: @convention(c) () -> Void = {
        exiting.store(true, ordering: .releasing)
        calls.cancelAll(forever: true)
        let until = Clock.deadline(afterMs: graceMs)
        while calls.countInThisProcess > 0 && Clock.msUntil(until) > 0 { usleep(1000) }
    }
}
