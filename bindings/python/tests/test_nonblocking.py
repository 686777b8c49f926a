"""Calls on the library's non-blocking interface (issue 11, "Bindings on it"): AsyncClient on the
client's event descriptor with no thread pool, many calls on one loop, task cancellation, several
loops and threads sharing a client, and a sync Client that Ctrl-C interrupts (a real SIGINT to a
child process)."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

import qwen3vl
from netstat import established

HERE = Path(__file__).resolve().parent


def requests_seen(port: int, uid: str) -> List[Dict[str, Any]]:
    got: List[Dict[str, Any]] = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_requests/{uid}").read())
    return got


def wait_until(what: Callable[[], bool], seconds: float = 5.0) -> float:
    """Polls ``what`` until true; returns how long that took (fails the test on time out)."""
    t0 = time.monotonic()
    while not what():
        assert time.monotonic() - t0 < seconds, "timed out waiting"
        time.sleep(0.01)
    return time.monotonic() - t0



def sync_twin(ac: qwen3vl.AsyncClient) -> qwen3vl.Client:
    """A Client on the same native client as ``ac``: sync callers and loops sharing one client."""
    c = object.__new__(qwen3vl.Client)
    c._setup(ac._native, ac._options, {})
    return c

def test_500_concurrent_calls_on_one_loop(base: Callable[..., str]) -> None:
    async def main() -> Tuple[float, List[str], int]:
        async with qwen3vl.AsyncClient(api_key="k", base_url=base("slow:50")) as c:
            t0 = time.monotonic()
            calls = asyncio.gather(*(c.chat(f"n{i}") for i in range(500)))
            await asyncio.sleep(0.05)
            threads = threading.active_count()  # while all 500 are in flight
            replies = await calls
            return time.monotonic() - t0, [r.text for r in replies], threads
    before = threading.active_count()
    elapsed, texts, during = asyncio.run(main())
    assert texts == [f"echo: n{i}" for i in range(500)]
    assert during == before  # no thread pool behind the calls
    print(f"\n500 calls of 50 ms on one loop: {elapsed:.2f} s")
    assert elapsed < 5.0, elapsed  # one after another they would take 25 s


# A first call that gets its answer, so that the calls after it each have a connection of their own:
# until a plain-http server's first reply, libcurl holds a fresh client's calls back in case the
# connection turns out to multiplex (see the report on CURLOPT_PIPEWAIT; a core matter).
WARM_THEN_HANG = "ok,hang:10"


def test_12_concurrent_timeouts_end_together(base: Callable[..., str], port: int) -> None:
    async def twelve(c: qwen3vl.AsyncClient, uid: str, **per_call: Any) -> float:
        assert (await c.chat("warm up")).text == "echo: warm up"
        t0 = time.monotonic()
        results = await asyncio.gather(*(c.chat("x", **per_call) for _ in range(12)), return_exceptions=True)
        assert all(isinstance(r, qwen3vl.APITimeoutError) for r in results), results
        assert len(requests_seen(port, uid)) == 13  # all twelve were at the server together
        return time.monotonic() - t0

    async def main() -> Tuple[float, float]:
        uids = [f"twelve-{k}-{os.getpid()}" for k in range(2)]
        async with qwen3vl.AsyncClient(api_key="k", base_url=base(WARM_THEN_HANG, uids[0])) as c:
            per_call = await twelve(c, uids[0], timeout=1.5)
        async with qwen3vl.AsyncClient(api_key="k", base_url=base(WARM_THEN_HANG, uids[1]), timeout=1.5) as c:
            per_client = await twelve(c, uids[1])
        return per_call, per_client
    per_call, per_client = asyncio.run(main())
    print(f"\n12 concurrent 1.5 s timeouts: {per_call:.2f} s (per-call option), {per_client:.2f} s (client option)")
    for took in (per_call, per_client):
        assert 1.4 < took < 2.2, (per_call, per_client)  # through a pool of 8 threads it took 3 s


def test_cancelling_one_task_cancels_only_its_call(base: Callable[..., str], port: int) -> None:
    uid = f"cancel-one-{os.getpid()}"

    async def main() -> None:
        c = qwen3vl.AsyncClient(api_key="k", base_url=base(WARM_THEN_HANG, uid))
        assert (await c.chat("warm up")).text == "echo: warm up"
        tasks = [asyncio.ensure_future(c.chat(f"call {i}")) for i in range(8)]
        t0 = time.monotonic()
        while len(requests_seen(port, uid)) < 9 or established(port) < 8:
            assert time.monotonic() - t0 < 5.0, (requests_seen(port, uid), established(port))
            await asyncio.sleep(0.02)
        t0 = time.monotonic()
        tasks[3].cancel()
        with pytest.raises(asyncio.CancelledError):
            await tasks[3]
        assert time.monotonic() - t0 < 0.2
        while established(port) > 7:  # the cancelled call's connection closes; the others stay
            assert time.monotonic() - t0 < 1.0
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert established(port) == 7 and not any(t.done() for i, t in enumerate(tasks) if i != 3)
        await c.close()
        for i, t in enumerate(tasks):
            if i != 3:
                with pytest.raises(qwen3vl.ClientClosedError):
                    await t
    asyncio.run(main())
    assert wait_until(lambda: established(port) == 0) < 1.0


def test_max_connections_bounds_the_connections(base: Callable[..., str], port: int) -> None:
    uid = f"max-connections-{os.getpid()}"

    async def main() -> Tuple[int, int]:
        async with qwen3vl.AsyncClient(api_key="k", base_url=base(WARM_THEN_HANG, uid), max_connections=2) as c:
            assert (await c.chat("warm up")).text == "echo: warm up"
            calls = [asyncio.ensure_future(c.chat("x", timeout=1.0)) for _ in range(6)]
            await asyncio.sleep(0.5)
            open_then, seen_then = established(port), len(requests_seen(port, uid))
            await asyncio.gather(*calls, return_exceptions=True)
            return open_then, seen_then
    assert asyncio.run(main()) == (2, 1 + 2)  # the other four wait their turn (and time out waiting)
    with pytest.raises(qwen3vl.InvalidArgumentError, match="max_connections"):
        qwen3vl.Client(max_connections=0)


def test_many_streams_on_one_loop_keep_their_order(base: Callable[..., str]) -> None:
    texts = ["".join(str((k + i) % 10) for k in range(40)) for i in range(100)]

    async def one(c: qwen3vl.AsyncClient, text: str) -> List[str]:
        return [d async for d in c.stream(text)]

    async def main() -> List[List[str]]:
        async with qwen3vl.AsyncClient(api_key="k", base_url=base("sse:pieces=64:delay=2")) as c:
            return await asyncio.gather(*(one(c, t) for t in texts))
    for deltas, text in zip(asyncio.run(main()), texts):
        assert "".join(deltas) == "echo: " + text
        assert len(deltas) > 20  # many events each, interleaved with the other streams'


def test_threads_and_loops_share_one_client(base: Callable[..., str]) -> None:
    # Sync callers and three event loops take events from the same client; each gets its own.
    ac = qwen3vl.AsyncClient(api_key="k", base_url=base("ok"))  # streams of one event per character
    sync = sync_twin(ac)  # the same native client, used synchronously

    def sync_worker(k: int) -> List[bool]:
        return [
            "".join(sync.stream(f"thread {k} stream {i}")) == f"echo: thread {k} stream {i}"
            and sync.chat(f"thread {k} call {i}").text == f"echo: thread {k} call {i}"
            for i in range(5)]

    async def loop_worker(k: int) -> List[bool]:
        async def one(i: int) -> bool:
            s = "".join([d async for d in ac.stream(f"loop {k} stream {i}")])
            r = await ac.chat(f"loop {k} call {i}")
            return s == f"echo: loop {k} stream {i}" and r.text == f"echo: loop {k} call {i}"
        return list(await asyncio.gather(*(one(i) for i in range(20))))

    with ThreadPoolExecutor(6) as pool:
        loops = [pool.submit(asyncio.run, loop_worker(k)) for k in range(3)]
        threads = [pool.submit(sync_worker, k) for k in range(3)]
        results = [f.result(timeout=60) for f in loops + threads]
    ac._close()
    assert [len(r) for r in results] == [20, 20, 20, 5, 5, 5]
    assert all(all(r) for r in results), results


def test_several_clients_on_one_loop(base: Callable[..., str]) -> None:
    # Each client has its own descriptor and reader; closing one leaves the others' calls alone.
    async def main() -> Tuple[List[str], List[str]]:
        clients = [qwen3vl.AsyncClient(api_key="k", base_url=base("slow:200")) for _ in range(3)]
        calls = [asyncio.ensure_future(c.chat(f"client {k} call {i}"))
                 for k, c in enumerate(clients) for i in range(20)]
        await asyncio.sleep(0.1)
        await clients[1].close()
        done = await asyncio.gather(*calls, return_exceptions=True)
        for c in clients:
            await c.close()
        got = [d.text if isinstance(d, qwen3vl.Reply) else type(d).__name__ for d in done]
        return got, [f"echo: client {k} call {i}" if k != 1 else "ClientClosedError"
                     for k in range(3) for i in range(20)]
    got, expected = asyncio.run(main())
    assert got == expected


def test_events_of_abandoned_calls_are_dropped(base: Callable[..., str]) -> None:
    async def main() -> Tuple[List[str], int]:
        async with qwen3vl.AsyncClient(api_key="k", base_url=base("sse:delay=5:repeat=10:pieces=512")) as c:
            await c.stream("warm up").get_reply()  # see WARM_THEN_HANG

            async def read(i: int, first: "asyncio.Event") -> str:
                out = []
                async for d in c.stream(f"stream number {i:02d}"):
                    out.append(d)
                    first.set()
                return "".join(out)
            firsts = [asyncio.Event() for _ in range(30)]
            tasks = [asyncio.ensure_future(read(i, firsts[i])) for i in range(30)]
            for f in firsts:
                await f.wait()
            for t in tasks[::2]:
                t.cancel()  # mid-stream, with their next events on the way
            done = await asyncio.gather(*tasks, return_exceptions=True)
            reader_calls = sum(calls for calls, _ in c._native._readers.values())
        return [d if isinstance(d, str) else type(d).__name__ for d in done], reader_calls
    done, reader_calls = asyncio.run(main())
    assert done[::2] == ["CancelledError"] * 15
    assert done[1::2] == [f"echo: stream number {i:02d}" * 10 for i in range(1, 30, 2)]
    assert reader_calls == 0  # every call freed: no reader left behind


def test_reader_goes_when_the_calls_are_done_and_on_close(base: Callable[..., str]) -> None:
    async def main() -> List[bool]:
        loop = asyncio.get_running_loop()
        c = qwen3vl.AsyncClient(api_key="k", base_url=base("hang:10"))
        fd = qwen3vl._native.client_event_fd(c._native.handle)
        seen = []
        await asyncio.gather(*(c.chat("x", timeout=0.2) for _ in range(3)), return_exceptions=True)
        seen.append(loop.remove_reader(fd))  # False: nothing was registered any more
        pending = [asyncio.ensure_future(c.chat("y")) for _ in range(3)]
        await asyncio.sleep(0.1)
        await c.close()
        await asyncio.gather(*pending, return_exceptions=True)
        seen.append(loop.remove_reader(fd))
        return seen
    assert asyncio.run(main()) == [False, False]


def test_sync_calls_from_a_loop_thread_while_its_reader_runs(base: Callable[..., str]) -> None:
    # A blocking call made inside a coroutine (bad style, but it happens) takes its own events:
    # the loop's reader is not running then.
    async def main() -> Tuple[str, str]:
        async with qwen3vl.AsyncClient(api_key="k", base_url=base("slow:100")) as c:
            pending = asyncio.ensure_future(c.chat("async"))
            await asyncio.sleep(0)
            blocking = sync_twin(c).chat("blocking").text
            return blocking, (await pending).text
    assert asyncio.run(main()) == ("echo: blocking", "echo: async")


def test_a_loop_without_readers_fails_cleanly(base: Callable[..., str]) -> None:
    class NoReaders(asyncio.SelectorEventLoop):
        def add_reader(self, *args: Any) -> None:
            raise NotImplementedError("no readers here")
    c = qwen3vl.AsyncClient(api_key="k", base_url=base())
    loop = NoReaders()
    try:
        with pytest.raises(NotImplementedError):
            loop.run_until_complete(c.chat("x"))
    finally:
        loop.close()
    native = c._native
    assert native._readers == {} and native._users == 0 and native._calls == {}
    assert sync_twin(c).chat("still fine").text == "echo: still fine"
    c._close()


# ---- Ctrl-C in a sync call -----------------------------------------------------------------------

CHILD = """\
import json, sys, time
sys.path.insert(0, sys.argv[3])
import qwen3vl
from netstat import established
c = qwen3vl.Client(api_key="k", base_url=sys.argv[1])
try:
    if sys.argv[2] == "chat":
        c.chat("never answered")
    else:
        for i, d in enumerate(c.stream("a stream that stalls")):
            if i == 1:
                print("two deltas", flush=True)
except KeyboardInterrupt:
    caught = time.monotonic()
    port = int(sys.argv[1].split(":")[2].split("/")[0])
    while established(port) and time.monotonic() - caught < 2:
        time.sleep(0.005)
    print(json.dumps({"caught": caught, "open": established(port), "closed_in": time.monotonic() - caught}), flush=True)
    raise
"""


@pytest.mark.parametrize("what,scenario", [("chat", "hang:30"), ("stream", "sse:stall=30")])
def test_ctrl_c_interrupts_a_sync_call_and_cancels_it(base: Callable[..., str], port: int, what: str,
                                                        scenario: str) -> None:
    uid = f"sigint-{what}-{os.getpid()}"
    child = subprocess.Popen([sys.executable, "-c", CHILD, base(scenario, uid), what, str(HERE)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        if what == "chat":
            wait_until(lambda: len(requests_seen(port, uid)) == 1, 10)
        else:
            assert child.stdout.readline().strip() == "two deltas"
        time.sleep(0.5)  # well into the call
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=5)
        exited = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGINT, err  # an unhandled KeyboardInterrupt
    assert "KeyboardInterrupt" in err
    report = json.loads(out.strip().splitlines()[-1])
    latency = report["caught"] - sent  # CLOCK_MONOTONIC is one clock for both processes
    print(f"\nSIGINT during {what}: KeyboardInterrupt after {latency * 1000:.0f} ms, connection closed "
          f"{report['closed_in'] * 1000:.0f} ms later, process gone after {exited * 1000:.0f} ms")
    assert latency < 0.2, report
    assert report["open"] == 0, report  # the request was cancelled: its connection is closed
    assert exited < 1.0
    assert len(requests_seen(port, uid)) == 1  # and not retried


FORK_CHILD = """\
import asyncio, json, os, signal, sys, threading
import qwen3vl
ac = qwen3vl.AsyncClient(api_key="k", base_url=sys.argv[1])
c = object.__new__(qwen3vl.Client)
c._setup(ac._native, ac._options, {})  # ac's client, used synchronously
assert c.chat("parent").text == "echo: parent"
holding, forked = threading.Event(), threading.Event()
def taker():  # another thread of the parent, taking events when fork() happens
    with c._native._take_lock:
        holding.set()
        forked.wait()
t = threading.Thread(target=taker)
t.start()
holding.wait()
pid = os.fork()
if pid == 0:
    signal.alarm(20)  # a child stuck on a lock must not outlive the test
    try:
        ok = (c.chat("child").text == "echo: child" and "".join(c.stream("child stream")) == "echo: child stream"
              and asyncio.run(ac.chat("child loop")).text == "echo: child loop")
        os._exit(0 if ok else 1)
    except BaseException:
        os._exit(2)
forked.set()
t.join()
_, status = os.waitpid(pid, 0)
print(json.dumps({"child": os.waitstatus_to_exitcode(status), "parent": c.chat("after").text}))
"""


def test_forked_child_uses_the_parents_client(base: Callable[..., str]) -> None:
    out = subprocess.run([sys.executable, "-c", FORK_CHILD, base()], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"child": 0, "parent": "echo: after"}


STORM = """\
import asyncio, collections, json, os, signal, sys, threading, time
import qwen3vl
ac = qwen3vl.AsyncClient(api_key="k", base_url=sys.argv[1])
c = object.__new__(qwen3vl.Client)  # ac's client, for the main thread's calls
c._setup(ac._native, ac._options, {})
seen = collections.Counter()
stop, go, storm_over = threading.Event(), threading.Event(), threading.Event()

def loop_thread():
    async def one(i):
        s = ac.stream(f"loop {i}")
        async for _ in s:
            pass
        seen["loop whole" if (await s.get_reply()).text == f"echo: loop {i}" else "loop bad"] += 1
    async def main():
        i = 0
        while not stop.is_set():
            await asyncio.gather(*(one(i + k) for k in range(10)))
            i += 10
    asyncio.run(main())

def storm():
    go.wait()
    for _ in range(1000):  # 2 s of SIGINTs, each raised in the main thread wherever it is
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.002)
    storm_over.set()

threads = [threading.Thread(target=loop_thread), threading.Thread(target=storm)]
for t in threads:
    t.start()
go.set()
while True:
    try:  # everything inside: an interrupt may come anywhere
        if storm_over.is_set():
            break
        kind = "stream" if seen["main interrupted"] % 2 else "chat"
        text = "".join(c.stream("main")) if kind == "stream" else c.chat("main").text
        seen["main whole" if text == "echo: main" else "main bad"] += 1
    except KeyboardInterrupt:
        seen["main interrupted"] += 1
t0 = time.monotonic()
assert c.chat("after the storm").text == "echo: after the storm"
stop.set()
for t in threads:
    t.join(10)
print(json.dumps(dict(seen, after=time.monotonic() - t0, alive=sum(t.is_alive() for t in threads))))
"""


def test_a_storm_of_sigints_hangs_nothing(base: Callable[..., str]) -> None:
    # Ctrl-C raised in the main thread at every possible point, while it takes events for the loop's
    # streams too: no call is left waiting (an end lost with an interrupted take is recovered from
    # the call's result), every assembled reply is whole, and the client still works afterwards.
    out = subprocess.run([sys.executable, "-c", STORM, base()], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["alive"] == 0 and got["after"] < 1.0, got
    assert got["main interrupted"] > 500 and got.get("main whole", 0) > 0 and got["loop whole"] > 50, got
    assert "main bad" not in got and "loop bad" not in got, got
