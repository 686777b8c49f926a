/// Doors for the fuzz targets in Fuzz/ into parsers that are internal to the library. SPI, so not
/// part of the Swift API a user sees.
@_spi(Fuzzing) public enum FuzzEntry {
    /// Request validation and rewriting, as for a streaming call (the path with the most rewriting).
    public static func request(_ bytes: UnsafeRawBufferPointer) {
        let body = try? RequestValidator.prepare(bytes, defaultModel: "m", stream: true)
        if let body {
            var out = [UInt8](repeating: 0, count: min(body.count, 1 << 20))
            _ = out.withUnsafeMutableBytes { body.read(into: $0) }
        }
    }

    /// A successful reply, and the same bytes as an error body.
    public static func reply(_ bytes: UnsafeRawBufferPointer) {
        _ = try? ReplyParser.completion(bytes)
        _ = ReplyParser.errorText(bytes)
        _ = ReplyParser.errorRequestID(bytes)
    }

    /// The SSE decoder and stream assembly, fed in pieces whose sizes come from the first byte.
    public static func stream(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let step = Int(first % 16) + 1
        let assembler = StreamAssembler(maxEventBytes: 4096, isCancelled: { false }, onDelta: { _ in true })
        var i = 1
        while i < bytes.count {
            let n = min(step, bytes.count - i)
            if !assembler.feed(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)])) { break }
            i += n
        }
        assembler.finish()
        _ = assembler.completion()
        _ = assembler.completionJSON()
    }

    /// The grounding parser on model-like text.
    public static func grounding(_ bytes: UnsafeRawBufferPointer) {
        _ = Grounding.parse(String(decoding: bytes, as: UTF8.self), width: 1920, height: 1080)
    }

    /// The type sniffer and the image header readers.
    public static func sniff(_ bytes: UnsafeRawBufferPointer) {
        _ = MediaType.sniff(bytes)
        _ = try? ImageHeader.info(bytes)
        let read = ImageHeader.reader(bytes)
        for type in MediaType.allCases { _ = ImageHeader.size(type: type, read: read) }
    }

    /// The image decoders (JPEG, PNG, WEBP through their libraries), the EXIF reader, the resampler
    /// and the encoders, on a resize to a small budget. Images that declare more than 4 MP are
    /// left out: decoding garbage at that size is slow, not interesting.
    public static func image(_ bytes: UnsafeRawBufferPointer) {
        _ = ExifOrientation(exif: bytes)
        guard let type = MediaType.sniff(UnsafeRawBufferPointer(rebasing: bytes.prefix(MediaType.sniffLength))),
            let size = ImageHeader.size(type: type, read: ImageHeader.reader(bytes)),
            case (let pixels, false) = size.width.multipliedReportingOverflow(by: size.height), pixels <= 4 << 20
        else { return }
        var settings = ResizeSettings()
        settings.mode = .maxPixels(32 * 32 * 4)
        settings.minPixels = 32 * 32
        _ = try? ImageResizer.resize(bytes, type: type, settings: settings)
    }
}
