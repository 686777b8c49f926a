//! The crate against the stand-in server (Tests/server/stand_in.py), its port in STAND_IN_PORT.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use qwen3vl::{status, Cancel, Client};

const HELLO: &str = r#"{"messages": [{"role": "user", "content": "Hello there"}]}"#;

fn client_for(scenario: &str) -> Client {
    static UID: AtomicUsize = AtomicUsize::new(0);
    let port = std::env::var("STAND_IN_PORT").expect("STAND_IN_PORT (source scripts/stand-in.sh)");
    let uid = UID.fetch_add(1, Ordering::Relaxed);
    let options = format!(
        r#"{{"api_key": "k", "max_retries": 0, "base_url": "http://127.0.0.1:{port}/s/{scenario}/rust{}-{uid}/v1"}}"#,
        std::process::id()
    );
    Client::new(Some(&options)).expect("client")
}

#[test]
fn types_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Client>();
    send_sync::<Cancel>();
    send::<qwen3vl::Reply>();
    send_sync::<qwen3vl::Error>();
    assert_eq!(qwen3vl::version(), "0.1.0");
    assert_eq!(qwen3vl::status_name(status::TIMEOUT), "QWEN3VL_ERR_TIMEOUT");
}

#[test]
fn chat_replies() {
    let client = client_for("ok");
    let reply = client.chat(HELLO).unwrap();
    assert_eq!(reply.text(), "echo: Hello there");
    assert_eq!(reply.text_bytes(), b"echo: Hello there");
    assert_eq!(reply.finish_reason(), "stop");
    assert_eq!((reply.http_status(), reply.attempts()), (200, 1));
    assert!(reply.json().contains("\"chat.completion\""));
    assert!(reply.request_id().starts_with("inf-"), "{}", reply.request_id());  // x-inference-id
    assert_eq!(reply.usage().prompt_tokens, Some(11));
    assert!(reply.usage().total_tokens > reply.usage().completion_tokens);
    assert_eq!(reply.tool_calls_json(), "");
    assert!(reply.elapsed() < Duration::from_secs(5));
}

#[test]
fn http_error_is_an_error_value() {
    let client = client_for("status:401");
    let e = client.chat(HELLO).unwrap_err();
    assert_eq!((e.status(), e.status_name(), e.http_status()), (status::AUTH, "QWEN3VL_ERR_AUTH", Some(401)));
    assert!(e.message().contains("stand-in says 401"), "{e}");
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e.clone());
    assert_eq!(boxed.to_string(), format!("QWEN3VL_ERR_AUTH: {}", e.message()));
    // The vendor's flat error shape carries a request id.
    let e = client_for("flat:400").chat(HELLO).unwrap_err();
    assert_eq!((e.status(), e.http_status()), (status::BAD_REQUEST, Some(400)));
    assert!(e.message().contains("messages must be an array"), "{e}");
}

#[test]
fn bad_input_is_refused_with_its_name() {
    let e = Client::new(Some(r#"{"timeout_ms": "soon"}"#)).unwrap_err();
    assert_eq!(e.status(), status::INVALID_ARGUMENT);
    assert!(e.message().contains("timeout_ms"), "{e}");
    assert_eq!(e.http_status(), None);
    let client = client_for("ok");
    let e = client.chat(r#"{"messages": [{"role": "user", "content": 5}]}"#).unwrap_err();
    assert_eq!(e.status(), status::INVALID_REQUEST);
    assert!(e.message().contains("messages[0].content"), "{e}");
    let e = client.chat("{\"messages\": \0}").unwrap_err();
    assert_eq!(e.status(), status::INVALID_ARGUMENT);
    assert!(e.message().contains("NUL"), "{e}");
    let e = client.chat_with(HELLO, Some(r#"{"timeout_ms": -1}"#), None).unwrap_err();
    assert!(e.status() == status::INVALID_ARGUMENT && e.message().contains("timeout_ms"), "{e}");
}

#[test]
fn stream_assembles_its_deltas() {
    let client = client_for("sse");
    let (mut seen, mut chunks) = (String::new(), 0);
    let reply = client
        .chat_stream(HELLO, |delta: &str| {
            seen.push_str(delta);
            chunks += 1;
            true
        })
        .unwrap();
    assert_eq!((reply.text(), seen.as_str()), ("echo: Hello there", "echo: Hello there"));
    assert!(chunks > 10);
}

#[test]
fn stream_stops_when_the_closure_says_so() {
    let client = client_for("sse");
    let mut seen = String::new();
    let e = client
        .chat_stream(HELLO, |delta| {
            seen.push_str(delta);
            seen.len() < 4
        })
        .unwrap_err();
    assert_eq!((e.status(), seen.as_str()), (status::CANCELLED, "echo"));
}

#[test]
fn panic_in_the_closure_is_resumed_after_the_call() {
    let client = client_for("sse");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = client.chat_stream(HELLO, |delta| if delta == "o" { panic!("boom") } else { true });
    }))
    .unwrap_err();
    assert_eq!(caught.downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(client.chat_stream(HELLO, |_| true).unwrap().text(), "echo: Hello there");
}

#[test]
fn cancel_from_another_thread() {
    let client = client_for("slow:3000");
    let cancel = Cancel::new();
    let t0 = Instant::now();
    let e = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            cancel.trigger();
        });
        client.chat_with(HELLO, None, Some(&cancel)).unwrap_err()
    });
    assert_eq!(e.status(), status::CANCELLED);
    assert!(cancel.is_triggered() && t0.elapsed() < Duration::from_millis(1500));
    // A triggered token stops the next call at once.
    let e = client.chat_stream_with(HELLO, None, Some(&cancel), |_| true).unwrap_err();
    assert_eq!(e.status(), status::CANCELLED);
}

#[test]
fn cancel_by_a_descriptor() {
    use std::io::Write;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;
    let client = client_for("slow:3000");
    let cancel = Cancel::new();
    let (mut writer, reader) = UnixStream::pair().unwrap();
    cancel.watch_fd(reader.as_raw_fd()).unwrap();
    let t0 = Instant::now();
    let e = std::thread::scope(|s| {
        s.spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            writer.write_all(b"!").unwrap();
        });
        client.chat_with(HELLO, None, Some(&cancel)).unwrap_err()
    });
    assert_eq!(e.status(), status::CANCELLED);
    assert!(cancel.is_triggered() && t0.elapsed() < Duration::from_millis(1500));
    assert_eq!(cancel.watch_fd(-7).unwrap_err().status(), status::INVALID_ARGUMENT);
}

#[test]
fn one_client_many_threads() {
    let client = client_for("ok");
    std::thread::scope(|s| {
        for t in 0..8 {
            let client = &client;
            s.spawn(move || {
                for i in 0..5 {
                    let req = format!(r#"{{"messages": [{{"role": "user", "content": "t{t} c{i}"}}]}}"#);
                    assert_eq!(client.chat(&req).unwrap().text(), format!("echo: t{t} c{i}"));
                }
            });
        }
    });
}

/// The header of a PNG of `width` x `height`: what the library reads an image's type and size from.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut h = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    h.extend_from_slice(&width.to_be_bytes());
    h.extend_from_slice(&height.to_be_bytes());
    h.extend_from_slice(&[0; 17]);
    h
}

#[test]
fn images_and_grounding() {
    let png = png_header(1000, 500);
    assert_eq!(qwen3vl::image_size_from_bytes(&png).unwrap(), (1000, 500));
    let uri = qwen3vl::image_data_uri(&png).unwrap();
    assert!(uri.starts_with("data:image/png;base64,iVBORw0KGgo") && uri.len() == 22 + (png.len() + 2) / 3 * 4, "{uri}");
    assert!(qwen3vl::image_part_json(&png, Some("low")).unwrap().contains(r#""detail":"low""#));
    assert_eq!(qwen3vl::image_tokens(1000, 500, 0, 0).unwrap(), 496);
    let path = std::env::temp_dir().join(format!("qwen3vl-rust-{}.png", std::process::id()));
    std::fs::write(&path, &png).unwrap();
    let size = qwen3vl::image_size(&path);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(size.unwrap(), (1000, 500));
    let rgb = [255u8, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
    assert!(qwen3vl::pixels_data_uri(&rgb, 2, 2, 0, qwen3vl::PixelFormat::Rgb8).unwrap().starts_with("data:image/png;base64,"));
    let answer = "```json\n[{\"bbox_2d\": [100, 200, 500, 800], \"label\": \"cat\"}]\n```";
    let boxes = qwen3vl::grounding_parse(answer, 1000, 500).unwrap().replace(' ', ""); // the model's spacing is kept
    assert_eq!(boxes, r#"[{"bbox_2d":[100,100,500,400],"label":"cat"}]"#);
    assert_eq!(qwen3vl::grounding_parse("", 10, 10).unwrap(), "[]");
    // Failures carry the library's status and message.
    let e = qwen3vl::image_data_uri(b"not an image").unwrap_err();
    assert!(e.status() == status::FILE && !e.message().is_empty(), "{e}");
    assert_eq!(qwen3vl::image_size("/nonexistent/cat.png").unwrap_err().status(), status::FILE);
    assert_eq!(qwen3vl::image_tokens(0, 10, 0, 0).unwrap_err().status(), status::INVALID_ARGUMENT);
    assert_eq!(qwen3vl::pixels_data_uri(&rgb[..3], 2, 2, 0, qwen3vl::PixelFormat::Rgb8).unwrap_err().status(), status::INVALID_ARGUMENT);
    assert_eq!(qwen3vl::image_size_from_bytes(&png[..10]).unwrap_err().status(), status::FILE);
}
