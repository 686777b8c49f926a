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

    /// Refuses limits that make no sense, naming the option; a call's `resize` is checked again
    /// with the client's limits.
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
        if case .maxPixels(let n) = mode, n < minPixels {
            throw Qwen3VLError(
                .invalidArgument,
                "option resize.max_pixels (\(n)) must be at least min_pixels (\(minPixels)): the model scales every smaller image up to min_pixels"
            )
        }
    }

    /// The upright size a `width` × `height` (upright) image is sent at; nil to send it unchanged:
    /// resizing is off, the size is one the processor refuses, or the image would not shrink (it
    /// is never scaled up here). The size sent is always one the processor keeps as it is under
    /// `minPixels` / `maxPixels`, so the tokens the model spends on it are its pixels / 1024.
    public func target(width: Int, height: Int) -> (width: Int, height: Int)? {
        let t: (width: Int, height: Int)?
        switch mode {
        case .off: return nil
        case .model:
            // The processor's own size for the original: the bytes shrink, the tokens stay.
            t = VisionTokens.resized(width: width, height: height, minPixels: minPixels, maxPixels: maxPixels)
                .flatMap { keeps($0) ? $0 : nil }
        case .maxPixels(let n):
            t = withinBudget(width: width, height: height, budget: min(n, maxPixels))
        }
        // A target exists only for sides below 2^31 (resized() refuses others), whose product fits.
        guard let t, area(t).map({ $0 < width * height }) == true else { return nil }
        return t
    }

    /// Whether the processor sends `size` to the model as it is (its sides multiples of 32, its
    /// pixels within the limits), so that what is sent is what the model sees.
    private func keeps(_ size: (width: Int, height: Int)) -> Bool {
        VisionTokens.resized(width: size.width, height: size.height, minPixels: minPixels, maxPixels: maxPixels)
            .map { $0 == size } == true
    }

    private func area(_ size: (width: Int, height: Int)) -> Int? {
        let (a, overflow) = size.width.multipliedReportingOverflow(by: size.height)
        return overflow ? nil : a
    }

    /// The size for a budget (`validate` holds it at min_pixels or more): the processor's own
    /// resize under (min_pixels, budget) when the processor keeps that size and it fits the
    /// budget. Its rounding can miss both: near min_pixels it floors the sides to a size under
    /// min_pixels (which the model would scale back up, over the budget), and a side held at 32 px
    /// on a very thin image can take the pixels over the budget. Then the sides are the multiples
    /// of 32 with pixels within [min_pixels, budget] whose aspect ratio is nearest the original's;
    /// nil if there are none (limits with no multiple of 1024 between them).
    private func withinBudget(width: Int, height: Int, budget: Int) -> (width: Int, height: Int)? {
        guard budget >= minPixels,
            let t = VisionTokens.resized(width: width, height: height, minPixels: minPixels, maxPixels: budget)
        else { return nil }
        if let a = area(t), a <= budget, keeps(t) { return t }
        let f = VisionTokens.factor, blocks = budget / (f * f)
        let ratio = Double(width) / Double(height)
        // Heights around the one that keeps the aspect ratio; 2^15 rows either way cover every
        // height under the model's own limits (16384 blocks) and bound the search under others.
        let ideal = Int((Double(budget) / ratio).squareRoot() / Double(f))
        let (first, last) = (max(1, ideal &- (1 << 15)), min(blocks, ideal &+ (1 << 15)))
        guard first <= last else { return nil }
        var best: (size: (width: Int, height: Int), distortion: Double)?
        for rows in first...last {
            let columns = blocks / rows
            guard columns >= 1, columns * rows * f * f >= minPixels,
                Double(max(columns, rows)) / Double(min(columns, rows)) <= VisionTokens.maxAspectRatio
            else { continue }
            // How far the aspect ratio moves, as a factor (|log| of the ratio of ratios).
            let r = Double(columns) / Double(rows)
            let distortion = max(r / ratio, ratio / r)
            if best.map({ distortion < $0.distortion }) ?? true { best = ((columns * f, rows * f), distortion) }
        }
        return best?.size
    }
}
