/// The outcome of one chat call, successful or not. Every field has a value; "" and -1 mean "none".
public struct ChatResult: Sendable {
    public var status: Status = .ok
    /// Human-readable; "" when the call succeeded.
    public var error = ""
    /// The last HTTP status received; 0 if none.
    public var httpStatus = 0
    /// The assistant's content, which may contain NULs (valid JSON can carry "\u0000").
    public var textBytes = Bytes.empty
    public var finishReason = ""
    /// The whole chat.completion object as JSON; "" if the call failed.
    public var jsonBytes = Bytes.empty
    /// `x-inference-id` / `x-request-id` header, else the reply's id.
    public var requestID = ""
    /// The last reply's header lines ("name: value\n" each) when the call asked for them or the
    /// reply was an HTTP error; "" otherwise.
    public var headersBytes = Bytes.empty
    /// The body of the last reply when it was an HTTP error (4xx, 5xx); "" otherwise.
    public var errorBodyBytes = Bytes.empty
    /// The reply's tool calls as a JSON array; "" if none.
    public var toolCallsBytes = Bytes.empty
    public var promptTokens: Int64 = -1
    public var completionTokens: Int64 = -1
    public var totalTokens: Int64 = -1
    /// HTTP attempts made, retries included.
    public var attempts = 0
    /// Wall-clock duration of the call, retries and waits included.
    public var elapsedMs: Double = 0

    public init() {}

    public var isSuccess: Bool { status == .ok }

    /// The assistant's content as a Swift string.
    public var text: String { textBytes.string }
    /// The chat.completion object as a Swift string.
    public var json: String { jsonBytes.string }
    /// The tool calls array as a Swift string.
    public var toolCallsJSON: String { toolCallsBytes.string }

    init(error: Qwen3VLError) {
        status = error.status
        self.error = error.message
    }

    mutating func apply(_ c: Completion) {
        textBytes = c.text
        finishReason = c.finishReason
        toolCallsBytes = c.toolCallsJSON
        promptTokens = c.promptTokens
        completionTokens = c.completionTokens
        totalTokens = c.totalTokens
        if requestID.isEmpty { requestID = c.id }
    }
}
