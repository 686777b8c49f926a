extension UnsafeRawBufferPointer {
    /// The first place `needle` occurs, as a range of indices.
    func firstRange(of needle: [UInt8]) -> Range<Int>? {
        guard !needle.isEmpty, count >= needle.count else { return nil }
        for i in 0...(count - needle.count) {
            var k = 0
            while k < needle.count && self[i + k] == needle[k] { k += 1 }
            if k == needle.count { return i..<(i + needle.count) }
        }
        return nil
    }
}
