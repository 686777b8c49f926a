#if canImport(Glibc)
import Glibc
#endif

/// A request body ready to send. Usually one run of bytes: the caller's own, untouched, or jansson's
/// re-serialisation when the library added something. With local images or videos it is JSON text
/// interleaved with files that are base64-encoded as the body goes out, so a 20 MiB image never
/// exists in memory as a whole, neither raw nor encoded.
final class RequestBody: @unchecked Sendable {
    enum Segment {
        case bytes(UnsafeRawBufferPointer)
        case media(MediaFile)
    }

    let segments: [Segment]
    let count: Int
    private let storage: UnsafeMutablePointer<CChar>?

    // Where reading has got to; a body belongs to one call, so to one thread at a time.
    private var segment = 0
    private var offset = 0
    /// Why reading stopped, when it failed (a file that changed under us).
    private(set) var readError: Qwen3VLError?

    /// Borrows `bytes`, which the caller keeps alive for the whole call.
    init(borrowing bytes: UnsafeRawBufferPointer) {
        segments = [.bytes(bytes)]
        count = bytes.count
        storage = nil
    }

    /// Owns `text` (from malloc) of which the segments are slices, plus the files between them.
    init(owning text: UnsafeMutablePointer<CChar>, segments: [Segment]) {
        storage = text
        self.segments = segments
        count = segments.reduce(0) { total, s in
            switch s {
            case .bytes(let b): return total + b.count
            case .media(let m): return total + m.uriLength
            }
        }
    }

    deinit {
        free(storage)
    }

    /// The whole body as one run of bytes, when it is one.
    var contiguous: UnsafeRawBufferPointer? {
        if segments.count == 1, case .bytes(let b) = segments[0] { return b }
        return nil
    }

    /// Back to the start, for another attempt or a redirect.
    func rewind() {
        segment = 0
        offset = 0
        readError = nil
    }

    /// Fills `out` with the next bytes; 0 at the end, nil on a read failure (see `readError`).
    func read(into out: UnsafeMutableRawBufferPointer) -> Int? {
        var written = 0
        while written < out.count && segment < segments.count {
            let room = UnsafeMutableRawBufferPointer(rebasing: out[written...])
            let n: Int
            switch segments[segment] {
            case .bytes(let b):
                n = min(b.count - offset, room.count)
                if n > 0, let src = b.baseAddress, let dst = room.baseAddress {
                    dst.copyMemory(from: src + offset, byteCount: n)
                }
                if offset + n >= b.count { segment += 1; offset = 0 } else { offset += n }
                written += n
                continue
            case .media(let m):
                do throws(Qwen3VLError) {
                    n = try m.read(at: offset, into: room)
                } catch {
                    readError = error
                    return nil
                }
                if offset + n >= m.uriLength {
                    segment += 1; offset = 0
                } else {
                    offset += n
                    if n == 0 { readError = Qwen3VLError(.file, "\(m.path): could not be read"); return nil }
                    // It stopped at the end of a base64 group: so does this fill, and the next starts on one.
                    if n < room.count { return written + n }
                }
            }
            written += n
        }
        return written
    }
}
