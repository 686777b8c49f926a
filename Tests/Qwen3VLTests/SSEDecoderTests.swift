import Testing

@testable import Qwen3VL

/// Feeds `text` to a decoder in pieces of the given sizes (cycled), then finishes.
private func decode(_ bytes: [UInt8], pieces: [Int], limit: Int = 1 << 20) throws -> [SSEEvent] {
    var d = SSEDecoder(maxEventBytes: limit)
    var events: [SSEEvent] = []
    var i = 0, k = 0
    while i < bytes.count {
        let n = min(max(1, pieces[k % pieces.count]), bytes.count - i)
        try bytes[i..<(i + n)].withUnsafeBytes {
            try d.feed($0) {
                events.append($0); return true
            }
        }
        i += n
        k += 1
    }
    try d.finish {
        events.append($0); return true
    }
    return events
}

private func ev(_ data: String, _ name: String = "message") -> SSEEvent { SSEEvent(name: name, data: Array(data.utf8)) }

@Suite struct SSEDecoderTests {
    let stream = "data: {\"a\":\"猫🐈\"}\n\n: keep-alive\n\nevent: error\ndata: one\ndata:two\ndata\n\ndata: [DONE]\n\n"
    var expected: [SSEEvent] { [ev("{\"a\":\"猫🐈\"}"), ev("one\ntwo\n", "error"), ev("[DONE]")] }

    @Test func oneByteAtATime() throws {
        #expect(try decode(Array(stream.utf8), pieces: [1]) == expected)
    }

    @Test func anySplitGivesTheSameEvents() throws {
        let bytes = Array(stream.utf8)
        for size in 1...bytes.count {
            #expect(try decode(bytes, pieces: [size]) == expected)
        }
        #expect(try decode(bytes, pieces: [3, 1, 7, 2, 5]) == expected)
    }

    @Test(arguments: ["\r\n", "\r", "\n"])
    func lineEndings(_ nl: String) throws {
        let text = stream.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: nl)
        for size in [1, 2, 3, 64] {
            #expect(try decode(Array(text.utf8), pieces: [size]) == expected)
        }
    }

    @Test func crAndLfSplitAcrossPiecesAreOneLineEnd() throws {
        let events = try decode(Array("data: a\r\n\r\ndata: b\r\n\r\n".utf8), pieces: [8, 1, 1, 1])
        #expect(events == [ev("a"), ev("b")])
    }

    @Test func finalEventWithoutBlankLine() throws {
        #expect(try decode(Array("data: x\n\ndata: last".utf8), pieces: [4]) == [ev("x"), ev("last")])
        #expect(try decode(Array("data: last\n".utf8), pieces: [1]) == [ev("last")])
    }

    @Test func fieldsAndOddities() throws {
        let text = "\u{FEFF}data:no-space\n\nid: 7\nretry: 10\nunknown: z\ndata:  two spaces\n\nevent: ping\n\ndata\n\n"
        #expect(try decode(Array(text.utf8), pieces: [2]) == [ev("no-space"), ev(" two spaces"), ev("")])
    }

    @Test func boundedMemory() throws {
        let long = Array(("data: " + String(repeating: "x", count: 100) + "\n\n").utf8)
        #expect(throws: SSEDecoder.Failure.eventTooLarge(limit: 50)) { try decode(long, pieces: [7], limit: 50) }
        let manyLines = Array(String(repeating: "data: xxxxxxxxxx\n", count: 10).utf8)
        #expect(throws: SSEDecoder.Failure.eventTooLarge(limit: 50)) { try decode(manyLines, pieces: [7], limit: 50) }
        #expect(try decode(long, pieces: [7], limit: 200).count == 1)
    }

    @Test func emitCanStopEarly() throws {
        var d = SSEDecoder()
        var seen = 0
        try Array("data: 1\n\ndata: 2\n\n".utf8).withUnsafeBytes {
            try d.feed($0) { _ in
                seen += 1; return false
            }
        }
        #expect(seen == 1)
    }
}
