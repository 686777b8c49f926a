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

    /// A string's bytes as jansson holds them (NULs included), valid while the value is.
    var stringBytes: UnsafeRawBufferPointer? {
        guard kind == .string, let p = json_string_value(raw) else { return nil }
        return UnsafeRawBufferPointer(start: p, count: json_string_length(raw))
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
    func dump() -> String? { dumpBytes()?.string }

    /// The same, in jansson's own buffer (no copy, and no trap when memory is short).
    func dumpBytes() -> Bytes? {
        json_dumps(raw, Int(JSON_COMPACT | JSON_ENCODE_ANY)).map { Bytes.adopting($0) }
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

    /// Parses bytes as JSON. The error says what and where, in jansson's words. "\u0000" in
    /// strings is valid JSON and accepted: readers take strings with their length.
    static func parse(_ bytes: UnsafeRawBufferPointer, rejectDuplicates: Bool = false) -> Result<
        JSONDocument, ParseError
    > {
        var err = json_error_t()
        let flags = Int(JSON_ALLOW_NUL) | (rejectDuplicates ? Int(JSON_REJECT_DUPLICATES) : 0)
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        guard let base, bytes.count > 0 else { return .failure(ParseError(text: "empty input", line: 1, column: 0)) }
        // jansson keeps going after a failed allocation inside a string, retrying for every byte
        // that follows (minutes for tens of MB). At its peak it holds a token's text in a buffer
        // grown by doubling (up to twice the input) and the decoded value (up to the input) at
        // once, so a large input is only handed over if both could be had together.
        if bytes.count > 1 << 20 {
            let (twice, o) = bytes.count.multipliedReportingOverflow(by: 2)
            let text = o ? nil : malloc(twice)
            let value = text == nil ? nil : malloc(bytes.count)
            free(text)
            free(value)
            guard value != nil else {
                return .failure(ParseError(text: "out of memory", line: 1, column: 0, outOfMemory: true))
            }
        }
        guard let v = json_loadb(base, bytes.count, flags, &err) else {
            let text = withUnsafeBytes(of: &err.text) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            return .failure(
                ParseError(
                    text: text, line: Int(err.line), column: Int(err.column),
                    outOfMemory: Self.failedForMemory(&err, size: bytes.count)))
        }
        return .success(JSONDocument(owning: v))
    }

    static func parse(_ text: String, rejectDuplicates: Bool = false) -> Result<JSONDocument, ParseError> {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0), rejectDuplicates: rejectDuplicates) }
    }

    /// Whether a failed parse was jansson running out of memory. It says so for most allocations,
    /// but a string it cannot allocate comes back as "invalid token"; then, if a block as large as
    /// the input cannot be had either, memory is the likelier cause than the text.
    private static func failedForMemory(_ err: inout json_error_t, size: Int) -> Bool {
        let code = withUnsafeBytes(of: &err.text) { $0.last ?? 0 } // json_error_code(): the text's last byte
        if code == UInt8(json_error_out_of_memory.rawValue) { return true }
        guard code == UInt8(json_error_invalid_syntax.rawValue) || code == UInt8(json_error_invalid_format.rawValue)
        else { return false }
        guard let probe = malloc(max(1, size)) else { return true }
        free(probe)
        return false
    }

    struct ParseError: Error {
        var text: String
        var line: Int
        var column: Int
        /// jansson ran out of memory: not the input's fault.
        var outOfMemory = false
        var description: String { outOfMemory ? "out of memory" : "\(text) (line \(line), column \(column))" }
    }
}

/// Builds JSON values to hand to jansson; each call returns a new reference or nil on out-of-memory.
enum JSONBuild {
    static func string(_ s: String) -> UnsafeMutablePointer<json_t>? {
        var s = s
        return s.withUTF8 { string(UnsafeRawBufferPointer($0)) }
    }

    /// UTF-8 bytes, NULs allowed.
    static func string(_ bytes: UnsafeRawBufferPointer) -> UnsafeMutablePointer<json_t>? {
        guard let base = bytes.baseAddress else { return json_string("") }
        return json_stringn(base.assumingMemoryBound(to: CChar.self), bytes.count)
    }
}

extension JSONRef {
    /// Each member of an object with its key's bytes, in document order, with no lookup by name:
    /// cheaper than asking for keys one by one when many are wanted. Nothing for a non-object.
    func forEachMember(_ body: (_ key: UnsafeRawBufferPointer, _ value: JSONRef) -> Void) {
        var it = json_object_iter(raw)
        while let i = it {
            if let k = json_object_iter_key(i), let v = json_object_iter_value(i) {
                body(UnsafeRawBufferPointer(start: k, count: json_object_iter_key_len(i)), JSONRef(raw: v))
            }
            it = json_object_iter_next(raw, i)
        }
    }
}

/// Whether `key` (a member's key, as ``JSONRef/forEachMember(_:)`` gives it) is `name`.
func isKey(_ key: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
    guard key.count == name.utf8CodeUnitCount else { return false }
    guard let p = key.baseAddress else { return key.isEmpty }
    return memcmp(p, name.utf8Start, key.count) == 0
}
