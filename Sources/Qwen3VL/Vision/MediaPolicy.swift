/// What the request preparer needs to know about media, from the client's options. Its defaults
/// are the client options' defaults.
struct MediaPolicy {
    var maxImageBytes: Int64 = 20 << 20
    var maxVideoBytes: Int64 = 256 << 20
    /// Send `{"type": "video", "video": [frames]}` parts as successive image_url parts.
    var framesAsImages = true
    /// Whether, and to what size, local and in-memory images are resized before they are sent.
    var resize = ResizeSettings()
    /// Where a resize reports what it did (the client's log, at debug level); the line is built
    /// only when called.
    var log: (@Sendable (() -> String) -> Void)?
    /// Whether the call was cancelled (or its client is going): asked once the request is parsed,
    /// before each media part and between the rows of a resize, so that a cancelled call does not
    /// finish its preparation first.
    var isCancelled: () -> Bool = { false }

    /// Stops a preparation between its stages once the call is cancelled.
    func checkCancelled() throws(Qwen3VLError) {
        if isCancelled() { throw Qwen3VLError(.cancelled, "cancelled before it was sent") }
    }
}
