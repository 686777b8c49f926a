"""The high-level API against the stand-in server: calls, images, errors, streams, threads, asyncio."""
from __future__ import annotations

import asyncio
import ctypes
import json
import re
import threading
import time
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, List

import pytest

import qwen3vl
from qwen3vl import _native as n

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
       + b"\x08\x06\x00\x00\x00" + bytes(range(256)) * 4)


def described(data: bytes, mime: str = "image/png") -> str:
    return "[image_url %s %d %08x]" % (mime, len(data), zlib.crc32(data))


def client(base: Callable[..., str], scenario: str = "ok", **kw: Any) -> qwen3vl.Client:
    return qwen3vl.Client(api_key="py-key", base_url=base(scenario), **kw)


def test_library_is_loaded() -> None:
    # The version is written once, in include/qwen3vl.h: the package, its metadata and the library
    # it loaded say the same.
    root = Path(__file__).resolve().parents[3]
    header = (root / "include" / "qwen3vl.h").read_text()
    numbers = [re.search(rf"#define QWEN3VL_VERSION_{part} +(\d+)", header) for part in ("MAJOR", "MINOR", "PATCH")]
    version = ".".join(m.group(1) for m in numbers if m)
    assert len(version.split(".")) == 3
    assert qwen3vl.__version__ == version
    assert qwen3vl.library_version == version
    assert f'\nversion = "{version}"\n' in (root / "bindings" / "python" / "pyproject.toml").read_text()
    assert ".".join(map(str, n.EXPECTED_VERSION)) == version.rsplit(".", 1)[0]


def test_chat_prompt(base: Callable[..., str]) -> None:
    with client(base) as c:
        r = c.chat("Hello, 猫!", max_tokens=16)
    assert r.text == "echo: Hello, 猫!" and str(r) == r.text
    assert r.finish_reason == "stop"
    assert r.usage.prompt_tokens == 11 and r.usage.total_tokens == 11 + (r.usage.completion_tokens or 0)
    assert r.request_id.startswith("inf-")
    assert r.raw["object"] == "chat.completion" and r.raw["choices"][0]["message"]["content"] == r.text
    assert r.http_status == 200 and r.attempts == 1 and r.elapsed_ms > 0
    assert r.tool_calls == []
    assert r.to_openai().choices[0].message.content == r.text


def test_nul_in_prompt_and_reply(base: Callable[..., str]) -> None:
    # "\0" is valid in JSON strings ("\u0000"): it goes out, comes back, and is not cut off.
    with client(base) as c:
        assert c.chat("a\0b").text == "echo: a\0b"
        assert "".join(c.stream("a\0b")) == "echo: a\0b"


def test_request_shape(base: Callable[..., str], port: int) -> None:
    url = base("ok", "py-shape")
    c = qwen3vl.Client(api_key="k", base_url=url, model="my/model", headers={"X-App": "tests"})
    c.chat([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}], temperature=0.5,
           top_k=20, seed=None)
    c.close()
    recs = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_requests/py-shape").read())
    body = json.loads(recs[0]["body"])
    assert body == {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
                    "temperature": 0.5, "top_k": 20, "model": "my/model"}
    assert recs[0]["headers"]["x-app"] == "tests"
    assert recs[0]["headers"]["authorization"] == "Bearer k"


def test_images_every_way(base: Callable[..., str], tmp_path: Path) -> None:
    lying = tmp_path / "photo.jpg"  # a PNG whatever its name says
    lying.write_bytes(PNG)
    with client(base) as c:
        for image in (str(lying), lying, f"file://{lying}", PNG, bytearray(PNG), memoryview(PNG)):
            r = c.chat("what is it?", images=[image])
            assert described(PNG) in r.text, image
        r = c.chat("two", images=["https://example.com/a.jpg", PNG])
        assert "[image_url https://example.com/a.jpg]" in r.text and described(PNG) in r.text
        r = c.chat([{"role": "user", "content": "first"}, {"role": "assistant", "content": "ok"},
                    {"role": "user", "content": "look at this"}], images=[lying])
        assert r.text == "echo: look at this " + described(PNG)


def test_errors(base: Callable[..., str], tmp_path: Path) -> None:
    cases: List[Any] = [
        ("status:401", qwen3vl.AuthenticationError, 401, "stand-in says 401"),
        ("flat:403", qwen3vl.AuthenticationError, 403, "messages must be an array"),
        ("flat:400", qwen3vl.BadRequestError, 400, "model is unknown"),
        ("status:429:ra=0", qwen3vl.RateLimitError, 429, "Error code: 429 - stand-in says 429"),
        ("html:502", qwen3vl.ServerError, 502, "502 Bad Gateway"),
        ("notjson", qwen3vl.ProtocolError, 200, "maintenance"),
        ("big:5000", qwen3vl.ResponseTooLargeError, 200, "max_response_bytes"),
        ("hang:5", qwen3vl.APITimeoutError, None, "timeout_ms"),
    ]
    for scenario, cls, status, words in cases:
        # A short limit for the hang only: the retried statuses may take longer on a busy machine.
        with client(base, scenario, timeout=0.5 if scenario.startswith("hang") else 20, max_response_bytes=1000) as c:
            with pytest.raises(cls) as info:
                c.chat("hi")
        assert isinstance(info.value, qwen3vl.Qwen3VLError)
        assert info.value.status_code == status and words in info.value.message, scenario
    with client(base, "flat:400") as c, pytest.raises(qwen3vl.BadRequestError) as bad:
        c.chat("hi")
    assert bad.value.request_id == "vendor-req-123"
    assert qwen3vl.InternalServerError is qwen3vl.ServerError
    with qwen3vl.Client(base_url="http://127.0.0.1:1/v1", max_retries=0) as c:
        with pytest.raises(qwen3vl.APIConnectionError):
            c.chat("hi")
        with pytest.raises(qwen3vl.FileError, match="no-such.png"):
            c.chat("hi", images=[tmp_path / "no-such.png"])
        with pytest.raises(qwen3vl.InvalidRequestError, match="temperature"):
            c.chat("hi", temperature=7)
        with pytest.raises(qwen3vl.FileError):
            c.chat("hi", images=[b"not an image"])
    with pytest.raises(qwen3vl.InvalidArgumentError, match="max_retries"):
        qwen3vl.Client(max_retries=1000)
    with pytest.raises(qwen3vl.InvalidArgumentError, match="base_url"):
        qwen3vl.Client(base_url="ftp://x")
    with pytest.raises(qwen3vl.InvalidArgumentError, match="allow_insecure_http"):
        qwen3vl.Client(base_url="http://api.example.com/v1")
    qwen3vl.Client(base_url="http://api.example.com/v1", allow_insecure_http=True, proxy="http://127.0.0.1:9").close()
    c = client(base)
    c.close()
    c.close()
    with pytest.raises(qwen3vl.InvalidArgumentError, match="closed"):
        c.chat("hi")


def test_stream(base: Callable[..., str]) -> None:
    with client(base, "sse:pieces=3") as c:
        s = c.stream("Ça va? 🐈")
        deltas = list(s)
        assert "".join(deltas) == "echo: Ça va? 🐈"
        assert len(deltas) > 5
        assert s.reply.text == "echo: Ça va? 🐈" and s.reply.finish_reason == "stop"
        assert s.reply.raw["usage"]["prompt_tokens"] == 11 and s.text == s.reply.text
    with client(base, "sse:tools") as c:
        reply = c.stream("find it").reply
        assert reply.finish_reason == "tool_calls"
        assert [t["function"]["name"] for t in reply.tool_calls] == ["locate", "zoom"]
    with client(base, "sse:errorevent") as c:
        s = c.stream("x")
        with pytest.raises(qwen3vl.ProtocolError, match="model overloaded") as e:
            for _ in s:
                pass
        assert e.value.text == "ec"


def test_stream_early_break_cancels(base: Callable[..., str]) -> None:
    with client(base, "sse:delay=50") as c:
        t0 = time.monotonic()
        s = c.stream("a fairly long question for a slow stream")
        got = []
        for d in s:
            got.append(d)
            if len(got) == 2:
                break
        s.close()
        assert time.monotonic() - t0 < 1.0
        assert got == ["e", "c"]
        # The client is fine afterwards.
        assert "".join(c.stream("again")) == "echo: again"
    before = threading.active_count()
    with client(base, "sse:delay=50") as c:
        for _ in range(3):
            with c.stream("x" * 40) as s:
                next(iter(s))
    assert threading.active_count() <= before


def test_threads_share_a_client(base: Callable[..., str]) -> None:
    with client(base) as c:
        with ThreadPoolExecutor(8) as pool:
            texts = list(pool.map(lambda i: c.chat(f"call {i}").text, range(160)))
    assert texts == [f"echo: call {i}" for i in range(160)]
    # The GIL is released during a call: four 300 ms calls overlap.
    with client(base, "slow:300") as c:
        t0 = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: c.chat("x"), range(4)))
        assert time.monotonic() - t0 < 0.9


def test_cancel_all_from_another_thread(base: Callable[..., str]) -> None:
    with client(base, "hang:10") as c:
        threading.Timer(0.2, c.cancel_all).start()
        t0 = time.monotonic()
        with pytest.raises(qwen3vl.RequestCancelledError):
            c.chat("x")
        assert time.monotonic() - t0 < 1.0


def test_asyncio(base: Callable[..., str]) -> None:
    async def main() -> None:
        async with qwen3vl.AsyncClient(api_key="k", base_url=base()) as c:
            replies = await asyncio.gather(*(c.chat(f"n{i}") for i in range(10)))
            assert [r.text for r in replies] == [f"echo: n{i}" for i in range(10)]
            resp = await c.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
            assert isinstance(resp, qwen3vl.ChatCompletion) and resp.choices[0].message.content == "echo: hi"
        async with qwen3vl.AsyncClient(api_key="k", base_url=base("sse:pieces=2")) as c:
            s = c.stream("stream me")
            assert "".join([d async for d in s]) == "echo: stream me"
            assert (await s.get_reply()).finish_reason == "stop"
            chunks = await c.chat.completions.create(messages=[{"role": "user", "content": "hi"}], stream=True)
            assert not isinstance(chunks, qwen3vl.ChatCompletion)
            text = "".join([ch.choices[0].delta.content or "" async for ch in chunks if ch.choices])
            assert text == "echo: hi"
        async with qwen3vl.AsyncClient(api_key="k", base_url=base("hang:10")) as c:
            task = asyncio.ensure_future(c.chat("x"))
            await asyncio.sleep(0.2)
            t0 = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.monotonic() - t0 < 0.5
        async with qwen3vl.AsyncClient(api_key="k", base_url=base("sse:delay=50")) as c:
            s2 = c.stream("y" * 40)
            async for _ in s2:
                break
            await s2.aclose()
    asyncio.run(main())


def test_vision_helpers(tmp_path: Path) -> None:
    f = tmp_path / "x.png"
    f.write_bytes(PNG)
    assert qwen3vl.image_size(f) == (640, 480) and qwen3vl.image_size(str(f)) == (640, 480)
    assert qwen3vl.image_size(PNG) == (640, 480)
    with pytest.raises(qwen3vl.FileError, match="missing.png"):
        qwen3vl.image_size(tmp_path / "missing.png")
    with pytest.raises(qwen3vl.FileError):
        qwen3vl.image_size(b"nope")
    assert qwen3vl.image_tokens(640, 480) == 300
    assert qwen3vl.image_tokens(1920, 1080) == 2040
    assert qwen3vl.image_tokens(80, 80) == 64  # the processor's own min_pixels (65536) scales it up
    assert qwen3vl.image_tokens(80, 80, min_pixels=4096) == 4
    assert qwen3vl.image_tokens(1920, 1080, max_pixels=1003520) == 943
    with pytest.raises(qwen3vl.InvalidArgumentError, match="aspect ratio"):
        qwen3vl.image_tokens(201, 1)
    uri = qwen3vl.pixels_data_uri(bytes([255, 0, 0]) * 6, 3, 2, format="RGB")
    assert uri.startswith("data:image/png;base64,")
    import base64
    assert qwen3vl.image_size(base64.b64decode(uri.split(",", 1)[1])) == (3, 2)
    assert qwen3vl.pixels_data_uri(bytes(range(12)), 2, 2, stride=6, format="RGB") == \
        qwen3vl.pixels_data_uri(bytes(range(12)), 2, 2, format="RGB")  # stride 0: rows packed
    with pytest.raises(qwen3vl.InvalidArgumentError, match="holds 5 bytes"):
        qwen3vl.pixels_data_uri(b"\0" * 5, 3, 2, format="RGB")
    with pytest.raises(ValueError):
        qwen3vl.pixels_data_uri(b"\0" * 18, 3, 2, format="CMYK")
    assert qwen3vl.image_data_uri(PNG).startswith("data:image/png;base64,")
    # Each failure is the exception of the library's status, not one for all.
    with pytest.raises(qwen3vl.FileError, match="not an image"):
        qwen3vl.image_data_uri(b"nope")
    with pytest.raises(qwen3vl.InvalidArgumentError, match="bytes is NULL or empty"):
        qwen3vl.image_data_uri(b"")
    with pytest.raises(qwen3vl.InvalidArgumentError, match="positive"):
        qwen3vl.grounding("[]", 0, 10)
    boxes = qwen3vl.grounding('```json\n[{"bbox_2d": [100, 200, 500, 800], "label": "cat"}]\n```', 1000, 500)
    assert boxes == [{"bbox_2d": [100, 100, 500, 400], "label": "cat"}]
    assert qwen3vl.grounding("nothing here", 10, 10) == []
    with pytest.raises(ValueError):
        qwen3vl.grounding("[]", 0, 10)


def test_build_request_is_plain_json() -> None:
    body = json.loads(qwen3vl.build_request("q", None, {"model": "m", "max_tokens": 3, "stop": None}))
    assert body == {"messages": [{"role": "user", "content": "q"}], "model": "m", "max_tokens": 3}
    with pytest.raises(qwen3vl.InvalidRequestError):
        qwen3vl.build_request([{"role": "system", "content": "s"}], [PNG], {})


def test_callbacks_survive_garbage_collection(base: Callable[..., str]) -> None:
    import gc
    with client(base, "sse:delay=5") as c:
        s = c.stream("collect me please")
        gc.collect()
        assert "".join(s) == "echo: collect me please"
    assert ctypes.sizeof(ctypes.c_void_p) == 8


def test_log_lines(base: Callable[..., str]) -> None:
    lines: List[Any] = []
    with qwen3vl.Client(api_key="secret-key-1", base_url=base("status:503:ra=0,ok")) as c:
        c.set_log(lambda level, message: lines.append((level, message)), level=3)
        c.chat("hi")
        c.set_log(None)
        c.chat("quiet now")
    levels = [lvl for lvl, _ in lines]
    assert levels.count(1) == 1 and levels.count(2) == 2 and levels.count(3) == 2
    assert any("retrying" in m for _, m in lines)
    assert all("secret-key-1" not in m for _, m in lines)
    assert any("Authorization: Bearer [redacted]" in m for _, m in lines)


def test_per_call_options(base: Callable[..., str], port: int) -> None:
    # timeout, extra_headers and extra_query (the openai package's names), idle_timeout and
    # max_retries go to the library as call options: into the URL and headers, never the body.
    url = base("ok", "py-call-options")
    trace = {"X-Trace": "t-1"}
    query = {"api-version": "2024-10-21", "debug": True, "q": "a b&c"}
    with qwen3vl.Client(api_key="k", base_url=url, headers={"X-App": "tests"}) as c:
        assert c.chat("a", timeout=5, idle_timeout=4, max_retries=0, extra_headers=trace, extra_query=query,
                      temperature=0.5).text == "echo: a"
        assert "".join(c.stream("b", timeout=5.5, extra_headers=trace, extra_query=query)) == "echo: b"
        made = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "c"}], timeout=5,
                                         extra_headers=trace, extra_query=query, extra_body={"top_k": 5})
        assert isinstance(made, qwen3vl.ChatCompletion) and made.choices[0].message.content == "echo: c"

    async def from_a_loop() -> None:
        async with qwen3vl.AsyncClient(api_key="k", base_url=url, headers={"X-App": "tests"}) as ac:
            assert (await ac.chat("d", timeout=5, extra_headers=trace, extra_query=query)).text == "echo: d"
            chunks = await ac.chat.completions.create(messages=[{"role": "user", "content": "e"}], stream=True,
                                                      timeout=5, extra_headers=trace, extra_query=query)
            assert not isinstance(chunks, qwen3vl.ChatCompletion)
            assert "".join([ch.choices[0].delta.content or "" async for ch in chunks if ch.choices]) == "echo: e"
    asyncio.run(from_a_loop())
    recs = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_requests/py-call-options").read())
    assert len(recs) == 5
    for rec in recs:
        body = json.loads(rec["body"])
        assert not set(body) & {"timeout", "idle_timeout", "max_retries", "extra_headers", "extra_query",
                                "extra_body"}, body
        assert rec["path"].endswith("/chat/completions?api-version=2024-10-21&debug=true&q=a%20b%26c")
        assert rec["headers"]["x-trace"] == "t-1" and rec["headers"]["x-app"] == "tests"
    assert json.loads(recs[0]["body"])["temperature"] == 0.5
    assert json.loads(recs[2]["body"])["top_k"] == 5


def test_per_call_limits_apply_to_that_call_only(base: Callable[..., str], port: int) -> None:
    with client(base, "hang:5") as c:
        t0 = time.monotonic()
        with pytest.raises(qwen3vl.APITimeoutError):
            c.chat("x", timeout=0.3)
        assert time.monotonic() - t0 < 1.0
    with client(base, "sse:stall=5", timeout=10) as c:
        with pytest.raises(qwen3vl.APITimeoutError, match="idle"):
            "".join(c.stream("x", idle_timeout=0.3))
    with qwen3vl.Client(api_key="k", base_url=base("status:503:ra=0", "py-retries-per-call")) as c:
        with pytest.raises(qwen3vl.ServerError):
            c.chat("x", max_retries=0)
        with pytest.raises(qwen3vl.ServerError):
            c.chat("x")  # the client's own two retries
    recs = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_requests/py-retries-per-call").read())
    assert len(recs) == 1 + 3
    with client(base) as c:
        with pytest.raises(TypeError, match="timeout"):
            c.chat("x", timeout="5")
        with pytest.raises(qwen3vl.InvalidArgumentError, match="timeout_ms"):
            c.chat("x", timeout=0)
        with pytest.raises(qwen3vl.InvalidArgumentError, match="header"):
            c.chat("x", extra_headers={"Bad Name": "v"})
