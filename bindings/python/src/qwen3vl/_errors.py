# SPDX-License-Identifier: MIT
"""Exceptions: one base class, one subclass per status code of the C library."""
from __future__ import annotations

from typing import Dict, Optional, Type

from . import _native as n


class Qwen3VLError(Exception):
    """A failed call. ``status_code`` is the last HTTP status (None if none), ``code`` the
    library's status name, ``request_id`` the server's id for the call, ``message`` the server's
    own words where it gave any."""

    code = "QWEN3VL_ERR_UNKNOWN"

    def __init__(self, message: str, *, status_code: Optional[int] = None, request_id: Optional[str] = None,
                 text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        #: What had arrived before the failure (streams cut short, cancelled calls).
        self.text = text


class InvalidArgumentError(Qwen3VLError, ValueError):
    code = "QWEN3VL_ERR_INVALID_ARGUMENT"


class InvalidRequestError(Qwen3VLError, ValueError):
    code = "QWEN3VL_ERR_INVALID_REQUEST"


class FileError(Qwen3VLError, OSError):
    code = "QWEN3VL_ERR_FILE"


class APIConnectionError(Qwen3VLError):
    code = "QWEN3VL_ERR_CONNECT"


class APITimeoutError(APIConnectionError):
    code = "QWEN3VL_ERR_TIMEOUT"


class AuthenticationError(Qwen3VLError):
    code = "QWEN3VL_ERR_AUTH"


class RateLimitError(Qwen3VLError):
    code = "QWEN3VL_ERR_RATE_LIMIT"


class BadRequestError(Qwen3VLError):
    code = "QWEN3VL_ERR_BAD_REQUEST"


class ServerError(Qwen3VLError):
    code = "QWEN3VL_ERR_SERVER"


InternalServerError = ServerError  # the openai package's name


class ProtocolError(Qwen3VLError):
    code = "QWEN3VL_ERR_PROTOCOL"


class ResponseTooLargeError(Qwen3VLError):
    code = "QWEN3VL_ERR_TOO_LARGE"


class RequestCancelledError(Qwen3VLError):
    code = "QWEN3VL_ERR_CANCELLED"


class ClientClosedError(RequestCancelledError, APIConnectionError):
    """A call or stream that was still running when its client was closed, and was cancelled by it
    (a stream whose reply had all arrived by then still reads to its end). Both a
    RequestCancelledError (the library's status) and an APIConnectionError (what the openai package
    raises once its HTTP client is closed)."""

    code = "QWEN3VL_ERR_CANCELLED"


class InternalError(Qwen3VLError):
    code = "QWEN3VL_ERR_INTERNAL"


BY_STATUS: Dict[int, Type[Qwen3VLError]] = {
    n.ERR_INVALID_ARGUMENT: InvalidArgumentError,
    n.ERR_INVALID_REQUEST: InvalidRequestError,
    n.ERR_FILE: FileError,
    n.ERR_CONNECT: APIConnectionError,
    n.ERR_TIMEOUT: APITimeoutError,
    n.ERR_AUTH: AuthenticationError,
    n.ERR_RATE_LIMIT: RateLimitError,
    n.ERR_BAD_REQUEST: BadRequestError,
    n.ERR_SERVER: ServerError,
    n.ERR_PROTOCOL: ProtocolError,
    n.ERR_TOO_LARGE: ResponseTooLargeError,
    n.ERR_CANCELLED: RequestCancelledError,
    n.ERR_INTERNAL: InternalError,
}


def for_status(status: int) -> Type[Qwen3VLError]:
    return BY_STATUS.get(status, Qwen3VLError)


def check(status: int, message: str) -> None:
    """Raises the exception of ``status`` with ``message``, unless the status is OK."""
    if status != n.OK:
        raise for_status(status)(message)
