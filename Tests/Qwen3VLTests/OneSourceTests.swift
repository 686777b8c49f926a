import Testing

@testable import Qwen3VL

#if canImport(Glibc)
import Glibc
#endif

/// A file of this repository as lines.
private func lines(_ relative: String) throws -> [Substring] {
    let root = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
    let f = try #require(fopen("/\(root)/\(relative)", "r"), "cannot open \(relative)")
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while case let n = fread(&chunk, 1, chunk.count, f), n > 0 { bytes += chunk[..<n] }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
}

/// The lines from the first that contains `start` up to the first after it that contains `end`.
private func section(_ text: [Substring], from start: String, to end: String) throws -> ArraySlice<Substring> {
    let a = try #require(text.firstIndex { $0.contains(start) }, "no line with \(start)")
    let b = try #require(text[a...].dropFirst().firstIndex { $0.contains(end) }, "no line with \(end) after \(start)")
    return text[a..<b]
}

/// The keys of an option list in a header comment: " *   name[, name]   type  ...".
private func documentedKeys(_ comment: ArraySlice<Substring>) -> Set<String> {
    var keys = Set<String>()
    for line in comment {
        guard let m = line.wholeMatch(of: #/ \*   ([a-z_]+(?:, [a-z_]+)*) +(?:string|integer|boolean|object)\b.*/#)
        else { continue }
        for key in m.1.split(separator: ", ") { keys.insert(String(key)) }
    }
    return keys
}

/// The names in backquotes in the first cell of each row of the Markdown table in `section`.
private func tableKeys(_ section: ArraySlice<Substring>) -> [String] {
    section.filter { $0.hasPrefix("| `") }.flatMap { row in
        row.split(separator: "|")[0].matches(of: #/`([^`]+)`/#).map { String($0.1) }
    }
}

/// `#define QWEN3VL_<prefix>... <number>` lines of the header, in order: (name, value).
private func defines(_ header: [Substring], _ pattern: Regex<(Substring, Substring, Substring)>) -> [(String, Int)] {
    header.compactMap { line in line.wholeMatch(of: pattern).flatMap { m in Int(m.2).map { (String(m.1), $0) } } }
}

/// The facts that Swift, the README and the build repeat from include/qwen3vl.h, held to it.
@Suite struct OneSourceTests {
    @Test func statusesAreTheHeaders() throws {
        let header = try lines("include/qwen3vl.h")
        let declared = defines(header, #/#define (QWEN3VL_(?:OK|ERR_[A-Z_]+)) +(\d+) .*/#)
        #expect(declared.count >= 14)
        #expect(Status.allCases.map { "\($0.name)=\($0.rawValue)" } == declared.map { "\($0.0)=\($0.1)" })
        // The map lists every status, in order of value: the library's names come from it.
        let map = header.compactMap { $0.wholeMatch(of: #/ +X\(([A-Z_]+)\) *\\?/#).map { "QWEN3VL_\($0.1)" } }
        #expect(map == declared.map(\.0))
        let readme = try section(lines("README.md"), from: "## Status codes", to: "The error text carries")
        let rows = readme.filter { $0.hasPrefix("| `QWEN3VL_") }.map {
            $0.split(separator: "|").prefix(2).map { $0.filter { $0 != " " && $0 != "`" } }
        }
        #expect(rows.map { $0.joined(separator: "=") } == declared.map { "\($0.0)=\($0.1)" })
    }

    @Test func versionIsTheHeaders() throws {
        let header = try lines("include/qwen3vl.h")
        let parts = defines(header, #/#define QWEN3VL_VERSION_(MAJOR|MINOR|PATCH) +(\d+)/#)
        #expect(parts.map(\.0) == ["MAJOR", "MINOR", "PATCH"])
        #expect(Qwen3VLClient.version == parts.map { String($0.1) }.joined(separator: "."))
        // The SONAME carries the major version; the version nodes of exports.map are releases up to this one.
        let manifest = try lines("Package.swift")
        #expect(manifest.contains { $0.contains("\"-soname=libqwen3vl.so.\(parts[0].1)\"") })
        let nodes = try lines("Sources/Qwen3VLCABI/exports.map").compactMap {
            $0.wholeMatch(of: #/QWEN3VL_(\d+)\.(\d+) \{/#)
        }
        #expect(!nodes.isEmpty)
        for node in nodes {
            let (major, minor) = (Int(node.1) ?? -1, Int(node.2) ?? -1)
            #expect(
                major < parts[0].1 || (major == parts[0].1 && minor <= parts[1].1),
                "node \(node.0) is newer than the header")
        }
    }

    @Test func clientOptionsAreOneTable() throws {
        let header = try lines("include/qwen3vl.h")
        let parsed = Set(ClientOptions.keys.map(\.name))
        #expect(parsed.count == ClientOptions.keys.count, "a key is in the table twice")
        let documented = try documentedKeys(
            section(header, from: "Creates a client. options_json", to: "qwen3vl_client_new(")
        )
        .union(documentedKeys(section(header, from: "Client options for media:", to: "The functions below")))
        #expect(documented == parsed, "qwen3vl.h documents \(documented.sorted()), the parser takes \(parsed.sorted())")
        let readme = try section(lines("README.md"), from: "## Client options", to: "### Security policy")
        let listed = tableKeys(readme)
        #expect(Set(listed) == parsed, "README lists \(listed.sorted()), the parser takes \(parsed.sorted())")
        #expect(listed.count == Set(listed).count, "README lists a key twice")
    }

    @Test func callOptionsAreOneTable() throws {
        let header = try lines("include/qwen3vl.h")
        let documented = try documentedKeys(
            section(header, from: "call_options_json is NULL or a JSON object", to: "qwen3vl_chat_v2("))
        #expect(documented == Set(CallOptions.keys.map(\.name)))
        #expect(CallOptions.keys.count == documented.count)
    }

    @Test func swiftEnumsAreTheHeaders() throws {
        let header = try lines("include/qwen3vl.h")
        let pixels = defines(header, #/#define QWEN3VL_PIXELS_([A-Z0-9]+) +(\d+)/#)
        #expect(pixels.count == 5)
        for (name, value) in pixels {
            #expect(Images.PixelFormat(rawValue: Int32(value)).map { "\($0)".uppercased() } == name)
        }
        let levels = defines(header, #/#define QWEN3VL_LOG_([A-Z]+) +(\d+) .*/#)
        #expect(levels.count == 4)
        for (name, value) in levels {
            #expect(LogLevel(rawValue: Int32(value)).map { "\($0)".uppercased() } == name)
        }
    }
}
