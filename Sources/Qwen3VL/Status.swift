import CQwen3VLShims

/// The outcome of a call: the same codes, with the same numbers, as `QWEN3VL_*` in `qwen3vl.h`
/// (CoreTests pins them against the header).
public enum Status: Int32, Sendable, CaseIterable {
    case ok = 0
    case invalidArgument = 1
    case invalidRequest = 2
    case file = 3
    case connect = 4
    case timeout = 5
    case auth = 6
    case rateLimit = 7
    case badRequest = 8
    case server = 9
    case `protocol` = 10
    case tooLarge = 11
    case cancelled = 12
    case `internal` = 13

    /// The C name of the code, as `qwen3vl_status_name` gives it: from the header's QWEN3VL_STATUS_MAP.
    public var name: String { String(cString: q3v_status_name(rawValue)) }

    /// The status an HTTP error status maps to (only meaningful for codes >= 400).
    static func forHTTP(_ code: Int) -> Status {
        switch code {
        case 401, 403: return .auth
        case 429: return .rateLimit
        case 400..<500: return .badRequest
        default: return .server
        }
    }
}

/// A failed call or a refused argument: a status and a message fit to show a person.
public struct Qwen3VLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Status
    public var message: String

    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.name): \(message)" }
}
