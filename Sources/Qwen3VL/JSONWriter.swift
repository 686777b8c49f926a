import CJansson

#if canImport(Glibc)
import Glibc
#endif

/// Compact JSON text written straight into one buffer, byte for byte what jansson's
/// `json_dumps(JSON_COMPACT)` makes of the same values (pinned by a test), without building a tree
/// of them first. Memory is asked for without trapping: once an append fails the writer is spent
/// and `finish()` gives nil.
struct JSONWriter {
    private let out = ByteBuffer()
    private var failed = false

    /// `capacity`: the bytes expected, asked for at once rather than grown towards.
    init(capacity: Int = 0) {
        if capacity > 0 && !out.reserve(capacity) { failed = true }
    }

    /// Verbatim text: punctuation, keys, literals.
    mutating func raw(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `"key":`
    mutating func key(_ name: StaticString) {
        raw("\"")
        raw(name)
        raw("\":")
    }

    /// A JSON string of UTF-8 bytes: `"` and `\` escaped, control characters as jansson writes them.
    mutating func string(_ bytes: UnsafeRawBufferPointer) {
        raw("\"")
        var start = 0
        for i in 0..<bytes.count {
            let c = bytes[i]
            guard c < 0x20 || c == 0x22 || c == 0x5C else { continue }
            append(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
            switch c {
            case 0x22: raw("\\\"")
            case 0x5C: raw("\\\\")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            default:
                let hex: StaticString = "0123456789ABCDEF"
                let digits = hex.utf8Start
                let seq: [UInt8] = [0x5C, 0x75, 0x30, 0x30, digits[Int(c >> 4)], digits[Int(c & 15)]] // \u00XX
                seq.withUnsafeBytes { append($0) }
            }
            start = i + 1
        }
        append(UnsafeRawBufferPointer(rebasing: bytes[start...]))
        raw("\"")
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { string(UnsafeRawBufferPointer($0)) }
    }

    mutating func int(_ v: Int64) {
        var digits = String(v)
        digits.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// A jansson value, as jansson writes it.
    mutating func value(_ v: UnsafeMutablePointer<json_t>) {
        guard let text = json_dumps(v, Int(JSON_COMPACT | JSON_ENCODE_ANY)) else { failed = true; return }
        append(UnsafeRawBufferPointer(start: text, count: strlen(text)))
        free(text)
    }

    /// The text written; nil if memory ran out on the way.
    func finish() -> Bytes? { failed ? nil : out.take() }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if !failed && !out.append(bytes) { failed = true }
    }
}
