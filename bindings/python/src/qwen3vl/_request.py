# SPDX-License-Identifier: MIT
"""Requests: the chat-completions body made of a prompt or a message list (images put into the last
user message, message objects of earlier replies turned back into JSON), and the call options made
of the per-call keywords, which the library applies to that call only."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ._errors import InvalidRequestError
from .vision import image_data_uri

ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
#: A message: a dict, or a message object of an earlier reply (this package's or the openai package's).
Message = Union[Mapping[str, Any], Any]
PromptOrMessages = Union[str, Iterable[Message]]

# Per-call keywords that are not chat-completions parameters: they become call options (never body
# fields, which a strict server would refuse). timeout, extra_headers and extra_query are the openai
# package's names; idle_timeout and max_retries mirror the client's own options.
CALL_KEYS = ("timeout", "idle_timeout", "max_retries", "extra_headers", "extra_query", "resize")


def _jsonable(obj: Any) -> Any:
    """A message object (or a part of one) as the JSON it came from, as the openai package sends
    its own objects: the fields the server set, less those only this side knows (``parsed``)."""
    dump = getattr(obj, "model_dump", None)
    if not callable(dump):
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
    return dump(exclude_unset=True, mode="json", exclude=getattr(obj, "__api_exclude__", None))


def _plain(m: Message) -> Dict[str, Any]:
    if isinstance(m, Mapping):
        return dict(m)
    d = _jsonable(m)
    if not isinstance(d, dict):
        raise TypeError(f"a message must be a dict or a message object, not {type(m).__name__}")
    return d


def _image_part(image: ImageInput) -> Dict[str, Any]:
    if isinstance(image, (bytes, bytearray, memoryview)):
        url = image_data_uri(image)
    else:
        # Paths and file:// URLs are read by the library itself, streamed into the request.
        url = os.fspath(image)
    return {"type": "image_url", "image_url": {"url": url}}


def build_request(prompt_or_messages: PromptOrMessages, images: Optional[Sequence[ImageInput]],
                  params: Mapping[str, Any]) -> bytes:
    """The chat-completions JSON body for a prompt or a message list, with images put into the last
    user message, and any further parameters (model, max_tokens, tools, ...) as given (None: left out)."""
    parts = [_image_part(i) for i in images or ()]
    if isinstance(prompt_or_messages, str):
        content: Any = parts + [{"type": "text", "text": prompt_or_messages}] if parts else prompt_or_messages
        messages: List[Dict[str, Any]] = [{"role": "user", "content": content}]
    else:
        messages = [_plain(m) for m in prompt_or_messages]
        if parts:
            users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
            if not users:
                raise InvalidRequestError("images were given but no message has role user")
            last = messages[users[-1]]
            old = last.get("content")
            old_parts = [{"type": "text", "text": old}] if isinstance(old, str) else list(old or [])
            last["content"] = parts + old_parts
    body: Dict[str, Any] = {"messages": messages}
    for k, v in params.items():
        if v is not None:
            body[k] = v
    return json.dumps(body, ensure_ascii=False, default=_jsonable).encode("utf-8")


def ms(seconds: Optional[float]) -> Optional[int]:
    return None if seconds is None else max(0, int(round(seconds * 1000)))


def seconds(name: str, value: Any) -> Optional[float]:
    """A time in seconds as given, checked: a number or None."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    return value


_JUST_STREAM, _JUST_PLAIN = b'{"stream": true}', b'{"stream": false}'


def _query_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"  # as httpx (and so openai) writes them
    return str(v)


def split_call_options(params: Mapping[str, Any], stream: bool, defaults: Mapping[str, Any],
                       response_headers: bool = False) -> Tuple[Dict[str, Any], bytes]:
    """The body parameters among ``params``, and the call options JSON for qwen3vl_call_start made
    of the per-call keywords among them, over the client's ``defaults`` (``with_options``)."""
    body = {k: v for k, v in params.items() if k not in CALL_KEYS}
    if len(body) == len(params) and not defaults and not response_headers:
        return body, _JUST_STREAM if stream else _JUST_PLAIN  # the common case, without a json.dumps
    given = {**defaults, **{k: v for k, v in params.items() if k in CALL_KEYS and v is not None}}
    headers = given.get("extra_headers") or {}
    query = given.get("extra_query") or {}
    opts = {"stream": stream, "timeout_ms": ms(seconds("timeout", given.get("timeout"))),
            "idle_timeout_ms": ms(seconds("idle_timeout", given.get("idle_timeout"))),
            "max_retries": given.get("max_retries"),
            "headers": {str(k): str(v) for k, v in headers.items()} or None,
            "query": {str(k): _query_value(v) for k, v in query.items()} or None,
            "response_headers": response_headers or None, "resize": given.get("resize")}
    return body, json.dumps({k: v for k, v in opts.items() if v is not None}).encode("utf-8")


def prepare(prompt_or_messages: PromptOrMessages, images: Optional[Sequence[ImageInput]], params: Mapping[str, Any],
            stream: bool, defaults: Mapping[str, Any]) -> Tuple[bytes, bytes]:
    """The request body and the call options of a ``chat()`` or ``stream()`` of the Pythonic API."""
    body, options = split_call_options(params, stream, defaults)
    return build_request(prompt_or_messages, images, body), options
