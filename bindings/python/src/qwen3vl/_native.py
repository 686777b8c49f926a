# SPDX-License-Identifier: MIT
"""The C library as the binding sees it: finds libqwen3vl.so, checks its version, and declares each C
function the binding calls, once, with its C types (for ctypes) beside its Python types (for mypy,
which so checks every call across ctypes). Names drop the ``qwen3vl_`` prefix: ``call_start`` is
``qwen3vl_call_start``. tests/test_header.py pins the declarations and constants to qwen3vl.h.

Nothing here is Pythonic on purpose; the rest of the package builds on it.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import POINTER, c_char_p, c_double, c_int, c_int64, c_size_t, c_void_p
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List, NewType, Optional, Tuple

if TYPE_CHECKING:
    from _ctypes import _CArgObject

    ErrBuf = ctypes.Array[ctypes.c_char]  # ctypes.create_string_buffer(n)
    CharBuf = ctypes.Array[ctypes.c_char]  # a buffer the library writes into
    IntOut = _CArgObject  # ctypes.byref(ctypes.c_int()), and so on for the out-parameters below
    Int64Out = _CArgObject
    TextOut = _CArgObject  # char **out: ctypes.byref(ctypes.c_void_p())
    LogFn = ctypes._CFunctionType  # an instance of LOG_FN
    DeltaFn = ctypes._CFunctionType  # an instance of DELTA_FN
    SizeOut = _CArgObject  # ctypes.byref(ctypes.c_size_t())

EXPECTED_VERSION = (0, 1)

# Opaque handles: ints to Python (None for NULL), kept apart for mypy.
ClientPtr = NewType("ClientPtr", int)
CallPtr = NewType("CallPtr", int)
EventPtr = NewType("EventPtr", int)
ResultPtr = NewType("ResultPtr", int)
CancelPtr = NewType("CancelPtr", int)

OK = 0  # QWEN3VL_OK; the error codes come from qwen3vl_status_name (see _errors)
TOKENS_PROMPT, TOKENS_COMPLETION, TOKENS_TOTAL = 0, 1, 2
PIXELS_GRAY8, PIXELS_RGB8, PIXELS_RGBA8, PIXELS_BGRA8, PIXELS_BGR8 = 0, 1, 2, 3, 4
EVENT_DELTA, EVENT_DONE = 1, 2
LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG = 0, 1, 2, 3

# void (*)(int level, const char *message, void *user_data)
LOG_FN = ctypes.CFUNCTYPE(None, c_int, c_char_p, c_void_p)
# int (*)(const char *text, size_t text_len, const char *chunk_json, void *user_data): NULL only
DELTA_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_char_p, c_void_p)
NO_DELTA = DELTA_FN()


def _candidates() -> List[str]:
    env = os.environ.get("QWEN3VL_LIBRARY")
    if env:
        return [env]  # an explicit choice is the only one tried
    out: List[str] = []
    here = Path(__file__).resolve().parent
    packaged = here / "_lib" / "libqwen3vl.so.0"  # inside an installed wheel
    if packaged.exists():
        out.append(str(packaged))
    # An editable install, or the source tree on sys.path: the checkout's own `make lib`.
    checkout = here.parents[3] if len(here.parents) > 3 else None
    if checkout is not None and (checkout / "include" / "qwen3vl.h").exists():
        out.append(str(checkout / "build" / "lib" / "libqwen3vl.so.0"))
    found = ctypes.util.find_library("qwen3vl")
    return out + ([found] if found else []) + ["libqwen3vl.so.0"]


def _load() -> Tuple[ctypes.CDLL, str]:
    """The first libqwen3vl that loads and has a compatible version, or ImportError saying what to do."""
    tried: List[str] = []
    for path in _candidates():
        try:
            cdll = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
            continue
        cdll.qwen3vl_version.restype = c_char_p
        version = (cdll.qwen3vl_version() or b"").decode()
        if tuple(int(p) for p in version.split(".")[:2] if p.isdigit()) == EXPECTED_VERSION:
            return cdll, path
        tried.append(f"{path}: version {version}, this package needs {EXPECTED_VERSION[0]}.{EXPECTED_VERSION[1]}.x")
    raise ImportError(
        "qwen3vl: could not load libqwen3vl.so.0 (tried: " + "; ".join(tried) + "). "
        "Build it with `make lib` at the top of the repository and reinstall this package "
        "(`pip install bindings/python`), install it system-wide with `make install`, "
        "or point QWEN3VL_LIBRARY at the .so."
    )


_cdll, path = _load()


def _c(name: str, restype: Any, *argtypes: Any) -> Any:
    fn = getattr(_cdll, "qwen3vl_" + name)
    fn.restype, fn.argtypes = restype, argtypes
    return fn


# A c_void_p result is an int (None for NULL): strings the caller must free, or text read with its
# length because it may hold NULs.
version: Callable[[], bytes] = _c("version", c_char_p)
status_name: Callable[[int], bytes] = _c("status_name", c_char_p, c_int)

client_new: Callable[[bytes, ErrBuf, int], Optional[ClientPtr]] = _c(
    "client_new", c_void_p, c_char_p, c_char_p, c_size_t)
client_free: Callable[[ClientPtr], None] = _c("client_free", None, c_void_p)
client_cancel_all: Callable[[ClientPtr], None] = _c("client_cancel_all", None, c_void_p)
client_set_log: Callable[[ClientPtr, LogFn, int, None], None] = _c("client_set_log", None, c_void_p, LOG_FN, c_int,
                                                                  c_void_p)

cancel_new: Callable[[], Optional[CancelPtr]] = _c("cancel_new", c_void_p)
cancel_trigger: Callable[[CancelPtr], None] = _c("cancel_trigger", None, c_void_p)
cancel_free: Callable[[CancelPtr], None] = _c("cancel_free", None, c_void_p)
cancel_watch_fd: Callable[[CancelPtr, int, None, int], int] = _c(
    "cancel_watch_fd", c_int, c_void_p, c_int, c_char_p, c_size_t)
# The blocking call, on the caller's thread; its result is the caller's to free.
chat_v2: Callable[[ClientPtr, bytes, bytes, CancelPtr, DeltaFn, None], Optional[ResultPtr]] = _c(
    "chat_v2", c_void_p, c_void_p, c_char_p, c_char_p, c_void_p, DELTA_FN, c_void_p)
result_free: Callable[[ResultPtr], None] = _c("result_free", None, c_void_p)

call_start: Callable[[ClientPtr, bytes, bytes, int], Optional[CallPtr]] = _c(
    "call_start", c_void_p, c_void_p, c_char_p, c_char_p, c_void_p)
client_event_fd: Callable[[ClientPtr], int] = _c("client_event_fd", c_int, c_void_p)
client_next_event: Callable[[ClientPtr, int], Optional[EventPtr]] = _c("client_next_event", c_void_p, c_void_p, c_int)
event_kind: Callable[[EventPtr], int] = _c("event_kind", c_int, c_void_p)
event_call: Callable[[EventPtr], CallPtr] = _c("event_call", c_void_p, c_void_p)
event_user_data: Callable[[EventPtr], Optional[int]] = _c("event_user_data", c_void_p, c_void_p)
event_text: Callable[[EventPtr, SizeOut], Optional[int]] = _c("event_text", c_void_p, c_void_p, POINTER(c_size_t))
event_chunk_json: Callable[[EventPtr], bytes] = _c("event_chunk_json", c_char_p, c_void_p)  # NULs escaped
event_free: Callable[[EventPtr], None] = _c("event_free", None, c_void_p)
client_take_events: Callable[[ClientPtr, int, CharBuf, int, SizeOut], int] = _c(
    "client_take_events", c_size_t, c_void_p, c_int, c_void_p, c_size_t, POINTER(c_size_t))
call_cancel: Callable[[CallPtr], None] = _c("call_cancel", None, c_void_p)
call_result: Callable[[CallPtr], Optional[ResultPtr]] = _c("call_result", c_void_p, c_void_p)  # the call's own
call_free: Callable[[CallPtr], None] = _c("call_free", None, c_void_p)

result_status: Callable[[ResultPtr], int] = _c("result_status", c_int, c_void_p)
result_error: Callable[[ResultPtr], bytes] = _c("result_error", c_char_p, c_void_p)
result_http_status: Callable[[ResultPtr], int] = _c("result_http_status", c_int, c_void_p)
result_text: Callable[[ResultPtr], Optional[int]] = _c("result_text", c_void_p, c_void_p)
result_text_len: Callable[[ResultPtr], int] = _c("result_text_len", c_size_t, c_void_p)
result_finish_reason: Callable[[ResultPtr], bytes] = _c("result_finish_reason", c_char_p, c_void_p)
result_json: Callable[[ResultPtr], bytes] = _c("result_json", c_char_p, c_void_p)
result_request_id: Callable[[ResultPtr], bytes] = _c("result_request_id", c_char_p, c_void_p)
result_tokens: Callable[[ResultPtr, int], int] = _c("result_tokens", c_int64, c_void_p, c_int)
result_attempts: Callable[[ResultPtr], int] = _c("result_attempts", c_int, c_void_p)
result_tool_calls_json: Callable[[ResultPtr], bytes] = _c("result_tool_calls_json", c_char_p, c_void_p)
result_elapsed_ms: Callable[[ResultPtr], float] = _c("result_elapsed_ms", c_double, c_void_p)
result_headers: Callable[[ResultPtr], bytes] = _c("result_headers", c_char_p, c_void_p)
result_error_body: Callable[[ResultPtr, SizeOut], Optional[int]] = _c("result_error_body", c_void_p, c_void_p,
                                                                      POINTER(c_size_t))

free: Callable[[int], None] = _c("free", None, c_void_p)

# The helpers: an int status, a message in (errbuf, errbuf_size), text handed out in
# (char **out, size_t *out_len) and freed with free().
_TEXT = (POINTER(c_void_p), POINTER(c_size_t))
_ERR = (c_char_p, c_size_t)
image_data_uri: Callable[[bytes, int, TextOut, SizeOut, ErrBuf, int], int] = _c(
    "image_data_uri", c_int, c_void_p, c_size_t, *_TEXT, *_ERR)
pixels_data_uri: Callable[[bytes, int, int, int, int, int, TextOut, SizeOut, ErrBuf, int], int] = _c(
    "pixels_data_uri", c_int, c_void_p, c_size_t, c_int, c_int, c_size_t, c_int, *_TEXT, *_ERR)
image_size: Callable[[bytes, IntOut, IntOut, ErrBuf, int], int] = _c(
    "image_size", c_int, c_char_p, POINTER(c_int), POINTER(c_int), *_ERR)
image_size_from_bytes: Callable[[bytes, int, IntOut, IntOut, ErrBuf, int], int] = _c(
    "image_size_from_bytes", c_int, c_void_p, c_size_t, POINTER(c_int), POINTER(c_int), *_ERR)
image_tokens: Callable[[int, int, int, int, Int64Out, ErrBuf, int], int] = _c(
    "image_tokens", c_int, c_int, c_int, c_int64, c_int64, POINTER(c_int64), *_ERR)
grounding_parse: Callable[[bytes, int, int, int, TextOut, SizeOut, ErrBuf, int], int] = _c(
    "grounding_parse", c_int, c_char_p, c_size_t, c_int, c_int, *_TEXT, *_ERR)


def helper(call: Callable[[ErrBuf, int], int]) -> Tuple[int, str]:
    """Runs a helper given an error buffer: its status and message."""
    err = ctypes.create_string_buffer(512)
    status = call(err, len(err))
    return status, err.value.decode("utf-8", "replace")


def text_helper(call: Callable[[TextOut, SizeOut, ErrBuf, int], int]) -> Tuple[int, str, str]:
    """Runs a helper that hands out text, given (out, out_len) and an error buffer: its status, the
    text (decoded, the library's copy freed) and the message."""
    out, out_len = c_void_p(), c_size_t()
    status, message = helper(lambda err, size: call(ctypes.byref(out), ctypes.byref(out_len), err, size))
    if not out.value:
        return status, "", message
    try:
        return status, ctypes.string_at(out.value, out_len.value).decode("utf-8"), message
    finally:
        free(out.value)


def sized(p: Optional[int], size: int) -> bytes:
    """``size`` bytes at ``p`` (text read with its length: it may hold NULs)."""
    return ctypes.string_at(p, size) if p and size else b""
