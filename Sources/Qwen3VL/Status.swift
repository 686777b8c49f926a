/// The outcome of a call: the same codes, with the same numbers, as `QWEN3VL_*` in `qwen3vl.h`.
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

    /// The C name of the code, as `qwen3vl_status_name` gives it.
    public var name: StaticString {
        switch self {
        case .ok: return "QWEN3VL_OK"
        case .invalidArgument: return "QWEN3VL_ERR_INVALID_ARGUMENT"
        case .invalidRequest: return "QWEN3VL_ERR_INVALID_REQUEST"
        case .file: return "QWEN3VL_ERR_FILE"
        case .connect: return "QWEN3VL_ERR_CONNECT"
        case .timeout: return "QWEN3VL_ERR_TIMEOUT"
        case .auth: return "QWEN3VL_ERR_AUTH"
        case .rateLimit: return "QWEN3VL_ERR_RATE_LIMIT"
        case .badRequest: return "QWEN3VL_ERR_BAD_REQUEST"
        case .server: return "QWEN3VL_ERR_SERVER"
        case .protocol: return "QWEN3VL_ERR_PROTOCOL"
        case .tooLarge: return "QWEN3VL_ERR_TOO_LARGE"
        case .cancelled: return "QWEN3VL_ERR_CANCELLED"
        case .internal: return "QWEN3VL_ERR_INTERNAL"
        }
    }

    /// The status an HTTP error status maps to (only meaningful for codes >= 400).
    public static func forHTTP(_ code: Int) -> Status {
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
