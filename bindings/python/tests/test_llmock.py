"""The binding against an independent fault-injection server: llmock (PyPI, ``llmock==0.2.2``).

llmock is started as a subprocess with its own CLI (``python -m llmock.cli serve``) on 127.0.0.1 and a
free port, once for this module, and stopped by the fixture. Faults are scripted per test through its
language-neutral control API, and what our client really sent is read back from its journal:

    POST /_llmock/reset      forget requests and queued behaviours
    POST /_llmock/scenario   {"behaviors": [{"type": "fail", "status": 429, "retry_after": 0.3, "times": 2}]}
    GET  /_llmock/requests   every request served (status, fault, timing, chunks sent, ...)
    GET  /_llmock/verdict    llmock's own judgement of the client's retries

Behaviour types used: ``reply`` (scripted text), ``fail`` (HTTP error with Retry-After / retry-after-ms),
``delay`` (hold the whole answer), ``slow_first_token``, and ``stream_fault`` with kind ``disconnect``
(connection dropped mid-stream), ``truncate`` (stream ended cleanly with no finish_reason and no [DONE]),
``malformed`` (a chunk whose JSON is cut in half) and ``stall`` (no bytes for a while).

Skipped when llmock is not installed: ``pip install llmock==0.2.2``.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any, Dict, Iterator, List, Optional

import pytest

import qwen3vl

pytest.importorskip("llmock", reason="llmock is not installed (pip install llmock==0.2.2)")

# Stream faults act on the SSE event with this index: event 0 is the role chunk (no text), then one
# event per word of the scripted reply, then the finish_reason chunk and [DONE].
WORDS = ["alpha ", "beta ", "gamma ", "delta ", "epsilon ", "zeta"]
TEXT = "".join(WORDS)

_STARTUP_SECONDS = 20.0
# No proxy from the environment for the control API: it is on loopback.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mock:
    """A running llmock server and its control API."""

    def __init__(self, port: int) -> None:
        self.root = f"http://127.0.0.1:{port}"
        self.base_url = self.root + "/v1"

    def _call(self, method: str, path: str, payload: Optional[Dict[str, Any]] = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.root + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
        with _opener.open(req, timeout=10) as r:
            return json.loads(r.read())

    def reset(self) -> None:
        self._call("POST", "/_llmock/reset", {})

    def script(self, *behaviors: Dict[str, Any]) -> None:
        out = self._call("POST", "/_llmock/scenario", {"behaviors": list(behaviors)})
        assert out["queued"] == len(behaviors)

    def requests(self) -> List[Dict[str, Any]]:
        """The journal: every chat request llmock served since the last reset, oldest first."""
        recs: List[Dict[str, Any]] = self._call("GET", "/_llmock/requests")["requests"]
        return [r for r in recs if r["path"] == "/v1/chat/completions"]

    def verdict(self) -> Dict[str, Any]:
        v: Dict[str, Any] = self._call("GET", "/_llmock/verdict")
        return v

    def client(self, **kw: Any) -> qwen3vl.Client:
        kw.setdefault("timeout", 10)
        kw.setdefault("max_retries", 2)
        return qwen3vl.Client(api_key="llmock-test-key", base_url=self.base_url, **kw)


def _start(log: Any) -> "tuple[subprocess.Popen[bytes], Mock]":
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOCK_")}  # no chaos from the env
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    last = ""
    for _ in range(3):  # the free port could be taken between the probe and uvicorn's bind
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "llmock.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        mock = Mock(port)
        deadline = time.monotonic() + _STARTUP_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with _opener.open(mock.root + "/health", timeout=1) as r:
                    if json.loads(r.read()).get("status") == "ok":
                        return proc, mock
            except (OSError, ValueError):
                time.sleep(0.1)
        _stop(proc)
        log.seek(0)
        last = log.read().decode("utf-8", "replace")[-2000:]
    raise RuntimeError("llmock did not start:\n" + last)


def _stop(proc: "subprocess.Popen[bytes]") -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def llmock_server() -> Iterator[Mock]:
    with tempfile.TemporaryFile() as log:
        proc, mock = _start(log)
        try:
            yield mock
        finally:
            _stop(proc)


@pytest.fixture
def mock(llmock_server: Mock) -> Mock:
    llmock_server.reset()
    return llmock_server


# ---- (1) the happy path -------------------------------------------------------------------------

def test_normal_call(mock: Mock) -> None:
    mock.script({"type": "reply", "text": TEXT})
    with mock.client() as c:
        r = c.chat("hello")
    assert r.text == TEXT and r.finish_reason == "stop" and r.attempts == 1 and r.http_status == 200
    [rec] = mock.requests()
    assert rec["status"] == 200 and rec["stream"] is False and rec["fault"] is None
    assert rec["body"]["messages"] == [{"role": "user", "content": "hello"}]


def test_normal_call_unscripted(mock: Mock) -> None:
    with mock.client() as c:
        r = c.chat("hello")
    assert r.text and r.finish_reason == "stop" and r.attempts == 1


def test_normal_stream(mock: Mock) -> None:
    mock.script({"type": "reply", "text": TEXT})
    with mock.client() as c:
        s = c.stream("hello")
        deltas = list(s)
        r = s.reply
    assert deltas == WORDS
    assert r.text == TEXT and r.finish_reason == "stop" and r.attempts == 1
    [rec] = mock.requests()
    assert rec["status"] == 200 and rec["stream"] is True and rec["completed"] is True and rec["fault"] is None


# ---- (2), (3), (8) rate limits, retries and the journal --------------------------------------------

def test_429_twice_then_success_waits_for_retry_after(mock: Mock) -> None:
    wait = 0.3  # llmock sends it as retry-after-ms: 300 and Retry-After: 1 (whole seconds)
    mock.script({"type": "fail", "status": 429, "retry_after": wait, "times": 2},
                {"type": "reply", "text": TEXT})
    with mock.client(max_retries=3) as c:
        t0 = time.monotonic()
        r = c.chat("retry me")
        took = time.monotonic() - t0
    assert r.text == TEXT and r.attempts == 3
    assert took >= 2 * wait - 0.02, took
    # retry-after-ms (300 ms) was honoured, not the whole-second Retry-After (2 s in all):
    assert took < 1.4, took
    assert r.elapsed_ms >= 2 * wait * 1000 - 20

    # (8) The journal shows the three attempts of one call, spaced by at least Retry-After.
    recs = mock.requests()
    assert [x["status"] for x in recs] == [429, 429, 200]
    assert [x["fault"] for x in recs] == ["scenario:429", "scenario:429", None]
    assert len({x["fingerprint"] for x in recs}) == 1  # same body resent: retries of one call
    for before, after in zip(recs, recs[1:]):
        assert after["started_at"] - before["ended_at"] >= wait - 0.02
    v = mock.verdict()
    assert v["calls"] == 1 and v["attempts"] == 3 and v["faults_injected"] == 2
    assert v["passed"] and v["findings"] == [], v  # e.g. no retry_after_ignored


@pytest.mark.parametrize("max_retries", [0, 2])
def test_persistent_429_raises_rate_limit_error(mock: Mock, max_retries: int) -> None:
    mock.script({"type": "fail", "status": 429, "retry_after": 0.05, "times": None})
    with mock.client(max_retries=max_retries) as c:
        with pytest.raises(qwen3vl.RateLimitError) as ei:
            c.chat("always limited")
    assert ei.value.status_code == 429
    assert "Rate limit" in ei.value.message
    recs = mock.requests()  # (8) as many attempts as the client may make, no more
    assert len(recs) == max_retries + 1
    assert all(x["status"] == 429 for x in recs)
    v = mock.verdict()
    assert v["calls"] == 1 and v["attempts"] == max_retries + 1 and v["errors"] == 0, v


def test_503_once_is_retried(mock: Mock) -> None:
    mock.script({"type": "fail", "status": 503, "retry_after": 0.1}, {"type": "reply", "text": TEXT})
    with mock.client() as c:
        r = c.chat("flaky")
    assert r.text == TEXT and r.attempts == 2
    assert [x["status"] for x in mock.requests()] == [503, 200]


def test_400_is_not_retried(mock: Mock) -> None:
    mock.script({"type": "fail", "status": 400})
    with mock.client() as c:
        with pytest.raises(qwen3vl.BadRequestError) as ei:
            c.chat("bad")
    assert ei.value.status_code == 400
    assert [x["status"] for x in mock.requests()] == [400]
    assert mock.verdict()["passed"]  # no retried_non_retryable


# ---- (4)-(7) broken streams ---------------------------------------------------------------------

def _broken_stream(mock: Mock, fault: Dict[str, Any], **client_kw: Any) -> "tuple[qwen3vl.Qwen3VLError, List[str], float]":
    mock.script({"type": "reply", "text": TEXT}, dict({"type": "stream_fault"}, **fault))
    got: List[str] = []
    with mock.client(**client_kw) as c:
        t0 = time.monotonic()
        with pytest.raises(qwen3vl.Qwen3VLError) as ei:
            s = c.stream("break me")
            for d in s:
                got.append(d)
            s.reply
        took = time.monotonic() - t0
    return ei.value, got, took


def test_stream_dropped_midway(mock: Mock) -> None:
    err, got, _ = _broken_stream(mock, {"kind": "disconnect", "after_chunks": 3})
    assert isinstance(err, qwen3vl.ProtocolError), repr(err)
    assert got == WORDS[:2] and err.text == "".join(WORDS[:2])
    [rec] = mock.requests()  # not retried: part of the answer had already been handed out
    assert rec["fault"] == "stream:disconnect@3" and rec["completed"] is False and rec["chunks_sent"] == 3


def test_stream_dropped_before_any_text(mock: Mock) -> None:
    err, got, _ = _broken_stream(mock, {"kind": "disconnect", "after_chunks": 0})
    assert isinstance(err, (qwen3vl.ProtocolError, qwen3vl.APIConnectionError)), repr(err)
    assert got == [] and err.text == ""
    assert mock.requests()[0]["fault"] == "stream:disconnect@0"


def test_stream_truncated_without_finish_reason(mock: Mock) -> None:
    err, got, _ = _broken_stream(mock, {"kind": "truncate", "after_chunks": 3})
    assert isinstance(err, qwen3vl.ProtocolError), repr(err)
    assert "finish_reason" in err.message
    assert got == WORDS[:2] and err.text == "".join(WORDS[:2])
    [rec] = mock.requests()
    assert rec["fault"] == "stream:truncate@3" and rec["status"] == 200


def test_stream_malformed_chunk(mock: Mock) -> None:
    err, got, _ = _broken_stream(mock, {"kind": "malformed", "after_chunks": 3})
    assert isinstance(err, qwen3vl.ProtocolError), repr(err)
    assert "JSON" in err.message
    assert got == WORDS[:2] and err.text == "".join(WORDS[:2])
    assert mock.requests()[0]["fault"] == "stream:malformed@3"


def test_stream_stall_hits_idle_timeout(mock: Mock) -> None:
    err, got, took = _broken_stream(mock, {"kind": "stall", "after_chunks": 2, "stall_seconds": 5},
                                    idle_timeout=0.5)
    assert isinstance(err, qwen3vl.APITimeoutError), repr(err)
    assert 0.4 <= took < 2.5, took
    assert got == WORDS[:1] and err.text == WORDS[0]
    [rec] = mock.requests()  # llmock saw the client hang up during the stall, well before its 5 s
    assert rec["fault"] == "stream:stall@2" and rec["completed"] is False
    assert rec["stall_waited"] is not None and rec["stall_waited"] < 2.5


def test_slow_first_token_hits_idle_timeout(mock: Mock) -> None:
    mock.script({"type": "slow_first_token", "seconds": 3})
    with mock.client(idle_timeout=0.5, max_retries=0) as c:
        t0 = time.monotonic()
        with pytest.raises(qwen3vl.APITimeoutError):
            c.stream("slow").reply
        assert time.monotonic() - t0 < 2.5


def test_delayed_answer_hits_call_timeout(mock: Mock) -> None:
    mock.script({"type": "delay", "seconds": 1.5})
    with mock.client(timeout=0.5, max_retries=0) as c:
        t0 = time.monotonic()
        with pytest.raises(qwen3vl.APITimeoutError):
            c.chat("slow")
        assert time.monotonic() - t0 < 1.4
