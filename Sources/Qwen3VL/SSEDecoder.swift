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
public struct SSEDecoder {
    public enum Failure: Error, Equatable { case eventTooLarge(limit: Int) }

    public let maxEventBytes: Int
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventName = ""
    private var lastWasCR = false
    /// Bytes of a leading UTF-8 BOM seen so far, which may arrive split like anything else;
    /// nil once the start of the stream is behind us.
    private var bomSeen: Int? = 0
    private var failed = false

    public init(maxEventBytes: Int = 8 << 20) {
        self.maxEventBytes = max(1, maxEventBytes)
    }

    /// Feeds the next piece; `emit` gets each completed event and returns false to stop early
    /// (the rest of the piece is then dropped).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (SSEEvent) -> Bool) throws(Failure) {
        try feed(bytes, raw: { name, data in emit(SSEEvent(name: name, data: Array(data))) })
    }

    /// ``finish(emit:)`` for an ``SSERawEmit``.
    public mutating func finish(emit: (SSEEvent) -> Bool) throws(Failure) {
        try finish(raw: { name, data in emit(SSEEvent(name: name, data: Array(data))) })
    }

    /// ``feed(_:emit:)`` without a copy of each event's data.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, raw emit: SSERawEmit) throws(Failure) {
        guard !failed else { throw .eventTooLarge(limit: maxEventBytes) }
        var i = 0
        let n = bytes.count
        if let seen = bomSeen { i = skipBOM(bytes, seen: seen) }
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
            guard line.count + (j - i) <= maxEventBytes else { failed = true; throw .eventTooLarge(limit: maxEventBytes) }
            line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<j]))
            i = j
        }
    }

    /// The stream has ended: a last line without its line end, and a last event without its blank
    /// line, still count (servers do end that way).
    public mutating func finish(raw emit: SSERawEmit) throws(Failure) {
        guard !failed else { throw .eventTooLarge(limit: maxEventBytes) }
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
        line.append(contentsOf: bom[0..<matched])
        return i
    }

    /// Processes the line just ended; false when `emit` asked to stop.
    private mutating func endLine(_ emit: SSERawEmit) throws(Failure) -> Bool {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return dispatch(emit) }
        if line[0] == UInt8(ascii: ":") { return true } // comment: keep-alive
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
        var valueStart = min(colon + 1, line.count)
        if valueStart < line.count && line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let field = line[0..<colon]
        let value = line[valueStart...]
        if field.elementsEqual("data".utf8) {
            guard data.count + value.count + 1 <= maxEventBytes else { failed = true; throw .eventTooLarge(limit: maxEventBytes) }
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            eventName = String(decoding: value, as: UTF8.self)
        }
        // "id" and "retry" matter to reconnecting browsers, not to one request's reply.
        return true
    }

    private mutating func dispatch(_ emit: SSERawEmit) -> Bool {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventName = ""
        }
        guard hasData else { return true }
        let count = data.count
        data.append(0)
        return data.withUnsafeBufferPointer { all in
            emit(eventName.isEmpty ? "message" : eventName, UnsafeBufferPointer(rebasing: all[0..<count]))
        }
    }
}
