#if canImport(Glibc)
import Glibc
#endif

/// A local image or video opened for sending: checked (regular file, size limit, known type from
/// its first bytes) when the request is prepared, and read in pieces, base64-encoded on the fly,
/// while the request body goes out. The whole file is never held in memory. A resized image goes
/// out the same way from the bytes it was encoded into, which spares the JSON writer a copy to
/// escape of several megabytes.
final class MediaFile {
    let path: String
    let type: MediaType
    let size: Int
    /// `data:<mime>;base64,`
    let prefix: [UInt8]
    /// Bytes of the data URI this file becomes.
    let uriLength: Int
    /// Width and height from an image's header (nil for videos).
    let imageSize: (width: Int, height: Int)?
    /// The open file, or -1 for an image in `encoded`.
    private let fd: Int32
    private let encoded: EncodedImage?

    /// Opens and checks `path`. `what` names the place in the request for messages.
    init(path: String, what: String, wantVideo: Bool, maxBytes: Int64, maxOption: String) throws(Qwen3VLError) {
        func fail(_ why: String) -> Qwen3VLError { Qwen3VLError(.file, "\(what): \(path): \(why)") }
        let (fd, size) = try Self.openRegular(path, fail: fail)
        guard size > 0 else { close(fd); throw fail("is empty") }
        guard Int64(size) <= maxBytes else {
            close(fd); throw fail("is \(size) bytes, over \(maxOption) (\(maxBytes))")
        }
        var head = [UInt8](repeating: 0, count: 4096)
        let got = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard got > 0 else {
            let e = errno; close(fd); throw fail(got < 0 ? String(cString: strerror(e)) : "could not be read")
        }
        head.removeSubrange(got...)
        guard let type = head.withUnsafeBytes({ MediaType.sniff($0) }) else {
            close(fd)
            throw fail(
                wantVideo
                    ? "is not a video of a known type (MP4, QuickTime, WebM, Matroska, AVI)"
                    : "is not an image of a known type (JPEG, PNG, GIF, WEBP, BMP, TIFF, HEIC, AVIF)")
        }
        if wantVideo != type.isVideo {
            close(fd)
            throw fail(
                wantVideo
                    ? "is an image (\(type.mime)), not a video"
                    : "is a video (\(type.mime)); send it in a video_url part")
        }
        var imageSize: (width: Int, height: Int)?
        if type.isImage {
            // A header that cannot be read means a truncated or damaged file: better said now than by the server.
            let reader: ImageHeader.Reader = { offset, count in MediaFile.read(fd, offset, count) }
            imageSize = ImageHeader.size(type: type, read: reader)
            guard imageSize != nil else {
                close(fd)
                throw fail("is a damaged or truncated \(type.mime) (no size in its header)")
            }
        }
        self.imageSize = imageSize
        guard let b64 = Base64.encodedLength(size) else { close(fd); throw fail("is too large") }
        self.fd = fd
        encoded = nil
        self.path = path
        self.type = type
        self.size = size
        prefix = Array("data:\(type.mime);base64,".utf8)
        uriLength = prefix.count + b64
    }

    /// A resized image, `what` naming it in messages.
    init?(_ image: EncodedImage, what: String) {
        guard let b64 = Base64.encodedLength(image.count) else { return nil }
        fd = -1
        encoded = image
        path = what
        type = image.type
        size = image.count
        prefix = Array("data:\(image.type.mime);base64,".utf8)
        uriLength = prefix.count + b64
        imageSize = (image.width, image.height)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// The whole file in memory (for a resize: the file is at most max_image_bytes).
    func contents() throws(Qwen3VLError) -> HeapBytes {
        guard let out = HeapBytes(count: size) else {
            throw Qwen3VLError(.internal, "\(path): out of memory for \(size) bytes")
        }
        if encoded != nil {
            try readFile(into: out.base, count: size, at: 0)
            return out
        }
        var at = 0
        while at < size {
            let got = pread(fd, out.base + at, size - at, off_t(at))
            guard got > 0 else { throw Qwen3VLError(.file, "\(path): changed or became unreadable while being read") }
            at += got
        }
        return out
    }

    /// Opens `path` for reading if it is a regular file; returns the descriptor and the size.
    /// O_NONBLOCK keeps open() from waiting for a writer when the path is a FIFO (or a device), so
    /// anything that is not a regular file fails at once; it is cleared again before any read.
    static func openRegular(_ path: String, fail: (String) -> Qwen3VLError) throws(Qwen3VLError) -> (
        fd: Int32, size: Int
    ) {
        // A JSON string may carry "\u0000"; as a C path it would name another file.
        guard !path.utf8.contains(0) else { throw fail("the path contains a NUL byte") }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { let e = errno; close(fd); throw fail(String(cString: strerror(e))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw fail((st.st_mode & S_IFMT) == S_IFDIR ? "is a directory" : "is not a regular file")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let e = errno
            close(fd)
            throw fail(String(cString: strerror(e)))
        }
        return (fd, Int(st.st_size))
    }

    static func read(_ fd: Int32, _ offset: Int, _ count: Int) -> [UInt8] {
        guard offset >= 0, count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let got = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        out.removeSubrange(max(0, got)...)
        return out
    }

    /// Writes the data URI's bytes from `offset` on into `out`, as many as fit; returns how many.
    ///
    /// The file's bytes go into `out` itself, at the end of the space their encoding will fill, and
    /// are encoded forward over it (which `Base64.encode` allows): one read per call and no buffer
    /// of our own. Only whole base64 groups are written, so that the next call starts on one; a
    /// group is split (encoded on its own, part of it copied) only when nothing else fits.
    func read(at offset: Int, into out: UnsafeMutableRawBufferPointer) throws(Qwen3VLError) -> Int {
        guard let obase = out.baseAddress else { return 0 }
        var written = 0
        var pos = offset
        while written < out.count && pos < uriLength {
            if pos < prefix.count {
                let n = min(prefix.count - pos, out.count - written)
                for k in 0..<n { out[written + k] = prefix[pos + k] }
                written += n
                pos += n
                continue
            }
            let b64 = pos - prefix.count
            let group = b64 / 4, skip = b64 % 4
            let room = out.count - written
            let inStart = group * 3
            if room < 4 && skip == 0 && written > 0 { break } // the next call starts on this group
            if skip != 0 || room < 4 {
                // The part of one group that fits, from its own 4 characters.
                let inLen = min(3, size - inStart)
                var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0)
                let n = try withUnsafeMutableBytes(of: &bytes) { b throws(Qwen3VLError) -> Int in
                    guard let base = b.baseAddress else { return 0 }
                    try readFile(into: base + 4, count: inLen, at: inStart)
                    Base64.encode(
                        UnsafeRawBufferPointer(start: base + 4, count: inLen),
                        into: UnsafeMutableRawBufferPointer(start: base, count: 4))
                    let n = min(4 - skip, room)
                    (obase + written).copyMemory(from: base + skip, byteCount: n)
                    return n
                }
                written += n
                pos += n
                continue
            }
            // On a group boundary: the whole groups that fit, read and encoded in place.
            let groups = min(room / 4, (size - inStart + 2) / 3)
            let inLen = min(groups * 3, size - inStart)
            guard inLen > 0 else { break }
            let dst = obase + written
            let src = dst + (groups * 4 - inLen)
            try readFile(into: src, count: inLen, at: inStart)
            let n = Base64.encode(
                UnsafeRawBufferPointer(start: src, count: inLen),
                into: UnsafeMutableRawBufferPointer(start: dst, count: groups * 4))
            guard n > 0 else { break }
            written += n
            pos += n
        }
        return written
    }

    /// Exactly `count` bytes of the file from `offset`, or the error of a file that changed under us.
    private func readFile(into p: UnsafeMutableRawPointer, count: Int, at offset: Int) throws(Qwen3VLError) {
        if let encoded {
            // The caller keeps within `size`, the image's own count.
            p.copyMemory(from: encoded.base + offset, byteCount: count)
            return
        }
        guard pread(fd, p, count, off_t(offset)) == count else {
            throw Qwen3VLError(.file, "\(path): changed or became unreadable while being sent")
        }
    }
}
