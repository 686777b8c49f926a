// swift-tools-version: 6.0
// libFuzzer targets over the library's parsers. Built by scripts/fuzz.sh with --sanitize=fuzzer.
import PackageDescription

// A path dependency is named after its folder, which is whatever the clone is called.
let root = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "main")

let package = Package(
    name: "qwen3vl-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "qwen3vl-fuzz", dependencies: [.product(name: "Qwen3VL", package: root)],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
