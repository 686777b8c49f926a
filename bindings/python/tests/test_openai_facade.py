"""The OpenAI-shaped facade, field by field against what the openai package makes of the same
server replies."""
from __future__ import annotations

from typing import Any, Callable, List, Tuple

import openai

import qwen3vl

MESSAGES = [{"role": "user", "content": "Compare me"}]


def test_completion_matches_openai(base: Callable[..., str]) -> None:
    for scenario in ("ok", "tools"):
        theirs = openai.OpenAI(api_key="k", base_url=base(scenario), max_retries=0).chat.completions.create(
            model="alibaba/qwen3-vl-32b-instruct", messages=MESSAGES)  # type: ignore[arg-type]
        with qwen3vl.Client(api_key="k", base_url=base(scenario)) as c:
            ours = c.chat.completions.create(model="alibaba/qwen3-vl-32b-instruct", messages=MESSAGES)
        assert isinstance(ours, qwen3vl.ChatCompletion)
        assert ours.object == theirs.object and ours.model == theirs.model
        assert type(ours.created) is type(theirs.created) and ours.id.startswith("chatcmpl-")
        assert len(ours.choices) == len(theirs.choices)
        a, b = ours.choices[0], theirs.choices[0]
        assert (a.index, a.finish_reason, a.logprobs) == (b.index, b.finish_reason, b.logprobs)
        assert (a.message.role, a.message.content, a.message.refusal) == (b.message.role, b.message.content, b.message.refusal)
        if b.message.tool_calls:
            assert a.message.tool_calls is not None
            for x, y in zip(a.message.tool_calls, b.message.tool_calls):
                assert (x.id, x.type, x.function.name, x.function.arguments) == \
                       (y.id, y.type, y.function.name, y.function.arguments)  # type: ignore[union-attr]
        else:
            assert a.message.tool_calls is None
        assert ours.usage is not None and theirs.usage is not None
        assert (ours.usage.prompt_tokens, ours.usage.completion_tokens, ours.usage.total_tokens) == \
               (theirs.usage.prompt_tokens, theirs.usage.completion_tokens, theirs.usage.total_tokens)
        assert ours.system_fingerprint == theirs.system_fingerprint


def _chunk_view(chunks: Any) -> List[Tuple[Any, ...]]:
    out = []
    for ch in chunks:
        c = ch.choices[0] if ch.choices else None
        calls = None
        if c is not None and c.delta.tool_calls:
            calls = [(t.index, t.id, t.type, t.function.name if t.function else None,
                      t.function.arguments if t.function else None) for t in c.delta.tool_calls]
        out.append((ch.id, ch.object, ch.model, len(ch.choices),
                     c.delta.content if c else None, c.delta.role if c else None, c.finish_reason if c else None,
                     calls, ch.usage.total_tokens if ch.usage else None))
    return out


def test_stream_matches_openai(base: Callable[..., str]) -> None:
    for scenario in ("sse:pieces=4", "sse:tools", "sse:nodone:crlf"):
        theirs = openai.OpenAI(api_key="k", base_url=base(scenario), max_retries=0).chat.completions.create(
            model="m", messages=MESSAGES, stream=True)  # type: ignore[arg-type]
        with qwen3vl.Client(api_key="k", base_url=base(scenario)) as c:
            ours = c.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            assert not isinstance(ours, qwen3vl.ChatCompletion)
            assert _chunk_view(ours) == _chunk_view(theirs), scenario


def test_errors_match_openai_names(base: Callable[..., str]) -> None:
    import pytest
    with qwen3vl.Client(api_key="k", base_url=base("status:401")) as c:
        with pytest.raises(qwen3vl.AuthenticationError) as e:
            c.chat.completions.create(model="m", messages=MESSAGES)
    assert e.value.status_code == 401
