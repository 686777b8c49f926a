# SPDX-License-Identifier: MIT
"""Results: a finished call's qwen3vl_result read into a Reply, or into the exception it stands for."""
from __future__ import annotations

import ctypes
import json
from typing import Optional

from . import _native as n
from ._errors import APIStatusError, ClientClosedError, InternalError, Qwen3VLError, RequestCancelledError, for_status
from ._response import Headers, Response
from .types import Reply, Usage


def _text(ptr: n.ResultPtr) -> bytes:
    """The reply's text whole: it may contain NULs ("\\u0000" in the JSON), where a C string would stop."""
    return n.sized(n.result_text(ptr), n.result_text_len(ptr))


def _tokens(ptr: n.ResultPtr, kind: int) -> Optional[int]:
    v = n.result_tokens(ptr, kind)
    return v if v >= 0 else None


def reply(ptr: Optional[n.ResultPtr], closed: bool) -> Reply:
    """The Reply of a call's result (owned by the call, so not freed here), or the call's error
    raised. ``closed``: Client.close() cancelled the call, so a cancellation is a ClientClosedError."""
    if not ptr:
        raise InternalError("qwen3vl: the call ended without a result")
    if n.result_status(ptr) != n.OK:
        raise error(ptr, closed)
    return Reply(
        text=_text(ptr).decode("utf-8"),
        finish_reason=n.result_finish_reason(ptr).decode(),
        usage=Usage(_tokens(ptr, n.TOKENS_PROMPT), _tokens(ptr, n.TOKENS_COMPLETION), _tokens(ptr, n.TOKENS_TOTAL)),
        request_id=n.result_request_id(ptr).decode(),
        http_status=n.result_http_status(ptr),
        attempts=n.result_attempts(ptr),
        elapsed_ms=n.result_elapsed_ms(ptr),
        json_text=n.result_json(ptr),
        tool_calls_json=n.result_tool_calls_json(ptr),
        headers=n.result_headers(ptr))


def error(ptr: n.ResultPtr, closed: bool) -> Qwen3VLError:
    """The exception a failed result stands for: its class from the library's status (and, for HTTP
    errors, the openai package's finer class for the status code), its message the library's."""
    status, http = n.result_status(ptr), n.result_http_status(ptr)
    message = n.result_error(ptr).decode("utf-8", "replace")
    cls = for_status(status, http)
    request_id = n.result_request_id(ptr).decode() or None
    text = _text(ptr).decode("utf-8", "replace")
    if closed and cls is RequestCancelledError:
        return ClientClosedError(f"the client was closed while the call was running ({message})",
                                 request_id=request_id, text=text)
    if issubclass(cls, APIStatusError):
        size = ctypes.c_size_t()
        content = n.sized(n.result_error_body(ptr, ctypes.byref(size)), size.value)
        try:
            body: object = json.loads(content)
        except ValueError:
            body = content.decode("utf-8", "replace") or None
        if isinstance(body, dict) and "error" in body:
            body = body["error"]  # as the openai package keeps it
        # Worded as the openai package words it, "Error code: 429 - <the error's message>"; for a
        # body without one, the library's reading of it (a vendor's shape, an HTML page).
        said = body.get("message") if isinstance(body, dict) else None
        if not isinstance(said, str) or not said:
            said = message[len(f"HTTP {http}: "):] if message.startswith(f"HTTP {http}: ") else message
        return cls(f"Error code: {http} - {said}", response=Response(http, Headers(n.result_headers(ptr)), content),
                   request_id=request_id, text=text, body=body)
    return cls(message, status_code=http or None, request_id=request_id, text=text)
