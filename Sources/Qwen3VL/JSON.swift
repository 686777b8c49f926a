import CJansson
import CQwen3VLShims
#if canImport(Glibc)
import Glibc
#endif

/// A borrowed view of a jansson value: valid only while the value that owns it is alive.
/// All reads are checked, so a value of an unexpected shape gives nil, never a trap.
struct JSONRef {
    let raw: UnsafeMutablePointer<json_t>

    enum Kind { case object, array, string, integer, real, bool, null }

    var kind: Kind {
        switch q3v_json_typeof(raw) {
        case Int32(JSON_OBJECT.rawValue): return .object
        case Int32(JSON_ARRAY.rawValue): return .array
        case Int32(JSON_STRING.rawValue): return .string
        case Int32(JSON_INTEGER.rawValue): return .integer
        case Int32(JSON_REAL.rawValue): return .real
        case Int32(JSON_TRUE.rawValue), Int32(JSON_FALSE.rawValue): return .bool
        default: return .null
        }
    }

    /// The JSON type's name as a person would say it, for error messages.
    var kindName: String {
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer: return "an integer"
        case .real: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    subscript(key: String) -> JSONRef? {
        guard kind == .object, let v = json_object_get(raw, key) else { return nil }
        return JSONRef(raw: v)
    }

    var count: Int { kind == .array ? json_array_size(raw) : (kind == .object ? json_object_size(raw) : 0) }

    /// Array elements; empty for anything that is not an array.
    var elements: [JSONRef] {
        guard kind == .array else { return [] }
        var out: [JSONRef] = []
        out.reserveCapacity(json_array_size(raw))
        for i in 0..<json_array_size(raw) {
            if let v = json_array_get(raw, i) { out.append(JSONRef(raw: v)) }
        }
        return out
    }

    /// Object members in document order; empty for anything that is not an object.
    var members: [(key: String, value: JSONRef)] {
        guard kind == .object else { return [] }
        var out: [(key: String, value: JSONRef)] = []
        var it = json_object_iter(raw)
        while let i = it {
            if let k = json_object_iter_key(i), let v = json_object_iter_value(i) {
                out.append((String(cString: k), JSONRef(raw: v)))
            }
            it = json_object_iter_next(raw, i)
        }
        return out
    }

    var string: String? {
        guard kind == .string, let p = json_string_value(raw) else { return nil }
        let n = json_string_length(raw)
        return p.withMemoryRebound(to: UInt8.self, capacity: n) {
            String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
        }
    }

    var int: Int64? { kind == .integer ? Int64(json_integer_value(raw)) : nil }

    /// Integers and reals alike, as JSON numbers are.
    var number: Double? {
        switch kind {
        case .integer, .real: return json_number_value(raw)
        default: return nil
        }
    }

    var bool: Bool? { kind == .bool ? q3v_json_typeof(raw) == Int32(JSON_TRUE.rawValue) : nil }
    var isNull: Bool { kind == .null }

    /// Compact serialisation; nil only when jansson runs out of memory.
    func dump() -> String? {
        guard let p = json_dumps(raw, Int(JSON_COMPACT | JSON_ENCODE_ANY)) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}

/// An owned jansson value, released when this object goes.
final class JSONDocument {
    let raw: UnsafeMutablePointer<json_t>
    var root: JSONRef { JSONRef(raw: raw) }

    /// Takes over a reference the caller owns.
    init(owning raw: UnsafeMutablePointer<json_t>) { self.raw = raw }

    /// Keeps a value that lives inside another document alive on its own.
    init(retaining ref: JSONRef) { raw = q3v_json_incref(ref.raw) ?? ref.raw }

    deinit { q3v_json_decref(raw) }

    /// Parses bytes as JSON. The error says what and where, in jansson's words.
    static func parse(_ bytes: UnsafeRawBufferPointer, rejectDuplicates: Bool = false) -> Result<JSONDocument, ParseError> {
        var err = json_error_t()
        let flags = rejectDuplicates ? Int(JSON_REJECT_DUPLICATES) : 0
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        guard let base, bytes.count > 0 else { return .failure(ParseError(text: "empty input", line: 1, column: 0)) }
        guard let v = json_loadb(base, bytes.count, flags, &err) else {
            let text = withUnsafeBytes(of: &err.text) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            return .failure(ParseError(text: text, line: Int(err.line), column: Int(err.column)))
        }
        return .success(JSONDocument(owning: v))
    }

    static func parse(_ text: String, rejectDuplicates: Bool = false) -> Result<JSONDocument, ParseError> {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0), rejectDuplicates: rejectDuplicates) }
    }

    struct ParseError: Error {
        var text: String
        var line: Int
        var column: Int
        var description: String { "\(text) (line \(line), column \(column))" }
    }
}

/// Builds JSON values to hand to jansson; each call returns a new reference or nil on out-of-memory.
enum JSONBuild {
    static func string(_ s: String) -> UnsafeMutablePointer<json_t>? {
        var s = s
        return s.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { chars -> UnsafeMutablePointer<json_t>? in
                guard let base = chars.baseAddress else { return json_string("") }
                return json_stringn(base, chars.count)
            }
        }
    }
}
