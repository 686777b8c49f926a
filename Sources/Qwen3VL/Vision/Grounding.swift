import CJansson
import CQwen3VLShims

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
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            for span in JSONSpans.find(bytes) {
                var err = json_error_t()
                // The scanner accepted the span as jansson would, so this fails only without memory.
                guard let v = base.withMemoryRebound(to: CChar.self, capacity: bytes.count, {
                    json_loadb($0 + span.lowerBound, span.count, Int(JSON_ALLOW_NUL), &err)
                }) else { continue }
                let doc = JSONDocument(owning: v)
                withExtendedLifetime(doc) { collect(doc.root, width: width, height: height, depth: 0, into: &items) }
            }
        }
        return items
    }

    private static func collect(_ v: JSONRef, width: Int, height: Int, depth: Int, into items: inout [Item]) {
        guard depth < 8 else { return }
        switch v.kind {
        case .array:
            for e in v.elements { collect(e, width: width, height: height, depth: depth + 1, into: &items) }
        case .object:
            if let item = item(v, width: width, height: height) {
                items.append(item)
            } else {
                for (_, m) in v.members { collect(m, width: width, height: height, depth: depth + 1, into: &items) }
            }
        default:
            return
        }
    }

    /// A 0–1000 coordinate in pixels, computed as Qwen's own cookbooks do, `int(v / 1000 * size)`:
    /// in floating point in that order, truncated (so 290 on a 100 px side is 28); then clamped.
    static func pixel(_ rel: Double, _ size: Int) -> Int {
        let p = (rel / 1000 * Double(size)).rounded(.towardZero)
        return Int(min(max(p, 0), Double(size)))
    }

    private static func item(_ obj: JSONRef, width: Int, height: Int) -> Item? {
        let label = obj["label"]?.string ?? obj["text_content"]?.string ?? ""
        func coords(_ key: String, _ n: Int) -> [Double]? {
            guard let a = obj[key], a.kind == .array, a.count == n else { return nil }
            let xs = a.elements.compactMap { $0.number }
            return xs.count == n && xs.allSatisfy({ $0.isFinite }) ? xs : nil
        }
        let shape: Shape
        let key: String
        if let b = coords("bbox_2d", 4) {
            let xa = pixel(b[0], width), ya = pixel(b[1], height), xb = pixel(b[2], width), yb = pixel(b[3], height)
            shape = .box(x1: min(xa, xb), y1: min(ya, yb), x2: max(xa, xb), y2: max(ya, yb))
            key = "bbox_2d"
        } else if let p = coords("point_2d", 2) {
            shape = .point(x: pixel(p[0], width), y: pixel(p[1], height))
            key = "point_2d"
        } else {
            return nil
        }
        guard let list = json_array() else { return nil }
        let values: [Int]
        switch shape {
        case let .box(x1, y1, x2, y2): values = [x1, y1, x2, y2]
        case let .point(x, y): values = [x, y]
        }
        for n in values { _ = json_array_append_new(list, json_integer(json_int_t(n))) }
        // In place: the parsed answer is ours, and an item's insides are not searched further.
        _ = json_object_set_new(obj.raw, key, list)
        return Item(label: label, shape: shape, json: obj.dump() ?? "{}")
    }

    /// The items as a JSON array text, as `qwen3vl_grounding_parse` returns them.
    public static func json(_ items: [Item]) -> String {
        "[" + items.map(\.json).joined(separator: ",") + "]"
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
                      expect == .commaOrClose || expect == (closesObject ? .keyOrClose : .valueOrClose) else {
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
                        if key.contains(UInt8(ascii: "\\")) || Self.itemKeys.contains(where: { key.elementsEqual($0) }) {
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
                          let low = hex4(t, i + 8), (0xDC00...0xDFFF).contains(low) else { return .failure(Bad(position: i)) }
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

    private static func hex4(_ t: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int? {
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
        func isLetter(_ k: Int) -> Bool { k < t.count && ((t[k] | 0x20) >= UInt8(ascii: "a") && (t[k] | 0x20) <= UInt8(ascii: "z")) }
        for word in ["true", "false", "null"] where t[start] == word.utf8.first {
            // jansson reads a whole run of letters as one word.
            var end = start
            while isLetter(end) { end += 1 }
            return t[start..<end].elementsEqual(word.utf8) ? end : nil
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
        let text = String(decoding: UnsafeBufferPointer(rebasing: t[start..<i]), as: UTF8.self)
        if isReal {
            guard let d = Double(text), d.isFinite else { return nil }
        } else {
            guard Int64(text) != nil else { return nil }
        }
        return i
    }
}
