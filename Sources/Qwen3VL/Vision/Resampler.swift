import CQwen3VLShims

#if canImport(Glibc)
import Glibc
#endif

/// Bytes from malloc, freed with the object. Made only when memory allows: a size that images
/// decide never becomes a trap.
final class HeapBytes {
    let base: UnsafeMutablePointer<UInt8>
    let count: Int

    init?(count: Int) {
        guard count >= 0, let p = malloc(max(count, 1)) else { return nil }
        base = p.assumingMemoryBound(to: UInt8.self)
        self.count = count
    }

    deinit { free(base) }
}

/// Pillow's bicubic resampling coefficients along one axis (`precompute_coeffs` and
/// `normalize_coeffs_8bpc` of its Resample.c, step by step in the same floating-point order):
/// each output pixel is a weighted sum of `count` input pixels from `first` on, weights in fixed
/// point with 22 fractional bits. The filter is widened by the reduction factor, so a downscale
/// averages every input pixel it covers instead of sampling a few.
struct ResampleAxis {
    let inSize: Int
    let outSize: Int
    /// Most weights of one output pixel; `weights` holds `ksize` per output pixel.
    let ksize: Int
    /// (first, count) per output pixel.
    let bounds: [Int32]
    let weights: [Int32]
    /// For the horizontal pass, the same weights for groups of 8 output pixels, tap by tap (its
    /// vector code's layout): `grouped[((i / 8) * ksize + t) * 8 + i % 8]`, 0 past a pixel's count.
    let grouped: [Int32]

    static let precisionBits = 22

    /// Keys's cubic with a = -0.5, Pillow's BICUBIC.
    static func bicubic(_ v: Double) -> Double {
        let a = -0.5
        let x = abs(v)
        if x < 1 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// nil for sizes out of range (below 1, or past 2^24 where Pillow's float box stops being exact).
    /// `grouped`: whether to lay out `grouped` too (else it is empty).
    init?(inSize: Int, outSize: Int, grouped wantGrouped: Bool = false) {
        guard inSize >= 1, outSize >= 1, inSize <= 1 << 24, outSize <= 1 << 24 else { return nil }
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = 2.0 * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        let inverse = 1.0 / filterScale
        let one = Double(1 << Self.precisionBits)
        var bounds = [Int32](repeating: 0, count: 2 * outSize)
        var weights = [Int32](repeating: 0, count: outSize * ksize)
        var k = [Double](repeating: 0, count: ksize)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let first = max(0, Int(center - support + 0.5))
            let count = min(Int(center + support + 0.5), inSize) - first
            guard count >= 1, count <= ksize else { return nil }
            var sum = 0.0
            for x in 0..<count {
                k[x] = Self.bicubic((Double(x + first) - center + 0.5) * inverse)
                sum += k[x]
            }
            for x in 0..<count {
                let w = sum != 0 ? k[x] / sum : k[x]
                weights[xx * ksize + x] = Int32(w < 0 ? -0.5 + w * one : 0.5 + w * one)
            }
            bounds[2 * xx] = Int32(first)
            bounds[2 * xx + 1] = Int32(count)
        }
        self.inSize = inSize
        self.outSize = outSize
        self.ksize = ksize
        var grouped = [Int32](repeating: 0, count: wantGrouped ? (outSize + 7) / 8 * ksize * 8 : 0)
        for i in 0..<(wantGrouped ? outSize : 0) {
            for t in 0..<Int(bounds[2 * i + 1]) { grouped[(i / 8 * ksize + t) * 8 + i % 8] = weights[i * ksize + t] }
        }
        self.bounds = bounds
        self.weights = weights
        self.grouped = grouped
    }

    func first(_ i: Int) -> Int { Int(bounds[2 * i]) }
    func count(_ i: Int) -> Int { Int(bounds[2 * i + 1]) }
}

/// Resizes an image that arrives one row at a time, giving its output one row at a time, as
/// Pillow's `Image.resize(size, BICUBIC)` would on the whole image: the same two 8-bit passes in
/// the same order, with the same rounding, so the result is Pillow's bit for bit. Only a window of
/// rows (as many as one output row draws on) is held, whatever the image's size.
final class Resampler {
    let channels: Int
    let inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int
    private let horizontal: ResampleAxis?
    private let vertical: ResampleAxis?
    /// Vertical pass on the input rows first, then the horizontal one (else the other way round).
    let verticalFirst: Bool
    /// The window of rows, `capacity` slots of `rowBytes`, row y in slot y % capacity.
    private let window: HeapBytes
    private let capacity: Int
    private let rowBytes: Int
    /// Scratch rows: a horizontally resampled input row, a vertically combined one.
    private let scratch: HeapBytes
    private let pointers: UnsafeMutablePointer<UnsafePointer<UInt8>?>
    private var nextIn = 0
    private var nextOut = 0
    private let emit: (UnsafePointer<UInt8>) throws(Qwen3VLError) -> Void

    /// The most bytes the window may hold; above it the cheaper order is kept regardless.
    static let maxWindowBytes = 64 << 20

    /// Whether Pillow (version 13 on) runs the vertical pass first: when the height shrinks by more
    /// than twice what the width does. Older versions always went horizontal first; the two orders
    /// differ by at most a unit of rounding here and there.
    static func pillowVerticalFirst(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) -> Bool {
        inHeight - outHeight > 0 && inHeight - outHeight > 2 * (inWidth - outWidth)
    }

    /// Whether the vertical pass first costs less. Each pass costs its output pixels times its
    /// taps (4 × the reduction + 1), a tap of the horizontal one about 8 times what one of the
    /// vertical costs (perf, 12 MP photos: the vertical pass runs along whole rows in vector
    /// registers, the horizontal one gathers a few pixels for each output pixel).
    static func cheaperVerticalFirst(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) -> Bool {
        let (iw, ih, ow, oh) = (Double(inWidth), Double(inHeight), Double(outWidth), Double(outHeight))
        let th = 4 * max(iw / ow, 1) + 1, tv = 4 * max(ih / oh, 1) + 1
        return oh * iw * tv + 8 * oh * ow * th < 8 * ih * ow * th + oh * ow * tv
    }

    /// nil when the sizes are out of range or memory is short. `verticalFirst`: the order of the
    /// passes (Pillow's, for a result bit for bit as its own, or the cheaper one).
    init?(
        channels: Int, inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int, verticalFirst: Bool,
        emit: @escaping (UnsafePointer<UInt8>) throws(Qwen3VLError) -> Void
    ) {
        guard (1...4).contains(channels) else { return nil }
        let h = outWidth == inWidth ? nil : ResampleAxis(inSize: inWidth, outSize: outWidth, grouped: true)
        let v = outHeight == inHeight ? nil : ResampleAxis(inSize: inHeight, outSize: outHeight)
        if outWidth != inWidth && h == nil { return nil }
        if outHeight != inHeight && v == nil { return nil }
        let capacity = v?.ksize ?? 1
        var vFirst = verticalFirst && h != nil && v != nil
        let (inRow, o1) = inWidth.multipliedReportingOverflow(by: channels)
        let (outRow, o2) = outWidth.multipliedReportingOverflow(by: channels)
        guard !o1, !o2 else { return nil }
        if vFirst && inRow.multipliedReportingOverflow(by: capacity).partialValue > Self.maxWindowBytes {
            vFirst = false
        }
        let rowBytes = vFirst ? inRow : outRow
        let (windowBytes, o3) = rowBytes.multipliedReportingOverflow(by: capacity)
        guard !o3, let window = HeapBytes(count: windowBytes), let scratch = HeapBytes(count: inRow + outRow) else {
            return nil
        }
        self.channels = channels
        self.inWidth = inWidth
        self.inHeight = inHeight
        self.outWidth = outWidth
        self.outHeight = outHeight
        horizontal = h
        vertical = v
        self.verticalFirst = vFirst
        self.window = window
        self.capacity = capacity
        self.rowBytes = rowBytes
        self.scratch = scratch
        pointers = .allocate(capacity: capacity)
        self.emit = emit
    }

    deinit { pointers.deallocate() }

    /// Takes the next input row (`inWidth × channels` bytes); emits every output row it completes.
    func push(_ row: UnsafePointer<UInt8>) throws(Qwen3VLError) {
        let y = nextIn
        guard y < inHeight else { return }
        nextIn += 1
        guard let v = vertical else {
            // Rows map one to one: only the horizontal pass, if any.
            try emit(horizontallyResampled(row))
            return
        }
        // Rows no output row draws on are skipped, as Pillow skips them.
        guard y >= v.first(0), y < v.first(outHeight - 1) + v.count(outHeight - 1) else { return }
        let slot = window.base + (y % capacity) * rowBytes
        if verticalFirst || horizontal == nil {
            slot.update(from: row, count: rowBytes)
        } else {
            resampleHorizontally(slot, row)
        }
        while nextOut < outHeight && v.first(nextOut) + v.count(nextOut) - 1 <= y {
            let out = scratch.base + (channels * inWidth)
            let combined = verticalFirst ? scratch.base : out
            let first = v.first(nextOut), count = v.count(nextOut)
            for t in 0..<count { pointers[t] = UnsafePointer(window.base + ((first + t) % capacity) * rowBytes) }
            v.weights.withUnsafeBufferPointer { w in
                q3v_resample_vertical(
                    combined, pointers, w.baseAddress.map { $0 + nextOut * v.ksize }, Int32(count), rowBytes)
            }
            nextOut += 1
            try emit(verticalFirst ? horizontallyResampled(UnsafePointer(combined)) : UnsafePointer(out))
        }
    }

    /// True once every output row was emitted.
    var isComplete: Bool { nextOut == outHeight || (vertical == nil && nextIn == inHeight) }

    /// `row` through the horizontal pass (into scratch), or itself when there is none.
    private func horizontallyResampled(_ row: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
        guard horizontal != nil else { return row }
        let out = scratch.base + (channels * inWidth)
        resampleHorizontally(out, row)
        return UnsafePointer(out)
    }

    private func resampleHorizontally(_ out: UnsafeMutablePointer<UInt8>, _ row: UnsafePointer<UInt8>) {
        guard let h = horizontal else { return }
        h.bounds.withUnsafeBufferPointer { b in
            h.weights.withUnsafeBufferPointer { w in
                h.grouped.withUnsafeBufferPointer { g in
                    q3v_resample_horizontal(
                        out, row, Int32(inWidth), Int32(channels), b.baseAddress, w.baseAddress, g.baseAddress,
                        Int32(h.ksize), Int32(outWidth))
                }
            }
        }
    }
}
