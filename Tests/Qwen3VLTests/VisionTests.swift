import CJansson
import Testing

@testable import Qwen3VL

@Suite struct Base64Tests {
    @Test func roundTrips() {
        for n in 0..<50 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64.encode(bytes)
            #expect(text.utf8.count == Base64.encodedLength(n))
            #expect(Base64.decode(Array(text.utf8)) == bytes)
        }
        #expect(Base64.encode(Array("Man".utf8)) == "TWFu")
        #expect(Base64.encode(Array("Ma".utf8)) == "TWE=")
        #expect(Base64.encode(Array("M".utf8)) == "TQ==")
    }

    /// The AVX2 encoder (where the CPU has it) writes what the scalar one does, whatever the length and
    /// wherever input and output start.
    @Test func avx2AgreesWithScalar() {
        var rng = SystemRandomNumberGenerator()
        let source = (0..<(400 + 32)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var scalar = [UInt8](repeating: 0, count: 600), simd = [UInt8](repeating: 0, count: 600 + 32)
        for n in 0...400 {
            for shift in [0, 1, 2, 3, 5, 7, 13, 31] {
                let outShift = (shift * 7) % 32
                source.withUnsafeBytes { all in
                    let input = UnsafeRawBufferPointer(rebasing: all[shift..<(shift + n)])
                    let a = scalar.withUnsafeMutableBytes { Base64.encode(input, into: $0, simd: false) }
                    let b = simd.withUnsafeMutableBytes {
                        Base64.encode(input, into: UnsafeMutableRawBufferPointer(rebasing: $0[outShift...]))
                    }
                    #expect(a == b && a == (Base64.encodedLength(n) ?? -1))
                    #expect(
                        scalar[0..<a].elementsEqual(simd[outShift..<(outShift + b)]), "length \(n), input at +\(shift)")
                    #expect(Base64.decode(Array(scalar[0..<a])).map { $0.elementsEqual(input) } == true)
                }
            }
        }
        // Every 6-bit value in every position of a 24-byte step.
        let ramp = (0..<(64 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 85) }
        let text = Base64.encode(ramp)
        #expect(Base64.decode(Array(text.utf8)) == ramp)
    }

    /// Input read into the end of the output's space is encoded over itself, by both encoders, as it
    /// would be into memory of its own (a final group of 1 or 2 bytes starts further in than 3 of 4).
    @Test func encodesInPlace() {
        var rng = SystemRandomNumberGenerator()
        for n in Array(0...300) + [1000, 4095, 24 * 1024 + 1] {
            let input = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let want = Base64.encode(input)
            let size = Base64.encodedLength(n) ?? 0
            for simd in [false, true] {
                // The input at the end of the output's space, as a file read into libcurl's buffer lies.
                var space = [UInt8](repeating: 0, count: size)
                space.replaceSubrange((size - n)..<size, with: input)
                let written = space.withUnsafeMutableBytes { all in
                    Base64.encode(UnsafeRawBufferPointer(rebasing: all[(size - n)...]), into: all, simd: simd)
                }
                #expect(written == size && String(decoding: space, as: UTF8.self) == want, "length \(n), simd \(simd)")
            }
        }
    }

    @Test func wellFormedness() {
        func ok(_ s: String) -> Bool { Array(s.utf8).withUnsafeBytes { Base64.isWellFormed($0) } }
        #expect(ok("TWFu") && ok("TWE=") && ok("TQ=="))
        #expect(!ok("") && !ok("TWF") && !ok("T===") && !ok("TW=u") && !ok("TWF\n") && !ok("TW-_"))
    }
}

@Suite struct MediaFileTests {
    /// Writes `bytes` to a temporary file and reads its data URI back through the streaming reader
    /// in pieces of every awkward size.
    @Test func readsTheDataURIInAnyPieces() throws {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
        bytes += [0, 0, 0, 9, 0, 0, 0, 7, 8, 6, 0, 0, 0, 1, 2, 3, 4]
        bytes += (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let path = "/tmp/qwen3vl-mediafile-\(Int.random(in: 0..<1_000_000)).bin"
        let f = fopen(path, "wb")
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        defer { unlink(path) }
        let file = try MediaFile(
            path: path, what: "x", wantVideo: false, maxBytes: 1 << 20, maxOption: "max_image_bytes")
        let encoded = bytes.withUnsafeBytes { input in
            [UInt8](unsafeUninitializedCapacity: Base64.encodedLength(bytes.count) ?? 0) { out, n in
                n = Base64.encode(input, into: UnsafeMutableRawBufferPointer(out), simd: false)
            }
        }
        let want = "data:image/png;base64," + String(decoding: encoded, as: UTF8.self)
        #expect(file.uriLength == want.utf8.count)
        for piece in [1, 2, 3, 4, 5, 6, 7, 33, 100, 1000, 1001, 4099, 5000] {
            var out: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: piece)
            while out.count < file.uriLength {
                let n = try buf.withUnsafeMutableBytes { try file.read(at: out.count, into: $0) }
                #expect(n > 0)
                if n == 0 { break }
                out += buf.prefix(n)
            }
            #expect(String(decoding: out, as: UTF8.self) == want)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ImageTests {
    @Test func checksumsMatchKnownValues() {
        #expect(Images.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(Images.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    }

    @Test func pngOfPixels() throws {
        let pixels: [UInt8] = [1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0] // 2×2 RGB, stride 8
        let png = try pixels.withUnsafeBytes {
            try Images.png(pixels: $0, width: 2, height: 2, stride: 8, format: .rgb8)
        }
        let info = try png.withUnsafeBytes { try ImageHeader.info($0) }
        #expect(info.type == .png && info.width == 2 && info.height == 2)
        // The stored deflate block holds the filtered rows as they are.
        let rows: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 0, 7, 8, 9, 10, 11, 12]
        #expect(png.firstRange(of: rows) != nil)
    }

    @Test func sniffing() {
        func sniff(_ b: [UInt8]) -> MediaType? { b.withUnsafeBytes { MediaType.sniff($0) } }
        #expect(sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(sniff(Array("GIF87a".utf8)) == .gif)
        #expect(sniff(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .webp)
        #expect(sniff([0, 0, 0, 0x1C] + Array("ftypavif".utf8) + [0, 0, 0, 0] + Array("avifmif1".utf8)) == .avif)
        #expect(sniff([0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8)) == .heic)
        #expect(sniff([0, 0, 0, 0x14] + Array("ftypqt  ".utf8) + [0, 0, 0, 0] + Array("qt  ".utf8)) == .quicktime)
        #expect(sniff([0x1A, 0x45, 0xDF, 0xA3] + Array("....webm".utf8)) == .webm)
        #expect(sniff([0x49, 0x49, 0x2A, 0x00]) == .tiff)
        #expect(sniff(Array("hello".utf8)) == nil)
        #expect(sniff([]) == nil)
    }

    @Test func tokens() {
        #expect(VisionTokens.count(width: 640, height: 480) == 300)
        #expect(VisionTokens.count(width: 80, height: 80) == 64)
        #expect(VisionTokens.count(width: 80, height: 80, minPixels: 4096) == 4)
        #expect(VisionTokens.count(width: 10_000, height: 10_000) == 16_384)
        #expect(VisionTokens.count(width: Int.max, height: 1) == nil)
        #expect(VisionTokens.count(width: 201, height: 1) == nil)
        #expect(VisionTokens.count(width: 10, height: 10, minPixels: 0) == nil)
    }

    /// Every row of the table scripts/gen_image_tokens.py made with transformers' own smart_resize.
    @Test func tokensMatchTransformers() throws {
        let path = #filePath.split(separator: "/").dropLast(2).joined(separator: "/") + "/data/image_tokens.tsv"
        let f = try #require(fopen("/" + path, "r"))
        defer { fclose(f) }
        var rows = 0, wrong: [String] = []
        var line: UnsafeMutablePointer<CChar>?
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0, let l = line {
            let fields = String(cString: l).split(whereSeparator: { $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
            guard fields.count == 5 else { continue }
            rows += 1
            let got =
                VisionTokens.count(width: fields[0], height: fields[1], minPixels: fields[2], maxPixels: fields[3])
                ?? -1
            if got != fields[4] && wrong.count < 10 { wrong.append("\(fields): \(got)") }
        }
        #expect(rows > 4000)
        #expect(wrong.isEmpty, "differ from transformers: \(wrong)")
    }

    /// Python's int / int: exact, then one rounding. Past 2^53, Double(a) / Double(b) rounds three
    /// times and can be one bit off (values from Python).
    @Test func integerQuotientRoundsOnce() {
        #expect(VisionTokens.quotient(1, 3) == 1.0 / 3.0)
        #expect(VisionTokens.quotient(3_944_103_319_811_185_177, 1_052_415_274_840) == 3747668.2580560343)
        #expect(VisionTokens.quotient(1_667_438_003_399_637_586, 431_444_118_714_651_563) == 3.864783250185982)
        #expect(VisionTokens.quotient(325_825_277_789_635_669, 4_435_733_795_651_820_009) == 0.07345465097770965)
        #expect(VisionTokens.quotient(Int.max, 1) == 9_223_372_036_854_775_808.0)
    }

    @Test func groundingItems() {
        let items = Grounding.parse(
            #"```json\n[{"bbox_2d": [0, 0, 500, 500], "label": "a"}]\n```"#, width: 100, height: 50)
        #expect(items?.first?.shape == .box(x1: 0, y1: 0, x2: 50, y2: 25))
        #expect(items?.first?.label == "a")
        let escaped = Grounding.parse(
            #"[{"point_2d": [0, 0], "lab\u0065l": "caf\u00e9 \"\ud83d\ude00\"\n"},"#
                + #" {"point_2d": [0, 0], "label": null, "text_content": "t"}, {"point_2d": [0, 0], "label": 1}]"#,
            width: 1, height: 1)
        #expect(escaped?.map(\.label) == ["café \"😀\"\n", "t", ""])
        #expect(escaped?.first?.json == #"{"point_2d": [0,0],"lab\u0065l": "caf\u00e9 \"\ud83d\ude00\"\n"}"#)
        #expect(Grounding.parse("[[[[[[", width: 1, height: 1) == [])
        #expect(Grounding.parse("x", width: 0, height: 1) == nil)
    }
}

@Suite struct GroundingTests {
    /// The spans the scanner finds in `text`.
    private func spans(_ text: String) -> [Range<Int>] {
        var text = text
        return text.withUTF8 { JSONSpans.find($0) }
    }

    private func janssonAccepts(_ text: String) -> Bool {
        var err = json_error_t()
        let bytes = Array(text.utf8)
        guard
            let v = bytes.withUnsafeBytes({
                json_loadb($0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count, Int(JSON_ALLOW_NUL), &err)
            })
        else {
            return false
        }
        json_decref(v)
        return true
    }

    /// Random JSON, valid or nearly so, with the corners of jansson's grammar: numbers at the edges
    /// of their ranges, surrogates, NULs, bad escapes, control characters, bare words.
    @Test func scannerAcceptsExactlyWhatJanssonAccepts() {
        let scalars = [
            "0", "-0", "01", "-", "1.5", "1.", ".5", "1e5", "1E+5", "1e", "2e-400", "1e400", "-1e400",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
            "true", "truex", "nul", "null", "false", "True", #""a""#, #""\u0000""#, #""\ud800""#,
            #""\ud800\udc00""#, #""\udc00""#, #""\ud800\u0041""#, #""\x""#, #""\/\b\f\n\r\t""#,
            "\"\u{1}\"", "\"\u{7F}é\"", #""\u00e9""#, #""\uGHIJ""#, "x",
        ]
        let keys = [#""k""#, #""\u0000""#, #""a\u0000b""#, #""bbox_2d""#, #""é""#, "k", #""\q""#]
        let noise = ["", " ", "\t", "\n", ",", ":", "[", "]", "{", "}", "\"", "x"]
        var rng = SplitMix(seed: 42)
        func value(_ depth: Int) -> String {
            switch rng.below(depth > 3 ? 1 : 4) {
            case 0: return scalars[rng.below(scalars.count)]
            case 1: return "[" + (0..<rng.below(4)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            default:
                return "{"
                    + (0..<rng.below(4)).map { _ in keys[rng.below(keys.count)] + ":" + value(depth + 1) }
                    .joined(separator: ", ") + "}"
            }
        }
        var mismatches: [String] = []
        for _ in 0..<20_000 {
            var v = Array(value(0))
            for _ in 0..<rng.below(3) where !v.isEmpty { // a few mutations
                let at = rng.below(v.count)
                v.insert(contentsOf: noise[rng.below(noise.count)], at: at)
                if rng.below(2) == 0 { v.remove(at: rng.below(v.count)) }
            }
            // After a complete object with an item key, so that the scanner reports the whole span.
            let text = #"[{"bbox_2d":1},"# + String(v) + "]"
            let whole = spans(text) == [0..<text.utf8.count]
            if whole != janssonAccepts(text) && mismatches.count < 10 { mismatches.append(text) }
        }
        #expect(mismatches.isEmpty, "scanner and jansson disagree on \(mismatches)")
    }

    @Test func nestingAsDeepAsJanssonGoes() {
        for depth in [JSONSpans.maxDepth - 2, JSONSpans.maxDepth - 1, JSONSpans.maxDepth, JSONSpans.maxDepth + 1] {
            let object = #"{"bbox_2d":[1,2,3,4]}"#
            for inner in [object, "[]", "1", #""s""#] {
                let text =
                    String(repeating: "[", count: depth - 1) + #"{"point_2d":[1,2]},"# + inner
                    + String(repeating: "]", count: depth - 1)
                #expect((spans(text) == [0..<text.utf8.count]) == janssonAccepts(text), "depth \(depth), \(inner)")
            }
        }
    }

    @Test func keptWhereTheJSONBreaksOff() {
        let text =
            #"Here: [{"bbox_2d": [100, 200, 300, 400], "label": "a"}, {"point_2d": [5"#
            + #" and {"b": {"point_2d": [500, 500]}} [x {"bbox\u005f2d": [0, 0, 1000, 1000]}"#
        let items = Grounding.parse(text, width: 10, height: 10) ?? []
        #expect(
            items.map(\.shape) == [
                .box(x1: 1, y1: 2, x2: 3, y2: 4), .point(x: 5, y: 5), .box(x1: 0, y1: 0, x2: 10, y2: 10),
            ])
    }

    /// int(v / 1000 * size), as Qwen's cookbooks compute it.
    @Test func pixelsTruncateInFloatingPoint() {
        #expect(Grounding.pixel(15, 640) == 9) // 9.6
        #expect(Grounding.pixel(290, 100) == 28) // 28.999999999999996
        #expect(Grounding.pixel(999, 1080) == 1078)
        #expect(Grounding.pixel(1000, 1080) == 1080)
        #expect(Grounding.pixel(-3, 100) == 0 && Grounding.pixel(1200, 100) == 100)
    }
}

/// A small deterministic generator, so that a failure repeats.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

@Suite struct MediaOptionTests {
    /// Frame lists go out as image_url parts unless asked otherwise, whatever the server.
    @Test func framesAsImagesByDefault() throws {
        for base in ["https://api.aimlapi.com/v1", "http://127.0.0.1:8000/v1", "https://example.com/v1"] {
            let opts = try ClientOptions.parse(json: #"{"base_url": "\#(base)"}"#, environment: { _ in nil })
            #expect(opts.mediaPolicy.framesAsImages)
        }
        let native = try ClientOptions.parse(json: #"{"video_frames_as_images": false}"#, environment: { _ in nil })
        #expect(!native.mediaPolicy.framesAsImages)
    }
}
