#if canImport(Glibc)
import Glibc
#endif

/// The API key, held in one malloc'd buffer that is wiped when the client goes, rather than in
/// Swift strings whose copies cannot be found and cleared. (libcurl keeps its own copy per
/// connection, freed with the connection.)
final class SecretKey: @unchecked Sendable {
    let cString: UnsafeMutablePointer<CChar>
    let count: Int

    init?(_ key: String?) {
        guard let key, !key.isEmpty, let p = strdup(key) else { return nil }
        cString = p
        count = strlen(p)
    }

    deinit {
        explicit_bzero(cString, count)
        free(cString)
    }

    /// `text` with every occurrence of the key replaced by "[redacted]"; keys shorter than 4 bytes
    /// are not looked for (they would match ordinary words).
    func redact(_ text: String) -> String {
        guard count >= 4, text.utf8.count >= count else { return text }
        let key = UnsafeRawBufferPointer(start: cString, count: count)
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0, found = false
        while i < bytes.count {
            if i + count <= bytes.count, bytes[i] == key[0], bytes[i..<(i + count)].elementsEqual(key) {
                out += Array("[redacted]".utf8)
                i += count
                found = true
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return found ? String(decoding: out, as: UTF8.self) : text
    }
}
