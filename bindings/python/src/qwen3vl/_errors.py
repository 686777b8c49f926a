# SPDX-License-Identifier: MIT
"""Exceptions: one base class, a class per status code of the C library, and the openai package's
names and attributes for the same failures (``APIStatusError`` with ``.status_code``, ``.body``,
``.response``; ``NotFoundError`` for a 404, and so on), so that ``except openai.X`` ports as
``except qwen3vl.X``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional, Type

from . import _native as n

if TYPE_CHECKING:
    from ._response import Response
    from .types import ChatCompletion


class Qwen3VLError(Exception):
    """Every error this package raises. ``message`` says what went wrong (the server's own words
    where it gave any); ``status_name`` is the library's status ("QWEN3VL_ERR_TIMEOUT").
    ``status_code`` is the last HTTP status (None if none came), ``request_id`` the server's id for
    the call, and ``text`` what had arrived before the failure (a stream cut short)."""

    status_name = "QWEN3VL_ERR_UNKNOWN"

    def __init__(self, message: str, *, status_code: Optional[int] = None, request_id: Optional[str] = None,
                 text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.text = text


OpenAIError = Qwen3VLError  # the openai package's name for its base class


class InvalidArgumentError(Qwen3VLError, ValueError):
    """A bad argument: an unknown or ill-typed client option, a bad per-call option, a closed client."""

    status_name = "QWEN3VL_ERR_INVALID_ARGUMENT"


class InvalidRequestError(Qwen3VLError, ValueError):
    """The request was refused before anything was sent: it does not parse, or a field is invalid
    (the message names its JSON path, e.g. ``messages[0].content``)."""

    status_name = "QWEN3VL_ERR_INVALID_REQUEST"


class FileError(Qwen3VLError, OSError):
    """A local image or video that is missing, unreadable, too large or of no known type."""

    status_name = "QWEN3VL_ERR_FILE"


class APIError(Qwen3VLError):
    """A call to the server that failed: a connection that could not be made or was lost, an HTTP
    error status, or a reply that broke the protocol. ``body`` is the error reply's JSON (its
    ``error`` object when it has one) or text, None when there was none; ``code``, ``param`` and
    ``type`` are taken from it where it has them (as in the openai package)."""

    def __init__(self, message: str, *, status_code: Optional[int] = None, request_id: Optional[str] = None,
                 text: str = "", body: object = None) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id, text=text)
        self.body = body
        fields: Dict[str, Any] = body if isinstance(body, dict) else {}
        code = fields.get("code")
        self.code: Optional[str] = None if code is None else str(code)
        self.param: Optional[str] = fields.get("param") if isinstance(fields.get("param"), str) else None
        self.type: Optional[str] = fields.get("type") if isinstance(fields.get("type"), str) else None


class APIConnectionError(APIError):
    """No reply: DNS, TCP, TLS or certificate failure, or the connection lost before a reply."""

    status_name = "QWEN3VL_ERR_CONNECT"


class APITimeoutError(APIConnectionError):
    """A time limit was hit: the whole call's (timeout), a connection attempt's (connect_timeout)
    or silence for longer than idle_timeout. The message names the limit and its value."""

    status_name = "QWEN3VL_ERR_TIMEOUT"


class APIStatusError(APIError):
    """The server answered with an HTTP error status (4xx or 5xx), after the retries the status
    allows. ``status_code`` is that status; ``response`` the reply (its headers, body and status);
    ``str(e)`` reads as openai's: "Error code: 429 - <the server's message>"."""

    status_code: int

    def __init__(self, message: str, *, response: "Response", request_id: Optional[str] = None, text: str = "",
                 body: object = None) -> None:
        super().__init__(message, status_code=response.status_code, request_id=request_id, text=text, body=body)
        self.response = response


class AuthenticationError(APIStatusError):
    """HTTP 401 or 403: the key is missing, wrong, or may not do this."""

    status_name = "QWEN3VL_ERR_AUTH"


class PermissionDeniedError(AuthenticationError):
    """HTTP 403."""


class RateLimitError(APIStatusError):
    """HTTP 429, after the retries (Retry-After honoured)."""

    status_name = "QWEN3VL_ERR_RATE_LIMIT"


class BadRequestError(APIStatusError):
    """An HTTP 4xx other than 401, 403 and 429: the server refused the request."""

    status_name = "QWEN3VL_ERR_BAD_REQUEST"


class NotFoundError(BadRequestError):
    """HTTP 404: most often a base_url without its /v1, or a model the server does not have."""


class ConflictError(BadRequestError):
    """HTTP 409, after the retries."""


class UnprocessableEntityError(BadRequestError):
    """HTTP 422."""


class ServerError(APIStatusError):
    """HTTP 5xx, after the retries."""

    status_name = "QWEN3VL_ERR_SERVER"


InternalServerError = ServerError  # the openai package's name


class ProtocolError(APIError):
    """A reply that breaks the protocol: not JSON, the wrong shape, an error inside a stream, cut short."""

    status_name = "QWEN3VL_ERR_PROTOCOL"


APIResponseValidationError = ProtocolError  # the openai package's name for a reply of the wrong shape


class ResponseTooLargeError(APIError):
    """A reply larger than max_response_bytes (checked while it arrives)."""

    status_name = "QWEN3VL_ERR_TOO_LARGE"


class RequestCancelledError(Qwen3VLError):
    """The call was cancelled: cancel_all(), a stream left before its end, a cancelled task."""

    status_name = "QWEN3VL_ERR_CANCELLED"


class ClientClosedError(RequestCancelledError, APIConnectionError):
    """A call or stream that was still running when its client was closed, and was cancelled by it
    (a stream whose reply had all arrived by then still reads to its end). Both a
    RequestCancelledError (the library's status) and an APIConnectionError (what the openai package
    raises once its HTTP client is closed)."""

    status_name = "QWEN3VL_ERR_CANCELLED"


class InternalError(Qwen3VLError):
    """Out of memory, or a bug in the library."""

    status_name = "QWEN3VL_ERR_INTERNAL"


class LengthFinishReasonError(Qwen3VLError):
    """``chat.completions.parse()``: the reply was cut at the token limit, so it cannot be parsed."""

    def __init__(self, *, completion: "ChatCompletion") -> None:
        super().__init__("Could not parse response content as the length limit was reached"
                         + (f" - {completion.usage}" if completion.usage else ""))
        self.completion = completion


class ContentFilterFinishReasonError(Qwen3VLError):
    """``chat.completions.parse()``: the reply was stopped by the content filter."""

    def __init__(self, *, completion: "Optional[ChatCompletion]" = None) -> None:
        super().__init__("Could not parse response content as the request was rejected by the content filter")
        self.completion = completion


def _by_status() -> Dict[int, Type[Qwen3VLError]]:
    """The class of each of the library's status codes, matched by the name qwen3vl_status_name
    gives it: the numbers live in the library only."""
    by_name = {cls.status_name: cls for cls in (
        InvalidArgumentError, InvalidRequestError, FileError, APIConnectionError, APITimeoutError,
        AuthenticationError, RateLimitError, BadRequestError, ServerError, ProtocolError, ResponseTooLargeError,
        RequestCancelledError, InternalError)}
    out: Dict[int, Type[Qwen3VLError]] = {}
    for status in range(1, 1000):
        name = n.status_name(status).decode()
        if name == Qwen3VLError.status_name:
            break  # past the last code (they are numbered from 1 without gaps)
        out[status] = by_name.get(name, Qwen3VLError)
    return out


BY_STATUS = _by_status()
# The openai package's finer classes for some HTTP statuses within the library's status.
_BY_HTTP: Dict[int, Type[APIStatusError]] = {403: PermissionDeniedError, 404: NotFoundError, 409: ConflictError,
                                             422: UnprocessableEntityError}


def for_status(status: int, http_status: int = 0) -> Type[Qwen3VLError]:
    cls = BY_STATUS.get(status, Qwen3VLError)
    finer = _BY_HTTP.get(http_status)
    return finer if finer is not None and issubclass(finer, cls) else cls


def check(status: int, message: str) -> None:
    """Raises the exception of a helper's ``status`` with ``message``, unless the status is OK."""
    if status != n.OK:
        raise for_status(status)(message)
