# SPDX-License-Identifier: MIT
"""Reply objects. ``Reply`` is this package's own; the rest mirror the attribute paths of the
``openai`` package (``resp.choices[0].message.content``, ``chunk.choices[0].delta.content``,
``resp.usage.total_tokens``) so code written for it ports by changing the import."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


def _opt_int(v: Any) -> Optional[int]:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _opt_str(v: Any) -> Optional[str]:
    return v if isinstance(v, str) else None


def _dict(v: Any) -> Dict[str, Any]:
    return v if isinstance(v, dict) else {}


@dataclass
class CompletionUsage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def from_dict(cls, d: Any) -> Optional["CompletionUsage"]:
        d = _dict(d)
        if not d:
            return None
        return cls(d.get("prompt_tokens", 0), d.get("completion_tokens", 0), d.get("total_tokens", 0))


@dataclass
class Function:
    name: str
    arguments: str


@dataclass
class ChatCompletionMessageToolCall:
    id: str
    function: Function
    type: str = "function"

    @classmethod
    def from_dict(cls, d: Any) -> "ChatCompletionMessageToolCall":
        d = _dict(d)
        f = _dict(d.get("function"))
        return cls(d.get("id", ""), Function(f.get("name", ""), f.get("arguments", "")), d.get("type", "function"))


@dataclass
class ChatCompletionMessage:
    role: str
    content: Optional[str]
    tool_calls: Optional[List[ChatCompletionMessageToolCall]] = None
    refusal: Optional[str] = None
    reasoning_content: Optional[str] = None

    @classmethod
    def from_dict(cls, d: Any) -> "ChatCompletionMessage":
        d = _dict(d)
        calls = d.get("tool_calls")
        return cls(d.get("role", "assistant"), _opt_str(d.get("content")),
                   [ChatCompletionMessageToolCall.from_dict(c) for c in calls] if isinstance(calls, list) and calls else None,
                   _opt_str(d.get("refusal")), _opt_str(d.get("reasoning_content")))


@dataclass
class Choice:
    index: int
    message: ChatCompletionMessage
    finish_reason: Optional[str]
    logprobs: Optional[Any] = None


@dataclass
class ChatCompletion:
    id: str
    choices: List[Choice]
    created: int
    model: str
    object: str
    usage: Optional[CompletionUsage] = None
    system_fingerprint: Optional[str] = None
    _raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ChatCompletion":
        choices = [Choice(c.get("index", i), ChatCompletionMessage.from_dict(c.get("message")),
                          _opt_str(c.get("finish_reason")), c.get("logprobs"))
                   for i, c in enumerate(d.get("choices") or []) if isinstance(c, dict)]
        return cls(d.get("id", ""), choices, d.get("created", 0), d.get("model", ""), d.get("object", "chat.completion"),
                   CompletionUsage.from_dict(d.get("usage")), _opt_str(d.get("system_fingerprint")), d)

    def model_dump(self) -> Dict[str, Any]:
        """The reply as the server sent it (or, for a stream, as it would have)."""
        return self._raw


@dataclass
class ChoiceDeltaToolCallFunction:
    name: Optional[str] = None
    arguments: Optional[str] = None


@dataclass
class ChoiceDeltaToolCall:
    index: int
    id: Optional[str] = None
    function: Optional[ChoiceDeltaToolCallFunction] = None
    type: Optional[str] = None


@dataclass
class ChoiceDelta:
    content: Optional[str] = None
    role: Optional[str] = None
    tool_calls: Optional[List[ChoiceDeltaToolCall]] = None
    reasoning_content: Optional[str] = None

    @classmethod
    def from_dict(cls, d: Any) -> "ChoiceDelta":
        d = _dict(d)
        calls = d.get("tool_calls")
        parsed = None
        if isinstance(calls, list):
            parsed = []
            for c in calls:
                c = _dict(c)
                f = c.get("function")
                parsed.append(ChoiceDeltaToolCall(
                    c.get("index", 0), _opt_str(c.get("id")),
                    ChoiceDeltaToolCallFunction(_opt_str(_dict(f).get("name")), _opt_str(_dict(f).get("arguments")))
                    if isinstance(f, dict) else None, _opt_str(c.get("type"))))
        return cls(_opt_str(d.get("content")), _opt_str(d.get("role")), parsed, _opt_str(d.get("reasoning_content")))


@dataclass
class ChunkChoice:
    index: int
    delta: ChoiceDelta
    finish_reason: Optional[str] = None
    logprobs: Optional[Any] = None


@dataclass
class ChatCompletionChunk:
    id: str
    choices: List[ChunkChoice]
    created: int
    model: str
    object: str
    usage: Optional[CompletionUsage] = None
    system_fingerprint: Optional[str] = None
    _raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ChatCompletionChunk":
        choices = [ChunkChoice(c.get("index", i), ChoiceDelta.from_dict(c.get("delta")), _opt_str(c.get("finish_reason")),
                               c.get("logprobs"))
                   for i, c in enumerate(d.get("choices") or []) if isinstance(c, dict)]
        return cls(d.get("id", ""), choices, d.get("created", 0), d.get("model", ""),
                   d.get("object", "chat.completion.chunk"), CompletionUsage.from_dict(d.get("usage")),
                   _opt_str(d.get("system_fingerprint")), d)

    def model_dump(self) -> Dict[str, Any]:
        return self._raw


@dataclass
class Usage:
    prompt_tokens: Optional[int]
    completion_tokens: Optional[int]
    total_tokens: Optional[int]


@dataclass
class Reply:
    """A whole reply: ``text`` is what most callers want; ``raw`` the chat.completion as a dict."""

    text: str
    finish_reason: str
    usage: Usage
    request_id: str
    tool_calls: List[Dict[str, Any]]
    raw: Dict[str, Any]
    http_status: int
    attempts: int
    elapsed_ms: float

    def to_openai(self) -> ChatCompletion:
        return ChatCompletion.from_dict(self.raw)

    def __str__(self) -> str:
        return self.text
