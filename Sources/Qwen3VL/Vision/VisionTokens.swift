/// How many vision tokens Qwen3-VL spends on an image: the image is resized to multiples of 32 px
/// (16 px patches merged 2×2), its pixel count kept within [minPixels, maxPixels], and each 32×32
/// block is one token. This is transformers' `smart_resize` for Qwen3-VL step by step, with
/// Python's arithmetic: rounding halves to even, integer division exact before its one rounding.
/// Tests/data/image_tokens.tsv holds what transformers itself gives.
public enum VisionTokens {
    public static let factor = 32
    /// `size.shortest_edge` and `size.longest_edge` of Qwen3-VL's preprocessor_config.json, the
    /// limits its processor resizes to (qwen-vl-utils uses a smaller minimum, 4·32·32).
    public static let defaultMinPixels = 64 * 32 * 32
    public static let defaultMaxPixels = 16384 * 32 * 32
    /// The model's processor refuses images more elongated than this.
    public static let maxAspectRatio = 200.0

    /// The resized (width, height), or nil for sizes the processor refuses (not positive, sides
    /// over 2^31 - 1, aspect ratio over 200) and for limits that make no sense (not positive, or
    /// minPixels over maxPixels).
    public static func resized(
        width: Int, height: Int, minPixels: Int = defaultMinPixels,
        maxPixels: Int = defaultMaxPixels
    ) -> (width: Int, height: Int)? {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max), minPixels > 0,
            minPixels <= maxPixels
        else { return nil }
        let w = Double(width), h = Double(height), f = Double(factor)
        guard max(w, h) / min(w, h) <= maxAspectRatio else { return nil }
        // Sides are below 2^31, so these products stay below 2^62. A side under 16 px rounds to 0
        // here, and the image is then scaled up to minPixels, as transformers does.
        var hBar = Int((h / f).rounded(.toNearestOrEven)) * factor
        var wBar = Int((w / f).rounded(.toNearestOrEven)) * factor
        let area = width * height
        if hBar * wBar > maxPixels {
            let beta = quotient(area, maxPixels).squareRoot()
            guard let hb = multiple((h / beta / f).rounded(.down)), let wb = multiple((w / beta / f).rounded(.down))
            else { return nil }
            (hBar, wBar) = (max(factor, hb), max(factor, wb))
        } else if hBar * wBar < minPixels {
            let beta = quotient(minPixels, area).squareRoot()
            guard let hb = multiple((h * beta / f).rounded(.up)), let wb = multiple((w * beta / f).rounded(.up)) else {
                return nil
            }
            (hBar, wBar) = (hb, wb)
        }
        return (wBar, hBar)
    }

    /// Tokens for a width×height image, or nil where ``resized`` refuses.
    public static func count(
        width: Int, height: Int, minPixels: Int = defaultMinPixels,
        maxPixels: Int = defaultMaxPixels
    ) -> Int? {
        guard let r = resized(width: width, height: height, minPixels: minPixels, maxPixels: maxPixels) else {
            return nil
        }
        let (n, overflow) = (r.width / factor).multipliedReportingOverflow(by: r.height / factor)
        return overflow ? nil : n
    }

    /// `blocks` 32 px blocks in pixels; nil if that is no Int (limits near Int.max can ask for it).
    private static func multiple(_ blocks: Double) -> Int? {
        guard let n = Int(exactly: blocks) else { return nil }
        let (px, overflow) = n.multipliedReportingOverflow(by: factor)
        return overflow ? nil : px
    }

    /// a / b as Python divides integers: exactly, then rounded once to the nearest Double. Plain
    /// Double division rounds the operands first when they pass 2^53. a ≥ 0, b > 0.
    static func quotient(_ a: Int, _ b: Int) -> Double {
        if a <= 1 << 53 && b <= 1 << 53 { return Double(a) / Double(b) }
        // An integer quotient of 55 bits or more, its lowest bit set if anything was left over,
        // rounds to Double as the exact quotient does. The shift keeps it under 2^56 (or it is
        // a / b itself, under 2^63), and a << shift under 2^118.
        let bits = { (x: Int) in Int.bitWidth - x.leadingZeroBitCount }
        let shift = max(0, 55 + bits(b) - bits(a))
        let (q, r) = (UInt128(a) << shift).quotientAndRemainder(dividingBy: UInt128(b))
        let sticky: UInt128 = r == 0 ? 0 : 1
        return Double(sign: .plus, exponent: -shift, significand: Double(UInt64(truncatingIfNeeded: q | sticky)))
    }
}
