//! Links libqwen3vl with the flags its pkg-config file gives (`pkg-config --libs qwen3vl`), by
//! running the pkg-config program: no crate is needed for that. PKG_CONFIG names another program;
//! PKG_CONFIG_PATH finds an uninstalled build (e.g. the repository's build/lib/pkgconfig).
use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let out = Command::new(&program)
        .args(["--libs", "qwen3vl"])
        .output()
        .unwrap_or_else(|e| panic!("qwen3vl: cannot run {program}: {e} (install pkg-config)"));
    if !out.status.success() {
        panic!(
            "qwen3vl: `{program} --libs qwen3vl` failed: {}(install libqwen3vl, or set PKG_CONFIG_PATH to its pkgconfig directory)",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for flag in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={lib}");
        } else {
            // -Wl,-rpath,... and the like go to the linker as they are.
            println!("cargo:rustc-link-arg={flag}");
        }
    }
}
