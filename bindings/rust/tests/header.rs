//! The numbers `sys` copies from include/qwen3vl.h, and the crate's version, held to the header.
use std::collections::BTreeMap;

use qwen3vl::sys;

/// `#define QWEN3VL_NAME number` lines of the header.
fn header_numbers() -> BTreeMap<String, i64> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../include/qwen3vl.h");
    let text = std::fs::read_to_string(path).expect("include/qwen3vl.h");
    text.lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("#define QWEN3VL_")?.split_whitespace();
            let (name, value) = (words.next()?, words.next()?.parse().ok()?);
            Some((format!("QWEN3VL_{name}"), value))
        })
        .collect()
}

macro_rules! copied {
    ($($name:ident),* $(,)?) => { vec![$((stringify!($name), i64::from(sys::$name))),*] };
}

#[test]
fn constants_are_the_headers() {
    let header = header_numbers();
    let copies = copied!(
        QWEN3VL_OK, QWEN3VL_ERR_INVALID_ARGUMENT, QWEN3VL_ERR_INVALID_REQUEST, QWEN3VL_ERR_FILE, QWEN3VL_ERR_CONNECT,
        QWEN3VL_ERR_TIMEOUT, QWEN3VL_ERR_AUTH, QWEN3VL_ERR_RATE_LIMIT, QWEN3VL_ERR_BAD_REQUEST, QWEN3VL_ERR_SERVER,
        QWEN3VL_ERR_PROTOCOL, QWEN3VL_ERR_TOO_LARGE, QWEN3VL_ERR_CANCELLED, QWEN3VL_ERR_INTERNAL,
        QWEN3VL_TOKENS_PROMPT, QWEN3VL_TOKENS_COMPLETION, QWEN3VL_TOKENS_TOTAL,
        QWEN3VL_PIXELS_GRAY8, QWEN3VL_PIXELS_RGB8, QWEN3VL_PIXELS_RGBA8, QWEN3VL_PIXELS_BGRA8, QWEN3VL_PIXELS_BGR8,
        QWEN3VL_EVENT_DELTA, QWEN3VL_EVENT_DONE, QWEN3VL_LOG_ERROR, QWEN3VL_LOG_WARNING, QWEN3VL_LOG_INFO,
        QWEN3VL_LOG_DEBUG,
    );
    for (name, value) in &copies {
        assert_eq!(header.get(*name), Some(value), "{name}");
    }
    // Every status, token kind, pixel format, event kind and log level of the header is copied.
    let prefixes = ["QWEN3VL_OK", "QWEN3VL_ERR_", "QWEN3VL_TOKENS_", "QWEN3VL_PIXELS_", "QWEN3VL_EVENT_", "QWEN3VL_LOG_"];
    for name in header.keys().filter(|n| prefixes.iter().any(|p| n.starts_with(p))) {
        assert!(copies.iter().any(|(c, _)| c == name), "{name} is in the header but not in sys");
    }
}

#[test]
fn crate_version_is_the_headers() {
    let h = header_numbers();
    let header = format!("{}.{}.{}", h["QWEN3VL_VERSION_MAJOR"], h["QWEN3VL_VERSION_MINOR"], h["QWEN3VL_VERSION_PATCH"]);
    assert_eq!(env!("CARGO_PKG_VERSION"), header);
    assert_eq!(qwen3vl::version(), header);
}

#[test]
fn every_function_of_the_header_is_declared() {
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../include/qwen3vl.h")).unwrap();
    let sys = include_str!("../src/sys.rs");
    // A declaration: a line that is not a comment, naming qwen3vl_... followed by "(".
    for line in header.lines().filter(|l| !l.trim_start().starts_with(['/', '*', '#'])) {
        for (at, _) in line.match_indices("qwen3vl_") {
            let name: String = line[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if line[at + name.len()..].starts_with('(') {
                assert!(sys.contains(&format!("pub fn {name}(")), "{name} is declared in qwen3vl.h but not in sys.rs");
            }
        }
    }
}
