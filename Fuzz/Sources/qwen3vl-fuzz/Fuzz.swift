// One libFuzzer binary, several targets: QWEN3VL_FUZZ_TARGET names which parser the input goes to.
@_spi(Fuzzing) import Qwen3VL
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private var target: (UnsafeRawBufferPointer) -> Void = { _ in }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    let name = getenv("QWEN3VL_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    switch name {
    case "request": target = FuzzEntry.request
    case "reply": target = FuzzEntry.reply
    case "stream": target = FuzzEntry.stream
    case "grounding": target = FuzzEntry.grounding
    case "sniff": target = FuzzEntry.sniff
    case "image": target = FuzzEntry.image
    default:
        let message = "set QWEN3VL_FUZZ_TARGET to request, reply, stream, grounding, sniff or image\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
