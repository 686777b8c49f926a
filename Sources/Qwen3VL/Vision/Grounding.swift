/// Boxes and points from Qwen3-VL's grounding answers, such as
/// `[{"bbox_2d": [120, 45, 380, 600], "label": "cat"}, {"point_2d": [500, 320], "label": "dog"}]`,
/// whether bare, inside a ```json fence or surrounded by prose. Qwen3-VL gives coordinates relative
/// to the image on a 0–1000 scale; these are mapped to pixels of the real image, clamped to it.
public enum Grounding {
    public enum Shape: Equatable, Sendable {
        case box(x1: Int, y1: Int, x2: Int, y2: Int)
        case point(x: Int, y: Int)
    }

    public struct Item: Equatable, Sendable {
        public var label: String
        public var shape: Shape
        /// The object as the model wrote it, with bbox_2d / point_2d replaced by pixel coordinates.
        public var json: String
    }

    /// The items found in `text`, in order, mapped to a width×height image. Nil only when the
    /// size is not positive. Takes time in proportion to the text's length, whatever it holds.
    public static func parse(_ text: String, width: Int, height: Int) -> [Item]? {
        guard width > 0, height > 0 else { return nil }
        var items: [Item] = []
        var text = text
        text.withUTF8 { t in
            let one = ByteBuffer()
            ItemScan.run(t, width: width, height: height) { found in
                one.removeAll()
                let json = found.write(to: one) ? String(decoding: one.bytes, as: UTF8.self) : "{}"
                items.append(Item(label: found.label, shape: found.shape, json: json))
            }
        }
        return items
    }

    /// The items as one JSON array text, as `qwen3vl_grounding_parse` returns it: written straight
    /// from the answer's text, so a megabyte of boxes costs one pass and one buffer.
    public static func jsonArray(_ text: String, width: Int, height: Int) throws(Qwen3VLError) -> Bytes {
        guard width > 0, height > 0 else { throw Qwen3VLError(.invalidArgument, "width and height must be positive") }
        let out = ByteBuffer()
        var ok = out.append(byte: UInt8(ascii: "["))
        var text = text
        text.withUTF8 { t in
            ItemScan.run(t, width: width, height: height) { found in
                if out.count > 1 { ok = ok && out.append(byte: UInt8(ascii: ",")) }
                ok = ok && found.write(to: out)
            }
        }
        guard ok, out.append(byte: UInt8(ascii: "]")) else { throw Qwen3VLError(.internal, "out of memory") }
        return out.take()
    }

    /// A 0–1000 coordinate in pixels, computed as Qwen's own cookbooks do, `int(v / 1000 * size)`:
    /// in floating point in that order, truncated (so 290 on a 100 px side is 28); then clamped.
    static func pixel(_ rel: Double, _ size: Int) -> Int {
        let p = (rel / 1000 * Double(size)).rounded(.towardZero)
        return Int(min(max(p, 0), Double(size)))
    }
}

/// Reads the items out of the values ``JSONSpans`` found, directly from the text. The spans are
/// JSON that jansson accepts, so this only walks their structure; it reads them as jansson would
/// (escaped keys decoded, the last of a repeated key wins) without building a tree: a tree of
/// 30,000 small objects cost more than the whole budget for a megabyte of answer.
private struct ItemScan {
    /// One item: its object in the text, which member holds its coordinates, its shape in pixels.
    struct Found {
        let scan: ItemScan
        let object: Int
        let coordinatesKey: [UInt8]
        let coordinatesMember: Int
        let shape: Grounding.Shape
        let labelValue: Range<Int>?

        var label: String {
            guard let r = labelValue, let bytes = scan.decodedString(r) else { return "" }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// The object as written, with the coordinates replaced (and earlier copies of their key,
        /// which jansson would have overwritten, left out). False when memory runs out.
        func write(to out: ByteBuffer) -> Bool {
            var ok = out.append(byte: UInt8(ascii: "{"))
            var first = true
            _ = scan.members(object) { k, key, value in
                let isCoordinates = k == coordinatesMember
                if !isCoordinates && scan.keyIs(key, coordinatesKey) { return }
                if !first { ok = ok && out.append(byte: UInt8(ascii: ",")) }
                first = false
                ok = ok && scan.copy(key.lowerBound..<value.lowerBound, to: out) // the key and its colon
                ok = ok && (isCoordinates ? writeCoordinates(to: out) : scan.copy(value, to: out))
            }
            return ok && out.append(byte: UInt8(ascii: "}"))
        }

        /// `[x1,y1,x2,y2]` or `[x,y]`, written without making strings (30,000 boxes made 200,000).
        private func writeCoordinates(to out: ByteBuffer) -> Bool {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buf in
                var k = 0
                func put(_ c: UInt8) { if k < buf.count { buf[k] = c; k += 1 } }
                func put(number v: Int) {
                    let first = k
                    var m = UInt(clamping: v) // pixels are never negative
                    repeat { put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: m % 10)); m /= 10 } while m > 0
                    var (a, b) = (first, k - 1) // the digits came last first
                    while a < b { buf.swapAt(a, b); a += 1; b -= 1 }
                }
                put(UInt8(ascii: "["))
                switch shape {
                case .box(let x1, let y1, let x2, let y2):
                    for (i, v) in [x1, y1, x2, y2].enumerated() { if i > 0 { put(UInt8(ascii: ",")) }; put(number: v) }
                case .point(let x, let y):
                    put(number: x); put(UInt8(ascii: ",")); put(number: y)
                }
                put(UInt8(ascii: "]"))
                return out.append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buf)[0..<k]))
            }
        }
    }

    private static let bbox = Array("bbox_2d".utf8), point = Array("point_2d".utf8)
    private static let labelKey = Array("label".utf8), textContent = Array("text_content".utf8)
    /// How deep items are looked for, as containers nested in the outermost value.
    private static let maxDepth = 8

    let t: UnsafeBufferPointer<UInt8>
    let end: Int
    let width: Int, height: Int

    static func run(_ t: UnsafeBufferPointer<UInt8>, width: Int, height: Int, _ body: (Found) -> Void) {
        for span in JSONSpans.find(t) {
            let scan = ItemScan(t: t, end: span.upperBound, width: width, height: height)
            _ = scan.visit(span.lowerBound, depth: 0, body)
        }
    }

    /// Looks for items in the value at `i`; returns where the value ends.
    private func visit(_ i: Int, depth: Int, _ body: (Found) -> Void) -> Int {
        guard i < end, depth < Self.maxDepth else { return skipValue(i) }
        switch t[i] {
        case UInt8(ascii: "["):
            var j = ws(i + 1)
            if j < end && t[j] == UInt8(ascii: "]") { return j + 1 }
            while j < end {
                j = ws(visit(j, depth: depth + 1, body))
                guard j < end, t[j] == UInt8(ascii: ",") else { break }
                j = ws(j + 1)
            }
            return min(j + 1, end)
        case UInt8(ascii: "{"):
            let (found, objectEnd) = item(i)
            if let found {
                body(found)
                return objectEnd
            }
            return members(i) { _, _, value in _ = visit(value.lowerBound, depth: depth + 1, body) }
        default:
            return skipValue(i)
        }
    }

    /// The object at `i` as an item, if it is one: bbox_2d of 4 numbers, else point_2d of 2.
    private func item(_ i: Int) -> (Found?, end: Int) {
        var box: (Int, Range<Int>)?, pt: (Int, Range<Int>)?, label: Range<Int>?, text: Range<Int>?
        let end = members(i) { k, key, value in
            if keyIs(key, Self.bbox) {
                box = (k, value)
            } else if keyIs(key, Self.point) {
                pt = (k, value)
            } else if keyIs(key, Self.labelKey) {
                label = value
            } else if keyIs(key, Self.textContent) {
                text = value
            }
        }
        let isString = { (r: Range<Int>?) in r.map { !$0.isEmpty && t[$0.lowerBound] == UInt8(ascii: "\"") } ?? false }
        let labelValue = isString(label) ? label : isString(text) ? text : nil
        if case (let k, let r)? = box, let b = numbers(r, 4) {
            let xa = Grounding.pixel(b[0], width), ya = Grounding.pixel(b[1], height)
            let xb = Grounding.pixel(b[2], width), yb = Grounding.pixel(b[3], height)
            return (
                Found(
                    scan: self, object: i, coordinatesKey: Self.bbox, coordinatesMember: k,
                    shape: .box(x1: min(xa, xb), y1: min(ya, yb), x2: max(xa, xb), y2: max(ya, yb)),
                    labelValue: labelValue), end
            )
        }
        if case (let k, let r)? = pt, let p = numbers(r, 2) {
            return (
                Found(
                    scan: self, object: i, coordinatesKey: Self.point, coordinatesMember: k,
                    shape: .point(x: Grounding.pixel(p[0], width), y: Grounding.pixel(p[1], height)),
                    labelValue: labelValue), end
            )
        }
        return (nil, end)
    }

    /// The value at `r` as an array of exactly `n` finite numbers.
    private func numbers(_ r: Range<Int>, _ n: Int) -> [Double]? {
        guard !r.isEmpty, t[r.lowerBound] == UInt8(ascii: "[") else { return nil }
        var xs: [Double] = []
        xs.reserveCapacity(n)
        var j = ws(r.lowerBound + 1)
        while j < r.upperBound, t[j] != UInt8(ascii: "]") {
            let e = skipValue(j)
            guard xs.count < n, let x = number(j..<e) else { return nil }
            xs.append(x)
            j = ws(e)
            if j < r.upperBound && t[j] == UInt8(ascii: ",") { j = ws(j + 1) }
        }
        return xs.count == n ? xs : nil
    }

    /// A number token's value as jansson gives it: integers exactly, then as a double.
    private func number(_ r: Range<Int>) -> Double? {
        guard !r.isEmpty else { return nil }
        let c = t[r.lowerBound]
        guard c == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return nil }
        let token = UnsafeBufferPointer(rebasing: t[r])
        if !token.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
            var v: Int64 = 0
            for d in token.dropFirst(c == UInt8(ascii: "-") ? 1 : 0) {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.subtractingReportingOverflow(Int64(d &- UInt8(ascii: "0")))
                guard !o1, !o2 else { return nil }
                v = s // built negative, so Int64.min fits
            }
            if c == UInt8(ascii: "-") { return Double(v) }
            let (p, o) = (0 as Int64).subtractingReportingOverflow(v)
            return o ? nil : Double(p)
        }
        guard let d = Double(String(decoding: token, as: UTF8.self)), d.isFinite else { return nil }
        return d
    }

    /// Calls `body` with each member's index, key token and value; returns where the object at `i` ends.
    @discardableResult
    func members(_ i: Int, _ body: (Int, Range<Int>, Range<Int>) -> Void) -> Int {
        var j = ws(i + 1)
        var k = 0
        while j < end, t[j] == UInt8(ascii: "\"") {
            let keyEnd = stringEnd(j)
            var v = ws(keyEnd)
            guard v < end, t[v] == UInt8(ascii: ":") else { return end }
            v = ws(v + 1)
            let valueEnd = skipValue(v)
            body(k, j..<keyEnd, v..<valueEnd)
            k += 1
            j = ws(valueEnd)
            guard j < end, t[j] == UInt8(ascii: ",") else { break }
            j = ws(j + 1)
        }
        return min(j + 1, end)
    }

    /// Whether the key token at `r` names `name`, escapes decoded.
    func keyIs(_ r: Range<Int>, _ name: [UInt8]) -> Bool {
        let inner = UnsafeBufferPointer(rebasing: t[(r.lowerBound + 1)..<max(r.lowerBound + 1, r.upperBound - 1)])
        if inner.count == name.count && inner.elementsEqual(name) { return true }
        guard inner.count > name.count, inner.contains(UInt8(ascii: "\\")) else { return false }
        return decodedString(r) == name
    }

    /// The UTF-8 bytes of the string token at `r`, escapes decoded; nil if it is not one.
    func decodedString(_ r: Range<Int>) -> [UInt8]? {
        guard r.count >= 2, t[r.lowerBound] == UInt8(ascii: "\"") else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(r.count)
        var j = r.lowerBound + 1
        let last = r.upperBound - 1
        while j < last {
            let c = t[j]
            guard c == UInt8(ascii: "\\") else { out.append(c); j += 1; continue }
            guard j + 1 < last else { return nil }
            let e = t[j + 1]
            switch e {
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                guard var u = JSONSpans.hex4(t, j + 2).map({ UInt32($0) }) else { return nil }
                j += 6
                if (0xD800...0xDBFF).contains(u) {
                    guard j + 1 < last, t[j] == UInt8(ascii: "\\"), t[j + 1] == UInt8(ascii: "u"),
                        let low = JSONSpans.hex4(t, j + 2).map({ UInt32($0) }),
                        (0xDC00...0xDFFF).contains(low)
                    else { return nil }
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                    j += 6
                }
                guard let scalar = Unicode.Scalar(u) else { return nil }
                out.append(contentsOf: UTF8.encode(scalar).map { Array($0) } ?? [])
                continue
            default: out.append(e) // \" \\ \/
            }
            j += 2
        }
        return out
    }

    func copy(_ r: Range<Int>, to out: ByteBuffer) -> Bool {
        out.append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(t)[r]))
    }

    private func ws(_ i: Int) -> Int {
        var j = i
        while j < end {
            switch t[j] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): j += 1
            default: return j
            }
        }
        return end
    }

    /// The end of the string token whose opening quote is at `i`.
    private func stringEnd(_ i: Int) -> Int {
        var j = i + 1
        while j < end {
            switch t[j] {
            case UInt8(ascii: "\""): return j + 1
            case UInt8(ascii: "\\"): j += 2
            default: j += 1
            }
        }
        return end
    }

    /// The end of the value at `i`, nested values included, without looking inside it.
    private func skipValue(_ i: Int) -> Int {
        guard i < end else { return end }
        switch t[i] {
        case UInt8(ascii: "\""):
            return stringEnd(i)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            var depth = 0
            var j = i
            while j < end {
                switch t[j] {
                case UInt8(ascii: "\""):
                    j = stringEnd(j)
                    continue
                case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    depth -= 1
                    if depth == 0 { return j + 1 }
                default: break
                }
                j += 1
            }
            return end
        default:
            var j = i
            while j < end {
                switch t[j] {
                case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: " "), UInt8(ascii: "\t"),
                    UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                    return j
                default: j += 1
                }
            }
            return end
        }
    }
}

/// Finds the complete JSON arrays and objects in text in one left-to-right pass, so that any text
/// costs time in proportion to its length (trying a parse at every bracket costs the square of it).
/// Where JSON breaks off (prose, or an answer cut short), the values completed inside the broken
/// one are kept and the scan goes on from the break. It accepts exactly what jansson's parser
/// accepts (with JSON_ALLOW_NUL), number ranges and nesting depth included, so each span parses.
struct JSONSpans {
    /// jansson's JSON_PARSER_MAX_DEPTH: a value nested deeper fails to parse.
    static let maxDepth = 2048
    /// The keys that make an object an item.
    private static let itemKeys = [Array("bbox_2d".utf8), Array("point_2d".utf8)]

    private enum Expect { case valueOrClose, value, keyOrClose, key, colon, commaOrClose }

    private struct Open {
        let start: Int
        let isObject: Bool
        /// How many spans `done` held, and how many item keys had been seen, when this value opened.
        let mark: Int
        let keysBefore: Int
    }

    private let t: UnsafeBufferPointer<UInt8>
    private var found: [Range<Int>] = []
    /// The values open now are open[0..<depth]; the array only grows, so breaking off costs nothing.
    private var open: [Open] = []
    private var depth = 0
    /// Completed values inside values still open: kept if the open ones break, else dropped.
    private var done: [Range<Int>] = []
    private var expect = Expect.value
    /// Keys seen so far that are (or, escaped, may be) an item key. A value whose span holds none
    /// cannot hold an item and is not worth parsing.
    private var keysSeen = 0

    /// The outermost complete values that may hold an item, in order.
    static func find(_ t: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var scan = JSONSpans(t: t)
        scan.run()
        return scan.found
    }

    private init(t: UnsafeBufferPointer<UInt8>) { self.t = t }

    private mutating func run() {
        var i = 0
        while i < t.count {
            let c = t[i]
            guard depth > 0 else {
                if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { push(i) }
                i += 1
                continue
            }
            let top = open[depth - 1]
            let wantsValue = expect == .value || expect == .valueOrClose
            // A value inside `depth` containers sits at jansson's depth depth + 1.
            let roomForValue = depth < Self.maxDepth
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                i += 1
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                guard wantsValue, roomForValue else { breakOff(); continue } // this bracket may start anew
                push(i)
                i += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                let closesObject = c == UInt8(ascii: "}")
                guard top.isObject == closesObject,
                    expect == .commaOrClose || expect == (closesObject ? .keyOrClose : .valueOrClose)
                else {
                    breakOff()
                    continue
                }
                i += 1
                close(top, end: i)
            case UInt8(ascii: ","):
                guard expect == .commaOrClose else { breakOff(); continue }
                expect = top.isObject ? .key : .value
                i += 1
            case UInt8(ascii: ":"):
                guard expect == .colon else { breakOff(); continue }
                expect = .value
                i += 1
            case UInt8(ascii: "\""):
                let isKey = expect == .key || expect == .keyOrClose
                guard isKey || (wantsValue && roomForValue) else { breakOff(); continue }
                switch Self.string(t, from: i, isKey: isKey) {
                case .success(let end):
                    if isKey {
                        let key = UnsafeBufferPointer(rebasing: t[(i + 1)..<(end - 1)])
                        if key.contains(UInt8(ascii: "\\")) || Self.itemKeys.contains(where: { key.elementsEqual($0) })
                        {
                            keysSeen += 1
                        }
                        expect = .colon
                    } else {
                        expect = .commaOrClose
                    }
                    i = end
                case .failure(let at):
                    breakOff()
                    i = at.position
                }
            default:
                guard wantsValue, roomForValue, let end = Self.scalar(t, from: i) else { breakOff(); continue }
                i = end
                expect = .commaOrClose
            }
        }
        breakOff() // text that ends inside a value: an answer cut short
    }

    private mutating func push(_ at: Int) {
        let isObject = t[at] == UInt8(ascii: "{")
        let value = Open(start: at, isObject: isObject, mark: done.count, keysBefore: keysSeen)
        if depth < open.count { open[depth] = value } else { open.append(value) }
        depth += 1
        expect = isObject ? .keyOrClose : .valueOrClose
    }

    private mutating func close(_ top: Open, end: Int) {
        depth -= 1
        if done.count > top.mark { done.removeLast(done.count - top.mark) } // inside this value, which is whole
        let worthParsing = keysSeen > top.keysBefore
        if depth == 0 {
            if worthParsing { found.append(top.start..<end) }
        } else {
            if worthParsing { done.append(top.start..<end) }
            expect = .commaOrClose
        }
    }

    /// The values open so far will not be complete: keep what completed inside them.
    private mutating func breakOff() {
        if !done.isEmpty {
            found += done
            done.removeAll(keepingCapacity: true)
        }
        depth = 0
    }

    private struct Bad: Error { let position: Int }

    /// The end of the string starting with the quote at `start`, or where it goes wrong.
    private static func string(_ t: UnsafeBufferPointer<UInt8>, from start: Int, isKey: Bool) -> Result<Int, Bad> {
        var i = start + 1
        while i < t.count {
            let c = t[i]
            switch c {
            case UInt8(ascii: "\""):
                return .success(i + 1)
            case 0..<0x20:
                return .failure(Bad(position: i))
            case UInt8(ascii: "\\"):
                guard i + 1 < t.count else { return .failure(Bad(position: t.count)) }
                if t[i + 1] != UInt8(ascii: "u") {
                    guard "\"\\/bfnrt".utf8.contains(t[i + 1]) else { return .failure(Bad(position: i)) }
                    i += 2
                    continue
                }
                guard let u = hex4(t, i + 2) else { return .failure(Bad(position: i)) }
                switch u {
                case 0xD800...0xDBFF:
                    // A high surrogate must be followed by an escaped low one.
                    guard i + 7 < t.count, t[i + 6] == UInt8(ascii: "\\"), t[i + 7] == UInt8(ascii: "u"),
                        let low = hex4(t, i + 8), (0xDC00...0xDFFF).contains(low)
                    else { return .failure(Bad(position: i)) }
                    i += 12
                case 0xDC00...0xDFFF:
                    return .failure(Bad(position: i))
                case 0 where isKey:
                    return .failure(Bad(position: i)) // jansson takes NUL in values only
                default:
                    i += 6
                }
            default:
                i += 1
            }
        }
        return .failure(Bad(position: t.count))
    }

    /// The value of the four hex digits at `at`, or nil.
    static func hex4(_ t: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int? {
        guard at >= 0, at + 4 <= t.count else { return nil }
        var v = 0
        for k in at..<(at + 4) {
            let c = t[k]
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | Int(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | Int(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = v << 4 | Int(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }
        return v
    }

    /// The end of the number or literal at `start`, or nil if there is none jansson would take:
    /// integers must fit in 64 bits and reals must not overflow.
    private static func scalar(_ t: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        func isDigit(_ k: Int) -> Bool { k < t.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(t[k]) }
        func isLetter(_ k: Int) -> Bool {
            k < t.count && ((t[k] | 0x20) >= UInt8(ascii: "a") && (t[k] | 0x20) <= UInt8(ascii: "z"))
        }
        let word: StaticString? =
            switch t[start] {
            case UInt8(ascii: "t"): "true"
            case UInt8(ascii: "f"): "false"
            case UInt8(ascii: "n"): "null"
            default: nil
            }
        if let word {
            // jansson reads a whole run of letters as one word.
            var end = start
            while isLetter(end) { end += 1 }
            let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            return t[start..<end].elementsEqual(w) ? end : nil
        }
        var i = start
        if t[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { return nil }
        if t[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { return nil }
        } else {
            while isDigit(i) { i += 1 }
        }
        var isReal = false
        if i < t.count && t[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return nil }
            while isDigit(i) { i += 1 }
            isReal = true
        }
        if i < t.count && (t[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < t.count && (t[i] == UInt8(ascii: "+") || t[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else { return nil }
            while isDigit(i) { i += 1 }
            isReal = true
        }
        let token = UnsafeBufferPointer(rebasing: t[start..<i])
        if isReal {
            guard let d = Double(String(decoding: token, as: UTF8.self)), d.isFinite else { return nil }
        } else if token.count > 18 { // shorter ones always fit in 64 bits: no need to read them
            guard Int64(String(decoding: token, as: UTF8.self)) != nil else { return nil }
        }
        return i
    }
}
