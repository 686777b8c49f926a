"""Code written for the openai package, run unchanged against the openai package and against qwen3vl,
both pointed at the local stand-in: the same results, and the same requests on the wire.

Each snippet is written as an openai user writes it, with ``openai`` the module and ``client`` the
client; the test hands it ``openai`` and an ``openai.OpenAI``, then ``qwen3vl`` and a
``qwen3vl.Client`` (the two lines a port changes). Async snippets likewise get AsyncOpenAI and
qwen3vl.AsyncClient.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import openai
import pydantic
import pytest

import qwen3vl

MODEL = "alibaba/qwen3-vl-32b-instruct"
Snippet = Callable[[Any, Any], Any]
SNIPPETS: List[Tuple[str, str, Snippet]] = []


def snippet(scenario: str) -> Callable[[Snippet], Snippet]:
    def register(fn: Snippet) -> Snippet:
        SNIPPETS.append((fn.__name__, scenario, fn))
        return fn
    return register


def text_scenario(text: str) -> str:
    return "ok:text=" + urllib.parse.quote(text, safe="")


# ---- the snippets: openai-style code, written once ------------------------------------------------

@snippet("ok")
def basic_call(openai: Any, client: Any) -> Any:
    resp = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hello!"}])
    return resp.choices[0].message.content, resp.choices[0].finish_reason, resp.usage.total_tokens, resp.model


@snippet("sse")
def canonical_stream_loop(openai: Any, client: Any) -> Any:
    # The loop of openai's README: every chunk has a choice unless include_usage was asked for.
    out = []
    stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Say this"}],
                                            stream=True)
    for chunk in stream:
        out.append(chunk.choices[0].delta.content)
    return out


@snippet("sse")
def stream_with_usage(openai: Any, client: Any) -> Any:
    usage, text = None, ""
    for chunk in client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "count"}],
                                                stream=True, stream_options={"include_usage": True}):
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
        else:
            usage = chunk.usage.model_dump()
    return text, usage


@snippet("sse:tools")
def stream_tool_calls(openai: Any, client: Any) -> Any:
    calls: Dict[int, Dict[str, str]] = {}
    with client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "find"}],
                                        stream=True) as stream:
        for chunk in stream:
            for tc in chunk.choices[0].delta.tool_calls or []:
                c = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                c["id"] += tc.id or ""
                c["name"] += tc.function.name or ""
                c["arguments"] += tc.function.arguments or ""
            finish = chunk.choices[0].finish_reason
    return calls, finish


@snippet("ok")
def conversation_history(openai: Any, client: Any) -> Any:
    messages: List[Any] = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "first"}]
    resp = client.chat.completions.create(model=MODEL, messages=messages)
    messages.append(resp.choices[0].message)  # the reply's message object goes back as it is
    messages.append({"role": "user", "content": "second"})
    return client.chat.completions.create(model=MODEL, messages=messages).choices[0].message.content


@snippet("tools")
def tool_call_round_trip(openai: Any, client: Any) -> Any:
    tools = [{"type": "function", "function": {"name": "locate", "parameters": {"type": "object", "properties": {
        "object": {"type": "string"}}}}}]
    messages: List[Any] = [{"role": "user", "content": "where is the cat?"}]
    resp = client.chat.completions.create(model=MODEL, messages=messages, tools=tools, tool_choice="auto")
    msg = resp.choices[0].message
    messages.append(msg)
    for call in msg.tool_calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"found": True})})
    args = json.loads(msg.tool_calls[0].function.arguments)
    again = client.chat.completions.create(model=MODEL, messages=messages, tools=tools)
    return args, msg.tool_calls[0].function.name, resp.choices[0].finish_reason, again.choices[0].finish_reason


@snippet("hang:5")
def per_call_timeout(openai: Any, client: Any) -> Any:
    t0 = time.monotonic()
    try:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}], timeout=0.5)
    except openai.APITimeoutError as e:
        return type(e).__name__, isinstance(e, openai.APIConnectionError), time.monotonic() - t0 < 2.5
    return "no timeout"


@snippet("ok")
def per_call_request_options(openai: Any, client: Any) -> Any:
    resp = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "opts"}], max_tokens=9, temperature=0.2, seed=7,
        stop=["\n\n"], response_format={"type": "json_object"}, extra_headers={"X-Trace": "t-9"},
        extra_query={"api-version": "2024-10-21"}, extra_body={"top_k": 20, "repetition_penalty": 1.05})
    return resp.choices[0].message.content


@snippet("status:503")
def with_options(openai: Any, client: Any) -> Any:
    try:
        client.with_options(max_retries=1, timeout=20).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}])
    except openai.InternalServerError as e:
        return e.status_code, str(e)


@snippet("ok")
def raw_response(openai: Any, client: Any) -> Any:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=[{"role": "user", "content": "r"}])
    completion = raw.parse()
    return (raw.headers.get("x-inference-id", "")[:4], raw.headers["X-AIMLAPI-Credits-Used"], raw.status_code,
            completion.choices[0].message.content, json.loads(raw.text)["object"], raw.retries_taken)


@snippet("status:429")
def status_error_details(openai: Any, client: Any) -> Any:
    try:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    except openai.RateLimitError as e:
        assert isinstance(e, openai.APIStatusError) and isinstance(e, openai.APIError)
        return (type(e).__name__, e.status_code, str(e), e.message, e.body, e.code, e.type, e.param,
                e.response.status_code, e.response.headers["content-type"], e.response.json())


@snippet("status:404")
def not_found(openai: Any, client: Any) -> Any:
    try:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    except openai.NotFoundError as e:
        return e.status_code, str(e), e.body


@snippet("status:403")
def permission_denied(openai: Any, client: Any) -> Any:
    try:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    except openai.PermissionDeniedError as e:
        return e.status_code, e.code, e.type


@snippet("status:401")
def authentication(openai: Any, client: Any) -> Any:
    try:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    except openai.AuthenticationError as e:
        return e.status_code, str(e)


@snippet("ok")
def dumps(openai: Any, client: Any) -> Any:
    resp = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "dump"}])
    return (resp.model_dump(), resp.model_dump(exclude_none=True), json.loads(resp.model_dump_json()),
            resp.to_dict(), json.loads(resp.to_json()), resp.choices[0].message.model_dump(),
            resp.usage.model_dump(), resp.choices[0].model_dump(exclude_none=True),
            resp.model_dump_json(indent=2).splitlines()[:3], dict(resp.choices[0].message)["role"],
            resp.meta["usage"]["credits_used"])


@snippet("sse")
def chunk_dumps(openai: Any, client: Any) -> Any:
    stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "ab"}], stream=True)
    return [(c.model_dump(exclude_none=True), c.to_dict()) for c in stream]


@snippet("ok")
def logprobs(openai: Any, client: Any) -> Any:
    resp = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "two words"}],
                                          logprobs=True, top_logprobs=2)
    lp = resp.choices[0].logprobs
    return ([(t.token, t.logprob, t.bytes, [(a.token, a.logprob) for a in t.top_logprobs]) for t in lp.content],
            lp.refusal, lp.content[0].model_dump())


class Person(pydantic.BaseModel):
    name: str
    age: int
    nickname: Optional[str] = None


@snippet(text_scenario('{"name": "Ann", "age": 7, "nickname": null}'))
def structured_output(openai: Any, client: Any) -> Any:
    completion = client.chat.completions.parse(model=MODEL, messages=[{"role": "user", "content": "who?"}],
                                               response_format=Person)
    person = completion.choices[0].message.parsed
    return type(person).__name__, person.model_dump(), completion.choices[0].message.content


@snippet("ok")
def misspelled_keyword(openai: Any, client: Any) -> Any:
    try:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}], max_token=5)
    except TypeError as e:
        return "TypeError", "max_token" in str(e)


@snippet("ok")
def image_in_messages(openai: Any, client: Any) -> Any:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    import base64
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    resp = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": url}}]}])
    return resp.choices[0].message.content


@snippet("sse")
def stream_closed_early(openai: Any, client: Any) -> Any:
    stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "long one"}],
                                            stream=True)
    first = next(iter(stream)).choices[0].delta.role
    stream.close()
    return first


async def async_basic_and_stream(openai: Any, client: Any) -> Any:
    resp = await client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "async"}])
    pieces = []
    stream = await client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "as"}],
                                                  stream=True)
    async for chunk in stream:
        pieces.append(chunk.choices[0].delta.content)
    try:
        await client.with_options(max_retries=0).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], extra_query={"fail": "yes"}, timeout=0.3)
    except openai.APITimeoutError:
        timed_out = True
    return resp.choices[0].message.content, pieces, timed_out


# ---- the harness ----------------------------------------------------------------------------------

MASKED = re.compile(r"chatcmpl-standin-\d+|inf-[0-9a-f]{8}")


def masked(v: Any) -> Any:
    """The result with what differs from call to call (ids, timestamps) masked."""
    if isinstance(v, dict):
        return {k: "<created>" if k == "created" else masked(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [masked(x) for x in v]
    if isinstance(v, str):
        return MASKED.sub("<id>", v)
    return v


def requests_seen(port: int, uid: str) -> List[Dict[str, Any]]:
    return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_requests/{uid}").read())  # type: ignore


def wire(port: int, uid: str) -> List[Tuple[str, Any, str]]:
    """What each request of ``uid`` carried: its path (query included), its body and the test's header.
    A stream's "stream_options" differ by design (qwen3vl asks for usage, for its assembled reply), so
    the body leaves it out; the snippets check that the caller's wish holds."""
    out = []
    for rec in requests_seen(port, uid):
        body = json.loads(rec["body"])
        body.pop("stream_options", None)
        out.append((rec["path"].split(uid, 1)[1], body, rec["headers"].get("x-trace", "")))
    return out


@pytest.mark.parametrize("name,scenario,fn", SNIPPETS, ids=[s[0] for s in SNIPPETS])
def test_snippet_runs_the_same_on_both(name: str, scenario: str, fn: Snippet, base: Callable[..., str],
                                       port: int) -> None:
    uid = f"dropin-{name}-{time.monotonic_ns()}"
    theirs = fn(openai, openai.OpenAI(api_key="k", base_url=base(scenario, uid + "-openai"), max_retries=0))
    with qwen3vl.Client(api_key="k", base_url=base(scenario, uid + "-qwen3vl"), max_retries=0) as client:
        ours = fn(qwen3vl, client)
    assert masked(ours) == masked(theirs)
    assert wire(port, uid + "-qwen3vl") == wire(port, uid + "-openai")


def test_async_snippet_runs_the_same_on_both(base: Callable[..., str], port: int) -> None:
    async def run(api: Any, client: Any) -> Any:
        async with client:
            return await async_basic_and_stream(api, client)
    uid = f"dropin-async-{time.monotonic_ns()}"
    theirs = asyncio.run(run(openai, openai.AsyncOpenAI(api_key="k", base_url=base("ok,ok,hang:2", uid + "o"),
                                                        max_retries=0)))
    ours = asyncio.run(run(qwen3vl, qwen3vl.AsyncClient(api_key="k", base_url=base("ok,ok,hang:2", uid + "q"),
                                                        max_retries=0)))
    assert masked(ours) == masked(theirs)
    assert wire(port, uid + "q") == wire(port, uid + "o")


def test_create_takes_exactly_openais_parameters() -> None:
    # The parameters of create() and parse(), as openai's (pinned version) take them.
    from qwen3vl._facade import CreateParams, ParseParams
    theirs = openai.OpenAI(api_key="k").chat.completions
    assert set(CreateParams.__annotations__) | {"messages", "model", "stream"} == \
        set(inspect.signature(theirs.create).parameters)
    assert set(ParseParams.__annotations__) | {"messages", "model", "response_format"} == \
        set(inspect.signature(theirs.parse).parameters)


def test_stream_yields_usage_chunk_only_when_asked(base: Callable[..., str]) -> None:
    # The library asks for usage on every stream (its assembled reply has it either way).
    with qwen3vl.Client(api_key="k", base_url=base("sse")) as c:
        plain = c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "u"}], stream=True)
        assert all(ch.choices for ch in plain)
        assert plain.reply.usage.total_tokens == 11 + len("echo: u")
        asked = list(c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "u"}], stream=True,
                                               stream_options={"include_usage": True}))
        assert not asked[-1].choices and asked[-1].usage is not None
        assert all(ch.choices for ch in asked[:-1])


FACADE_CODE = '''\
from typing import List
from {module} import {client}

client = {client}(api_key="k", base_url="http://127.0.0.1:9/v1")
resp = client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "hi"}}], max_tokens=5,
                                      temperature=0.2)
text: str = resp.choices[0].message.content or ""
total: int = resp.usage.total_tokens if resp.usage else 0
pieces: List[str] = []
for chunk in client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "hi"}}], stream=True):
    if chunk.choices:
        pieces.append(chunk.choices[0].delta.content or "")
flag = True
either = client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "hi"}}], stream=flag)
for call in resp.choices[0].message.tool_calls or []:
    if call.type == "function":
        pieces.append(call.function.name + call.function.arguments)
dumped: str = resp.model_dump_json(exclude_none=True)
'''

ASYNC_FACADE_CODE = '''\
import asyncio
from {module} import {client}

async def main() -> str:
    client = {client}(api_key="k", base_url="http://127.0.0.1:9/v1", max_retries=1)
    resp = await client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "hi"}}])
    out = resp.choices[0].message.content or ""
    stream = await client.chat.completions.create(model="m", messages=[{{"role": "user", "content": "x"}}],
                                                  stream=True)
    async for chunk in stream:
        out += chunk.choices[0].delta.content or ""
    return out

asyncio.run(main())
'''

MISSPELLED = '''\
from qwen3vl import Client
Client().chat.completions.create(model="m", messages=[], max_token=5)
'''


def mypy(tmp_path: Path, name: str, code: str) -> subprocess.CompletedProcess[str]:
    f = tmp_path / name
    f.write_text(code)
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(f)],
                          capture_output=True, text=True, cwd=tmp_path)


@pytest.mark.slow
def test_mypy_strict_passes_on_facade_code_as_on_openais(tmp_path: Path) -> None:
    for module, client, code in (("openai", "OpenAI", FACADE_CODE), ("qwen3vl", "Client", FACADE_CODE),
                                 ("openai", "AsyncOpenAI", ASYNC_FACADE_CODE),
                                 ("qwen3vl", "AsyncClient", ASYNC_FACADE_CODE)):
        out = mypy(tmp_path, f"{module}_{client}.py", code.format(module=module, client=client))
        assert out.returncode == 0, (module, out.stdout)
    out = mypy(tmp_path, "misspelled.py", MISSPELLED)
    assert out.returncode == 1 and 'Unexpected keyword argument "max_token"' in out.stdout, out.stdout
