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
    /// Whether the call was cancelled (or its client is going): asked before each image is resized
    /// and between its rows, so that a cancelled call does not finish a resize first.
    var isCancelled: () -> Bool = { false }
}
