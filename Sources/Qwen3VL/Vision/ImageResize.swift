/// Client-side resize: whether an image is sent smaller, and at what size. Qwen3-VL resizes every
/// image to its own grid before it looks at it (`VisionTokens.resized`); pixels beyond that size
/// are uploaded only to be thrown away.
public enum ResizeMode: Sendable, Equatable {
    /// Images are sent as they are.
    case off
    /// Each image is downscaled to exactly the size the model's processor resizes it to under the
    /// client's `min_pixels` / `max_pixels`: the bytes shrink, the vision tokens stay the same.
    case model
    /// As `.model`, under a tighter pixel budget the caller chooses (fewer tokens, lower cost).
    case maxPixels(Int)
}

extension ResizeMode {
    /// A budget must be at least one pixel.
    public func validate() throws(Qwen3VLError) {
        if case .maxPixels(let n) = self, n < 1 {
            throw Qwen3VLError(.invalidArgument, "option resize.max_pixels must be a positive integer")
        }
    }

    /// The JSON forms of option `key`: "off", "model" or {"max_pixels": N} (N >= 1).
    init(json v: JSONRef, key: String) throws(Qwen3VLError) {
        let forms = "\"off\", \"model\" or {\"max_pixels\": N}"
        switch v.kind {
        case .string:
            switch v.string {
            case "off": self = .off
            case "model": self = .model
            default: throw Qwen3VLError(.invalidArgument, "option \(key) must be \(forms), not \"\(v.string ?? "")\"")
            }
        case .object:
            var budget: Int?
            for (name, value) in v.members {
                guard name == "max_pixels" else {
                    throw Qwen3VLError(
                        .invalidArgument, "option \(key) has an unknown key \"\(name)\"; it must be \(forms)")
                }
                guard let n = value.int, n >= 1 else {
                    throw Qwen3VLError(.invalidArgument, "option \(key).max_pixels must be a positive integer")
                }
                budget = Int(clamping: n)
            }
            guard let budget else { throw Qwen3VLError(.invalidArgument, "option \(key) must be \(forms), not {}") }
            self = .maxPixels(budget)
        default:
            throw Qwen3VLError(.invalidArgument, "option \(key) must be \(forms), not \(v.kindName)")
        }
    }
}

extension OptionKey {
    /// A key that takes a ``ResizeMode``: "off", "model" or {"max_pixels": N}.
    static func resizeMode(_ name: String, _ set: @escaping @Sendable (inout Options, ResizeMode) -> Void) -> OptionKey
    {
        parsed(name, { v throws(Qwen3VLError) in try ResizeMode(json: v, key: name) }, set)
    }
}

/// The resize options of a client, or of one call.
public struct ResizeSettings: Sendable, Equatable {
    public var mode: ResizeMode = .off
    /// The limits the model is served with (its processor's `min_pixels` / `max_pixels`).
    public var minPixels: Int = VisionTokens.defaultMinPixels
    public var maxPixels: Int = VisionTokens.defaultMaxPixels
    /// Quality of the JPEG a resized image is sent as (images with alpha go as PNG).
    public var jpegQuality: Int = 90

    public static let jpegQualityRange = 1...100
    /// Pillow refuses images of more pixels than this (twice its `MAX_IMAGE_PIXELS`, its
    /// decompression-bomb error), so a server using it would refuse them too; so do we, before
    /// spending the time to decode one.
    public static let maxDecodedPixels = 2 * 89_478_485

    public init() {}

    /// Refuses limits that make no sense, naming the option.
    public func validate() throws(Qwen3VLError) {
        guard minPixels >= 1 else {
            throw Qwen3VLError(.invalidArgument, "option min_pixels must be at least 1, not \(minPixels)")
        }
        guard maxPixels >= minPixels else {
            throw Qwen3VLError(
                .invalidArgument, "option max_pixels (\(maxPixels)) must be at least min_pixels (\(minPixels))")
        }
        guard Self.jpegQualityRange.contains(jpegQuality) else {
            throw Qwen3VLError(.invalidArgument, "option jpeg_quality must be between 1 and 100, not \(jpegQuality)")
        }
        try mode.validate()
    }

    /// The upright size a `width` × `height` (upright) image is sent at; nil to send it unchanged:
    /// resizing is off, the size is one the processor refuses, or the processor would not shrink
    /// the image (it is never scaled up here).
    public func target(width: Int, height: Int) -> (width: Int, height: Int)? {
        var low = minPixels, high = maxPixels
        switch mode {
        case .off: return nil
        case .model: break
        case .maxPixels(let n):
            high = min(high, n)
            low = min(low, high)
        }
        // resized() takes only sides below 2^31, whose products fit; the target's may not (with
        // limits near Int.max), and is then no smaller.
        guard let t = VisionTokens.resized(width: width, height: height, minPixels: low, maxPixels: high),
            case (let area, false) = t.width.multipliedReportingOverflow(by: t.height), area < width * height
        else {
            return nil
        }
        // The size sent is one the processor keeps as it is, so the tokens it counts for the resized
        // image are those it counts for the original (for .model; a budget lowers them on purpose).
        guard
            VisionTokens.resized(width: t.width, height: t.height, minPixels: low, maxPixels: high).map({ $0 == t })
                == true
        else {
            return nil
        }
        return t
    }
}
