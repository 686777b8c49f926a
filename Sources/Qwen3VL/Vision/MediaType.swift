/// Image and video types told from their first bytes, never from a file name.
package enum MediaType: String, Sendable, CaseIterable {
    case jpeg = "image/jpeg", png = "image/png", gif = "image/gif", webp = "image/webp", bmp = "image/bmp"
    case tiff = "image/tiff", heic = "image/heic", avif = "image/avif"
    case mp4 = "video/mp4", quicktime = "video/quicktime", webm = "video/webm", matroska = "video/x-matroska"
    case avi = "video/x-msvideo"

    var mime: String { rawValue }
    var isImage: Bool { rawValue.hasPrefix("image/") }
    var isVideo: Bool { rawValue.hasPrefix("video/") }

    /// How many leading bytes `sniff` wants to see.
    static let sniffLength = 64

    /// The type whose magic numbers start `head`, or nil.
    static func sniff(_ head: UnsafeRawBufferPointer) -> MediaType? {
        func at(_ offset: Int, _ magic: [UInt8]) -> Bool {
            guard offset >= 0, head.count >= offset + magic.count else { return false }
            for (k, b) in magic.enumerated() where head[offset + k] != b { return false }
            return true
        }
        func ascii(_ offset: Int, _ s: String) -> Bool { at(offset, Array(s.utf8)) }
        if at(0, [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if at(0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if ascii(0, "GIF87a") || ascii(0, "GIF89a") { return .gif }
        if ascii(0, "RIFF") && ascii(8, "WEBP") { return .webp }
        if ascii(0, "RIFF") && ascii(8, "AVI ") { return .avi }
        if ascii(0, "BM") && head.count >= 26 && at(6, [0, 0, 0, 0]) { return .bmp }
        if at(0, [0x49, 0x49, 0x2A, 0x00]) || at(0, [0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if at(0, [0x1A, 0x45, 0xDF, 0xA3]) {
            // EBML: the DocType says WebM or Matroska.
            let window = UnsafeRawBufferPointer(rebasing: head.prefix(64))
            return window.firstRange(of: Array("webm".utf8)) != nil ? .webm : .matroska
        }
        if ascii(4, "ftyp") && head.count >= 12 {
            let brand = String(decoding: UnsafeRawBufferPointer(rebasing: head[8..<12]), as: UTF8.self)
            var brands = [brand]
            // Compatible brands follow the minor version, up to the box's size.
            let boxSize = Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3])
            var o = 16
            while o + 4 <= min(boxSize, head.count) {
                brands.append(String(decoding: UnsafeRawBufferPointer(rebasing: head[o..<(o + 4)]), as: UTF8.self))
                o += 4
            }
            if brands.contains(where: { ["avif", "avis"].contains($0) }) { return .avif }
            if brands.contains(where: { ["heic", "heix", "heim", "heis", "mif1", "msf1"].contains($0) }) {
                return .heic
            }
            if brand == "qt  " { return .quicktime }
            return .mp4
        }
        return nil
    }

    /// The type a `data:` URI or an image part names, e.g. "image/jpg" is taken as JPEG.
    init?(mime: String) {
        let m = mime.lowercased()
        if m == "image/jpg" || m == "image/pjpeg" { self = .jpeg; return }
        if m == "video/mov" { self = .quicktime; return }
        if m == "video/avi" { self = .avi; return }
        guard let t = MediaType(rawValue: m) else { return nil }
        self = t
    }
}
