# SPDX-License-Identifier: MIT
"""Reply objects. ``Reply`` and ``Usage`` are this package's own; the rest mirror the openai package's
classes field by field (``resp.choices[0].message.content``, ``chunk.choices[0].delta.content``,
``resp.usage.total_tokens``, ``choice.logprobs.content[0].token``, ``model_dump()``, ``to_json()``), so
code written for it ports by changing the import."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Generic, List, Literal, Optional, TypeVar

from ._models import BaseModel
from ._response import Headers

ContentType = TypeVar("ContentType")


class CompletionTokensDetails(BaseModel):
    accepted_prediction_tokens: Optional[int]
    audio_tokens: Optional[int]
    reasoning_tokens: Optional[int]
    rejected_prediction_tokens: Optional[int]
    text_tokens: Optional[int]


class PromptTokensDetails(BaseModel):
    audio_tokens: Optional[int]
    cache_write_tokens: Optional[int]
    cached_tokens: Optional[int]
    image_tokens: Optional[int]
    text_tokens: Optional[int]


class CompletionUsage(BaseModel):
    """Tokens the call used."""

    completion_tokens: int
    prompt_tokens: int
    total_tokens: int
    completion_tokens_details: Optional[CompletionTokensDetails]
    prompt_tokens_details: Optional[PromptTokensDetails]


class TopLogprob(BaseModel):
    token: str
    bytes: Optional[List[int]]
    logprob: float


class ChatCompletionTokenLogprob(BaseModel):
    """One token of the reply, its log probability and the likeliest alternatives."""

    token: str
    bytes: Optional[List[int]]
    logprob: float
    top_logprobs: List[TopLogprob]


class ChoiceLogprobs(BaseModel):
    content: Optional[List[ChatCompletionTokenLogprob]]
    refusal: Optional[List[ChatCompletionTokenLogprob]]


class Function(BaseModel):
    arguments: str
    name: str


class ChatCompletionMessageFunctionToolCall(BaseModel):
    """A tool call of the reply: ``function.name`` and its ``function.arguments`` (JSON text)."""

    id: str
    function: Function
    type: Literal["function"]


ChatCompletionMessageToolCall = ChatCompletionMessageFunctionToolCall


class FunctionCall(BaseModel):
    arguments: str
    name: str


class ChatCompletionAudio(BaseModel):
    id: str
    data: str
    expires_at: int
    transcript: str


class ChatCompletionMessage(BaseModel):
    """The reply's message. It may go straight back into ``messages`` for the next call."""

    content: Optional[str]
    refusal: Optional[str]
    role: Literal["assistant"]
    annotations: Optional[List[Dict[str, Any]]]
    audio: Optional[ChatCompletionAudio]
    function_call: Optional[FunctionCall]
    tool_calls: Optional[List[ChatCompletionMessageFunctionToolCall]]


class Choice(BaseModel):
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
    index: int
    logprobs: Optional[ChoiceLogprobs]
    message: ChatCompletionMessage


class ChatCompletion(BaseModel):
    """A whole reply, as ``chat.completions.create()`` returns it."""

    id: str
    choices: List[Choice]
    created: int
    model: str
    object: Literal["chat.completion"]
    metadata: Optional[Dict[str, str]]
    moderation: Optional[Dict[str, Any]]
    service_tier: Optional[str]
    system_fingerprint: Optional[str]
    usage: Optional[CompletionUsage]


class ChoiceDeltaFunctionCall(BaseModel):
    arguments: Optional[str]
    name: Optional[str]


class ChoiceDeltaToolCallFunction(BaseModel):
    arguments: Optional[str]
    name: Optional[str]


class ChoiceDeltaToolCall(BaseModel):
    index: int
    id: Optional[str]
    function: Optional[ChoiceDeltaToolCallFunction]
    type: Optional[Literal["function"]]


class ChoiceDeltaAudio(BaseModel):
    id: Optional[str]
    data: Optional[str]
    expires_at: Optional[int]
    transcript: Optional[str]


class ChoiceDelta(BaseModel):
    audio: Optional[ChoiceDeltaAudio]
    content: Optional[str]
    function_call: Optional[ChoiceDeltaFunctionCall]
    refusal: Optional[str]
    role: Optional[Literal["developer", "system", "user", "assistant", "tool"]]
    tool_calls: Optional[List[ChoiceDeltaToolCall]]


class ChunkChoice(BaseModel):
    delta: ChoiceDelta
    index: int
    finish_reason: Optional[Literal["stop", "length", "tool_calls", "content_filter", "function_call"]]
    logprobs: Optional[ChoiceLogprobs]


class ChatCompletionChunk(BaseModel):
    """One piece of a streamed reply. Its ``choices`` is empty for the last one, which carries
    ``usage``, and which a stream yields only when the call asked for it with
    ``stream_options={"include_usage": True}`` (as the openai package does)."""

    id: str
    choices: List[ChunkChoice]
    created: int
    model: str
    object: Literal["chat.completion.chunk"]
    moderation: Optional[Dict[str, Any]]
    obfuscation: Optional[str]
    service_tier: Optional[str]
    system_fingerprint: Optional[str]
    usage: Optional[CompletionUsage]


class ParsedFunction(Function):
    parsed_arguments: Optional[object]


class ParsedFunctionToolCall(ChatCompletionMessageFunctionToolCall):
    function: ParsedFunction


class ParsedChatCompletionMessage(ChatCompletionMessage, Generic[ContentType]):
    """A message whose content ``chat.completions.parse()`` read into ``parsed``."""

    tool_calls: Optional[List[ParsedFunctionToolCall]]  # type: ignore[assignment]
    parsed: Optional[ContentType]


class ParsedChoice(Choice, Generic[ContentType]):
    message: ParsedChatCompletionMessage[ContentType]


class ParsedChatCompletion(ChatCompletion, Generic[ContentType]):
    """What ``chat.completions.parse()`` returns: ``choices[0].message.parsed`` holds the content
    read into the ``response_format`` model."""

    choices: List[ParsedChoice[ContentType]]  # type: ignore[assignment]


@dataclass
class Usage:
    """Tokens a call used; None where the server did not say."""

    prompt_tokens: Optional[int]
    completion_tokens: Optional[int]
    total_tokens: Optional[int]


class Reply:
    """A whole reply of ``client.chat()`` or a stream: ``text`` is what most callers want, ``raw``
    the chat.completion as a dict (read only when first asked for), ``to_openai()`` the same as a
    ChatCompletion."""

    __slots__ = ("text", "finish_reason", "usage", "request_id", "http_status", "attempts", "elapsed_ms",
                 "_json", "_raw", "_tool_calls_json", "_tool_calls", "_headers")

    def __init__(self, text: str, finish_reason: str, usage: Usage, request_id: str, http_status: int,
                 attempts: int, elapsed_ms: float, json_text: bytes = b"", tool_calls_json: bytes = b"",
                 headers: bytes = b"") -> None:
        self.text = text
        self.finish_reason = finish_reason
        self.usage = usage
        self.request_id = request_id
        self.http_status = http_status
        self.attempts = attempts
        self.elapsed_ms = elapsed_ms
        self._json = json_text
        self._raw: Optional[Dict[str, Any]] = None
        self._tool_calls_json = tool_calls_json
        self._tool_calls: Optional[List[Dict[str, Any]]] = None
        self._headers = headers

    @property
    def raw(self) -> Dict[str, Any]:
        """The chat.completion object as a dict (a stream's, assembled)."""
        if self._raw is None:
            d = json.loads(self._json) if self._json else {}
            self._raw = d if isinstance(d, dict) else {}
        return self._raw

    @property
    def raw_json(self) -> bytes:
        """The chat.completion as JSON text: a call's reply as the server sent it."""
        return self._json

    @property
    def tool_calls(self) -> List[Dict[str, Any]]:
        """The reply's tool calls: [{"id", "type", "function": {"name", "arguments"}}, ...]."""
        if self._tool_calls is None:
            calls = json.loads(self._tool_calls_json) if self._tool_calls_json else []
            self._tool_calls = calls if isinstance(calls, list) else []
        return self._tool_calls

    @property
    def headers(self) -> Headers:
        """The reply's HTTP headers when the call asked for them (empty otherwise)."""
        return Headers(self._headers)

    def to_openai(self) -> ChatCompletion:
        return ChatCompletion(self.raw)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (f"Reply(text={self.text!r}, finish_reason={self.finish_reason!r}, usage={self.usage!r}, "
                f"request_id={self.request_id!r})")
