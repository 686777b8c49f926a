#if canImport(Glibc)
import Glibc
#endif

/// Text or JSON the library hands out: `count` bytes in malloc'd memory followed by a NUL, so C can
/// take it as a string while the length still covers text that itself contains NULs (valid JSON can
/// carry "\u0000"). Made only by fallible allocation: a reply too large for the memory left becomes
/// "out of memory", never a trap. Immutable once made.
public final class Bytes: @unchecked Sendable {
    /// `count` bytes and a NUL.
    public let base: UnsafePointer<CChar>
    public let count: Int
    private let owned: Bool

    private init(base: UnsafePointer<CChar>, count: Int, owned: Bool) {
        self.base = base
        self.count = count
        self.owned = owned
    }

    deinit { if owned { free(UnsafeMutableRawPointer(mutating: base)) } }

    /// "" without an allocation.
    public static let empty: Bytes = {
        let nul: StaticString = ""
        return Bytes(base: UnsafeRawPointer(nul.utf8Start).assumingMemoryBound(to: CChar.self), count: 0, owned: false)
    }()

    /// A copy of `raw`; nil when memory runs out.
    public static func copy(_ raw: UnsafeRawBufferPointer) -> Bytes? {
        guard !raw.isEmpty else { return empty }
        let (size, overflow) = raw.count.addingReportingOverflow(1)
        guard !overflow, let p = malloc(size) else { return nil }
        if let src = raw.baseAddress { p.copyMemory(from: src, byteCount: raw.count) }
        p.storeBytes(of: 0, toByteOffset: raw.count, as: UInt8.self)
        return Bytes(base: UnsafePointer(p.assumingMemoryBound(to: CChar.self)), count: raw.count, owned: true)
    }

    /// A copy of a Swift string; nil when memory runs out.
    public static func copy(_ s: String) -> Bytes? {
        var s = s
        return s.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
    }

    /// Takes over a NUL-terminated C string from malloc (json_dumps' output, say).
    static func adopting(_ p: UnsafeMutablePointer<CChar>) -> Bytes {
        adopting(p, count: strlen(p))
    }

    /// Takes over `count` bytes from malloc that a NUL follows.
    static func adopting(_ p: UnsafeMutablePointer<CChar>, count: Int) -> Bytes {
        Bytes(base: UnsafePointer(p), count: count, owned: true)
    }

    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// As a Swift string (invalid UTF-8 repaired); allocates like any String.
    public var string: String { String(decoding: buffer, as: UTF8.self) }
}

/// A growable byte buffer in malloc'd memory whose growth can fail without trapping: for anything
/// whose size the network or the caller decides (reply bodies, stream events, assembled text).
final class ByteBuffer {
    private var base: UnsafeMutableRawPointer?
    private(set) var count = 0
    private var capacity = 0

    init() {}

    deinit { free(base) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    var isEmpty: Bool { count == 0 }

    /// Makes room for `n` bytes in all (and the NUL after them); false when memory runs out.
    func reserve(_ n: Int) -> Bool {
        let (needed, o) = n.addingReportingOverflow(1)
        guard !o else { return false }
        guard needed > capacity else { return true }
        guard let grown = realloc(base, needed) else { return false }
        base = grown
        capacity = needed
        return true
    }

    /// Appends `raw`; false (and nothing appended) when memory runs out.
    @discardableResult
    func append(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard !raw.isEmpty else { return true }
        // One spare byte always, so that a NUL can follow the contents without growing.
        let (sum, o1) = count.addingReportingOverflow(raw.count)
        let (needed, o2) = sum.addingReportingOverflow(1)
        guard !o1, !o2 else { return false }
        if needed > capacity {
            let doubled = capacity > Int.max / 2 ? Int.max : capacity * 2
            let newCapacity = max(needed, doubled, 64)
            guard let grown = realloc(base, newCapacity) else { return false }
            base = grown
            capacity = newCapacity
        }
        guard let base, let src = raw.baseAddress else { return false }
        (base + count).copyMemory(from: src, byteCount: raw.count)
        count += raw.count
        return true
    }

    func append(byte: UInt8) -> Bool {
        withUnsafeBytes(of: byte) { append($0) }
    }

    /// Forgets the contents, keeping the memory.
    func removeAll() { count = 0 }

    /// The contents followed by a NUL, valid until the next change.
    func withNULTerminated<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        guard let base else {
            var zero: UInt8 = 0
            return withUnsafePointer(to: &zero) { body(UnsafeBufferPointer(start: $0, count: 0)) }
        }
        base.storeBytes(of: 0, toByteOffset: count, as: UInt8.self) // the spare byte
        return body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: count))
    }

    /// Hands the contents over as ``Bytes`` without copying, leaving this buffer empty.
    func take() -> Bytes {
        guard let p = base else { return .empty }
        let n = count
        p.storeBytes(of: 0, toByteOffset: n, as: UInt8.self)
        base = nil
        count = 0
        capacity = 0
        return Bytes.adopting(p.assumingMemoryBound(to: CChar.self), count: n)
    }
}
