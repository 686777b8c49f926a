"""Lifetimes across threads (issue 10, items 2 and 3): streams and calls that outlive or race their
client's close(), and log handlers swapped or removed while calls are logging.

Each scenario runs in a child interpreter, so that a use-after-free (a segfault in the library, or a
freed ctypes callback being called) fails the test instead of killing pytest. The child prints one
JSON line of what it saw; the test checks it."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from typing import Any, Callable, Dict

PRELUDE = """\
import asyncio, collections, gc, json, random, sys, threading, time
import qwen3vl
BASE = sys.argv[1:]
def client(i=0, **kw):
    return qwen3vl.Client(api_key="k", base_url=BASE[i], **kw)
def closed_kind(e):
    # What a call cut short by close() raised: its class name, and whether it is both a
    # cancellation and a connection error (as openai raises for a closed client).
    both = isinstance(e, qwen3vl.RequestCancelledError) and isinstance(e, qwen3vl.APIConnectionError)
    return type(e).__name__ + ("" if both else "(not both)")
"""


def run_child(body: str, *bases: str, timeout: float = 60) -> Dict[str, Any]:
    """Runs PRELUDE + body in a fresh interpreter with the base URLs as arguments; returns the JSON
    object it printed last. A crash or a hang fails the test with what the child wrote."""
    code = PRELUDE + textwrap.dedent(body)
    out = subprocess.run([sys.executable, "-c", code, *bases], capture_output=True, text=True, timeout=timeout)
    if out.returncode < 0:
        raise AssertionError(f"child killed by {signal.Signals(-out.returncode).name}\n{out.stderr[-3000:]}")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Exception ignored" not in out.stderr, out.stderr[-3000:]
    result: Dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ---- item 3: a stream or call outliving its client --------------------------------------------

def test_stream_outlives_client_200_rounds(base: Callable[..., str]) -> None:
    got = run_child("""
        seen = collections.Counter()
        for i in range(200):
            with client(i % 2) as c:
                if i % 4 < 2:
                    s = c.stream(f"round {i}")
                else:
                    s = c.chat.completions.create(messages=[{"role": "user", "content": f"round {i}"}], stream=True)
            try:
                parts = [d if isinstance(d, str) else (d.choices[0].delta.content or "" if d.choices else "")
                         for d in s]
                assert "".join(parts) == f"echo: round {i}", parts
                assert s.reply.text == f"echo: round {i}"
                seen["whole"] += 1
            except qwen3vl.Qwen3VLError as e:
                seen[closed_kind(e)] += 1
                try:
                    s.reply
                except Exception as again:  # the same error again, not a bare assert
                    seen["reply:" + type(again).__name__] += 1
        print(json.dumps(seen))
    """, base("ok"), base("sse:delay=2"))
    assert sum(v for k, v in got.items() if not k.startswith("reply:")) == 200
    assert set(got) <= {"whole", "ClientClosedError", "reply:ClientClosedError"}, got
    assert got.get("reply:ClientClosedError", 0) == got.get("ClientClosedError", 0)


def test_close_races_calls_and_streams_from_threads(base: Callable[..., str]) -> None:
    got = run_child("""
        seen = collections.Counter()
        lock = threading.Lock()
        def note(what):
            with lock:
                seen[what] += 1
        def worker(c, k):
            while True:
                try:
                    if k % 2:
                        assert c.chat("x").text == "echo: x"
                    else:
                        assert "".join(c.stream("y")) == "echo: y"
                    note("ok")
                except qwen3vl.InvalidArgumentError as e:
                    note("refused" if "closed" in str(e) else repr(e))
                    return
                except qwen3vl.Qwen3VLError as e:
                    note(closed_kind(e))
                except BaseException as e:
                    note(repr(e))
                    return
        random.seed(10)
        for r in range(60):
            c = client(r % 2)
            threads = [threading.Thread(target=worker, args=(c, k)) for k in range(4)]
            for t in threads:
                t.start()
            time.sleep(random.random() * 0.02)
            c.close()
            c.close()  # twice is fine
            for t in threads:
                t.join(10)
                assert not t.is_alive()
        print(json.dumps(seen))
    """, base("slow:3"), base("sse:delay=1"))
    assert got.get("refused") == 240, got  # every thread ends on "the client is closed"
    assert got.get("ok", 0) > 0 and got.get("ClientClosedError", 0) > 0, got
    assert set(got) == {"ok", "refused", "ClientClosedError"}, got


def test_close_while_calls_block_cancels_them_quickly(base: Callable[..., str]) -> None:
    got = run_child("""
        c = client()
        errors = []
        def call():
            try:
                c.chat("x")
            except qwen3vl.Qwen3VLError as e:
                errors.append(closed_kind(e))
        threads = [threading.Thread(target=call) for _ in range(3)]
        for t in threads:
            t.start()
        s = c.stream("never answered")
        time.sleep(0.3)
        t0 = time.monotonic()
        c.close()
        closed_in = time.monotonic() - t0
        for t in threads:
            t.join(5)
        try:
            list(s)
        except qwen3vl.Qwen3VLError as e:
            errors.append(closed_kind(e))
        print(json.dumps({"errors": errors, "closed_in": closed_in, "all_back_in": time.monotonic() - t0}))
    """, base("hang:20"))
    assert got["errors"] == ["ClientClosedError"] * 4
    assert got["closed_in"] < 0.5 and got["all_back_in"] < 1.5, got


def test_async_client_closed_under_calls_and_streams(base: Callable[..., str]) -> None:
    got = run_child("""
        seen = collections.Counter()
        async def one_round(i):
            c = qwen3vl.AsyncClient(api_key="k", base_url=BASE[i % 2])
            s = c.stream(f"a{i}")
            calls = [asyncio.ensure_future(c.chat(f"c{i}")) for _ in range(3)]
            await asyncio.sleep(random.random() * 0.01)
            await c.close()
            for f in calls:
                try:
                    assert (await f).text == f"echo: c{i}"
                    seen["ok"] += 1
                except qwen3vl.InvalidArgumentError as e:
                    seen["refused" if "closed" in str(e) else repr(e)] += 1
                except qwen3vl.Qwen3VLError as e:
                    seen[closed_kind(e)] += 1
            try:
                assert "".join([d async for d in s]) == f"echo: a{i}"
                seen["ok"] += 1
            except qwen3vl.Qwen3VLError as e:
                seen[closed_kind(e)] += 1
        async def main():
            for i in range(100):
                await one_round(i)
        random.seed(3)
        asyncio.run(main())
        print(json.dumps(seen))
    """, base("slow:2"), base("sse:delay=1"))
    assert sum(got.values()) == 400, got
    assert set(got) <= {"ok", "refused", "ClientClosedError"}, got
    assert got.get("ClientClosedError", 0) > 0, got


def test_stream_outliving_a_dropped_client_still_works(base: Callable[..., str]) -> None:
    # No close(): a client that is merely no longer referenced stays alive for its stream.
    got = run_child("""
        texts = []
        for i in range(30):
            s = client(i % 2).stream(f"temp {i}")
            gc.collect()
            texts.append("".join(s))
        print(json.dumps({"good": sum(t == f"echo: temp {i}" for i, t in enumerate(texts))}))
    """, base("ok"), base("sse:delay=1"))
    assert got == {"good": 30}


# ---- item 2: log handlers replaced or removed while calls log ---------------------------------

def test_set_log_none_with_calls_in_flight(base: Callable[..., str]) -> None:
    got = run_child("""
        c = client()
        lines = []
        stop = threading.Event()
        def caller():
            while not stop.is_set():
                c.chat("x")
        threads = [threading.Thread(target=caller) for _ in range(3)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 2.0
        swaps = 0
        while time.monotonic() < deadline:
            c.set_log(lambda level, message: lines.append(message), level=3)
            time.sleep(0.002)
            c.set_log(None)
            gc.collect()  # the old handler's callback is collectable now
            swaps += 1
        stop.set()
        for t in threads:
            t.join(5)
        before = len(lines)
        for _ in range(20):
            c.chat("after")
        c.close()
        print(json.dumps({"swaps": swaps, "lines": before, "after": len(lines) - before}))
    """, base("slow:1"))
    assert got["swaps"] > 20 and got["lines"] > 0, got
    assert got["after"] == 0, got


def test_set_log_swapped_from_threads_under_load(base: Callable[..., str]) -> None:
    got = run_child("""
        c = client()
        stop = threading.Event()
        received = collections.Counter()
        bad = []
        def handler(name):
            def h(level, message):
                if not (isinstance(message, str) and 0 <= level <= 3):
                    bad.append((level, message))
                received[name] += 1
            return h
        def caller():
            while not stop.is_set():
                assert "".join(c.stream("s")) == "echo: s"
                assert c.chat("x").text == "echo: x"
        def swapper(k):
            j, deadline = 0, time.monotonic() + 1.5
            while time.monotonic() < deadline:
                c.set_log(handler(f"h{k}-{j}") if j % 3 else None, level=j % 4)
                time.sleep(random.random() * 0.003)
                if j % 50 == 0:
                    gc.collect()
                j += 1
        callers = [threading.Thread(target=caller) for _ in range(3)]
        swappers = [threading.Thread(target=swapper, args=(k,)) for k in range(3)]
        for t in callers + swappers:
            t.start()
        for t in swappers:
            t.join(20)
        stop.set()
        for t in callers:
            t.join(5)
        c.set_log(None)
        gc.collect()
        total = sum(received.values())
        for _ in range(20):
            c.chat("quiet")
        c.close()
        print(json.dumps({"handlers": len(received), "lines": total, "after": sum(received.values()) - total,
                          "bad": len(bad)}))
    """, base("ok"))
    assert got["lines"] > 100 and got["handlers"] > 20 and got["bad"] == 0, got
    assert got["after"] == 0, got


def test_replaced_handler_gets_no_more_lines(base: Callable[..., str]) -> None:
    got = run_child("""
        first, second = [], []
        with client() as c:
            c.set_log(lambda level, message: first.append(message), level=3)
            c.chat("one")
            n_first = len(first)
            c.set_log(lambda level, message: second.append(message), level=2)
            c.chat("two")
            c.set_log(None)
            c.chat("three")
        c.set_log(None)  # turning logging off on a closed client is harmless
        print(json.dumps({"first": n_first, "first_after": len(first) - n_first, "second": second}))
    """, base("ok"))
    assert got["first"] >= 2 and got["first_after"] == 0, got  # a DEBUG and an INFO line
    assert len(got["second"]) == 1 and "200" in got["second"][0], got  # INFO only


def test_handler_may_swap_the_handler_itself(base: Callable[..., str]) -> None:
    got = run_child("""
        c = client()
        seen = collections.Counter()
        def make(k):
            def h(level, message):
                seen[k % 3] += 1
                c.set_log(make(k + 1) if k % 3 else None, level=3)  # the next one, or off
            return h
        def caller():
            for i in range(100):
                c.chat("x")
                if i % 3 == 0:
                    c.set_log(make(1), level=3)
                    gc.collect()  # replaced handlers' callbacks are collectable now
        threads = [threading.Thread(target=caller) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
            assert not t.is_alive()
        c.set_log(None)
        c.close()
        print(json.dumps({"lines": sum(seen.values()), "offs": seen[0]}))
    """, base("ok"), timeout=30)
    assert got["lines"] > 20 and got["offs"] > 0, got
