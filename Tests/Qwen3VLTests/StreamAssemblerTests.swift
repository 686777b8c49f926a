import CJansson
import Testing

@testable import Qwen3VL

#if canImport(Glibc)
import Glibc
#endif

/// jansson's compact text for `text` parsed: what the assembled JSON must already be.
private func janssonDump(_ text: String) -> String? {
    var t = text
    return t.withUTF8 { buf -> String? in
        guard let base = buf.baseAddress,
            let v = json_loadb(
                UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), buf.count, Int(JSON_ALLOW_NUL), nil)
        else { return nil }
        defer { json_decref(v) }
        return JSONRef(raw: v).dump()
    }
}

@Suite struct StreamAssemblerTests {
    /// Two choices, reasoning, tool calls in fragments, odd characters, usage and the vendor's meta.
    static let events = [
        #"{"id":"c1","object":"chat.completion.chunk","created":1764000000,"model":"qwen","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
        #"{"id":"c1","created":1764000000,"model":"qwen","choices":[{"index":0,"delta":{"content":"Tab\there \"quoted\" \\ back\u0001\u001f\u0000 猫🐈"},"finish_reason":null},{"index":1,"delta":{"role":"assistant","reasoning_content":"think "},"finish_reason":null}]}"#,
        #"{"id":"c1","choices":[{"index":1,"delta":{"reasoning_content":"more","tool_calls":[{"index":0,"id":"call_","type":"function","function":{"name":"get_","arguments":"{\"a\":"}}]}}]}"#,
        #"{"id":"c1","choices":[{"index":1,"delta":{"tool_calls":[{"index":0,"id":"1","function":{"name":"weather","arguments":"1}"}},{"index":1,"function":{"name":"b","arguments":"{}"}}]}}]}"#,
        #"{"id":"c1","choices":[{"index":0,"delta":{"content":" end\n"},"finish_reason":"stop"},{"index":1,"delta":{},"finish_reason":"tool_calls"}]}"#,
        #"{"id":"c1","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19},"meta":{"usage":{"credits_used":7,"usd_spent":0.00105}}}"#,
    ]

    static let expected =
        #"{"id":"c1","object":"chat.completion","created":1764000000,"model":"qwen","choices":["#
        + #"{"index":0,"message":{"role":"assistant","content":"Tab\there \"quoted\" \\ back\u0001\u001F\u0000 猫🐈 end\n"},"finish_reason":"stop","logprobs":null},"#
        + #"{"index":1,"message":{"role":"assistant","content":null,"reasoning_content":"think more","tool_calls":["#
        + #"{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"a\":1}"}},"#
        + #"{"index":1,"id":"","type":"function","function":{"name":"b","arguments":"{}"}}]},"finish_reason":"tool_calls","logprobs":null}],"#
        + #""usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19},"meta":{"usage":{"credits_used":7,"usd_spent":0.0010499999999999999}}}"#

    @Test func assemblesWhatTheServerWouldHaveSent() throws {
        let sse = Self.events.map { "data: " + $0 + "\n\n" }.joined() + "data: [DONE]\n\n"
        for piece in [1, 7, 64, 100_000] {
            var deltas = ""
            let a = StreamAssembler(
                maxEventBytes: 1 << 20, isCancelled: { false },
                onDelta: { chunk in
                    deltas += chunk.text
                    return true
                })
            let bytes = Array(sse.utf8)
            var i = 0
            while i < bytes.count {
                let n = min(piece, bytes.count - i)
                _ = bytes[i..<(i + n)].withUnsafeBytes { a.feed($0) }
                i += n
            }
            a.finish()
            #expect(a.failure == nil && a.sawDone)
            let json = try #require(a.completionJSON()).string
            #expect(json == Self.expected, "pieces of \(piece)")
            #expect(janssonDump(json) == json) // byte for byte what jansson writes
            let c = try #require(a.completion())
            #expect(c.text.string == "Tab\there \"quoted\" \\ back\u{01}\u{1f}\u{00} 猫🐈 end\n")
            #expect(deltas == c.text.string)
            #expect(c.finishReason == "stop" && c.promptTokens == 12 && c.totalTokens == 19)
            #expect(c.toolCallsJSON.count == 0) // choice 0 has none
        }
    }

    @Test func writerEscapesAsJanssonDoes() throws {
        var all = (0..<128).map { UInt8($0) }
        all += Array("é猫🐈\u{2028}".utf8)
        for cut in [0, 1, 31, 34, 92, all.count] {
            let bytes = Array(all[0..<cut]) + Array(all[cut...].reversed().filter { $0 < 0x80 })
            var w = JSONWriter()
            bytes.withUnsafeBytes { w.string($0) }
            let mine = try #require(w.finish()).string
            let theirs = bytes.withUnsafeBytes { b in
                JSONBuild.string(b).map { v in
                    defer { json_decref(v) }; return JSONRef(raw: v).dump() ?? ""
                }
            }
            #expect(mine == theirs)
        }
        var w = JSONWriter()
        w.int(-9_223_372_036_854_775_808)
        #expect(try #require(w.finish()).string == "-9223372036854775808")
    }
}
