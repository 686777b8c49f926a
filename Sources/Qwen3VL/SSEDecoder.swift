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
        var i = 0
        let n = bytes.count
        if let seen = bomSeen {
            i = skipBOM(bytes, seen: seen)
            if let failed { throw failed }
        }
        while i < n {
            let b = bytes[i]
            if lastWasCR {
                lastWasCR = false
                if b == 0x0A { i += 1; continue } // the LF of a CRLF split across pieces
            }
            if b == 0x0A || b == 0x0D {
                lastWasCR = b == 0x0D
                i += 1
                if !(try endLine(emit)) { return }
                continue
            }
            // Take the run of ordinary bytes up to the next line end in one append.
            var j = i + 1
            while j < n && bytes[j] != 0x0A && bytes[j] != 0x0D { j += 1 }
            guard line.count + (j - i) <= maxEventBytes else { throw fail(.eventTooLarge(limit: maxEventBytes)) }
            guard line.append(UnsafeRawBufferPointer(rebasing: bytes[i..<j])) else { throw fail(.outOfMemory) }
            i = j
        }
    }

    /// The stream has ended: a last line without its line end, and a last event without its blank
    /// line, still count (servers do end that way).
    public mutating func finish(raw emit: SSERawEmit) throws(Failure) {
        if let failed { throw failed }
        if !line.isEmpty { guard try endLine(emit) else { return } }
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

    /// Processes the line just ended; false when `emit` asked to stop.
    private mutating func endLine(_ emit: SSERawEmit) throws(Failure) -> Bool {
        defer { line.removeAll() }
        let text = line.bytes
        if text.isEmpty { return dispatch(emit) }
        if text[0] == UInt8(ascii: ":") { return true } // comment: keep-alive
        let colon = text.firstIndex(of: UInt8(ascii: ":")) ?? text.count
        var valueStart = min(colon + 1, text.count)
        if valueStart < text.count && text[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let field = UnsafeRawBufferPointer(rebasing: text[0..<colon])
        let value = UnsafeRawBufferPointer(rebasing: text[valueStart...])
        if field.elementsEqual("data".utf8) {
            guard data.count + value.count + 1 <= maxEventBytes else { throw fail(.eventTooLarge(limit: maxEventBytes)) }
            guard (!hasData || data.append(byte: 0x0A)) && data.append(value) else { throw fail(.outOfMemory) }
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            eventName = String(decoding: value, as: UTF8.self)
        }
        // "id" and "retry" matter to reconnecting browsers, not to one request's reply.
        return true
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
