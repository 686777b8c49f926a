# SPDX-License-Identifier: MIT
"""The openai-shaped facade: ``client.chat.completions`` with ``create`` (typed as openai's: a
ChatCompletion, or a Stream of ChatCompletionChunk for ``stream=True``), ``parse`` (a pydantic
model as ``response_format``) and ``with_raw_response``. It takes the parameters openai's ``create``
takes, and no others: a misspelled one is a TypeError, as there."""
from __future__ import annotations

import datetime
from typing import (TYPE_CHECKING, Any, Dict, Generic, Iterable, Literal, Mapping, Optional, Sequence, Tuple, Type,
                    TypedDict, TypeVar, Union, overload)

from ._dispatch import Native
from ._errors import ContentFilterFinishReasonError, LengthFinishReasonError
from ._request import build_request, split_call_options
from ._response import Headers, Response
from ._streams import AsyncStream, Stream, chunk_object
from .types import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage, ParsedChatCompletion, Reply

if TYPE_CHECKING:
    from typing_extensions import Unpack

R = TypeVar("R")
M = TypeVar("M")
#: A message: a dict, or the message object of an earlier reply.
MessageParam = Union[Mapping[str, Any], ChatCompletionMessage]


class RequestOptions(TypedDict, total=False):
    """Per-call options, as the openai package names them: call options of the library, never body fields."""

    extra_headers: Optional[Mapping[str, str]]
    extra_query: Optional[Mapping[str, object]]
    extra_body: Optional[Mapping[str, object]]  # merged into the body as it is
    timeout: Optional[float]


class ParseParams(RequestOptions, total=False):
    """The chat-completions parameters of openai's ``create`` besides messages, model, stream and
    response_format (pinned to the openai package's signature by tests/test_openai_dropin.py)."""

    audio: Optional[Mapping[str, Any]]
    frequency_penalty: Optional[float]
    function_call: Union[str, Mapping[str, Any]]
    functions: Iterable[Mapping[str, Any]]
    logit_bias: Optional[Mapping[str, int]]
    logprobs: Optional[bool]
    max_completion_tokens: Optional[int]
    max_tokens: Optional[int]
    metadata: Optional[Mapping[str, str]]
    modalities: Optional[Sequence[str]]
    moderation: Optional[Mapping[str, Any]]
    n: Optional[int]
    parallel_tool_calls: bool
    prediction: Optional[Mapping[str, Any]]
    presence_penalty: Optional[float]
    prompt_cache_key: Optional[str]
    prompt_cache_options: Mapping[str, Any]
    prompt_cache_retention: Optional[str]
    reasoning_effort: Optional[str]
    safety_identifier: Optional[str]
    seed: Optional[int]
    service_tier: Optional[str]
    stop: Union[str, Sequence[str], None]
    store: Optional[bool]
    stream_options: Optional[Mapping[str, Any]]
    temperature: Optional[float]
    tool_choice: Union[str, Mapping[str, Any]]
    tools: Iterable[Mapping[str, Any]]
    top_logprobs: Optional[int]
    top_p: Optional[float]
    user: str
    verbosity: Optional[str]
    web_search_options: Mapping[str, Any]


class CreateParams(ParseParams, total=False):
    response_format: Mapping[str, Any]


_ALLOWED = frozenset(CreateParams.__annotations__) | frozenset(ParseParams.__annotations__) | frozenset(
    RequestOptions.__annotations__)


def _request(method: str, messages: Iterable[MessageParam], model: Optional[str], stream: Optional[bool],
             params: Dict[str, Any], defaults: Mapping[str, Any], raw: bool = False) -> Tuple[bytes, bytes]:
    """The body and call options of a facade call; TypeError for a parameter openai does not take.
    ``stream``: None when the caller did not say (openai then leaves it out of the body too)."""
    for name in params:
        if name not in _ALLOWED:
            raise TypeError(f"{method}() got an unexpected keyword argument {name!r}")
    extra_body = params.pop("extra_body", None) or {}
    body, options = split_call_options(params, bool(stream), defaults, response_headers=raw)
    body["model"] = model
    body.update(extra_body)
    body["stream"] = False if stream is False else None  # true: the library adds it, with stream_options
    return build_request(messages, None, body), options


def _include_usage(params: Mapping[str, Any]) -> bool:
    return bool((params.get("stream_options") or {}).get("include_usage"))


class RawResponse(Generic[R]):
    """``with_raw_response.create(...)``: the HTTP reply (``headers``, ``status_code``, ``content``,
    ``text``, ``http_response``, ``request_id``, ``retries_taken``, ``elapsed``) and ``parse()`` for the
    object ``create`` returns."""

    def __init__(self, reply: Reply, parsed: R) -> None:
        self._parsed = parsed
        self.http_response = Response(reply.http_status, reply.headers, reply.raw_json)
        self.request_id: Optional[str] = reply.request_id or None
        self.retries_taken = max(0, reply.attempts - 1)
        self.elapsed = datetime.timedelta(milliseconds=reply.elapsed_ms)

    @property
    def headers(self) -> Headers:
        return self.http_response.headers

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def content(self) -> bytes:
        return self.http_response.content

    @property
    def text(self) -> str:
        return self.http_response.text

    def parse(self) -> R:
        return self._parsed


def _response_format(response_format: Any) -> Any:
    """A pydantic model class as openai sends it: a strict json_schema response format."""
    try:
        import pydantic
    except ImportError:  # pragma: no cover - pydantic is optional
        raise TypeError("parse(response_format=Model) needs pydantic (pip install pydantic)") from None
    if not (isinstance(response_format, type) and issubclass(response_format, pydantic.BaseModel)):
        if isinstance(response_format, Mapping):
            return response_format
        raise TypeError(f"Unsupported response_format type - {response_format}")
    schema = response_format.model_json_schema()
    return {"type": "json_schema",
            "json_schema": {"schema": _strict(schema, schema), "name": response_format.__name__, "strict": True}}


def _strict(schema: Any, root: Dict[str, Any]) -> Dict[str, Any]:
    """A JSON schema made strict as openai makes it (every object closed, every property required,
    None defaults dropped, a $ref with siblings unravelled)."""
    if not isinstance(schema, dict):
        raise TypeError(f"Expected {schema} to be a dictionary")
    for key in ("$defs", "definitions"):
        for sub in (schema.get(key) or {}).values():
            _strict(sub, root)
    if schema.get("type") == "object" and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    properties = schema.get("properties")
    if isinstance(properties, dict):
        schema["required"] = list(properties)
        schema["properties"] = {k: _strict(v, root) for k, v in properties.items()}
    if isinstance(schema.get("items"), dict):
        schema["items"] = _strict(schema["items"], root)
    if isinstance(schema.get("anyOf"), list):
        schema["anyOf"] = [_strict(v, root) for v in schema["anyOf"]]
    all_of = schema.get("allOf")
    if isinstance(all_of, list):
        if len(all_of) == 1:
            schema.update(_strict(all_of[0], root))
            schema.pop("allOf")
        else:
            schema["allOf"] = [_strict(v, root) for v in all_of]
    if "default" in schema and schema["default"] is None:
        schema.pop("default")
    ref = schema.get("$ref")
    if isinstance(ref, str) and len(schema) > 1:
        resolved: Any = root
        for key in ref[2:].split("/"):
            resolved = resolved[key]
        schema.update({**resolved, **schema})
        schema.pop("$ref")
        return _strict(schema, root)
    return schema


def _parsed(completion: ChatCompletion, response_format: Any) -> ParsedChatCompletion[Any]:
    """The completion with each choice's content read into ``response_format`` (a pydantic model)."""
    out: ParsedChatCompletion[Any] = ParsedChatCompletion(completion.to_dict())
    for choice in out.choices:
        if choice.finish_reason == "length":
            raise LengthFinishReasonError(completion=completion)
        if choice.finish_reason == "content_filter":
            raise ContentFilterFinishReasonError(completion=completion)
        content = choice.message.content
        model = getattr(response_format, "model_validate_json", None)
        choice.message.parsed = model(content) if model is not None and content and not choice.message.refusal else None
    return out


class Completions:
    """``client.chat.completions``, as in the openai package."""

    def __init__(self, native: Native, defaults: Mapping[str, Any]) -> None:
        self._native = native
        self._defaults = defaults

    @overload
    def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None,
               stream: Optional[Literal[False]] = None, **params: Unpack[CreateParams]) -> ChatCompletion: ...

    @overload
    def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None, stream: Literal[True],
               **params: Unpack[CreateParams]) -> Stream[ChatCompletionChunk]: ...

    @overload
    def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None, stream: bool,
               **params: Unpack[CreateParams]) -> Union[ChatCompletion, Stream[ChatCompletionChunk]]: ...

    def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None, stream: Optional[bool] = None,
               **params: Any) -> Union[ChatCompletion, Stream[ChatCompletionChunk]]:
        """A chat completion, as openai's ``client.chat.completions.create``: the ChatCompletion, or
        with ``stream=True`` a Stream of ChatCompletionChunk (leaving its loop early cancels the
        request). ``model`` defaults to the client's. Besides openai's parameters: ``extra_body``
        (merged into the body), ``extra_headers``, ``extra_query`` and ``timeout`` (for this call)."""
        body, options = _request("create", messages, model, stream, params, self._defaults)
        if stream:
            return Stream(self._native, body, options, chunk_object(_include_usage(params)), True)
        return ChatCompletion(self._native.call(body, options).raw)

    def parse(self, *, messages: Iterable[MessageParam], model: Optional[str] = None, response_format: Type[M],
              **params: Unpack[ParseParams]) -> ParsedChatCompletion[M]:
        """As openai's ``parse``: ``response_format`` a pydantic model class, sent as a strict JSON
        schema; ``choices[0].message.parsed`` is the reply read into it. Needs pydantic."""
        kwargs: Dict[str, Any] = dict(params)
        kwargs["response_format"] = _response_format(response_format)
        body, options = _request("parse", messages, model, False, kwargs, self._defaults)
        return _parsed(ChatCompletion(self._native.call(body, options).raw), response_format)

    @property
    def with_raw_response(self) -> "RawCompletions":
        """``.create(...)`` giving the HTTP reply too: ``.headers``, ``.status_code``, ``.parse()``."""
        return RawCompletions(self)


class RawCompletions:
    """``client.chat.completions.with_raw_response``."""

    def __init__(self, completions: Completions) -> None:
        self._completions = completions

    def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None,
               **params: Unpack[CreateParams]) -> RawResponse[ChatCompletion]:
        """As ``create`` (not streamed), with the HTTP reply's headers and status."""
        c = self._completions
        body, options = _request("create", messages, model, None, dict(params), c._defaults, raw=True)
        reply = c._native.call(body, options)
        return RawResponse(reply, ChatCompletion(reply.raw))


class AsyncCompletions:
    """``client.chat.completions`` of AsyncClient, as in the openai package's AsyncOpenAI."""

    def __init__(self, native: Native, defaults: Mapping[str, Any]) -> None:
        self._native = native
        self._defaults = defaults

    @overload
    async def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None,
                     stream: Optional[Literal[False]] = None,
                     **params: Unpack[CreateParams]) -> ChatCompletion: ...

    @overload
    async def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None,
                     stream: Literal[True], **params: Unpack[CreateParams]) -> AsyncStream[ChatCompletionChunk]: ...

    @overload
    async def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None, stream: bool,
                     **params: Unpack[CreateParams]) -> Union[ChatCompletion,
                                                              AsyncStream[ChatCompletionChunk]]: ...

    async def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None,
                     stream: Optional[bool] = None,
                     **params: Any) -> Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]:
        """As Completions.create, awaited; ``stream=True`` gives an AsyncStream."""
        body, options = _request("create", messages, model, stream, params, self._defaults)
        if stream:
            return AsyncStream(self._native, body, options, chunk_object(_include_usage(params)), True)
        return ChatCompletion((await self._native.call_async(body, options)).raw)

    async def parse(self, *, messages: Iterable[MessageParam], model: Optional[str] = None,
                    response_format: Type[M], **params: Unpack[ParseParams]) -> ParsedChatCompletion[M]:
        """As Completions.parse, awaited."""
        kwargs: Dict[str, Any] = dict(params)
        kwargs["response_format"] = _response_format(response_format)
        body, options = _request("parse", messages, model, False, kwargs, self._defaults)
        return _parsed(ChatCompletion((await self._native.call_async(body, options)).raw), response_format)

    @property
    def with_raw_response(self) -> "AsyncRawCompletions":
        """``await .create(...)`` giving the HTTP reply too: ``.headers``, ``.status_code``, ``.parse()``."""
        return AsyncRawCompletions(self)


class AsyncRawCompletions:
    """``client.chat.completions.with_raw_response`` of AsyncClient."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self._completions = completions

    async def create(self, *, messages: Iterable[MessageParam], model: Optional[str] = None,
                     **params: Unpack[CreateParams]) -> RawResponse[ChatCompletion]:
        """As ``create`` (not streamed), with the HTTP reply's headers and status."""
        c = self._completions
        body, options = _request("create", messages, model, None, dict(params), c._defaults, raw=True)
        reply = await c._native.call_async(body, options)
        return RawResponse(reply, ChatCompletion(reply.raw))
