/// The client-side resize as the request preparer applies it to image parts (``ResizeSettings``,
/// ``ImageResizer``): a local file or data URI that the settings shrink is replaced by the data URI
/// of its new bytes, encoded as the body goes out; anything else is left as it is.
extension MediaInliner {
    /// Puts the resized form of a checked data URI (its payload from `payload` on) into `ref`; false
    /// when the image stays as it is. The image's type is told from its bytes, as for a file.
    mutating func resizeDataURI(_ ref: JSONRef, _ uri: UnsafeRawBufferPointer, payload: Int, _ path: String)
        throws(Qwen3VLError)
        -> Bool
    {
        guard policy.resize.mode != .off else { return false }
        let text = UnsafeRawBufferPointer(rebasing: uri[payload...])
        guard let bytes = HeapBytes(count: text.count / 4 * 3) else {
            throw Qwen3VLError(.internal, "\(path): out of memory for the data URI's \(text.count / 4 * 3) bytes")
        }
        guard let n = Base64.decode(text, into: UnsafeMutableRawBufferPointer(start: bytes.base, count: bytes.count))
        else {
            throw Qwen3VLError(.invalidRequest, "\(path) is a data URI whose base64 payload is malformed")
        }
        let image = UnsafeRawBufferPointer(start: bytes.base, count: n)
        guard let type = MediaType.sniff(UnsafeRawBufferPointer(rebasing: image.prefix(MediaType.sniffLength))),
            ImageResizer.codec(type) != nil
        else { return false }
        return try replace(ref, image, type, what: path)
    }

    /// Puts the resized form of a checked local image into `ref`; false when it stays as it is
    /// (then it is sent from the file, as ever).
    mutating func resizeFile(_ ref: JSONRef, _ file: MediaFile, _ path: String) throws(Qwen3VLError) -> Bool {
        guard policy.resize.mode != .off, ImageResizer.codec(file.type) != nil else { return false }
        // Most files that need nothing say so in their header: no need to read them whole.
        if let s = file.imageSize, policy.resize.target(width: s.width, height: s.height) == nil { return false }
        let bytes = try file.contents()
        return try replace(
            ref, UnsafeRawBufferPointer(start: bytes.base, count: file.size), file.type,
            what: "\(path): \(file.path)")
    }

    private mutating func replace(
        _ ref: JSONRef, _ bytes: UnsafeRawBufferPointer, _ type: MediaType,
        what: String
    ) throws(Qwen3VLError) -> Bool {
        let image: EncodedImage?
        let cpu = Clock.threadCPUNs()
        do throws(Qwen3VLError) {
            image = try ImageResizer.resize(bytes, type: type, settings: policy.resize, isCancelled: policy.isCancelled)
        } catch {
            throw Qwen3VLError(error.status, "\(what): \(error.message)")
        }
        guard let image else { return false }
        let ms = Double(Clock.threadCPUNs() &- cpu) / 1e6
        policy.log? {
            "\(what): \(image.original.width)x\(image.original.height) \(type.mime) of \(bytes.count) bytes resized to "
                + "\(image.width)x\(image.height) \(image.type.mime) of \(image.count) bytes in \((ms * 10).rounded() / 10) ms of CPU"
        }
        guard let file = MediaFile(image, what: "\(what), resized") else {
            throw Qwen3VLError(.internal, "\(what): the resized image is too large")
        }
        try sendLater(ref, file)
        return true
    }
}
