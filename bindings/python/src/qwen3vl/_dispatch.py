# SPDX-License-Identifier: MIT
"""The dispatcher: a client's native handle, shared by the Client objects, calls and streams using
it, and the routing of its calls' events to whoever waits for them.

Streams and async calls are non-blocking qwen3vl_calls: the library runs them on the client's I/O
thread and posts their events (deltas, then DONE) to one queue per client. Whoever waits takes events
from that queue (a thread blocked in a stream's next() or a call, or an event loop's reader on the
client's descriptor) and hands each to the call it belongs to (found by the integer id given as
user_data), waking that call's owner. So threads and loops can share a client, and a sync stream
waits in poll(), where Ctrl-C interrupts it at once.

A sync call that is not streamed costs less as qwen3vl_chat_v2 on the caller's thread (ctypes lets
go of the GIL meanwhile), with a cancel token that close() triggers and that, on the main thread,
watches the signal wakeup descriptor so that Ctrl-C ends it at once (see _interrupt).
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import functools
import itertools
import os
import select
import struct
import threading
import weakref
from typing import Any, Callable, Deque, Dict, Iterator, Optional, Tuple

from . import _interrupt
from . import _native as n
from . import _results
from ._errors import InvalidArgumentError
from .types import Reply

Item = Optional[Tuple[str, bytes]]  # a delta (text, raw chunk or b""), or None for the call's end
_POLL_MS = 500  # a sync waiter's check-up period, only for events lost to an interrupt (see take_events)
_BATCH_BYTES = 1 << 18  # the buffer events are taken into: hundreds of deltas per call into the library
_RECORD = struct.Struct("=QQI4xQQ")  # a taken event's head: user_data, call, kind, text_len, chunk_len


class _Wake:
    """A thread's pipe to be woken by, while it waits in poll() for its calls' events that another
    thread or an event loop may take. Closed when nothing holds it any more, so a waker holding it
    never writes into a descriptor number that has been reused."""

    def __init__(self) -> None:
        self.r, self.w = os.pipe()
        os.set_blocking(self.r, False)
        os.set_blocking(self.w, False)
        self.poll = select.poll()  # the pipe, and the descriptor last waited on
        self.poll.register(self.r, select.POLLIN)
        self.watched = -1

    def __del__(self) -> None:
        for fd in (getattr(self, "r", -1), getattr(self, "w", -1)):  # -1: os.pipe() itself failed
            if fd >= 0:
                os.close(fd)

    def poke(self) -> None:
        try:
            os.write(self.w, b"\0")
        except OSError:
            pass  # the pipe is full: the waiter has wake-ups enough

    def wait(self, fd: int, timeout_ms: int) -> bool:
        """Waits until ``fd`` (the client's event descriptor, if >= 0) is readable or someone pokes;
        False on timeout. Signals interrupt it (KeyboardInterrupt is raised here)."""
        if fd != self.watched:
            if self.watched >= 0:
                self.poll.unregister(self.watched)
            self.watched = -1
            if fd >= 0:
                self.poll.register(fd, select.POLLIN)
                self.watched = fd
        ready = self.poll.poll(timeout_ms)
        if any(f == self.r for f, _ in ready):
            with contextlib.suppress(BlockingIOError):
                os.read(self.r, 4096)
        return bool(ready)


_wakes = threading.local()  # a new one in a forked child: the parent's pipes are shared with it


def _thread_wake() -> _Wake:
    w: Optional[_Wake] = getattr(_wakes, "wake", None)
    if w is None:
        w = _wakes.wake = _Wake()
    return w


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Call:
    """One qwen3vl_call from its start to its free. Its owner (a thread, or a task on ``loop``) makes
    it before starting it, so that an interrupt at any point leaves the owner something to finish().
    Its events, taken by whichever thread or loop took them, wait in ``items`` in the library's
    order (one taker at a time puts them there)."""

    __slots__ = ("native", "id", "ptr", "chunks", "loop", "items", "ended", "by_close", "waiter", "entered",
                 "watched", "finished")

    def __init__(self, native: "Native", chunks: bool, loop: Optional[asyncio.AbstractEventLoop]) -> None:
        self.native = native
        self.id: int = next(native._ids)  # the user_data of its events
        self.ptr: Optional[n.CallPtr] = None  # set once qwen3vl_call_start has returned
        self.chunks = chunks  # keep each delta's raw chunk (the facade's ChatCompletionChunk)
        self.loop = loop  # the owner's event loop; None for a sync owner
        self.items: Deque[Item] = collections.deque()
        self.ended = False  # its end (None) is in items
        self.by_close = False  # Client.close() cancelled it
        # The owner while it waits: a sync owner's (thread id, _Wake), an async owner's Future.
        self.waiter: Any = None
        self.entered = False  # qwen3vl_call_start was entered: the library may have the call
        self.watched = False  # counted in its loop's reader
        self.finished = False  # its owner has let go of it

    def wake(self, taker: Optional[asyncio.AbstractEventLoop]) -> None:
        """Tells the owner that items came, from a taker (``taker``: its loop, None for a thread)."""
        if self.loop is None:
            w = self.waiter
            if w is not None and w[0] != threading.get_ident():
                w[1].poke()
        elif self.loop is taker:
            self._wake_future()
        else:
            with contextlib.suppress(RuntimeError):  # a closed loop: its tasks are gone, and free their calls
                self.loop.call_soon_threadsafe(self._wake_future)

    def _wake_future(self) -> None:
        f = self.waiter
        if f is not None and not f.done():
            f.set_result(None)

    def next_item(self) -> Item:
        """The next event of the call, waiting in this thread for it (interruptible by signals)."""
        wake = _thread_wake()
        self.waiter = (threading.get_ident(), wake)  # before looking, so no put is missed
        try:
            while not self.items:
                self.native.take_events(None)
                if self.items:
                    break
                if not wake.wait(self.native.event_fd(), _POLL_MS):
                    self.native.recover(self)
            return self.items.popleft()
        finally:
            self.waiter = None

    async def next_item_async(self) -> Item:
        """The next event of the call, awaited on its loop (whose reader takes the events)."""
        assert self.loop is not None
        while not self.items:
            self.waiter = self.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.popleft()

    def reply(self) -> Reply:
        """The call's Reply once its end has been taken; raises the call's error."""
        assert self.ptr is not None
        return _results.reply(n.call_result(self.ptr), self.by_close)


class _Blocking:
    """A blocking call in flight: its token, and whether close() triggered it."""

    __slots__ = ("token", "by_close")

    def __init__(self, token: n.CancelPtr) -> None:
        self.token = token
        self.by_close = False


LogHandler = Callable[[int, str], None]


class _LogSink:
    """What the client's one log callback calls: the handler of the moment. It holds no reference
    to the client, so that a client with a log handler is not kept alive by its own callback."""

    __slots__ = ("current",)

    def __init__(self) -> None:
        self.current: Optional[Tuple[LogHandler, int]] = None

    def __call__(self, level: int, message: Optional[bytes], user: Optional[int]) -> None:
        current = self.current
        if current is not None and level <= current[1]:
            current[0](level, (message or b"").decode("utf-8", "replace"))


class _Batch:
    """The buffer events are taken into (qwen3vl_client_take_events), as Python and C see it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.buf = bytearray(size)
        self.view = memoryview(self.buf)
        self.c = (ctypes.c_char * size).from_buffer(self.buf)
        self.used = ctypes.c_size_t()
        self.used_ref = ctypes.byref(self.used)


_natives: "weakref.WeakSet[Native]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The library lets a forked child use its parent's clients. A parent's thread that held one of
    # these locks at fork() does not exist in the child to let go of it; the client's event
    # descriptor is a new one there.
    global _wakes
    _wakes = threading.local()
    for native in list(_natives):
        native._lock = threading.Lock()
        native._take_lock = threading.Lock()
        native._fd = None


os.register_at_fork(after_in_child=_after_fork_in_child)


class Native:
    """The qwen3vl_client of a Client, shared by the Client and every call and stream using it, and
    the dispatcher of its calls' events.

    Each call holds a reference from its start to its free, and so does an event loop's reader on
    the client's descriptor. ``close()`` refuses new calls and cancels those running;
    qwen3vl_client_free is called once the client is closed and the last reference has gone, on
    whichever thread that happens. So no thread ever passes a freed pointer to the library, whatever
    the order of close() and the calls.

    A KeyboardInterrupt may be raised between any two steps of the code here, on the main thread,
    when it is the one waiting. Cleanups are chained with finally, references are counted in the
    same lock block as what they count, and an event taken for another thread is handed on before
    the interrupt goes through (see _hand_on).

    Logging goes through one ctypes callback made for the client's whole life, which forwards to
    the current Python handler: a line the library delivers just after the handler was replaced or
    removed is dropped, never sent to a freed callback.

    Nothing it holds refers back to it, so a client dropped without close() is freed at once
    (__del__), not when the garbage collector gets round to it."""

    def __init__(self, ptr: n.ClientPtr) -> None:
        _natives.add(self)
        self._lock = threading.Lock()
        self._ptr: Optional[n.ClientPtr] = ptr
        self._users = 0
        self.closed = False
        # Calls by the id passed to the library as user_data: started and not yet finished, and
        # those whose pointer an interrupt lost, until their own events free them.
        self._calls: Dict[int, Call] = {}
        self._ids = itertools.count(1)
        # One taker at a time, so that a call's events reach its items in the library's order.
        self._take_lock = threading.Lock()
        self._batch = _Batch(_BATCH_BYTES)  # used under _take_lock
        self._fd: Optional[int] = None  # the client's event descriptor, asked for once (per process)
        self._readers: Dict[asyncio.AbstractEventLoop, Tuple[int, int]] = {}  # loop -> (calls, fd)
        self._blocking: Dict[int, _Blocking] = {}  # the blocking calls in flight, for close()
        self._log = _LogSink()
        self._log_fn: Optional[n.LogFn] = None
        self._log_pending = False  # set_log's wish not yet given to the library
        self._log_applying = False  # a thread is giving it to the library now
        self._deferred: Deque[Callable[[], None]] = collections.deque()  # see from_finalizer

    def __del__(self) -> None:
        # Nothing uses the client any more: no call (each holds this object), no loop's reader.
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            with contextlib.suppress(Exception):  # at interpreter shutdown the module may be gone
                n.client_free(ptr)

    def event_fd(self) -> int:
        """The client's event descriptor, for a caller that holds a reference."""
        fd = self._fd
        if fd is None:
            fd = self._fd = n.client_event_fd(self.handle)
        return fd

    @property
    def handle(self) -> n.ClientPtr:
        """The pointer, for a caller that holds a reference."""
        assert self._ptr is not None
        return self._ptr

    def _acquire_locked(self) -> n.ClientPtr:
        if self.closed or not self._ptr:
            raise InvalidArgumentError("the client is closed")
        self._users += 1
        return self._ptr

    def acquire(self) -> n.ClientPtr:
        with self._lock:
            return self._acquire_locked()

    def release(self) -> None:
        """Lets go of a reference taken with acquire(); the last one of a closed client frees it."""
        ptr = None
        try:
            with self._lock:
                self._users -= 1
                if self.closed and not self._users:
                    ptr, self._ptr = self._ptr, None
        finally:
            self._free(ptr)
        self._run_deferred()

    def from_finalizer(self, fn: Callable[..., None], *args: Any) -> None:
        """Runs ``fn(*args)`` for a __del__. The garbage collector may run one on a thread that holds
        the lock (an allocation inside a locked block starts a collection), where taking it again
        would deadlock: then it waits for the next release(), on whichever thread."""
        if self._lock.acquire(blocking=False):
            self._lock.release()
            fn(*args)
        else:
            self._deferred.append(functools.partial(fn, *args))

    def _run_deferred(self) -> None:
        while self._deferred:
            try:
                job = self._deferred.popleft()
            except IndexError:  # another thread took the last one
                return
            job()

    def _free(self, ptr: Optional[n.ClientPtr]) -> None:
        if ptr:
            n.client_free(ptr)  # no call is running: none can log or touch it afterwards
            self._log.current, self._log_fn = None, None

    @contextlib.contextmanager
    def use(self) -> Iterator[n.ClientPtr]:
        """The native client, kept alive until the block ends. InvalidArgumentError once closed."""
        ptr = self.acquire()
        try:
            yield ptr
        finally:
            self.release()

    def close(self) -> None:
        ptr = None
        try:
            with self._lock:
                if self.closed:
                    return
                self.closed = True
                if not self._users:
                    ptr, self._ptr = self._ptr, None
                for call in self._calls.values():
                    call.by_close = True
                    if call.ptr:  # under the lock: finish() frees a call only after taking it out
                        n.call_cancel(call.ptr)
                for b in self._blocking.values():
                    b.by_close = True
                    n.cancel_trigger(b.token)  # freed by its caller only after taking it out
        finally:
            self._free(ptr)
        self._run_deferred()

    # -- calls

    def start(self, call: Call, body: bytes, options: bytes) -> None:
        """Starts ``call``; its owner waits for its events on ``call.loop`` (run by this thread) or,
        for None, in this thread, and must finish() it whatever happens, an error here included."""
        with self._lock:
            if self.closed or not self._ptr:
                raise InvalidArgumentError("the client is closed")
            self._users += 1  # the reference and the registration that finish() undoes, together
            self._calls[call.id] = call
            ptr = self._ptr
        if call.loop is not None:
            self._watch(call, ptr)
        call.entered = True  # nothing runs between this and the C call (finish() relies on it)
        handle = n.call_start(ptr, body, options, call.id)
        with self._lock:
            call.ptr = handle
            call.entered = bool(handle)  # NULL: out of memory, and no call
            if handle and call.by_close:  # closed while it started
                n.call_cancel(handle)
        if not handle:
            raise MemoryError("qwen3vl: out of memory for a call")
        self.recover(call)  # a call that could not reach the I/O thread is over already, with no event

    def finish(self, call: Call) -> None:
        """Lets go of the call: frees it, cancelling it if it still runs (its events not yet taken
        are dropped; one taken meanwhile finds no call and is freed), unwatches its loop and drops
        its reference. Idempotent."""
        ptr, watched, held = None, False, False
        try:
            with self._lock:
                if call.finished or self._calls.get(call.id) is not call:
                    return
                call.finished = held = True
                ptr, call.ptr = call.ptr, None
                watched, call.watched = call.watched, False
                if ptr or not call.entered:
                    del self._calls[call.id]
                # else an interrupt lost the pointer qwen3vl_call_start returned: the call stays
                # listed, and its first event cancels it and its DONE frees it (_hand_on).
            if ptr:
                n.call_free(ptr)
        finally:
            try:
                if watched and call.loop is not None:
                    self._unwatch_soon(call.loop)
            finally:
                if held:
                    self.release()

    def take_events(self, taker: Optional[asyncio.AbstractEventLoop]) -> None:
        """Takes the waiting events of the client's calls, a batch of them in one call into the
        library, and hands each to its call. ``taker`` is the loop whose reader this is, None for a
        waiting thread."""
        # A reference of its own: routing may free the last call of a closed client (a stream
        # collected meanwhile), and the client with it, while this goes on taking.
        held = False
        try:
            with self._lock:
                if not self._ptr:
                    return
                self._users += 1
                held = True
                ptr = self._ptr
            with self._take_lock:
                try:
                    batch = self._batch
                    count = n.client_take_events(ptr, 0, batch.c, batch.size, batch.used_ref)
                    if not count and batch.used.value > batch.size:  # one event larger than the buffer
                        batch = self._batch = _Batch(batch.used.value)
                        count = n.client_take_events(ptr, 0, batch.c, batch.size, batch.used_ref)
                    if count:
                        self._route(batch, count, taker)
                except BaseException:
                    # An interrupt that lands while the library hands the batch over, before Python
                    # has it, still loses its events. A lost DONE would leave its owner waiting for
                    # ever: every call whose end was taken gets it from its result instead. (A lost
                    # delta is a gap in that stream's deltas; its reply is whole.)
                    for c in list(self._calls.values()):
                        self._recover_locked(c, taker)
                    raise
        finally:
            if held:
                self.release()

    def _route(self, batch: "_Batch", count: int, taker: Optional[asyncio.AbstractEventLoop]) -> None:
        """Hands each event of a batch to its call, then wakes the calls that got some.

        Not a step is lost to an interrupt: one raised anywhere in here is held back until the whole
        batch is handed on (its events may be other threads', whose streams would otherwise miss
        them), and each step with an effect is marked done before it runs, so none runs twice."""
        buf, view = batch.buf, batch.view
        interrupt: Optional[BaseException] = None
        woken: Dict[int, Call] = {}
        i, at, nxt, step, tries = 0, 0, 0, 0, 0
        call: Optional[Call] = None
        item: Item = None
        while tries < 8:  # bounded: an error that is no passing interrupt comes back
            try:
                while i < count:
                    if step == 0:
                        user_data, call_ptr, kind, text_len, chunk_len = _RECORD.unpack_from(buf, at)
                        call, item = self._read(view, at, user_data, kind, text_len, chunk_len)
                        nxt, step = at + ((40 + text_len + chunk_len + 7) & ~7), 1
                    if step == 1:
                        step = 2
                        if call is not None:
                            woken[call.id] = call
                            self._put(n.CallPtr(call_ptr), kind, call, item)
                    i, at, step, tries = i + 1, nxt, 0, 0  # one step: no interrupt lands inside it
                for c in woken.values():
                    c.wake(taker)  # waking twice is harmless
                break
            except BaseException as e:
                interrupt, tries = e, tries + 1
        if interrupt is not None:
            raise interrupt

    def _read(self, view: memoryview, at: int, user_data: int, kind: int, text_len: int,
              chunk_len: int) -> Tuple[Optional[Call], Item]:
        """The call an event is for (None: nobody wants it) and what to hand it; no side effects."""
        call = self._calls.get(user_data)
        if call is None or call.ended:
            return None, None  # a call already freed by its owner
        if call.finished:  # its pointer was lost: only its own events can free it
            return call, None
        if kind != n.EVENT_DELTA:
            return call, None
        # "replace": the library's text is valid UTF-8; a router must not raise for another's call.
        text = str(view[at + 40:at + 40 + text_len], "utf-8", "replace") if text_len else ""
        if call.chunks:
            return call, (text, bytes(view[at + 40 + text_len:at + 40 + text_len + chunk_len]))
        return (call, (text, b"")) if text else (None, None)

    def _put(self, call_ptr: n.CallPtr, kind: int, call: Call, item: Item) -> None:
        if call.finished:
            n.call_cancel(call_ptr)
            if kind == n.EVENT_DONE:
                self._calls.pop(call.id, None)
                n.call_free(call_ptr)  # the host's own reference, which the lost pointer held
            return
        call.items.append(item)
        if item is None:
            call.ended = True

    def recover(self, call: Call) -> None:
        with self._take_lock:
            self._recover_locked(call, None)

    def _recover_locked(self, call: Call, taker: Optional[asyncio.AbstractEventLoop]) -> None:
        # With the take lock held, a result that exists without its end in items means the DONE was
        # taken but never handed on (lost to an interrupt), or never posted (a call that failed
        # before reaching the I/O thread).
        if call.ptr and not call.ended and n.call_result(call.ptr):
            call.items.append(None)
            call.ended = True
            call.wake(taker)

    def call(self, body: bytes, options: bytes) -> Reply:
        """One call that is not streamed, waited for in this thread (Ctrl-C interrupts and cancels it)."""
        if threading.current_thread() is not threading.main_thread():
            return self._call_blocking(body, options, -1)
        fd = _interrupt.begin()
        if fd < 0:  # signal handlers of Python's own would end the blocking call: the engine's way
            return self._call_events(body, options)
        try:
            return self._call_blocking(body, options, fd)
        finally:
            _interrupt.end()

    def _call_blocking(self, body: bytes, options: bytes, watch_fd: int) -> Reply:
        """qwen3vl_chat_v2 on this thread, its token triggered by close() and, if ``watch_fd`` >= 0,
        by that descriptor turning readable."""
        token = n.cancel_new()
        if not token:
            raise MemoryError("qwen3vl: out of memory for a cancel token")
        b = _Blocking(token)
        try:
            if watch_fd >= 0 and n.cancel_watch_fd(token, watch_fd, None, 0) != n.OK:
                raise InvalidArgumentError(f"qwen3vl: cannot watch descriptor {watch_fd}")
            with self._lock:
                ptr = self._acquire_locked()
                self._blocking[id(b)] = b
            try:
                result = n.chat_v2(ptr, body, options, token, n.NO_DELTA, None)
                try:
                    return _results.reply(result, b.by_close)
                finally:
                    if result:
                        n.result_free(result)
            finally:
                with self._lock:
                    del self._blocking[id(b)]
                self.release()
        finally:
            n.cancel_free(token)

    def _call_events(self, body: bytes, options: bytes) -> Reply:
        """The call on the non-blocking engine, its events waited for in this thread."""
        call = Call(self, False, None)
        try:
            self.start(call, body, options)
            while call.next_item() is not None:
                pass  # no deltas: the call is not streamed
            return call.reply()
        finally:
            self.finish(call)  # on Ctrl-C too: the request is cancelled

    async def call_async(self, body: bytes, options: bytes) -> Reply:
        """One call that is not streamed, awaited on the running loop (a cancelled task cancels it)."""
        call = Call(self, False, asyncio.get_running_loop())
        try:
            self.start(call, body, options)
            while (await call.next_item_async()) is not None:
                pass
            return call.reply()
        finally:
            self.finish(call)

    # -- event loops: one reader per loop with calls of this client in flight

    def _watch(self, call: Call, ptr: n.ClientPtr) -> None:
        """On the loop's thread, for a call starting there."""
        loop = call.loop
        assert loop is not None
        fd = n.client_event_fd(ptr)
        with self._lock:
            # Counted, and the reader added, in one block: an interrupt cannot part them.
            calls, fd = self._readers[loop] if loop in self._readers else (0, fd)
            self._readers[loop] = (calls + 1, fd)
            call.watched = True
            if calls == 0:
                self._users += 1  # the reader's own reference: the descriptor outlives it
                if fd >= 0:
                    try:
                        loop.add_reader(fd, self.take_events, loop)
                    except BaseException:  # a loop without readers (NotImplementedError): nothing to remove
                        self._readers[loop] = (1, -1)
                        raise

    def _unwatch(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop's thread (or with the loop stopped), for a call of it that was finished."""
        last = False
        try:
            with self._lock:
                calls, fd = self._readers[loop]
                if calls > 1:
                    self._readers[loop] = (calls - 1, fd)
                    return
                del self._readers[loop]
                last = True
                if fd >= 0 and not loop.is_closed():
                    loop.remove_reader(fd)
        finally:
            if last:
                self.release()

    def _unwatch_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        if _running_loop() is loop or not loop.is_running():
            self._unwatch(loop)
            return
        try:  # a call finished on another thread (garbage collection): the loop removes its reader itself
            loop.call_soon_threadsafe(self._unwatch, loop)
        except RuntimeError:  # closed meanwhile: its selector is gone, and the reader with it
            self._unwatch(loop)

    # -- logging

    def set_log(self, handler: Optional[LogHandler], level: int) -> None:
        with self._lock:
            if self.closed and handler is None:
                return  # nothing logs any more
            ptr = self._acquire_locked()
            self._log.current = None if handler is None else (handler, level)
            if handler is not None and self._log_fn is None:
                self._log_fn = n.LOG_FN(self._log)
            self._log_pending = True
            mine = not self._log_applying
            self._log_applying = True
        # The library is told outside the lock: qwen3vl_client_set_log waits for log lines under
        # way on other threads, and their handler may call set_log too. One thread at a time tells
        # it, the latest wish last; a set_log meanwhile leaves its wish to that thread.
        try:
            while mine:
                with self._lock:
                    if not self._log_pending:
                        self._log_applying = mine = False
                        break
                    self._log_pending = False
                    wish, fn = self._log.current, self._log_fn
                n.client_set_log(ptr, fn if wish and fn else n.LOG_FN(), wish[1] if wish else 0, None)
        finally:
            if mine:  # interrupted: the next set_log tells the library
                with self._lock:
                    self._log_applying = False
            self.release()


