#if canImport(Glibc)
import Glibc
#endif

/// How much a client tells its log handler. The raw values match `QWEN3VL_LOG_*` in the C header.
public enum LogLevel: Int32, Sendable, Comparable {
    case error = 0, warning = 1, info = 2, debug = 3

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Receives a client's log lines, on the thread of the call they are about. Lines never carry the
/// API key (Authorization is always shown as "[redacted]").
public typealias LogHandler = @Sendable (LogLevel, String) -> Void

/// The client's log handler, swappable at any time from any thread. Swapping (or closing) waits
/// until no other thread is still inside the old handler, so that once `set` returns the old one
/// is never called again: a host may then free what it closes over.
final class Logger: @unchecked Sendable {
    private let lock = ConditionLock()
    private var handler: (LogHandler, LogLevel)?
    private var closed = false
    /// Threads now inside the handler; a thread may appear more than once (a handler that logs).
    private var inside: [pthread_t] = []

    func set(_ handler: LogHandler?, level: LogLevel) {
        lock.withLock {
            if !closed { self.handler = handler.map { ($0, level) } }
            waitForOtherThreads()
        }
    }

    /// No handler from now on, and none can be set again: the client is being freed.
    func close() {
        lock.withLock {
            closed = true
            handler = nil
            waitForOtherThreads()
        }
    }

    /// `message` is built only when someone listens at that level.
    func log(_ level: LogLevel, _ message: @autoclosure () -> String, redact: (String) -> String) {
        let me = pthread_self()
        let target: LogHandler? = lock.withLock {
            guard let (h, max) = handler, level <= max else { return nil }
            inside.append(me)
            return h
        }
        guard let target else { return }
        target(level, redact(message()))
        lock.withLock {
            if let i = inside.lastIndex(where: { pthread_equal($0, me) != 0 }) { inside.remove(at: i) }
            lock.broadcast()
        }
    }

    /// The calling thread may itself be inside the handler (a handler that swaps the logger):
    /// waiting for it would never end, and its own line is already under way.
    private func waitForOtherThreads() {
        let me = pthread_self()
        while inside.contains(where: { pthread_equal($0, me) == 0 }) { lock.wait() }
    }
}
