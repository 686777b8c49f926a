# SPDX-License-Identifier: MIT
"""qwen3vl: Qwen3-VL (and any OpenAI-compatible server) from Python, on libqwen3vl.

    import qwen3vl
    client = qwen3vl.Client()                       # AIML_API_KEY from the environment
    print(client.chat("What is in this picture?", images=["cat.jpg"]).text)

``client.chat.completions.create(...)`` is the openai package's call, with its objects and errors.
"""
from . import _native
from ._client import AsyncClient, Client
from ._errors import (APIConnectionError, APIError, APIResponseValidationError, APIStatusError, APITimeoutError,
                      AuthenticationError, BadRequestError, ClientClosedError, ConflictError,
                      ContentFilterFinishReasonError, FileError, InternalError, InternalServerError,
                      InvalidArgumentError, InvalidRequestError, LengthFinishReasonError, NotFoundError, OpenAIError,
                      PermissionDeniedError, ProtocolError, Qwen3VLError, RateLimitError, RequestCancelledError,
                      ResponseTooLargeError, ServerError, UnprocessableEntityError)
from ._facade import AsyncCompletions, Completions, RawResponse
from ._request import build_request
from ._response import Headers, Response
from ._streams import AsyncStream, Stream
from .types import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion, Reply, Usage
from .vision import grounding, image_data_uri, image_size, image_tokens, pixels_data_uri

__version__ = "0.1.0"
#: The version of the libqwen3vl this package loaded, and where from.
library_version: str = _native.version().decode()
library_path: str = _native.path

__all__ = [
    "Client", "AsyncClient", "Stream", "AsyncStream", "Completions", "AsyncCompletions", "RawResponse", "Reply",
    "Usage", "ChatCompletion", "ChatCompletionChunk", "ParsedChatCompletion", "Headers", "Response",
    "build_request", "image_data_uri", "image_size", "image_tokens", "pixels_data_uri", "grounding",
    "Qwen3VLError", "OpenAIError", "InvalidArgumentError", "InvalidRequestError", "FileError", "APIError",
    "APIConnectionError", "APITimeoutError", "APIStatusError", "AuthenticationError", "PermissionDeniedError",
    "RateLimitError", "BadRequestError", "NotFoundError", "ConflictError", "UnprocessableEntityError",
    "ServerError", "InternalServerError", "ProtocolError", "APIResponseValidationError", "ResponseTooLargeError",
    "RequestCancelledError", "ClientClosedError", "InternalError", "LengthFinishReasonError",
    "ContentFilterFinishReasonError",
]
