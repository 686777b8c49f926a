//! The C interface, declared by hand from `include/qwen3vl.h` (no bindgen: no crates here).
//! Every function is as the header documents it; the safe layer is in the crate's root.
#![allow(non_camel_case_types, missing_docs)]

use std::os::raw::{c_char, c_int, c_void};

pub const QWEN3VL_OK: c_int = 0;
pub const QWEN3VL_ERR_INVALID_ARGUMENT: c_int = 1;
pub const QWEN3VL_ERR_INVALID_REQUEST: c_int = 2;
pub const QWEN3VL_ERR_FILE: c_int = 3;
pub const QWEN3VL_ERR_CONNECT: c_int = 4;
pub const QWEN3VL_ERR_TIMEOUT: c_int = 5;
pub const QWEN3VL_ERR_AUTH: c_int = 6;
pub const QWEN3VL_ERR_RATE_LIMIT: c_int = 7;
pub const QWEN3VL_ERR_BAD_REQUEST: c_int = 8;
pub const QWEN3VL_ERR_SERVER: c_int = 9;
pub const QWEN3VL_ERR_PROTOCOL: c_int = 10;
pub const QWEN3VL_ERR_TOO_LARGE: c_int = 11;
pub const QWEN3VL_ERR_CANCELLED: c_int = 12;
pub const QWEN3VL_ERR_INTERNAL: c_int = 13;

pub const QWEN3VL_TOKENS_PROMPT: c_int = 0;
pub const QWEN3VL_TOKENS_COMPLETION: c_int = 1;
pub const QWEN3VL_TOKENS_TOTAL: c_int = 2;

pub const QWEN3VL_LOG_ERROR: c_int = 0;
pub const QWEN3VL_LOG_WARNING: c_int = 1;
pub const QWEN3VL_LOG_INFO: c_int = 2;
pub const QWEN3VL_LOG_DEBUG: c_int = 3;

pub const QWEN3VL_PIXELS_GRAY8: c_int = 0;
pub const QWEN3VL_PIXELS_RGB8: c_int = 1;
pub const QWEN3VL_PIXELS_RGBA8: c_int = 2;
pub const QWEN3VL_PIXELS_BGRA8: c_int = 3;
pub const QWEN3VL_PIXELS_BGR8: c_int = 4;

pub const QWEN3VL_EVENT_DELTA: c_int = 1;
pub const QWEN3VL_EVENT_DONE: c_int = 2;

#[repr(C)]
pub struct qwen3vl_client {
    _private: [u8; 0],
}
#[repr(C)]
pub struct qwen3vl_result {
    _private: [u8; 0],
}
#[repr(C)]
pub struct qwen3vl_cancel {
    _private: [u8; 0],
}
#[repr(C)]
pub struct qwen3vl_call {
    _private: [u8; 0],
}
#[repr(C)]
pub struct qwen3vl_event {
    _private: [u8; 0],
}

pub type qwen3vl_delta_fn =
    Option<unsafe extern "C" fn(text: *const c_char, text_len: usize, chunk_json: *const c_char, user_data: *mut c_void) -> c_int>;
pub type qwen3vl_log_fn = Option<unsafe extern "C" fn(level: c_int, message: *const c_char, user_data: *mut c_void)>;

extern "C" {
    pub fn qwen3vl_version() -> *const c_char;
    pub fn qwen3vl_version_number() -> c_int;
    pub fn qwen3vl_status_name(status: c_int) -> *const c_char;

    pub fn qwen3vl_client_new(options_json: *const c_char, errbuf: *mut c_char, errbuf_size: usize) -> *mut qwen3vl_client;
    pub fn qwen3vl_client_free(client: *mut qwen3vl_client);
    pub fn qwen3vl_client_set_log(client: *mut qwen3vl_client, f: qwen3vl_log_fn, max_level: c_int, user_data: *mut c_void);
    pub fn qwen3vl_client_cancel_all(client: *mut qwen3vl_client);

    pub fn qwen3vl_chat(client: *mut qwen3vl_client, request_json: *const c_char) -> *mut qwen3vl_result;
    pub fn qwen3vl_chat_stream(
        client: *mut qwen3vl_client,
        request_json: *const c_char,
        on_delta: qwen3vl_delta_fn,
        user_data: *mut c_void,
    ) -> *mut qwen3vl_result;

    pub fn qwen3vl_cancel_new() -> *mut qwen3vl_cancel;
    pub fn qwen3vl_cancel_trigger(cancel: *mut qwen3vl_cancel);
    pub fn qwen3vl_cancel_is_triggered(cancel: *const qwen3vl_cancel) -> c_int;
    pub fn qwen3vl_cancel_free(cancel: *mut qwen3vl_cancel);
    pub fn qwen3vl_cancel_watch_fd(cancel: *mut qwen3vl_cancel, fd: c_int, errbuf: *mut c_char, errbuf_size: usize) -> c_int;
    pub fn qwen3vl_chat_cancellable(
        client: *mut qwen3vl_client,
        request_json: *const c_char,
        cancel: *mut qwen3vl_cancel,
    ) -> *mut qwen3vl_result;
    pub fn qwen3vl_chat_stream_cancellable(
        client: *mut qwen3vl_client,
        request_json: *const c_char,
        on_delta: qwen3vl_delta_fn,
        user_data: *mut c_void,
        cancel: *mut qwen3vl_cancel,
    ) -> *mut qwen3vl_result;
    pub fn qwen3vl_chat_v2(
        client: *mut qwen3vl_client,
        request_json: *const c_char,
        call_options_json: *const c_char,
        cancel: *mut qwen3vl_cancel,
        on_delta: qwen3vl_delta_fn,
        user_data: *mut c_void,
    ) -> *mut qwen3vl_result;

    pub fn qwen3vl_call_start(
        client: *mut qwen3vl_client,
        request_json: *const c_char,
        call_options_json: *const c_char,
        user_data: *mut c_void,
    ) -> *mut qwen3vl_call;
    pub fn qwen3vl_client_event_fd(client: *mut qwen3vl_client) -> c_int;
    pub fn qwen3vl_client_next_event(client: *mut qwen3vl_client, timeout_ms: c_int) -> *mut qwen3vl_event;
    pub fn qwen3vl_event_kind(ev: *const qwen3vl_event) -> c_int;
    pub fn qwen3vl_event_call(ev: *const qwen3vl_event) -> *mut qwen3vl_call;
    pub fn qwen3vl_event_user_data(ev: *const qwen3vl_event) -> *mut c_void;
    pub fn qwen3vl_event_text(ev: *const qwen3vl_event, len: *mut usize) -> *const c_char;
    pub fn qwen3vl_event_chunk_json(ev: *const qwen3vl_event) -> *const c_char;
    pub fn qwen3vl_event_free(ev: *mut qwen3vl_event);
    pub fn qwen3vl_client_take_events(client: *mut qwen3vl_client, timeout_ms: c_int, buf: *mut c_void, cap: usize,
                                      used: *mut usize) -> usize;
    pub fn qwen3vl_call_cancel(call: *mut qwen3vl_call);
    pub fn qwen3vl_call_result(call: *mut qwen3vl_call) -> *mut qwen3vl_result;
    pub fn qwen3vl_call_free(call: *mut qwen3vl_call);

    pub fn qwen3vl_result_status(r: *const qwen3vl_result) -> c_int;
    pub fn qwen3vl_result_error(r: *const qwen3vl_result) -> *const c_char;
    pub fn qwen3vl_result_http_status(r: *const qwen3vl_result) -> c_int;
    pub fn qwen3vl_result_text(r: *const qwen3vl_result) -> *const c_char;
    pub fn qwen3vl_result_text_len(r: *const qwen3vl_result) -> usize;
    pub fn qwen3vl_result_finish_reason(r: *const qwen3vl_result) -> *const c_char;
    pub fn qwen3vl_result_json(r: *const qwen3vl_result) -> *const c_char;
    pub fn qwen3vl_result_request_id(r: *const qwen3vl_result) -> *const c_char;
    pub fn qwen3vl_result_tokens(r: *const qwen3vl_result, kind: c_int) -> i64;
    pub fn qwen3vl_result_attempts(r: *const qwen3vl_result) -> c_int;
    pub fn qwen3vl_result_tool_calls_json(r: *const qwen3vl_result) -> *const c_char;
    pub fn qwen3vl_result_elapsed_ms(r: *const qwen3vl_result) -> f64;
    pub fn qwen3vl_result_headers(r: *const qwen3vl_result) -> *const c_char;
    pub fn qwen3vl_result_error_body(r: *const qwen3vl_result, len: *mut usize) -> *const c_char;
    pub fn qwen3vl_result_free(r: *mut qwen3vl_result);

    pub fn qwen3vl_free(p: *mut c_void);
    pub fn qwen3vl_image_data_uri(
        bytes: *const c_void,
        len: usize,
        out: *mut *mut c_char,
        out_len: *mut usize,
        errbuf: *mut c_char,
        errbuf_size: usize,
    ) -> c_int;
    pub fn qwen3vl_image_part_json(
        bytes: *const c_void,
        len: usize,
        detail: *const c_char,
        out: *mut *mut c_char,
        out_len: *mut usize,
        errbuf: *mut c_char,
        errbuf_size: usize,
    ) -> c_int;
    pub fn qwen3vl_pixels_data_uri(
        pixels: *const c_void,
        pixels_len: usize,
        width: c_int,
        height: c_int,
        stride: usize,
        format: c_int,
        out: *mut *mut c_char,
        out_len: *mut usize,
        errbuf: *mut c_char,
        errbuf_size: usize,
    ) -> c_int;
    pub fn qwen3vl_image_size(path: *const c_char, width: *mut c_int, height: *mut c_int, errbuf: *mut c_char, errbuf_size: usize) -> c_int;
    pub fn qwen3vl_image_size_from_bytes(
        bytes: *const c_void,
        len: usize,
        width: *mut c_int,
        height: *mut c_int,
        errbuf: *mut c_char,
        errbuf_size: usize,
    ) -> c_int;
    pub fn qwen3vl_image_tokens(
        width: c_int,
        height: c_int,
        min_pixels: i64,
        max_pixels: i64,
        tokens: *mut i64,
        errbuf: *mut c_char,
        errbuf_size: usize,
    ) -> c_int;
    pub fn qwen3vl_grounding_parse(
        text: *const c_char,
        text_len: usize,
        width: c_int,
        height: c_int,
        out: *mut *mut c_char,
        out_len: *mut usize,
        errbuf: *mut c_char,
        errbuf_size: usize,
    ) -> c_int;
}
