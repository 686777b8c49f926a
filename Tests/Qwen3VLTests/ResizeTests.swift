import Testing

@testable import Qwen3VL

/// The parts of the client-side resize that need no codec; Tests/resize/test_resize.py runs the
/// whole of it against Pillow.
@Suite struct ResizeTests {
    /// Over a grid of sizes and limits: the size sent is never larger than the original, and the
    /// processor keeps it as it is, counting the tokens it counts for the original.
    @Test func targetKeepsTheTokens() {
        var settings = ResizeSettings()
        settings.mode = .model
        var resized = 0
        for (low, high) in [
            (VisionTokens.defaultMinPixels, VisionTokens.defaultMaxPixels), (4 * 32 * 32, 1280 * 32 * 32),
        ] {
            settings.minPixels = low
            settings.maxPixels = high
            for w in stride(from: 1, through: 9000, by: 173) {
                for h in stride(from: 1, through: 9000, by: 211) {
                    guard let t = settings.target(width: w, height: h) else { continue }
                    resized += 1
                    #expect(t.width * t.height < w * h)
                    #expect(
                        VisionTokens.resized(width: t.width, height: t.height, minPixels: low, maxPixels: high)! == t)
                    #expect(
                        VisionTokens.count(width: t.width, height: t.height, minPixels: low, maxPixels: high)
                            == VisionTokens.count(width: w, height: h, minPixels: low, maxPixels: high))
                }
            }
        }
        #expect(resized > 1000)
        settings = ResizeSettings()
        #expect(settings.target(width: 8000, height: 6000) == nil) // off
        settings.mode = .maxPixels(1 << 20)
        #expect(settings.target(width: 4032, height: 3024).map { [$0.width, $0.height] } == [1152, 864])
        #expect(settings.target(width: 200, height: 100) == nil) // the processor would scale it up
        settings.mode = .model
        #expect(settings.target(width: 4032, height: 3024).map { [$0.width, $0.height] } == [4032, 3008])
        #expect(settings.target(width: 4000, height: 3000) == nil) // 4000 x 3008: more pixels, not fewer
    }

    /// Budgets at, near and far above min_pixels, over a grid of sizes: what is sent is never
    /// larger than the original, is a size the processor keeps (its tokens are its pixels / 1024),
    /// holds between min_pixels and the budget, and is smart_resize's own size under the budget
    /// whenever that size is one the processor keeps. Then a table of odd sizes.
    @Test func budgetHoldsNearMinPixels() {
        var settings = ResizeSettings()
        var fitted = 0
        for (low, budgets) in [
            (VisionTokens.defaultMinPixels, [65536, 65537, 66000, 70000, 73728, 80000, 1 << 20]),
            (4096, [4096, 4097, 5119, 6144, 12000]),
        ] {
            settings.minPixels = low
            for budget in budgets {
                settings.mode = .maxPixels(budget)
                for w in stride(from: 1, through: 9000, by: 157) {
                    for h in stride(from: 1, through: 9000, by: 193) {
                        guard let t = settings.target(width: w, height: h) else {
                            // Unchanged only when the processor would not take it past the budget.
                            if let r = VisionTokens.resized(width: w, height: h, minPixels: low) {
                                #expect(r.width * r.height <= budget || w * h <= r.width * r.height)
                            }
                            continue
                        }
                        #expect(t.width * t.height < w * h)
                        #expect((low...budget).contains(t.width * t.height))
                        #expect(VisionTokens.resized(width: t.width, height: t.height, minPixels: low)! == t)
                        #expect(
                            VisionTokens.count(width: t.width, height: t.height, minPixels: low)
                                == t.width * t.height / 1024)
                        let own = VisionTokens.resized(width: w, height: h, minPixels: low, maxPixels: budget)!
                        if (low...budget).contains(own.width * own.height) { #expect(t == own) } else { fitted += 1 }
                    }
                }
            }
        }
        #expect(fitted > 100)
        // [min_pixels, budget, width, height, sent width, sent height]; 0 x 0: sent unchanged.
        for row in [
            [65536, 65536, 4032, 3024, 256, 256], [65536, 70000, 4032, 3024, 256, 256],
            [65536, 73728, 4032, 3024, 320, 224], [65536, 80000, 4032, 3024, 320, 224],
            [65536, 1 << 20, 3024, 4032, 864, 1152], [65536, 65536, 1000, 100, 1024, 64],
            [65536, 131_072, 20000, 100, 4096, 32], [65536, 65536, 250, 250, 0, 0],
            [65536, 65536, 257, 257, 256, 256], [65536, 70000, 1, 200, 0, 0],
            [65536, 100_000, 3001, 17, 0, 0], [4096, 4500, 384, 256, 64, 64],
            [4096, 4096, 97, 61, 64, 64], [4096, 6144, 384, 256, 96, 64],
        ] {
            settings.minPixels = row[0]
            settings.mode = .maxPixels(row[1])
            let t = settings.target(width: row[2], height: row[3]).map { [$0.width, $0.height] } ?? [0, 0]
            #expect(t == [row[4], row[5]], "\(row)")
        }
    }

    @Test func optionsParseAndRefuse() throws {
        let c = try ClientOptions.parse(
            json: #"{"resize": {"max_pixels": 1000000}, "min_pixels": 4096, "max_pixels": 2000000, "jpeg_quality": 75}"#
        )
        #expect(
            c.resize
                == {
                    var s = ResizeSettings(); s.mode = .maxPixels(1_000_000); s.minPixels = 4096;
                    s.maxPixels = 2_000_000; s.jpegQuality = 75; return s
                }())
        #expect(try ClientOptions.parse(json: #"{"resize": "model"}"#).resize.mode == .model)
        #expect(try ClientOptions.parse(json: nil).resize == ResizeSettings())
        #expect(try CallOptions.parse(json: #"{"resize": "off"}"#).resize == .off)
        for bad in [
            #"{"resize": "on"}"#, #"{"resize": {}}"#, #"{"resize": {"max_pixels": -1}}"#, #"{"resize": {"max": 1}}"#,
            #"{"resize": true}"#, #"{"jpeg_quality": 0}"#, #"{"min_pixels": 5, "max_pixels": 4}"#,
            #"{"resize": {"max_pixels": 65535}}"#, #"{"resize": {"max_pixels": 999}, "min_pixels": 1000}"#,
        ] {
            #expect(throws: Qwen3VLError.self) { try ClientOptions.parse(json: bad) }
        }
        #expect(throws: Qwen3VLError.self) { try CallOptions.parse(json: #"{"resize": "maybe"}"#) }
    }

    /// The orientation tag, little- and big-endian, with and without a JPEG's "Exif\0\0" label;
    /// anything malformed counts as upright.
    @Test func exifOrientation() {
        func block(_ little: Bool, _ value: UInt16, tag: UInt16 = 0x0112, type: UInt16 = 3) -> [UInt8] {
            func u16(_ v: UInt16) -> [UInt8] {
                little ? [UInt8(v & 0xFF), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xFF)]
            }
            func u32(_ v: UInt32) -> [UInt8] {
                little ? u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) : u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF))
            }
            let other = u16(0x010F) + u16(2) + u32(4) + u32(0) // Make, before the orientation
            return (little ? [0x49, 0x49] : [0x4D, 0x4D]) + u16(42) + u32(8) + u16(2) + other
                + u16(tag) + u16(type) + u32(1) + u16(value) + u16(0) + u32(0)
        }
        func parse(_ b: [UInt8]) -> Int { b.withUnsafeBytes { ExifOrientation(exif: $0).rawValue } }
        for v in UInt16(1)...8 {
            #expect(parse(block(true, v)) == Int(v))
            #expect(parse(block(false, v)) == Int(v))
            #expect(parse(Array("Exif\0\0".utf8) + block(false, v)) == Int(v))
        }
        #expect(parse(block(true, 9)) == 1)
        #expect(parse(block(true, 6, type: 4)) == 1)
        #expect(parse(block(true, 6, tag: 0x0113)) == 1)
        #expect(parse(Array(block(true, 6).prefix(20))) == 1)
        #expect(parse([]) == 1)
    }

    /// Each orientation maps the upright image's corners to the stored image's as Pillow's
    /// exif_transpose does (a 3 x 2 image; the upright one is 2 x 3 for 5 to 8).
    @Test func orientationMapping() {
        let (w, h) = (3, 2)
        let expected: [ExifOrientation: [(Int, Int)]] = [ // upright (0,0) and (1,0) come from:
            .normal: [(0, 0), (1, 0)], .mirrored: [(2, 0), (1, 0)], .rotated180: [(2, 1), (1, 1)],
            .flipped: [(0, 1), (1, 1)],
            .transposed: [(0, 0), (0, 1)], .rotated90Clockwise: [(0, 1), (0, 0)], .transversed: [(2, 1), (2, 0)],
            .rotated90CounterClockwise: [(2, 0), (2, 1)],
        ]
        for (o, corners) in expected {
            let got = [o.source(x: 0, y: 0, width: w, height: h), o.source(x: 1, y: 0, width: w, height: h)]
            #expect(got.map { [$0.x, $0.y] } == corners.map { [$0.0, $0.1] }, "\(o)")
        }
    }

    /// Pillow's coefficients: weights of each output pixel sum to 1.0 (to within rounding), stay
    /// inside the input, and widen with the reduction.
    @Test func coefficients() throws {
        for (inSize, outSize) in [(4032, 1184), (3024, 3008), (100, 120), (7, 1), (1, 5)] {
            let axis = try #require(ResampleAxis(inSize: inSize, outSize: outSize))
            for i in 0..<outSize {
                #expect(axis.first(i) >= 0 && axis.first(i) + axis.count(i) <= inSize && axis.count(i) <= axis.ksize)
                let sum = (0..<axis.count(i)).reduce(0) { $0 + Int(axis.weights[i * axis.ksize + $1]) }
                #expect(abs(sum - (1 << ResampleAxis.precisionBits)) <= axis.count(i))
            }
        }
        #expect(ResampleAxis(inSize: 4032, outSize: 1184)?.ksize == 15)
        #expect(ResampleAxis(inSize: 0, outSize: 5) == nil && ResampleAxis(inSize: 5, outSize: 1 << 25) == nil)
    }

    /// The horizontal pass (the C loop, in its AVX2 build on machines that have it) gives Pillow's
    /// sums bit for bit: checked against the sums written out here, on random rows, for reductions
    /// from about 1 to 8 and every channel count.
    @Test func horizontalPassIsPillowsSum() throws {
        var rng = SystemRandomNumberGenerator()
        for (inWidth, outWidth) in [(4032, 1152), (2016, 1152), (4032, 1856), (4032, 500), (100, 37), (9, 8), (17, 3)] {
            let axis = try #require(ResampleAxis(inSize: inWidth, outSize: outWidth))
            for channels in 1...4 {
                let row = (0..<inWidth * channels).map { _ in UInt8.random(in: 0...255, using: &rng) }
                var got: [UInt8] = []
                let resampler = try #require(
                    Resampler(
                        channels: channels, inWidth: inWidth, inHeight: 1, outWidth: outWidth, outHeight: 1,
                        verticalFirst: false,
                        emit: { got = Array(UnsafeBufferPointer(start: $0, count: outWidth * channels)) }))
                try row.withUnsafeBufferPointer { try resampler.push($0.baseAddress!) }
                var want: [UInt8] = []
                for x in 0..<outWidth {
                    for c in 0..<channels {
                        var sum: Int32 = 1 << 21
                        for t in 0..<axis.count(x) {
                            sum &+= Int32(row[(axis.first(x) + t) * channels + c]) &* axis.weights[x * axis.ksize + t]
                        }
                        want.append(UInt8(min(255, max(0, sum >> 22))))
                    }
                }
                let wrong = zip(got, want).filter { $0 != $1 }.count + abs(got.count - want.count)
                #expect(wrong == 0, "\(inWidth) -> \(outWidth), \(channels) channels: \(wrong) bytes differ")
            }
        }
    }

    @Test func base64DecodesExactlyTheWellFormed() {
        func decode(_ s: String) -> [UInt8]? { Base64.decode(Array(s.utf8)) }
        #expect(
            decode("TWFu") == Array("Man".utf8) && decode("TWE=") == Array("Ma".utf8)
                && decode("TQ==") == Array("M".utf8))
        #expect(decode("") == [])
        for bad in ["TWF", "T===", "TW=u", "TQ==TWFu", "TWF\n", "TW-_", "=TWF"] {
            #expect(decode(bad) == nil, "\(bad)")
        }
    }
}
