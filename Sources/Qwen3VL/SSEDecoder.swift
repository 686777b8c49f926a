#if canImport(Glibc)
import Glibc
#endif

/// One server-sent event: its type ("message" unless an `event:` line said otherwise) and its data,
/// the `data:` lines joined with "\n".
public struct SSEEvent: Equatable, Sendable {
    public var name: String
    public var data: [UInt8]

    public init(name: String, data: [UInt8]) {
        self.name = name
        self.data = data
    }
}

/// A completed event as the decoder hands it over without copying: its name ("message" unless an
/// `event:` line said otherwise) and its data, which is followed in memory by a NUL byte (so that
/// it can go to C as is). Valid only during the callback.
public typealias SSERawEmit = (_ name: String, _ data: UnsafeBufferPointer<UInt8>) -> Bool

/// Decodes the text/event-stream format (HTML Living Standard, "Server-sent events" §9.2.6) from
/// pieces of any size: a piece may end inside a line, between a CR and its LF, or inside a UTF-8
/// sequence. Works on bytes, so text is only decoded once an event is whole. Memory is bounded:
/// a line or an event longer than `maxEventBytes` is an error, not an ever-growing buffer.
///
/// Its buffers are sized by the network and grown without trapping: when memory runs out the
/// decoder fails with `.outOfMemory`. It holds them by reference, so a copy of a decoder shares its
/// state: use one decoder per stream, never a copy.
public struct SSEDecoder {
    public enum Failure: Error, Equatable {
        case eventTooLarge(limit: Int)
        case outOfMemory
    }

    public let maxEventBytes: Int
    private let line = ByteBuffer()
    private let data = ByteBuffer()
    private var hasData = false
    private var eventName = ""
    private var lastWasCR = false
    /// Bytes of a leading UTF-8 BOM seen so far, which may arrive split like anything else;
    /// nil once the start of the stream is behind us.
    private var bomSeen: Int? = 0
    private var failed: Failure?

    public init(maxEventBytes: Int = 8 << 20) {
        self.maxEventBytes = max(1, maxEventBytes)
    }

    /// Feeds the next piece; `emit` gets each completed event and returns false to stop early
    /// (the rest of the piece is then dropped).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (SSEEvent) -> Bool) throws(Failure) {
        try feed(bytes, raw: { name, data in emit(SSEEvent(name: name, data: Array(data))) })
    }

    /// ``finish(raw:)``, with each event copied into an ``SSEEvent``.
    public mutating func finish(emit: (SSEEvent) -> Bool) throws(Failure) {
        try finish(raw: { name, data in emit(SSEEvent(name: name, data: Array(data))) })
    }

    /// ``feed(_:emit:)`` without a copy of each event's data.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, raw emit: SSERawEmit) throws(Failure) {
        if let failed { throw failed }
        guard let base = bytes.baseAddress else { return }
        var i = 0
        let n = bytes.count
        if let seen = bomSeen {
            i = skipBOM(bytes, seen: seen)
            if let failed { throw failed }
        }
        while i < n {
            if lastWasCR {
                lastWasCR = false
                if bytes[i] == 0x0A { i += 1; continue } // the LF of a CRLF split across pieces
            }
            let end = Self.lineEnd(base, from: i, to: n)
            let (total, o) = line.count.addingReportingOverflow(end - i)
            guard !o, total <= maxEventBytes else { throw fail(.eventTooLarge(limit: maxEventBytes)) }
            let piece = UnsafeRawBufferPointer(rebasing: bytes[i..<end])
            guard end < n else { // the line goes on in the next piece
                guard line.append(piece) else { throw fail(.outOfMemory) }
                return
            }
            lastWasCR = bytes[end] == 0x0D
            i = end + 1
            let go: Bool
            if line.isEmpty { // the whole line is here: read where it lies
                go = try endLine(piece, emit)
            } else {
                guard line.append(piece) else { throw fail(.outOfMemory) }
                defer { line.removeAll() }
                go = try endLine(line.bytes, emit)
            }
            if !go { return }
        }
    }

    /// Where the line starting at `from` ends: its first LF or CR, or `to` if it has none yet.
    private static func lineEnd(_ base: UnsafeRawPointer, from: Int, to: Int) -> Int {
        let lf = memchr(base + from, 0x0A, to - from).map { UnsafeRawPointer($0) - base } ?? to
        // CR alone or before an LF ends a line too, in the part before the LF (servers rarely send it).
        return memchr(base + from, 0x0D, lf - from).map { UnsafeRawPointer($0) - base } ?? lf
    }

    /// The stream has ended: a last line without its line end, and a last event without its blank
    /// line, still count (servers do end that way).
    public mutating func finish(raw emit: SSERawEmit) throws(Failure) {
        if let failed { throw failed }
        if !line.isEmpty {
            defer { line.removeAll() }
            guard try endLine(line.bytes, emit) else { return }
        }
        _ = dispatch(emit)
    }

    /// Consumes what continues a BOM; returns where ordinary bytes start.
    private mutating func skipBOM(_ bytes: UnsafeRawBufferPointer, seen: Int) -> Int {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        var matched = seen
        var i = 0
        while matched < 3 && i < bytes.count && bytes[i] == bom[matched] { matched += 1; i += 1 }
        if matched == 3 { bomSeen = nil; return i }
        if i == bytes.count { bomSeen = matched; return i } // still possibly a BOM
        // Not a BOM after all: the bytes taken so far were text.
        bomSeen = nil
        if !bom[0..<matched].withUnsafeBytes({ line.append($0) }) { failed = .outOfMemory }
        return i
    }

    private mutating func fail(_ f: Failure) -> Failure {
        failed = f
        return f
    }

    /// Processes one whole line (without its line end); false when `emit` asked to stop.
    private mutating func endLine(_ text: UnsafeRawBufferPointer, _ emit: SSERawEmit) throws(Failure) -> Bool {
        guard let start = text.baseAddress, !text.isEmpty else { return dispatch(emit) }
        if text[0] == UInt8(ascii: ":") { return true } // comment: keep-alive
        let colon =
            memchr(start, Int32(UInt8(ascii: ":")), text.count).map { UnsafeRawPointer($0) - start } ?? text.count
        var valueStart = min(colon + 1, text.count)
        if valueStart < text.count && text[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = UnsafeRawBufferPointer(rebasing: text[valueStart...])
        if Self.isField(text, colon, "data") {
            guard data.count + value.count + 1 <= maxEventBytes else {
                throw fail(.eventTooLarge(limit: maxEventBytes))
            }
            guard (!hasData || data.append(byte: 0x0A)) && data.append(value) else { throw fail(.outOfMemory) }
            hasData = true
        } else if Self.isField(text, colon, "event") {
            eventName = String(decoding: value, as: UTF8.self)
        }
        // "id" and "retry" matter to reconnecting browsers, not to one request's reply.
        return true
    }

    /// Whether the field name (the line up to `colon`) is `name`.
    private static func isField(_ line: UnsafeRawBufferPointer, _ colon: Int, _ name: StaticString) -> Bool {
        guard colon == name.utf8CodeUnitCount, let p = line.baseAddress else { return false }
        return memcmp(p, name.utf8Start, colon) == 0
    }

    private mutating func dispatch(_ emit: SSERawEmit) -> Bool {
        defer {
            data.removeAll()
            hasData = false
            eventName = ""
        }
        guard hasData else { return true }
        return data.withNULTerminated { emit(eventName.isEmpty ? "message" : eventName, $0) }
    }
}
