import CQwen3VLShims

/// Standard base64 (RFC 4648 §4, with padding), written straight into caller-provided memory so that
/// large images are encoded piece by piece without a whole copy.
enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The two characters of every 12-bit value, so that three input bytes take two lookups.
    static let pairs: [UInt16] = (0..<4096).map { v in
        UInt16(alphabet[v >> 6]) | UInt16(alphabet[v & 63]) << 8 // little-endian: first char in the low byte
    }

    /// Length of the encoding of `n` bytes, or nil if it would not fit in an Int.
    static func encodedLength(_ n: Int) -> Int? {
        guard n >= 0 else { return nil }
        let (groups, o) = (n / 3 + (n % 3 == 0 ? 0 : 1)).multipliedReportingOverflow(by: 4)
        return o ? nil : groups
    }

    /// Whether ``encode(_:into:simd:)`` hands the bulk of its input to the AVX2 encoder (in
    /// CQwen3VLShims); decided once, from the CPU.
    static let avx2 = q3v_cpu_has_avx2() != 0

    /// Encodes `input` into `output`, which must hold `encodedLength(input.count)` bytes: with AVX2
    /// where `simd` (and the CPU has it), with 12-bit pair tables for the rest. Returns the number
    /// of bytes written.
    ///
    /// `input` may lie inside `output`, at its end (starting `encodedLength(input.count) -
    /// input.count` bytes in, or later): both encoders write each step's characters only over
    /// bytes already read, so a file read into the end of a buffer is encoded in place.
    @discardableResult
    static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, simd: Bool = avx2)
        -> Int
    {
        guard let need = encodedLength(input.count), output.count >= need, need > 0,
            let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self),
            let dst = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else { return 0 }
        let n = input.count
        var i = 0
        if simd && avx2 {
            i = q3v_base64_encode_avx2(src, n, UnsafeMutableRawPointer(dst).assumingMemoryBound(to: CChar.self))
        }
        let out = UnsafeMutableRawPointer(dst)
        return alphabet.withUnsafeBufferPointer { table -> Int in
            pairs.withUnsafeBufferPointer { pairTable -> Int in
                guard let t = table.baseAddress, let pt = pairTable.baseAddress else { return 0 }
                var o = i / 3 * 4
                while i + 3 <= n {
                    let v = Int(src[i]) << 16 | Int(src[i + 1]) << 8 | Int(src[i + 2])
                    out.storeBytes(of: pt[v >> 12], toByteOffset: o, as: UInt16.self)
                    out.storeBytes(of: pt[v & 0xFFF], toByteOffset: o + 2, as: UInt16.self)
                    i += 3
                    o += 4
                }
                let rest = n - i
                if rest > 0 {
                    let b1 = rest > 1 ? UInt32(src[i + 1]) : 0
                    let v = UInt32(src[i]) << 16 | b1 << 8
                    dst[o] = t[Int(v >> 18)]
                    dst[o + 1] = t[Int((v >> 12) & 63)]
                    dst[o + 2] = rest > 1 ? t[Int((v >> 6) & 63)] : UInt8(ascii: "=")
                    dst[o + 3] = UInt8(ascii: "=")
                    o += 4
                }
                return o
            }
        }
    }

    /// Base64 text of `bytes`, for small things (tests, the Swift API).
    static func encode(_ bytes: [UInt8]) -> String {
        guard let n = encodedLength(bytes.count), n > 0 else { return "" }
        return String(unsafeUninitializedCapacity: n) { out in
            bytes.withUnsafeBytes { encode($0, into: UnsafeMutableRawBufferPointer(out)) }
        }
    }

    /// Each byte's 6-bit value, 255 for bytes outside the alphabet.
    static let values: [UInt8] = (0..<256).map { c in UInt8(alphabet.firstIndex(of: UInt8(c)) ?? 255) }

    /// Decodes standard padded base64 into `output`, which must hold `text.count / 4 * 3` bytes.
    /// Returns the number of bytes written, or nil if `text` is not exactly that.
    static func decode(_ text: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        let n = text.count
        guard n % 4 == 0, output.count >= n / 4 * 3 else { return nil }
        return values.withUnsafeBufferPointer { table -> Int? in
            var o = 0, i = 0
            while i < n {
                var acc: UInt32 = 0, pad = 0
                for k in 0..<4 {
                    let c = text[i + k]
                    if c == UInt8(ascii: "=") {
                        // Only the last group may end in padding, one or two characters of it.
                        guard i + 4 == n, k >= 2 else { return nil }
                        pad += 1
                        continue
                    }
                    let v = table[Int(c)]
                    guard v < 64, pad == 0 else { return nil }
                    acc |= UInt32(v) << (18 - 6 * k)
                }
                for k in 0..<(3 - pad) { output[o + k] = UInt8(truncatingIfNeeded: acc >> (16 - 8 * k)) }
                o += 3 - pad
                i += 4
            }
            return o
        }
    }

    /// Decodes standard padded base64; nil if it is not exactly that.
    static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        let text = Array(text)
        var out = [UInt8](repeating: 0, count: text.count / 4 * 3)
        let n = text.withUnsafeBytes { t in out.withUnsafeMutableBytes { decode(t, into: $0) } }
        guard let n else { return nil }
        out.removeSubrange(n...)
        return out
    }

    /// True if `text` is well-formed padded base64 (checked without decoding into memory).
    static func isWellFormed(_ text: UnsafeRawBufferPointer) -> Bool {
        let n = text.count
        guard n > 0, n % 4 == 0 else { return false }
        var pad = 0
        for i in 0..<n {
            let c = text[i]
            let ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 43 || c == 47
            if c == UInt8(ascii: "=") {
                guard i >= n - 2 else { return false }
                pad += 1
            } else if !ok || pad > 0 {
                return false
            }
        }
        return true
    }
}
