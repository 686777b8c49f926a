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

    /// Longer answers are read only this far: a model's grounding answer is a few kilobytes, and
    /// trying a parse at every bracket costs time in proportion to the square of the length.
    public static let maxTextBytes = 1 << 20

    /// The items found in `text`, in order, mapped to a width×height image. Nil only when the
    /// size is not positive.
    public static func parse(_ text: String, width: Int, height: Int) -> [Item]? {
        guard width > 0, height > 0 else { return nil }
        var items: [Item] = []
        var bytes = Array(text.utf8.prefix(maxTextBytes))
        bytes.withUnsafeMutableBytes { raw in
            scan(UnsafeRawBufferPointer(raw), width: width, height: height, into: &items)
        }
        return items
    }

    /// Tries a JSON value at every '[' and '{' not inside a value already read.
    private static func scan(_ text: UnsafeRawBufferPointer, width: Int, height: Int, into items: inout [Item]) {
        guard let base = text.baseAddress?.assumingMemoryBound(to: CChar.self) else { return }
        var i = 0
        while i < text.count {
            let c = text[i]
            guard c == UInt8(ascii: "[") || c == UInt8(ascii: "{") else { i += 1; continue }
            var err = json_error_t()
            if let v = json_loadb(base + i, text.count - i, Int(JSON_DISABLE_EOF_CHECK), &err) {
                let doc = JSONDocument(owning: v)
                collect(doc.root, width: width, height: height, depth: 0, into: &items)
                i += max(1, Int(err.position))
            } else {
                i += 1
            }
        }
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

    private static func item(_ obj: JSONRef, width: Int, height: Int) -> Item? {
        let label = obj["label"]?.string ?? obj["text_content"]?.string ?? ""
        func coords(_ key: String, _ n: Int) -> [Double]? {
            guard let a = obj[key], a.kind == .array, a.count == n else { return nil }
            let xs = a.elements.compactMap { $0.number }
            return xs.count == n && xs.allSatisfy({ $0.isFinite }) ? xs : nil
        }
        func px(_ rel: Double, _ size: Int) -> Int {
            let p = (rel / 1000 * Double(size)).rounded()
            return Int(min(max(p, 0), Double(size)))
        }
        let shape: Shape
        let key: String
        if let b = coords("bbox_2d", 4) {
            let xa = px(b[0], width), ya = px(b[1], height), xb = px(b[2], width), yb = px(b[3], height)
            shape = .box(x1: min(xa, xb), y1: min(ya, yb), x2: max(xa, xb), y2: max(ya, yb))
            key = "bbox_2d"
        } else if let p = coords("point_2d", 2) {
            shape = .point(x: px(p[0], width), y: px(p[1], height))
            key = "point_2d"
        } else {
            return nil
        }
        guard let copy = json_deep_copy(obj.raw), let list = json_array() else { return nil }
        let values: [Int]
        switch shape {
        case let .box(x1, y1, x2, y2): values = [x1, y1, x2, y2]
        case let .point(x, y): values = [x, y]
        }
        for n in values { _ = json_array_append_new(list, json_integer(json_int_t(n))) }
        _ = json_object_set_new(copy, key, list)
        let doc = JSONDocument(owning: copy)
        return Item(label: label, shape: shape, json: doc.root.dump() ?? "{}")
    }

    /// The items as a JSON array text, as `qwen3vl_grounding_parse` returns them.
    public static func json(_ items: [Item]) -> String {
        "[" + items.map(\.json).joined(separator: ",") + "]"
    }
}
