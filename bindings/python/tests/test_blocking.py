"""A sync Client's non-streamed call, run by qwen3vl_chat_v2 on the caller's thread: from any thread,
cancelled by close() and cancel_all() from another, interrupted by Ctrl-C on the main thread (the
signal wakeup descriptor watched by the call's token) with SIGINT's handler and the wakeup
descriptor put back; other signals' Python handlers run during the call and end it only if they
raise."""
from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any, Callable, Dict, List

import pytest

import qwen3vl
from netstat import established
from test_nonblocking import requests_seen, wait_until


def in_thread(fn: Callable[[], Any]) -> Dict[str, Any]:
    """Runs ``fn`` on a thread of its own; the dict gets its "value" or "error", and "took"."""
    out: Dict[str, Any] = {}

    def run() -> None:
        t0 = time.monotonic()
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: B036 - reported to the test
            out["error"] = e
        out["took"] = time.monotonic() - t0
        out["ended"] = time.monotonic()
    out["thread"] = threading.Thread(target=run)
    out["thread"].start()
    return out


def test_a_call_from_another_thread_blocks_that_thread(base: Callable[..., str]) -> None:
    c = qwen3vl.Client(api_key="k", base_url=base("slow:300"))
    got = in_thread(lambda: c.chat("from a thread").text)
    wait_until(lambda: len(c._native._blocking) == 1)
    assert c._native._calls == {}  # not a call of the non-blocking engine
    got["thread"].join(5)
    assert got["value"] == "echo: from a thread"
    assert c._native._blocking == {} and c._native._users == 0
    c.close()


@pytest.mark.parametrize("how", ["close", "cancel_all"])
def test_another_thread_cancels_a_sync_call(base: Callable[..., str], port: int, how: str) -> None:
    uid = f"blocking-{how}-{os.getpid()}"
    c = qwen3vl.Client(api_key="k", base_url=base("hang:30", uid), max_retries=0)
    got = in_thread(lambda: c.chat("never answered"))
    wait_until(lambda: len(requests_seen(port, uid)) == 1)
    t0 = time.monotonic()
    c.close() if how == "close" else c.cancel_all()
    got["thread"].join(5)
    assert got["ended"] - t0 < 0.2, got
    want = qwen3vl.ClientClosedError if how == "close" else qwen3vl.RequestCancelledError
    assert type(got["error"]) is want, got
    wait_until(lambda: established(port) == 0, 2)  # the request's connection is closed
    assert len(requests_seen(port, uid)) == 1
    if how == "cancel_all":  # later calls are not affected
        assert qwen3vl.Client(api_key="k", base_url=base()).chat("after").text == "echo: after"
    c.close()


def signal_later(sig: int, seconds: float) -> threading.Thread:
    t = threading.Thread(target=lambda: (time.sleep(seconds), os.kill(os.getpid(), sig)))
    t.start()
    return t


def restored_wakeup_fd() -> int:
    """The signal wakeup descriptor now set (it is put back as it was)."""
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


def test_ctrl_c_on_the_main_thread(base: Callable[..., str], port: int) -> None:
    assert threading.current_thread() is threading.main_thread()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    uid = f"blocking-sigint-{os.getpid()}"
    c = qwen3vl.Client(api_key="k", base_url=base("hang:30", uid), max_retries=0)
    # A descriptor of the host's own (an event loop's, say) is put back, and is told of the SIGINT.
    r, w = os.pipe()
    os.set_blocking(w, False)
    old = signal.set_wakeup_fd(w)
    try:
        t = signal_later(signal.SIGINT, 0.4)
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            c.chat("never answered")
        took = time.monotonic() - t0
        t.join()
        assert 0.35 < took < 0.6, took
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert restored_wakeup_fd() == w
        assert os.read(r, 16) == bytes([signal.SIGINT])
    finally:
        signal.set_wakeup_fd(old)
        os.close(r)
        os.close(w)
    wait_until(lambda: established(port) == 0, 2)  # the request was cancelled
    assert len(requests_seen(port, uid)) == 1
    c.close()
    assert qwen3vl.Client(api_key="k", base_url=base()).chat("then").text == "echo: then"


def test_a_signal_handler_that_returns_leaves_the_call_alone(base: Callable[..., str], port: int) -> None:
    uid = f"blocking-usr1-{os.getpid()}"
    c = qwen3vl.Client(api_key="k", base_url=base("slow:600", uid), max_retries=0)
    ran: List[float] = []
    old = signal.signal(signal.SIGUSR1, lambda *_: ran.append(time.monotonic()))
    try:
        t = signal_later(signal.SIGUSR1, 0.2)
        reply = c.chat("through a signal")
        ended = time.monotonic()
        t.join()
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert reply.text == "echo: through a signal"
    assert len(ran) == 1 and ended - ran[0] > 0.2  # the handler ran during the call, as it came
    assert len(requests_seen(port, uid)) == 1  # the call went on: nothing was sent again
    c.close()


class Raised(Exception):
    pass


def test_a_signal_handler_that_raises_ends_the_call(base: Callable[..., str], port: int) -> None:
    uid = f"blocking-raise-{os.getpid()}"
    c = qwen3vl.Client(api_key="k", base_url=base("hang:30", uid), max_retries=0)

    def handler(*_: object) -> None:
        raise Raised()
    old = signal.signal(signal.SIGUSR1, handler)
    try:
        t = signal_later(signal.SIGUSR1, 0.3)
        t0 = time.monotonic()
        with pytest.raises(Raised):
            c.chat("never answered")
        assert time.monotonic() - t0 < 0.5
        t.join()
    finally:
        signal.signal(signal.SIGUSR1, old)
    wait_until(lambda: established(port) == 0, 2)  # and the request was cancelled
    assert len(requests_seen(port, uid)) == 1
    c.close()
