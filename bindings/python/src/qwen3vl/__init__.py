# SPDX-License-Identifier: MIT
"""qwen3vl: Qwen3-VL (and any OpenAI-compatible server) from Python, on libqwen3vl.

    import qwen3vl
    client = qwen3vl.Client()                       # AIML_API_KEY from the environment
    print(client.chat("What is in this picture?", images=["cat.jpg"]).text)
"""
from ._client import AsyncClient, AsyncStream, Client, Completions, Stream, build_request, image_data_uri
from ._errors import (APIConnectionError, APITimeoutError, AuthenticationError, BadRequestError, ClientClosedError,
                      FileError, InternalError, InternalServerError, InvalidArgumentError, InvalidRequestError,
                      ProtocolError, Qwen3VLError, RateLimitError, RequestCancelledError, ResponseTooLargeError,
                      ServerError)
from ._native import lib as _lib
from .types import ChatCompletion, ChatCompletionChunk, Reply, Usage
from .vision import grounding, image_size, image_tokens, pixels_data_uri

__version__ = "0.1.0"
#: The version of the libqwen3vl this package loaded, and where from.
library_version: str = (_lib.version() or b"").decode()
library_path: str = _lib.path

__all__ = [
    "Client", "AsyncClient", "Stream", "AsyncStream", "Completions", "Reply", "Usage", "ChatCompletion",
    "ChatCompletionChunk", "build_request", "image_data_uri", "image_size", "image_tokens", "pixels_data_uri",
    "grounding", "Qwen3VLError", "InvalidArgumentError", "InvalidRequestError", "FileError", "APIConnectionError",
    "APITimeoutError", "AuthenticationError", "RateLimitError", "BadRequestError", "ServerError",
    "InternalServerError", "ProtocolError", "ResponseTooLargeError", "RequestCancelledError", "ClientClosedError",
    "InternalError",
]
