#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod sys;
mod vision;

pub use vision::{grounding_parse, image_data_uri, image_part_json, image_size, image_size_from_bytes, image_tokens, pixels_data_uri, PixelFormat};

use std::any::Any;
use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::time::Duration;

/// The library's status codes (`QWEN3VL_OK`, `QWEN3VL_ERR_*`), as [`Error::status`] gives them.
pub mod status {
    #![allow(missing_docs)]
    use crate::sys;
    pub const OK: i32 = sys::QWEN3VL_OK;
    pub const INVALID_ARGUMENT: i32 = sys::QWEN3VL_ERR_INVALID_ARGUMENT;
    pub const INVALID_REQUEST: i32 = sys::QWEN3VL_ERR_INVALID_REQUEST;
    pub const FILE: i32 = sys::QWEN3VL_ERR_FILE;
    pub const CONNECT: i32 = sys::QWEN3VL_ERR_CONNECT;
    pub const TIMEOUT: i32 = sys::QWEN3VL_ERR_TIMEOUT;
    pub const AUTH: i32 = sys::QWEN3VL_ERR_AUTH;
    pub const RATE_LIMIT: i32 = sys::QWEN3VL_ERR_RATE_LIMIT;
    pub const BAD_REQUEST: i32 = sys::QWEN3VL_ERR_BAD_REQUEST;
    pub const SERVER: i32 = sys::QWEN3VL_ERR_SERVER;
    pub const PROTOCOL: i32 = sys::QWEN3VL_ERR_PROTOCOL;
    pub const TOO_LARGE: i32 = sys::QWEN3VL_ERR_TOO_LARGE;
    pub const CANCELLED: i32 = sys::QWEN3VL_ERR_CANCELLED;
    pub const INTERNAL: i32 = sys::QWEN3VL_ERR_INTERNAL;
}

/// The library's version, e.g. `"0.1.0"`.
pub fn version() -> &'static str {
    // SAFETY: static storage, NUL-terminated.
    unsafe { static_str(sys::qwen3vl_version()) }
}

/// The name of a status code, e.g. `"QWEN3VL_ERR_TIMEOUT"`.
pub fn status_name(status: i32) -> &'static str {
    // SAFETY: static storage, NUL-terminated, for any code.
    unsafe { static_str(sys::qwen3vl_status_name(status)) }
}

unsafe fn static_str(p: *const c_char) -> &'static str {
    if p.is_null() {
        ""
    } else {
        CStr::from_ptr(p).to_str().unwrap_or("")
    }
}

/// A failed call, or options the client refused: the library's status code, its message, and for
/// calls the last HTTP status and the request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: i32,
    message: String,
    http_status: u16,
    request_id: String,
}

impl Error {
    fn new(status: i32, message: impl Into<String>) -> Error {
        Error { status, message: message.into(), http_status: 0, request_id: String::new() }
    }

    /// The status code, one of [`status`] (never [`status::OK`]).
    pub fn status(&self) -> i32 {
        self.status
    }
    /// The status code's name, e.g. `"QWEN3VL_ERR_AUTH"`.
    pub fn status_name(&self) -> &'static str {
        status_name(self.status)
    }
    /// What went wrong; for HTTP errors the server's own message, for bad requests the JSON path.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The last HTTP status, if a reply came.
    pub fn http_status(&self) -> Option<u16> {
        (self.http_status != 0).then_some(self.http_status)
    }
    /// The request id the server gave (`x-inference-id`, `x-request-id`, or the reply's id), if any.
    pub fn request_id(&self) -> Option<&str> {
        (!self.request_id.is_empty()).then_some(self.request_id.as_str())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status_name(), self.message)
    }
}

impl std::error::Error for Error {}

/// Token counts of a reply; `None` where the server gave none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Tokens of the request (images included).
    pub prompt_tokens: Option<i64>,
    /// Tokens of the reply.
    pub completion_tokens: Option<i64>,
    /// Both.
    pub total_tokens: Option<i64>,
}

/// A successful reply. Its strings borrow from it.
pub struct Reply {
    raw: NonNull<sys::qwen3vl_result>,
}

// SAFETY: a result belongs to one thread at a time (qwen3vl.h), and may move between threads.
unsafe impl Send for Reply {}

impl Reply {
    fn r(&self) -> *const sys::qwen3vl_result {
        self.raw.as_ptr()
    }
    fn str_of(&self, p: *const c_char) -> &str {
        // SAFETY: strings the result returns live as long as it does.
        unsafe { static_str(p) }
    }

    /// The assistant's text. The library hands out UTF-8; should a byte sequence ever not be, the
    /// text stops before it ([`Reply::text_bytes`] has every byte).
    pub fn text(&self) -> &str {
        let b = self.text_bytes();
        match std::str::from_utf8(b) {
            Ok(s) => s,
            // SAFETY: the bytes up to valid_up_to are valid UTF-8.
            Err(e) => unsafe { std::str::from_utf8_unchecked(&b[..e.valid_up_to()]) },
        }
    }
    /// The assistant's text as bytes, NULs included (`"\u0000"` in a reply is valid JSON).
    pub fn text_bytes(&self) -> &[u8] {
        // SAFETY: text_len bytes at text, owned by the result.
        unsafe {
            let p = sys::qwen3vl_result_text(self.r());
            if p.is_null() {
                &[]
            } else {
                std::slice::from_raw_parts(p.cast::<u8>(), sys::qwen3vl_result_text_len(self.r()))
            }
        }
    }
    /// `"stop"`, `"length"`, `"tool_calls"`, ...
    pub fn finish_reason(&self) -> &str {
        self.str_of(unsafe { sys::qwen3vl_result_finish_reason(self.r()) })
    }
    /// The whole `chat.completion` object as JSON (assembled, for a stream).
    pub fn json(&self) -> &str {
        self.str_of(unsafe { sys::qwen3vl_result_json(self.r()) })
    }
    /// The server's name for the call (`x-inference-id`, `x-request-id`, else the reply's id).
    pub fn request_id(&self) -> &str {
        self.str_of(unsafe { sys::qwen3vl_result_request_id(self.r()) })
    }
    /// The reply's tool calls as a JSON array; `""` if none.
    pub fn tool_calls_json(&self) -> &str {
        self.str_of(unsafe { sys::qwen3vl_result_tool_calls_json(self.r()) })
    }
    /// Token counts.
    pub fn usage(&self) -> Usage {
        let t = |kind| {
            let v = unsafe { sys::qwen3vl_result_tokens(self.r(), kind) };
            (v >= 0).then_some(v)
        };
        Usage {
            prompt_tokens: t(sys::QWEN3VL_TOKENS_PROMPT),
            completion_tokens: t(sys::QWEN3VL_TOKENS_COMPLETION),
            total_tokens: t(sys::QWEN3VL_TOKENS_TOTAL),
        }
    }
    /// The HTTP status of the reply.
    pub fn http_status(&self) -> u16 {
        u16::try_from(unsafe { sys::qwen3vl_result_http_status(self.r()) }).unwrap_or(0)
    }
    /// HTTP attempts made, retries included.
    pub fn attempts(&self) -> u32 {
        u32::try_from(unsafe { sys::qwen3vl_result_attempts(self.r()) }).unwrap_or(0)
    }
    /// Wall-clock time the call took, retries and waits included.
    pub fn elapsed(&self) -> Duration {
        Duration::from_secs_f64(unsafe { sys::qwen3vl_result_elapsed_ms(self.r()) }.max(0.0) / 1000.0)
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { sys::qwen3vl_result_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("text", &self.text())
            .field("finish_reason", &self.finish_reason())
            .field("request_id", &self.request_id())
            .finish()
    }
}

/// Turns a result the library returned into a reply, or into the error it holds (freeing it).
fn finish(raw: *mut sys::qwen3vl_result) -> Result<Reply, Error> {
    let raw = NonNull::new(raw).ok_or_else(|| Error::new(status::INTERNAL, "out of memory"))?;
    let reply = Reply { raw };
    let status = unsafe { sys::qwen3vl_result_status(reply.r()) };
    if status == status::OK {
        return Ok(reply);
    }
    Err(Error {
        status,
        message: reply.str_of(unsafe { sys::qwen3vl_result_error(reply.r()) }).to_owned(),
        http_status: u16::try_from(unsafe { sys::qwen3vl_result_http_status(reply.r()) }).unwrap_or(0),
        request_id: reply.request_id().to_owned(),
    })
}

fn c_string(what: &str, s: &str) -> Result<CString, Error> {
    CString::new(s).map_err(|e| Error::new(status::INVALID_ARGUMENT, format!("{what} contains a NUL byte at {}", e.nul_position())))
}

fn c_opt(what: &str, s: Option<&str>) -> Result<Option<CString>, Error> {
    s.map(|s| c_string(what, s)).transpose()
}

fn ptr_of(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

/// The message buffer a function with a status and an error buffer writes a failure into.
pub(crate) struct ErrBuf(pub(crate) [c_char; 512]);

impl ErrBuf {
    pub(crate) fn new() -> ErrBuf {
        ErrBuf([0; 512])
    }
    pub(crate) fn check(&self, status: c_int) -> Result<(), Error> {
        if status == status::OK {
            return Ok(());
        }
        // SAFETY: the library wrote a NUL-terminated message (or left the buffer zeroed).
        let message = unsafe { CStr::from_ptr(self.0.as_ptr()) }.to_string_lossy().into_owned();
        Err(Error::new(status, message))
    }
}

/// A one-shot switch that stops the calls it is given to, from any thread (share it by reference
/// or in an `Arc`). Once triggered it stays triggered.
pub struct Cancel {
    raw: NonNull<sys::qwen3vl_cancel>,
}

// SAFETY: every qwen3vl_cancel function is thread-safe.
unsafe impl Send for Cancel {}
unsafe impl Sync for Cancel {}

impl Cancel {
    /// A new, untriggered token.
    pub fn new() -> Cancel {
        let raw = NonNull::new(unsafe { sys::qwen3vl_cancel_new() }).unwrap_or_else(|| std::alloc::handle_alloc_error(std::alloc::Layout::new::<usize>()));
        Cancel { raw }
    }
    /// Stops every call using this token: each returns an error with [`status::CANCELLED`].
    pub fn trigger(&self) {
        unsafe { sys::qwen3vl_cancel_trigger(self.raw.as_ptr()) }
    }
    /// Whether [`Cancel::trigger`] was called.
    pub fn is_triggered(&self) -> bool {
        unsafe { sys::qwen3vl_cancel_is_triggered(self.raw.as_ptr()) != 0 }
    }
    /// Also triggers the token when `fd` turns readable or hangs up (the read end of a self-pipe a
    /// signal handler writes, say), ending the call that waits at once. The library only polls the
    /// descriptor, never reads or closes it; `-1` stops watching. A call keeps the descriptor it
    /// started with. Fails with [`status::INVALID_ARGUMENT`] for a descriptor that is not open.
    pub fn watch_fd(&self, fd: std::os::unix::io::RawFd) -> Result<(), Error> {
        let mut err = ErrBuf::new();
        let status = unsafe { sys::qwen3vl_cancel_watch_fd(self.raw.as_ptr(), fd, err.0.as_mut_ptr(), err.0.len()) };
        err.check(status)
    }
}

impl Default for Cancel {
    fn default() -> Self {
        Cancel::new()
    }
}

impl Drop for Cancel {
    fn drop(&mut self) {
        // SAFETY: owned; a call still using the token keeps its own reference.
        unsafe { sys::qwen3vl_cancel_free(self.raw.as_ptr()) }
    }
}

/// A connection pool and its settings; calls on it may come from many threads at once.
pub struct Client {
    raw: NonNull<sys::qwen3vl_client>,
}

// SAFETY: a client may be used by any number of threads at once (qwen3vl.h).
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

/// The state a stream callback runs with: the caller's closure, and a panic it raised, which is
/// carried over the C library's frames and resumed once the call has returned.
struct Sink<'a> {
    on_delta: &'a mut dyn FnMut(&str) -> bool,
    panic: Option<Box<dyn Any + Send>>,
}

unsafe extern "C" fn delta_trampoline(text: *const c_char, len: usize, _chunk: *const c_char, user_data: *mut c_void) -> c_int {
    // SAFETY: user_data is the Sink of the call running on this thread; text holds len bytes.
    let sink = &mut *user_data.cast::<Sink>();
    let bytes = if text.is_null() { &[][..] } else { std::slice::from_raw_parts(text.cast::<u8>(), len) };
    let delta = String::from_utf8_lossy(bytes);
    match panic::catch_unwind(AssertUnwindSafe(|| (sink.on_delta)(&delta))) {
        Ok(go_on) => c_int::from(!go_on),
        Err(p) => {
            sink.panic = Some(p);
            1
        }
    }
}

impl Client {
    /// A client. `options_json` is `None` (all defaults: the key from `AIML_API_KEY`, the base URL
    /// from `AIML_API_BASE` or the AI/ML API) or a JSON object of options (`timeout_ms`, `base_url`,
    /// `max_retries`, ...; see `qwen3vl.h`). An unknown key or a bad value is an error naming it.
    pub fn new(options_json: Option<&str>) -> Result<Client, Error> {
        let options = c_opt("options_json", options_json)?;
        let mut err = [0 as c_char; 512];
        let raw = unsafe { sys::qwen3vl_client_new(ptr_of(&options), err.as_mut_ptr(), err.len()) };
        NonNull::new(raw).map(|raw| Client { raw }).ok_or_else(|| {
            // SAFETY: the library wrote a NUL-terminated message into err.
            let msg = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy().into_owned();
            Error::new(status::INVALID_ARGUMENT, msg)
        })
    }

    /// Sends a chat-completions request (JSON text) and waits for the whole reply.
    pub fn chat(&self, request_json: &str) -> Result<Reply, Error> {
        self.chat_with(request_json, None, None)
    }

    /// Streams the reply: `on_delta` gets each piece of text as it arrives, on this thread, and
    /// returns `false` to stop (the call then fails with [`status::CANCELLED`]). Returns the whole
    /// reply, assembled. A panic in `on_delta` stops the call and is resumed here.
    pub fn chat_stream<F: FnMut(&str) -> bool>(&self, request_json: &str, on_delta: F) -> Result<Reply, Error> {
        self.chat_stream_with(request_json, None, None, on_delta)
    }

    /// [`Client::chat`] with per-call options (JSON: `timeout_ms`, `idle_timeout_ms`, `max_retries`,
    /// `headers`, `query`) and a cancellation token, either of them optional.
    pub fn chat_with(&self, request_json: &str, call_options_json: Option<&str>, cancel: Option<&Cancel>) -> Result<Reply, Error> {
        let request = c_string("request_json", request_json)?;
        let options = c_opt("call_options_json", call_options_json)?;
        let cancel = cancel.map_or(ptr::null_mut(), |c| c.raw.as_ptr());
        finish(unsafe { sys::qwen3vl_chat_v2(self.raw.as_ptr(), request.as_ptr(), ptr_of(&options), cancel, None, ptr::null_mut()) })
    }

    /// [`Client::chat_stream`] with per-call options and a cancellation token.
    pub fn chat_stream_with<F: FnMut(&str) -> bool>(
        &self,
        request_json: &str,
        call_options_json: Option<&str>,
        cancel: Option<&Cancel>,
        mut on_delta: F,
    ) -> Result<Reply, Error> {
        let request = c_string("request_json", request_json)?;
        let options = c_opt("call_options_json", call_options_json)?;
        let cancel = cancel.map_or(ptr::null_mut(), |c| c.raw.as_ptr());
        let mut sink = Sink { on_delta: &mut on_delta, panic: None };
        let raw = unsafe {
            sys::qwen3vl_chat_v2(
                self.raw.as_ptr(),
                request.as_ptr(),
                ptr_of(&options),
                cancel,
                Some(delta_trampoline),
                (&mut sink as *mut Sink).cast(),
            )
        };
        let result = finish(raw);
        if let Some(p) = sink.panic {
            drop(result);
            panic::resume_unwind(p);
        }
        result
    }

    /// Cancels every call in flight on this client (from any thread); later calls are unaffected.
    pub fn cancel_all(&self) {
        unsafe { sys::qwen3vl_client_cancel_all(self.raw.as_ptr()) }
    }

    /// The C handle, for calls this crate does not wrap (see [`sys`]); owned by the client.
    pub fn as_ptr(&self) -> *mut sys::qwen3vl_client {
        self.raw.as_ptr()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: owned; no call can be running (they borrow the client).
        unsafe { sys::qwen3vl_client_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}
