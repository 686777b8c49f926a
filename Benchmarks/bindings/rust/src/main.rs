//! One non-streamed call at a time through the Rust binding, as floor.c does it from C:
//!   qwen3vl-bench BASE N   -> one JSON line: wall and CPU time per call
use std::time::Instant;

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}
extern "C" {
    fn clock_gettime(clock: i32, t: *mut Timespec) -> i32;
}
const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;

fn cpu_ms() -> f64 {
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: t is a valid timespec for the call.
    unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.sec as f64 * 1e3 + t.nsec as f64 / 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args[2].parse().expect("N");
    let client = qwen3vl::Client::new(Some(&format!(r#"{{"api_key": "k", "max_retries": 0, "base_url": "{}"}}"#, args[1]))).expect("client");
    let request = r#"{"model":"alibaba/qwen3-vl-32b-instruct","messages":[{"role":"user","content":"Describe the image."}]}"#;
    for _ in 0..5 {
        let _ = client.chat(request);
    }
    let (t0, c0) = (Instant::now(), cpu_ms());
    let mut ok = 0;
    for _ in 0..n {
        ok += client.chat(request).map_or(0, |r| usize::from(!r.text().is_empty()));
    }
    let us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!(r#"{{"contender":"Rust","us_per_op":{us:.2},"cpu_us_per_op":{:.2},"ok":{ok},"n":{n}}}"#, (cpu_ms() - c0) * 1000.0 / n as f64);
}
