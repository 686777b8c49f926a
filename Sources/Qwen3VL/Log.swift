
/// How much a client tells its log handler. The raw values match `QWEN3VL_LOG_*` in the C header.
public enum LogLevel: Int32, Sendable, Comparable {
    case error = 0, warning = 1, info = 2, debug = 3

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// Receives a client's log lines, on the thread of the call they are about. Lines never carry the
/// API key (Authorization is always shown as "[redacted]").
public typealias LogHandler = @Sendable (LogLevel, String) -> Void

/// The client's log handler, swappable at any time from any thread.
final class Logger: Sendable {
    private let state = Locked<(handler: LogHandler, level: LogLevel)?>(nil)

    func set(_ handler: LogHandler?, level: LogLevel) {
        state.withLock { $0 = handler.map { ($0, level) } }
    }

    /// `message` is built only when someone listens at that level.
    func log(_ level: LogLevel, _ message: @autoclosure () -> String, redact: (String) -> String) {
        guard let (handler, max) = state.withLock({ $0 }), level <= max else { return }
        handler(level, redact(message()))
    }
}
