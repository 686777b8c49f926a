"""How the package behaves as Python (issue 13, items 7-11): where the key and base URL come from,
clients freed as soon as they are dropped, streams left by break, what help() and repr() show,
timeout messages, and one set of exception classes for both APIs."""
from __future__ import annotations

import asyncio
import gc
import json
import pydoc
import subprocess
import sys
import time
import urllib.request
import weakref
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import qwen3vl
from qwen3vl._options import DEFAULT_BASE_URL, endpoint

HERE = Path(__file__).resolve().parent


def requests_seen(port: int, uid: str) -> List[Dict[str, Any]]:
    return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_requests/{uid}").read())  # type: ignore


# ---- item 7: OPENAI_BASE_URL and OPENAI_API_KEY ----------------------------------------------------

def test_openai_environment_is_honoured_as_a_pair() -> None:
    openai_env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-openai"}
    assert endpoint(None, None, openai_env) == ("sk-openai", "http://127.0.0.1:9/v1")
    assert endpoint("mine", None, openai_env) == ("mine", "http://127.0.0.1:9/v1")
    # An AIML_* setting wins, and the OpenAI key never goes to a host it did not come with.
    assert endpoint(None, None, dict(openai_env, AIML_API_KEY="aiml")) == (None, DEFAULT_BASE_URL)
    assert endpoint(None, None, dict(openai_env, AIML_API_BASE="http://b/v1")) == (None, "http://b/v1")
    assert endpoint(None, None, {"OPENAI_API_KEY": "sk-openai"}) == (None, DEFAULT_BASE_URL)
    assert endpoint(None, "http://given/v1", openai_env) == (None, "http://given/v1")
    assert endpoint(None, None, {}) == (None, DEFAULT_BASE_URL)


def test_openai_environment_reaches_the_server(base: Callable[..., str], port: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AIML_API_KEY", "AIMLAPI_API_KEY", "AIML_API_BASE", "AIMLAPI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", base("ok", "env-pair"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    with qwen3vl.Client() as c:
        assert c.base_url == base("ok", "env-pair")
        assert c.chat("from the environment").text == "echo: from the environment"
    assert requests_seen(port, "env-pair")[0]["headers"]["authorization"] == "Bearer sk-from-env"
    # With the library's own base variable set, the OpenAI key stays at home.
    monkeypatch.setenv("AIML_API_BASE", base("ok", "env-aiml"))
    with qwen3vl.Client() as c:
        c.chat("x")
    assert "authorization" not in requests_seen(port, "env-aiml")[0]["headers"]


# ---- item 8: a dropped client is closed at once ----------------------------------------------------

def test_dropped_clients_free_their_sockets_at_once(base: Callable[..., str]) -> None:
    # 300 rounds of client = Client(); create() under ulimit -n 256, without the garbage collector.
    code = """\
import gc, os, resource, sys, weakref
import qwen3vl
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
gc.disable()
peak = 0
for i in range(300):
    client = qwen3vl.Client(api_key="k", base_url=sys.argv[1], max_retries=0)
    client.set_log(lambda level, message: None)  # a log handler makes no cycle either
    r = client.chat.completions.create(model="m", messages=[{"role": "user", "content": f"round {i}"}])
    assert r.choices[0].message.content == f"echo: round {i}"
    peak = max(peak, len(os.listdir("/proc/self/fd")))
native = weakref.ref(client._native)
del client
print(peak, native() is None, qwen3vl.Client(api_key="k", base_url=sys.argv[1]).chat.completions.create(
    model="m", messages=[{"role": "user", "content": "one line"}]).choices[0].message.content)
"""
    out = subprocess.run([sys.executable, "-c", code, base()], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    peak, freed, text = out.stdout.split(maxsplit=2)
    assert int(peak) < 40 and freed == "True" and text.strip() == "echo: one line", out.stdout


def test_nothing_refers_back_to_a_client() -> None:
    gc.disable()
    try:
        for cls in (qwen3vl.Client, qwen3vl.AsyncClient):
            c = cls(api_key="k", base_url="http://127.0.0.1:9/v1")
            c.set_log(print)
            native = weakref.ref(c._native)
            facade = weakref.ref(c.chat.completions)
            del c
            assert native() is None and facade() is None, cls
    finally:
        gc.enable()


# ---- item 9: break leaves a stream ---------------------------------------------------------------

BREAK_CHILD = """\
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[2])
import qwen3vl
from netstat import established
port = int(sys.argv[1].split(":")[2].split("/")[0])
seen = []

def closed_in_time():
    t0 = time.monotonic()
    while established(port) and time.monotonic() - t0 < 2:
        time.sleep(0.005)
    return established(port) == 0

with qwen3vl.Client(api_key="k", base_url=sys.argv[1]) as c:
    for make in (lambda: c.stream("a long question for a slow stream"),
                 lambda: c.chat.completions.create(model="m", stream=True,
                                                   messages=[{"role": "user", "content": "a long question"}])):
        stream = make()
        for _ in stream:
            break
        seen.append(closed_in_time())  # the request was cancelled while `stream` is still held
        try:
            stream.reply
        except qwen3vl.RequestCancelledError:
            seen.append("cancelled")

async def in_a_loop():
    async with qwen3vl.AsyncClient(api_key="k", base_url=sys.argv[1]) as ac:
        stream = ac.stream("a long question for a slow stream")
        async for _ in stream:
            break
        await asyncio.sleep(0.05)  # the loop closes the abandoned iteration
        seen.append(closed_in_time())
asyncio.run(in_a_loop())
print(json.dumps(seen))
"""


def test_break_cancels_a_stream_kept_in_a_variable(base: Callable[..., str]) -> None:
    # In a process of its own, so that its connections are the only ones counted.
    out = subprocess.run([sys.executable, "-c", BREAK_CHILD, base("sse:delay=50"), str(HERE)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout) == [True, "cancelled", True, "cancelled", True]


# ---- item 10: help, repr, docstrings, timeout messages ---------------------------------------------

def test_help_repr_and_docstrings() -> None:
    text = pydoc.render_doc(qwen3vl.Client, renderer=pydoc.plaintext)  # type: ignore[attr-defined]
    for word in ("chat", "stream", "base_url", "with_options", "close"):
        assert f"\n |  {word}" in text, word
    with qwen3vl.Client(api_key="k", base_url="http://127.0.0.1:9/v1") as c:
        assert repr(c) == "<qwen3vl.Client base_url='http://127.0.0.1:9/v1'>"
        assert c.base_url == "http://127.0.0.1:9/v1"
    assert "closed" in repr(c)
    documented = [qwen3vl.Completions.create, qwen3vl.AsyncCompletions.create, qwen3vl.Completions.parse,
                  qwen3vl.AsyncStream.__anext__, qwen3vl.AsyncStream.get_reply, qwen3vl.AsyncStream.close,
                  qwen3vl.Stream.close, qwen3vl.AsyncClient.stream, qwen3vl.Client.stream]
    assert all(f.__doc__ for f in documented)
    exceptions = [getattr(qwen3vl, n) for n in qwen3vl.__all__
                  if isinstance(getattr(qwen3vl, n), type) and issubclass(getattr(qwen3vl, n), Exception)]
    assert len(exceptions) >= 24
    assert all(cls.__dict__.get("__doc__") for cls in exceptions), [c for c in exceptions if not c.__doc__]


def test_timeout_messages_name_the_limit(base: Callable[..., str]) -> None:
    with qwen3vl.Client(api_key="k", base_url=base("hang:5"), max_retries=0) as c:
        with pytest.raises(qwen3vl.APITimeoutError, match=r"timeout_ms \(300 ms\)"):
            c.chat("x", timeout=0.3)
    with qwen3vl.Client(api_key="k", base_url=base("sse:stall=5")) as c:
        with pytest.raises(qwen3vl.APITimeoutError, match=r"200 ms \(idle_timeout_ms\)"):
            "".join(c.stream("x", idle_timeout=0.2))


# ---- item 11: the Pythonic API and the facade: one set of exceptions -------------------------------

def test_pythonic_api_and_facade_raise_the_same_classes(base: Callable[..., str], tmp_path: Path) -> None:
    png = tmp_path / "p.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x06\x00\x00\x00")
    with qwen3vl.Client(api_key="k", base_url=base("ok")) as c:
        assert c.chat("what is it?", images=[png]).text.startswith("echo: what is it? [image_url image/png")
    for scenario, cls in (("status:429", qwen3vl.RateLimitError), ("status:404", qwen3vl.NotFoundError),
                          ("status:500", qwen3vl.InternalServerError), ("notjson", qwen3vl.ProtocolError)):
        with qwen3vl.Client(api_key="k", base_url=base(scenario), max_retries=0) as c:
            with pytest.raises(cls) as pythonic:
                c.chat("x")
            with pytest.raises(cls) as facade:
                c.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
            assert type(pythonic.value) is type(facade.value) and str(pythonic.value) == str(facade.value)
    assert issubclass(qwen3vl.NotFoundError, qwen3vl.BadRequestError)  # the library's status, refined
    assert issubclass(qwen3vl.PermissionDeniedError, qwen3vl.AuthenticationError)
    assert issubclass(qwen3vl.APIStatusError, qwen3vl.APIError) and issubclass(qwen3vl.APIError, qwen3vl.Qwen3VLError)
