# SPDX-License-Identifier: MIT
"""Low-level ctypes layer: finds libqwen3vl.so and declares every C function of qwen3vl.h once.

Nothing here is Pythonic on purpose; the classes in ``_client`` build on it. Functions keep their C
names without the ``qwen3vl_`` prefix, e.g. ``lib.chat`` is ``qwen3vl_chat``.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

EXPECTED_VERSION = (0, 1)

# Status codes, as in qwen3vl.h.
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_INVALID_REQUEST = 2
ERR_FILE = 3
ERR_CONNECT = 4
ERR_TIMEOUT = 5
ERR_AUTH = 6
ERR_RATE_LIMIT = 7
ERR_BAD_REQUEST = 8
ERR_SERVER = 9
ERR_PROTOCOL = 10
ERR_TOO_LARGE = 11
ERR_CANCELLED = 12
ERR_INTERNAL = 13

TOKENS_PROMPT, TOKENS_COMPLETION, TOKENS_TOTAL = 0, 1, 2
PIXELS_GRAY8, PIXELS_RGB8, PIXELS_RGBA8, PIXELS_BGRA8, PIXELS_BGR8 = 0, 1, 2, 3, 4

c_client_p = ctypes.c_void_p
c_result_p = ctypes.c_void_p
c_cancel_p = ctypes.c_void_p
c_call_p = ctypes.c_void_p
c_event_p = ctypes.c_void_p

# Event kinds of the non-blocking calls.
EVENT_DELTA, EVENT_DONE = 1, 2

# int (*)(const char *text, size_t text_len, const char *chunk_json, void *user_data)
# text arrives as a raw pointer: it is read with its length, so no NUL-scan and no lossy conversion.
# chunk_json likewise, read only by callers that want chunks.
DELTA_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p)

# void (*)(int level, const char *message, void *user_data)
LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG = 0, 1, 2, 3

_ERRBUF = [ctypes.c_char_p, ctypes.c_size_t]
_TEXT_OUT = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
_SIZE_OUT = [ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]

# (name, restype, argtypes); a c_void_p restype for strings the caller must free with qwen3vl_free.
_SIGNATURES: List[Tuple[str, Any, List[Any]]] = [
    ("version", ctypes.c_char_p, []),
    ("status_name", ctypes.c_char_p, [ctypes.c_int]),
    ("client_new", c_client_p, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]),
    ("client_free", None, [c_client_p]),
    ("client_cancel_all", None, [c_client_p]),
    ("client_set_log", None, [c_client_p, LOG_FN, ctypes.c_int, ctypes.c_void_p]),
    ("chat", c_result_p, [c_client_p, ctypes.c_char_p]),
    ("chat_stream", c_result_p, [c_client_p, ctypes.c_char_p, DELTA_FN, ctypes.c_void_p]),
    ("chat_cancellable", c_result_p, [c_client_p, ctypes.c_char_p, c_cancel_p]),
    ("chat_stream_cancellable", c_result_p, [c_client_p, ctypes.c_char_p, DELTA_FN, ctypes.c_void_p, c_cancel_p]),
    ("chat_v2", c_result_p, [c_client_p, ctypes.c_char_p, ctypes.c_char_p, c_cancel_p, DELTA_FN, ctypes.c_void_p]),
    ("call_start", c_call_p, [c_client_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]),
    ("client_event_fd", ctypes.c_int, [c_client_p]),
    ("client_next_event", c_event_p, [c_client_p, ctypes.c_int]),
    ("event_kind", ctypes.c_int, [c_event_p]),
    ("event_call", c_call_p, [c_event_p]),
    ("event_user_data", ctypes.c_void_p, [c_event_p]),
    # may hold NULs: the length comes back in the size_t out-parameter
    ("event_text", ctypes.c_void_p, [c_event_p, ctypes.POINTER(ctypes.c_size_t)]),
    ("event_chunk_json", ctypes.c_char_p, [c_event_p]),  # JSON: NULs in it are escaped
    ("event_free", None, [c_event_p]),
    ("call_cancel", None, [c_call_p]),
    ("call_result", c_result_p, [c_call_p]),  # owned by the call: never result_free it
    ("call_free", None, [c_call_p]),
    ("cancel_new", c_cancel_p, []),
    ("cancel_trigger", None, [c_cancel_p]),
    ("cancel_is_triggered", ctypes.c_int, [c_cancel_p]),
    ("cancel_free", None, [c_cancel_p]),
    ("result_status", ctypes.c_int, [c_result_p]),
    ("result_error", ctypes.c_char_p, [c_result_p]),
    ("result_http_status", ctypes.c_int, [c_result_p]),
    ("result_text", ctypes.c_void_p, [c_result_p]),  # may hold NULs: read with result_text_len
    ("result_text_len", ctypes.c_size_t, [c_result_p]),
    ("result_finish_reason", ctypes.c_char_p, [c_result_p]),
    ("result_json", ctypes.c_char_p, [c_result_p]),
    ("result_request_id", ctypes.c_char_p, [c_result_p]),
    ("result_tokens", ctypes.c_int64, [c_result_p, ctypes.c_int]),
    ("result_attempts", ctypes.c_int, [c_result_p]),
    ("result_tool_calls_json", ctypes.c_char_p, [c_result_p]),
    ("result_elapsed_ms", ctypes.c_double, [c_result_p]),
    ("result_free", None, [c_result_p]),
    ("free", None, [ctypes.c_void_p]),
    # The helpers: an int status, a message in (errbuf, errbuf_size), text out as (char **out, size_t *out_len).
    ("image_data_uri", ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t, *_TEXT_OUT, *_ERRBUF]),
    ("image_part_json", ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, *_TEXT_OUT, *_ERRBUF]),
    ("pixels_data_uri", ctypes.c_int,
     [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_int, *_TEXT_OUT, *_ERRBUF]),
    ("image_size", ctypes.c_int, [ctypes.c_char_p, *_SIZE_OUT, *_ERRBUF]),
    ("image_size_from_bytes", ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t, *_SIZE_OUT, *_ERRBUF]),
    ("image_tokens", ctypes.c_int,
     [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.POINTER(ctypes.c_int64), *_ERRBUF]),
    ("grounding_parse", ctypes.c_int,
     [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, *_TEXT_OUT, *_ERRBUF]),
]


class Library:
    """The loaded library with every function declared. Attribute names drop the qwen3vl_ prefix."""

    def __init__(self, cdll: ctypes.CDLL, path: str) -> None:
        self.path = path
        self._cdll = cdll
        for name, restype, argtypes in _SIGNATURES:
            fn = getattr(cdll, "qwen3vl_" + name)
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)

    def __getattr__(self, name: str) -> Callable[..., Any]:  # for mypy: the functions set above
        raise AttributeError(name)


def _candidates() -> List[str]:
    out: List[str] = []
    env = os.environ.get("QWEN3VL_LIBRARY")
    if env:
        return [env]  # an explicit choice is the only one tried
    packaged = Path(__file__).resolve().parent / "_lib" / "libqwen3vl.so.0"
    if packaged.exists():
        out.append(str(packaged))
    found = ctypes.util.find_library("qwen3vl")
    if found:
        out.append(found)
    out.append("libqwen3vl.so.0")
    return out


def load() -> Library:
    """Loads the first libqwen3vl that exists and has a compatible version, or raises ImportError
    saying what to do."""
    tried: List[str] = []
    for path in _candidates():
        try:
            cdll = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
            continue
        lib = Library(cdll, path)
        version = (lib.version() or b"").decode()
        parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
        if parts != EXPECTED_VERSION:
            tried.append(f"{path}: version {version}, this package needs {EXPECTED_VERSION[0]}.{EXPECTED_VERSION[1]}.x")
            continue
        return lib
    raise ImportError(
        "qwen3vl: could not load libqwen3vl.so.0 (tried: " + "; ".join(tried) + "). "
        "Build it with `make lib` and reinstall this package (`pip install bindings/python`), install it "
        "system-wide with `make install`, or point QWEN3VL_LIBRARY at the .so."
    )


lib: Library = load()


def call_helper(fn: Callable[..., int], *args: Any) -> Tuple[int, str]:
    """Calls a helper with an error buffer appended to ``args``: its status and message."""
    err = ctypes.create_string_buffer(512)
    status = fn(*args, err, len(err))
    return status, err.value.decode("utf-8", "replace")


def call_text_helper(fn: Callable[..., int], *args: Any) -> Tuple[int, str, str]:
    """Calls a helper that hands out text, with (out, out_len) and an error buffer appended to
    ``args``: its status, the text (decoded, the library's copy freed) and the message."""
    out, out_len = ctypes.c_void_p(), ctypes.c_size_t()
    status, message = call_helper(fn, *args, ctypes.byref(out), ctypes.byref(out_len))
    if not out.value:
        return status, "", message
    try:
        return status, ctypes.string_at(out.value, out_len.value).decode("utf-8"), message
    finally:
        lib.free(out.value)
