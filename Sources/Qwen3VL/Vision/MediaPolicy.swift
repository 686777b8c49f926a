/// What the request preparer needs to know about media, from the client's options. Its defaults
/// are the client options' defaults.
struct MediaPolicy {
    var maxImageBytes: Int64 = 20 << 20
    var maxVideoBytes: Int64 = 256 << 20
    /// Send `{"type": "video", "video": [frames]}` parts as successive image_url parts.
    var framesAsImages = true
}
