import CQwen3VLShims

#if canImport(Glibc)
import Glibc
#endif

/// An image encoded anew: its bytes (from malloc, freed with the object), type and size.
final class EncodedImage {
    let base: UnsafeMutablePointer<UInt8>
    let count: Int
    let type: MediaType
    let width: Int
    let height: Int
    /// The original's upright size.
    var original = (width: 0, height: 0)

    init(base: UnsafeMutablePointer<UInt8>, count: Int, type: MediaType, width: Int, height: Int) {
        self.base = base
        self.count = count
        self.type = type
        self.width = width
        self.height = height
    }

    deinit { free(base) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Decodes a JPEG, PNG or WEBP, turns it upright (EXIF orientation), resizes it as Pillow's bicubic
/// `resize` would, and encodes it again: JPEG, or PNG when it has alpha. Rows stream from the
/// decoder through the resampler into the encoder, so memory follows the output's size, not the
/// input's (except where a format cannot be read in rows, and a rotated image's output is held
/// whole to be turned).
enum ImageResizer {
    /// `bytes`, an encoded image of `type`, at the size `settings` asks for; nil when it is to be
    /// sent as it is (resizing off, a type not resized, a size the model keeps). Damaged images,
    /// and missing codec libraries, are QWEN3VL_ERR_FILE; `isCancelled`, asked every few rows,
    /// stops it with QWEN3VL_ERR_CANCELLED.
    static func resize(
        _ bytes: UnsafeRawBufferPointer, type: MediaType,
        settings: ResizeSettings, isCancelled: () -> Bool = { false }
    ) throws(Qwen3VLError) -> EncodedImage? {
        guard settings.mode != .off, let codec = codec(type) else { return nil }
        if isCancelled() { throw cancelled }
        // Most images that need nothing say so in their header, before any library is loaded.
        // (Turning an image upright swaps its sides, which changes nothing here.)
        if let s = ImageHeader.size(type: type, read: ImageHeader.reader(bytes)),
            settings.target(width: s.width, height: s.height) == nil
        {
            return nil
        }
        var err = [CChar](repeating: 0, count: 320)
        guard q3v_img_load(codec, &err, err.count) == 0 else { throw Qwen3VLError(.file, message(err)) }

        var info = q3v_img_info()
        guard let base = bytes.baseAddress,
            let raw = q3v_img_decoder_new(codec, base, bytes.count, &info, &err, err.count)
        else {
            throw Qwen3VLError(.file, "the \(type.mime) could not be read: \(message(err))")
        }
        let decoder = Decoder(raw)
        defer { withExtendedLifetime(decoder) {} } // `raw` and `info.exif` live as long as it does
        let width = Int(info.width), height = Int(info.height)
        guard width > 0, height > 0, (1...4).contains(Int(info.channels)) else {
            throw Qwen3VLError(.file, "the \(type.mime) has no valid size")
        }
        guard width * height <= ResizeSettings.maxDecodedPixels else {
            throw Qwen3VLError(
                .file,
                "the \(type.mime) is \(width) x \(height) pixels, more than \(ResizeSettings.maxDecodedPixels) (Pillow's limit)"
            )
        }
        let orientation =
            info.exif.map { ExifOrientation(exif: UnsafeRawBufferPointer(start: $0, count: info.exif_len)) } ?? .normal
        let upright = orientation.swapsSides ? (width: height, height: width) : (width: width, height: height)
        guard let t = settings.target(width: upright.width, height: upright.height) else { return nil }
        let stored = orientation.swapsSides ? (width: t.height, height: t.width) : (width: t.width, height: t.height)

        var dw: Int32 = 0, dh: Int32 = 0
        let reduce = codec == Int32(Q3V_IMG_PNG) ? 1 : reduction(width: width, height: height, target: stored)
        guard q3v_img_decoder_start(raw, reduce, &dw, &dh) == 0, dw > 0, dh > 0 else { throw decoder.failure(type) }
        let inChannels = Int(info.channels), cmyk = info.cmyk != 0
        let channels = cmyk ? 3 : inChannels
        let sink = try Sink(
            orientation: orientation, width: stored.width, height: stored.height, channels: channels,
            quality: settings.jpegQuality)
        let verticalFirst: Bool
        if sink.codec == Int32(Q3V_IMG_PNG) {
            // Kept bit for bit as Pillow makes it: its order of the passes, which it decides on the
            // image as it resizes it, the upright one.
            let decoded =
                orientation.swapsSides ? (width: Int(dh), height: Int(dw)) : (width: Int(dw), height: Int(dh))
            let upright = Resampler.pillowVerticalFirst(
                inWidth: decoded.width, inHeight: decoded.height, outWidth: t.width, outHeight: t.height)
            verticalFirst = orientation.swapsSides ? !upright : upright
        } else {
            // A JPEG's own error dwarfs the unit of rounding here and there that the order changes.
            verticalFirst = Resampler.cheaperVerticalFirst(
                inWidth: Int(dw), inHeight: Int(dh), outWidth: stored.width, outHeight: stored.height)
        }
        guard
            let resampler = Resampler(
                channels: channels, inWidth: Int(dw), inHeight: Int(dh), outWidth: stored.width,
                outHeight: stored.height, verticalFirst: verticalFirst, emit: sink.take),
            let row = HeapBytes(count: Int(dw) * inChannels)
        else {
            throw Qwen3VLError(.internal, "out of memory for a \(t.width) x \(t.height) image")
        }
        for y in 0..<dh {
            // A 12 MP photo takes tens of milliseconds; a cancelled call waits for a few rows at most.
            if y & 31 == 0 && isCancelled() { throw cancelled }
            guard q3v_img_decoder_row(raw, row.base) == 1 else { throw decoder.failure(type) }
            if cmyk { PixelRows.cmykToRGB(row.base, pixels: Int(dw)) }
            if channels == 2 || channels == 4 { PixelRows.premultiply(row.base, pixels: Int(dw), channels: channels) }
            try resampler.push(row.base)
        }
        guard resampler.isComplete else { throw Qwen3VLError(.internal, "the resampler produced too few rows") }
        let image = try sink.finish()
        image.original = upright
        return image
    }

    /// The NUL-terminated message a C function wrote into `buffer` (which starts all zeros).
    private static let cancelled = Qwen3VLError(.cancelled, "cancelled while the image was resized")

    static func message(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { b in b.baseAddress.map { String(cString: $0) } ?? "" }
    }

    static func codec(_ type: MediaType) -> Int32? {
        switch type {
        case .jpeg: return Int32(Q3V_IMG_JPEG)
        case .png: return Int32(Q3V_IMG_PNG)
        case .webp: return Int32(Q3V_IMG_WEBP)
        default: return nil
        }
    }

    /// How many times the decoder itself reduces the image (JPEG by DCT scaling, which costs almost
    /// nothing; WEBP by libwebp's area-averaging scaler): as far as keeps at least 1.2 times the
    /// target on each side, so that the bicubic pass still does the filtering that matters. The
    /// result then stays within about 40 dB PSNR of Pillow's full-size resize even for noisy photos
    /// (Pillow's own `thumbnail` reduces the same way, with a gap of 2).
    static func reduction(width: Int, height: Int, target: (width: Int, height: Int)) -> Int32 {
        for r in [8, 4, 2]
        where (width + r - 1) / r * 5 >= 6 * target.width && (height + r - 1) / r * 5 >= 6 * target.height {
            return Int32(r)
        }
        return 1
    }

    private final class Decoder {
        let raw: OpaquePointer
        init(_ raw: OpaquePointer) { self.raw = raw }
        deinit { q3v_img_decoder_free(raw) }

        func failure(_ type: MediaType) -> Qwen3VLError {
            Qwen3VLError(.file, "the \(type.mime) could not be decoded: \(String(cString: q3v_img_decoder_error(raw)))")
        }
    }

    /// Where output rows go: turned upright (which needs the whole image when the orientation is not
    /// the normal one), alpha un-premultiplied, then into the encoder.
    private final class Sink {
        let orientation: ExifOrientation
        let width: Int, height: Int, channels: Int
        let encoder: OpaquePointer
        let codec: Int32
        /// The stored-orientation image, for orientations other than the normal one.
        let whole: HeapBytes?
        /// One upright row on its way to the encoder.
        let row: HeapBytes
        var rows = 0

        init(orientation: ExifOrientation, width: Int, height: Int, channels: Int, quality: Int) throws(Qwen3VLError) {
            self.orientation = orientation
            self.width = width
            self.height = height
            self.channels = channels
            let alpha = channels == 2 || channels == 4
            codec = Int32(alpha ? Q3V_IMG_PNG : Q3V_IMG_JPEG)
            let upright = orientation.swapsSides ? (width: height, height: width) : (width: width, height: height)
            var err = [CChar](repeating: 0, count: 320)
            guard
                let e = q3v_img_encoder_new(
                    codec, Int32(upright.width), Int32(upright.height), Int32(channels),
                    Int32(quality), &err, err.count)
            else {
                throw Qwen3VLError(.file, "the resized image could not be encoded: \(ImageResizer.message(err))")
            }
            encoder = e
            let (total, o) = (width * channels).multipliedReportingOverflow(by: height)
            let whole = orientation == .normal || o ? nil : HeapBytes(count: total)
            guard !o, let row = HeapBytes(count: upright.width * channels), orientation == .normal || whole != nil
            else {
                q3v_img_encoder_free(e)
                throw Qwen3VLError(.internal, "out of memory for a \(upright.width) x \(upright.height) image")
            }
            self.row = row
            self.whole = whole
        }

        deinit { q3v_img_encoder_free(encoder) }

        func take(_ out: UnsafePointer<UInt8>) throws(Qwen3VLError) {
            guard rows < height else { return }
            let n = width * channels
            if let whole {
                (whole.base + rows * n).update(from: out, count: n)
            } else {
                row.base.update(from: out, count: n)
                try encode(row.base)
            }
            rows += 1
        }

        /// Turns the held image upright, row by row, into the encoder; then the encoded bytes.
        func finish() throws(Qwen3VLError) -> EncodedImage {
            guard rows == height else { throw Qwen3VLError(.internal, "the resampler produced too few rows") }
            if let whole {
                let upright = orientation.swapsSides ? (width: height, height: width) : (width: width, height: height)
                for y in 0..<upright.height {
                    // Along an upright row the source moves by a fixed step: one pixel, or one row.
                    let a = orientation.source(x: 0, y: y, width: width, height: height)
                    let b = orientation.source(x: min(1, upright.width - 1), y: y, width: width, height: height)
                    let start = (a.y * width + a.x) * channels
                    let step = ((b.y - a.y) * width + (b.x - a.x)) * channels
                    var src = whole.base + start
                    var dst = row.base
                    for _ in 0..<upright.width {
                        dst.update(from: src, count: channels)
                        dst += channels
                        src += step
                    }
                    try encode(row.base)
                }
            }
            var out: UnsafeMutablePointer<UInt8>?
            var len = 0
            guard q3v_img_encoder_finish(encoder, &out, &len) == 0, let out else { throw failure() }
            let upright = orientation.swapsSides ? (width: height, height: width) : (width: width, height: height)
            return EncodedImage(
                base: out, count: len, type: codec == Int32(Q3V_IMG_PNG) ? .png : .jpeg,
                width: upright.width, height: upright.height)
        }

        private func encode(_ p: UnsafeMutablePointer<UInt8>) throws(Qwen3VLError) {
            let pixels = orientation.swapsSides ? height : width
            if channels == 2 || channels == 4 { PixelRows.unpremultiply(p, pixels: pixels, channels: channels) }
            guard q3v_img_encoder_row(encoder, p) == 0 else { throw failure() }
        }

        private func failure() -> Qwen3VLError {
            Qwen3VLError(
                .file, "the resized image could not be encoded: \(String(cString: q3v_img_encoder_error(encoder)))")
        }
    }
}

/// Per-pixel conversions on rows, exactly as Pillow makes them when the processor converts or
/// resizes an image.
enum PixelRows {
    /// Pillow's MULDIV255: a × b / 255, rounded.
    @inline(__always) static func mulDiv255(_ a: UInt32, _ b: UInt32) -> UInt32 {
        let t = a &* b &+ 128
        return ((t >> 8) &+ t) >> 8
    }

    /// Adobe's inverted CMYK (as libjpeg gives it, and Pillow reads every CMYK JPEG) to RGB, in
    /// place: Pillow's "CMYK;I" unpacking followed by its cmyk2rgb.
    static func cmykToRGB(_ p: UnsafeMutablePointer<UInt8>, pixels: Int) {
        for i in 0..<pixels {
            let s = p + 4 * i
            let nk = UInt32(s[3])
            let r = nk - min(nk, mulDiv255(255 - UInt32(s[0]), nk))
            let g = nk - min(nk, mulDiv255(255 - UInt32(s[1]), nk))
            let b = nk - min(nk, mulDiv255(255 - UInt32(s[2]), nk))
            let d = p + 3 * i
            d[0] = UInt8(r); d[1] = UInt8(g); d[2] = UInt8(b)
        }
    }

    /// Colour channels times alpha, as Pillow's RGBA → RGBa (and LA → La) before it resizes.
    static func premultiply(_ p: UnsafeMutablePointer<UInt8>, pixels: Int, channels: Int) {
        for i in 0..<pixels {
            let px = p + channels * i
            let a = UInt32(px[channels - 1])
            for c in 0..<(channels - 1) { px[c] = UInt8(truncatingIfNeeded: mulDiv255(UInt32(px[c]), a)) }
        }
    }

    /// The way back, as Pillow's RGBa → RGBA: colour × 255 / alpha, truncated; alpha 0 and 255 keep
    /// the colour as it is.
    static func unpremultiply(_ p: UnsafeMutablePointer<UInt8>, pixels: Int, channels: Int) {
        for i in 0..<pixels {
            let px = p + channels * i
            let a = UInt32(px[channels - 1])
            guard a != 0 && a != 255 else { continue }
            for c in 0..<(channels - 1) { px[c] = UInt8(min(255, 255 * UInt32(px[c]) / a)) }
        }
    }
}
