import Testing

@testable import Qwen3VL

private func validate(_ json: String, stream: Bool = false) -> Qwen3VLError? {
    var text = json
    return text.withUTF8 { buf -> Qwen3VLError? in
        do throws(Qwen3VLError) {
            _ = try RequestValidator.prepare(UnsafeRawBufferPointer(buf), defaultModel: "m", stream: stream)
            return nil
        } catch {
            return error
        }
    }
}

private func prepared(_ json: String, stream: Bool) throws -> String {
    var text = json
    return try text.withUTF8 { buf in
        let body = try RequestValidator.prepare(UnsafeRawBufferPointer(buf), defaultModel: "the/model", stream: stream)
        var out = [UInt8](repeating: 0, count: body.count)
        let n = out.withUnsafeMutableBytes { body.read(into: $0) }
        return String(decoding: out.prefix(n ?? 0), as: UTF8.self)
    }
}

@Suite struct ValidationTests {
    @Test(arguments: [
        (
            #"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":null}}]}]}"#,
            "messages[0].content[0].image_url.url must be a string, not null"
        ),
        (
            #"{"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":1}}]}]}"#,
            "messages[1].content[1].image_url.url must be a string, not an integer"
        ),
        (#"{"messages":[{"role":"user","content":"x"}],"top_logprobs":21}"#, "top_logprobs must be between 0 and 20"),
        (
            #"{"messages":[{"role":"user","content":"x"}],"logit_bias":{"50256":-101}}"#,
            "logit_bias.50256 must be between -100 and 100"
        ),
        (
            #"{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema"}}"#,
            "response_format.json_schema is required"
        ),
        (
            #"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":[]}}]}"#,
            "tools[0].function.parameters must be an object, not an array"
        ),
        (
            #"{"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":1}}"#,
            "stream_options.include_usage must be a boolean, not an integer"
        ),
    ])
    func namesThePath(request: String, message: String) {
        let e = validate(request)
        #expect(e?.status == .invalidRequest)
        #expect(e?.message == message)
    }

    @Test func acceptsWhatServersAccept() {
        #expect(
            validate(
                #"{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"42"}]}"#
            ) == nil)
        #expect(
            validate(
                #"{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}},{"type":"future_part","x":1}]}],"top_k":20,"repetition_penalty":1.05,"seed":-3,"stop":null}"#
            ) == nil)
        #expect(
            validate(
                #"{"messages":[{"role":"user","content":[{"type":"video","video":["https://x/a.jpg","https://x/b.jpg"]}]}],"temperature":0,"top_p":1}"#
            ) == nil)
    }

    @Test func leavesCompleteRequestsUntouched() throws {
        let original = #"{"model":"x/y","messages":[{"role":"user","content":"é"}],"zzz":[1,{"b":2}]}"#
        #expect(try prepared(original, stream: false) == original)
    }

    @Test func addsTheDefaultModelAndStreamSettings() throws {
        let out = try prepared(#"{"messages":[{"role":"user","content":"x"}],"extra":true}"#, stream: true)
        #expect(
            out
                == #"{"messages":[{"role":"user","content":"x"}],"extra":true,"model":"the/model","stream":true,"stream_options":{"include_usage":true}}"#
        )
        let kept = try prepared(
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":false}}"#,
            stream: true)
        #expect(kept.contains(#""include_usage":false"#))
    }

    @Test func refusesStreamingThroughThePlainCall() {
        #expect(
            validate(#"{"messages":[{"role":"user","content":"x"}],"stream":true}"#)?.message.contains(
                "qwen3vl_chat_stream") == true)
        #expect(validate(#"{"messages":[{"role":"user","content":"x"}],"stream":true}"#, stream: true) == nil)
    }
}

@Suite struct OptionTests {
    let noEnv: (String) -> String? = { _ in nil }

    @Test func defaults() throws {
        let o = try ClientOptions.parse(json: nil, environment: noEnv)
        #expect(o.apiKey == nil)
        #expect(o.chatURL == "https://api.aimlapi.com/v1/chat/completions")
        #expect(o.model == "alibaba/qwen3-vl-32b-instruct")
        #expect(o.timeoutMs == 600_000 && o.connectTimeoutMs == 5_000 && o.idleTimeoutMs == 60_000)
        #expect(o.maxRetries == 2 && o.maxResponseBytes == 64 << 20)
    }

    @Test func environmentFallbacksInOrder() throws {
        let env = ["AIMLAPI_API_KEY": "second", "AIML_API_KEY": "first", "AIMLAPI_API_BASE": "https://h:1/v9/"]
        let o = try ClientOptions.parse(json: "{}", environment: { env[$0] })
        #expect(o.apiKey == "first")
        #expect(o.chatURL == "https://h:1/v9/chat/completions")
        let explicit = try ClientOptions.parse(json: #"{"api_key":"mine"}"#, environment: { env[$0] })
        #expect(explicit.apiKey == "mine")
    }

    @Test(arguments: [
        (#"{"max_retries":-1}"#, "option max_retries must be between 0 and 100, not -1"),
        (#"{"headers":{"X":["a"]}}"#, "option headers.X must be a string, not an array"),
        (
            #"{"api_key":"sk-secret","base_url":"gopher://x"}"#,
            "option base_url must be an http:// or https:// URL with a host"
        ),
        (#"{"Timeout_ms":5}"#, "unknown option \"Timeout_ms\""),
    ])
    func refusals(json: String, message: String) {
        #expect(throws: Qwen3VLError(.invalidArgument, message)) {
            try ClientOptions.parse(json: json, environment: noEnv)
        }
    }
}

@Suite struct RetryTests {
    @Test func whichStatusesRetry() {
        for s in [408, 409, 429, 500, 502, 503, 504, 599] { #expect(RetryPolicy.isRetryable(httpStatus: s)) }
        for s in [200, 301, 400, 401, 403, 404, 413, 422, 600] { #expect(!RetryPolicy.isRetryable(httpStatus: s)) }
    }

    @Test func backoffDoublesUpToEightSecondsWithJitter() {
        #expect(RetryPolicy.backoffMs(failedAttempts: 1, random: 0) == 500)
        #expect(RetryPolicy.backoffMs(failedAttempts: 2, random: 0) == 1000)
        #expect(RetryPolicy.backoffMs(failedAttempts: 5, random: 0) == 8000)
        #expect(RetryPolicy.backoffMs(failedAttempts: 50, random: 0) == 8000)
        #expect(RetryPolicy.backoffMs(failedAttempts: 1, random: 0.999) == 375)
        #expect(RetryPolicy.backoffMs(failedAttempts: Int.max, random: 2) == 6000)
        #expect(RetryPolicy.backoffMs(failedAttempts: Int.min, random: -1) == 500)
    }

    @Test func serverDelays() {
        let now: Int64 = 1_445_412_480 // Wed, 21 Oct 2015 07:28:00 GMT
        func d(_ ms: String?, _ s: String?) -> Int64? {
            RetryPolicy.serverDelayMs(retryAfterMs: ms, retryAfter: s, nowEpochSeconds: now)
        }
        #expect(d(nil, "2") == 2000)
        #expect(d(nil, " 1.5 ") == 1500)
        #expect(d("250", "9") == 250)
        #expect(d(nil, "61") == nil)
        #expect(d("60001", nil) == nil)
        #expect(d(nil, "-1") == nil)
        #expect(d(nil, "soon") == nil)
        #expect(d(nil, "Wed, 21 Oct 2015 07:28:30 GMT") == 30_000)
        #expect(d(nil, "Wed, 21 Oct 2015 07:27:00 GMT") == 0)
        #expect(d(nil, "Wed, 21 Oct 2015 09:28:00 GMT") == nil)
        #expect(d(nil, "Wed, 99 Oct 2015 07:28:30 GMT") == nil)
        #expect(d(nil, "nan") == nil)
        #expect(d("inf", nil) == nil)
        #expect(
            RetryPolicy.delayMs(
                failedAttempts: 2, retryAfterMs: nil, retryAfter: "120", nowEpochSeconds: now, random: 0) == 1000)
    }

    @Test func httpDates() {
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
    }
}

@Suite struct ReplyTests {
    private func errorText(_ s: String) -> String {
        var s = s
        return s.withUTF8 { ReplyParser.errorText(UnsafeRawBufferPointer($0)) }
    }

    @Test func errorShapes() {
        #expect(
            errorText(
                #"{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}"#)
                == "Incorrect API key (type invalid_request_error, code invalid_api_key)")
        #expect(
            errorText(
                #"{"message":"Unauthorized","path":"/v1/chat/completions","requestId":"r","statusCode":"401","timestamp":"t"}"#
            ) == "Unauthorized")
        #expect(errorText(#"{"message":["a must be x","b must be y"],"statusCode":400}"#) == "a must be x; b must be y")
        #expect(errorText(#"{"error":"model not found"}"#) == "model not found")
        #expect(errorText(#"{"detail":[{"loc":["body"],"msg":"field required"}]}"#) == "field required")
        #expect(
            errorText("<html>\n<title>502 Bad Gateway</title>\n\n</html>")
                == "<html> <title>502 Bad Gateway</title> </html>")
        #expect(errorText("") == "(empty body)")
        #expect(errorText(String(repeating: "é", count: 500)).count == 201)
    }

    @Test func statusMapping() {
        #expect(Status.forHTTP(401) == .auth && Status.forHTTP(403) == .auth)
        #expect(Status.forHTTP(429) == .rateLimit)
        #expect(
            Status.forHTTP(400) == .badRequest && Status.forHTTP(404) == .badRequest
                && Status.forHTTP(499) == .badRequest)
        #expect(Status.forHTTP(500) == .server && Status.forHTTP(503) == .server)
        let (e, retry) = "x".utf8CString.withUnsafeBytes {
            Qwen3VLClient.httpFailure(status: 304, body: UnsafeRawBufferPointer(rebasing: $0.dropLast()))
        }
        #expect(e.status == .protocol && !retry)
    }

    @Test func completions() throws {
        var s =
            #"{"id":"c1","choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#
        let c = try s.withUTF8 { try ReplyParser.completion(UnsafeRawBufferPointer($0)) }
        #expect(c.text.string == "ab" && c.finishReason == "length" && c.id == "c1" && c.totalTokens == 7)
        var bad = #"{"choices":[{"message":{"content":5}}]}"#
        #expect(throws: Qwen3VLError.self) {
            try bad.withUTF8 { try ReplyParser.completion(UnsafeRawBufferPointer($0)) }
        }
    }
}

@Suite struct ByteStorageTests {
    @Test func bytesKeepNULsAndEndInOne() throws {
        let b = try #require(Bytes.copy("a\u{0}b"))
        #expect(b.count == 3 && b.base[3] == 0 && b.string == "a\u{0}b")
        #expect(Bytes.empty.count == 0 && Bytes.empty.base[0] == 0)
    }

    @Test func bufferGrowsAndHandsOverWithoutCopy() {
        let buf = ByteBuffer()
        for i in 0..<1000 { #expect(withUnsafeBytes(of: UInt8(i & 0x7F)) { buf.append($0) }) }
        #expect(buf.count == 1000 && buf.reserve(5000))
        let taken = buf.take()
        #expect(taken.count == 1000 && taken.base[1000] == 0 && taken.base[999] == CChar(999 & 0x7F))
        #expect(buf.isEmpty)
    }

    @Test func replyTextWithNUL() throws {
        var s = #"{"choices":[{"message":{"content":"x\u0000y"}}]}"#
        let c = try s.withUTF8 { try ReplyParser.completion(UnsafeRawBufferPointer($0)) }
        #expect(c.text.count == 3 && c.text.string == "x\u{0}y")
    }
}

@Suite struct SecurityOptionTests {
    @Test func loopbackHosts() {
        for url in [
            "http://localhost/v1", "http://127.0.0.1:8000", "http://127.9.9.9/x", "http://[::1]:80/v1",
            "http://user:pw@localhost/v1", "http://LOCALHOST:1",
        ] {
            #expect(ClientOptions.isLoopback(url), "\(url)")
        }
        for url in [
            "http://example.com", "http://127.0.0.1.example.com", "http://localhost@evil.com/",
            "http://10.0.0.1", "http://[::2]", "http://1270.0.0.1",
        ] {
            #expect(!ClientOptions.isLoopback(url), "\(url)")
        }
    }
}
