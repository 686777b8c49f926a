# SPDX-License-Identifier: MIT
"""The high-level API: Client, AsyncClient, streams, and the OpenAI-shaped facade."""
from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import functools
import itertools
import json
import os
import select
import threading
import weakref
from typing import (Any, Callable, Deque, Dict, Generic, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar,
                    Union)

from . import _native as n
from ._errors import (ClientClosedError, InternalError, InvalidArgumentError, Qwen3VLError, RequestCancelledError,
                      check, for_status)
from .types import ChatCompletion, ChatCompletionChunk, Reply, Usage

ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
Messages = Sequence[Mapping[str, Any]]
PromptOrMessages = Union[str, Messages]

_lib = n.lib


# ---- requests -----------------------------------------------------------------------------------

def image_data_uri(data: Union[bytes, bytearray, memoryview]) -> str:
    """Encoded image bytes (PNG, JPEG, ...) as a data: URI, the type taken from the bytes."""
    raw = bytes(data)
    status, uri, message = n.call_text_helper(_lib.image_data_uri, raw, len(raw))
    check(status, message)
    return uri


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
    user message, and any further parameters (model, max_tokens, tools, ...) as given."""
    parts = [_image_part(i) for i in images or ()]
    if isinstance(prompt_or_messages, str):
        content: Any = parts + [{"type": "text", "text": prompt_or_messages}] if parts else prompt_or_messages
        messages: List[Dict[str, Any]] = [{"role": "user", "content": content}]
    else:
        messages = [dict(m) for m in prompt_or_messages]
        if parts:
            users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
            if not users:
                raise for_status(n.ERR_INVALID_REQUEST)("images were given but no message has role user")
            last = messages[users[-1]]
            old = last.get("content")
            old_parts = [{"type": "text", "text": old}] if isinstance(old, str) else list(old or [])
            last["content"] = parts + old_parts
    body: Dict[str, Any] = {"messages": messages}
    for k, v in params.items():
        if v is not None:
            body[k] = v
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _ms(seconds: Optional[float]) -> Optional[int]:
    return None if seconds is None else max(0, int(round(seconds * 1000)))


# Per-call keywords that are not chat-completions parameters: they become qwen3vl call options
# (never body fields, which a strict server would refuse). timeout, extra_headers and extra_query
# are the openai package's names; idle_timeout and max_retries mirror the Client's own options.
_CALL_KEYS = ("timeout", "idle_timeout", "max_retries", "extra_headers", "extra_query")


def _query_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"  # as httpx (and so openai) writes them
    return str(v)


def _split_call_options(params: Mapping[str, Any], stream: bool) -> Tuple[Dict[str, Any], bytes]:
    """The body parameters, and the call options JSON for qwen3vl_call_start made of the per-call
    keywords among ``params``."""
    body = {k: v for k, v in params.items() if k not in _CALL_KEYS}
    timeout, idle = params.get("timeout"), params.get("idle_timeout")
    for name, value in (("timeout", timeout), ("idle_timeout", idle)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    headers = params.get("extra_headers") or {}
    query = params.get("extra_query") or {}
    opts = {"stream": stream, "timeout_ms": _ms(timeout), "idle_timeout_ms": _ms(idle),
            "max_retries": params.get("max_retries"),
            "headers": {str(k): str(v) for k, v in headers.items()} or None,
            "query": {str(k): _query_value(v) for k, v in query.items()} or None}
    return body, json.dumps({k: v for k, v in opts.items() if v is not None}).encode("utf-8")


# ---- results ------------------------------------------------------------------------------------

def _raise_for(ptr: int, closed: bool) -> None:
    status = _lib.result_status(ptr)
    if status == n.OK:
        return
    http = _lib.result_http_status(ptr)
    message = (_lib.result_error(ptr) or b"").decode("utf-8", "replace")
    cls = for_status(status)
    if closed and status == n.ERR_CANCELLED:
        cls, message = ClientClosedError, f"the client was closed while the call was running ({message})"
    raise cls(
        message,
        status_code=http or None,
        request_id=(_lib.result_request_id(ptr) or b"").decode() or None,
        text=_result_text(ptr).decode("utf-8", "replace"))


def _result_text(ptr: int) -> bytes:
    """The reply's text whole: it may contain NULs ("\\u0000" in the JSON), where a C string would stop."""
    p = _lib.result_text(ptr)
    return ctypes.string_at(p, _lib.result_text_len(ptr)) if p else b""


def _reply_of(ptr: Optional[int], closed: bool) -> Reply:
    """Turns a call's qwen3vl_result (owned by the call, so not freed here) into a Reply, or raises
    its error. ``closed``: Client.close() cancelled the call, so a cancellation is a ClientClosedError."""
    if not ptr:
        raise InternalError("qwen3vl: the call ended without a result")
    _raise_for(ptr, closed)
    raw_json = _lib.result_json(ptr) or b""
    raw = json.loads(raw_json) if raw_json else {}
    calls = _lib.result_tool_calls_json(ptr) or b""

    def tokens(kind: int) -> Optional[int]:
        v: int = _lib.result_tokens(ptr, kind)
        return v if v >= 0 else None
    return Reply(
        text=_result_text(ptr).decode("utf-8"),
        finish_reason=(_lib.result_finish_reason(ptr) or b"").decode(),
        usage=Usage(tokens(n.TOKENS_PROMPT), tokens(n.TOKENS_COMPLETION), tokens(n.TOKENS_TOTAL)),
        request_id=(_lib.result_request_id(ptr) or b"").decode(),
        tool_calls=json.loads(calls) if calls else [],
        raw=raw if isinstance(raw, dict) else {},
        http_status=_lib.result_http_status(ptr),
        attempts=_lib.result_attempts(ptr),
        elapsed_ms=_lib.result_elapsed_ms(ptr))


# ---- calls and their events ---------------------------------------------------------------------
#
# Every call, sync or async, is a non-blocking qwen3vl_call: the library runs it on the client's
# I/O thread and posts its events (deltas, then DONE) to one queue per client. Whoever waits takes
# events from that queue — a thread blocked in chat() or in a stream's next(), or an event loop's
# reader on the client's descriptor — and hands each to the call it belongs to (found by the integer
# id given as user_data), waking that call's owner. So threads and loops can share a client, and a
# sync call waits in poll(), where Ctrl-C interrupts it at once (the blocking C calls cannot be
# interrupted short of a thread per call and a cancel token, which is more machinery, not less).

_Item = Optional[Tuple[str, bytes]]  # a delta (text, raw chunk or b""), or None for the call's end
_POLL_MS = 500  # a sync waiter's check-up period, only for events lost to an interrupt (see take_events)
_TAKE_AT_ONCE = 512  # events one reader callback takes before letting the loop run other work


class _Wake:
    """A thread's pipe to be woken by, while it waits in poll() for its calls' events that another
    thread or an event loop may take. Closed when nothing holds it any more, so a waker holding it
    never writes into a descriptor number that has been reused."""

    def __init__(self) -> None:
        self.pid = os.getpid()  # a forked child makes its own: the parent's is shared with it
        self.r, self.w = os.pipe()
        os.set_blocking(self.r, False)
        os.set_blocking(self.w, False)

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
        p = select.poll()
        p.register(self.r, select.POLLIN)
        if fd >= 0:
            p.register(fd, select.POLLIN)
        ready = p.poll(timeout_ms)
        with contextlib.suppress(BlockingIOError):
            os.read(self.r, 4096)
        return bool(ready)


_wakes = threading.local()


def _thread_wake() -> _Wake:
    w: Optional[_Wake] = getattr(_wakes, "wake", None)
    if w is None or w.pid != os.getpid():
        w = _wakes.wake = _Wake()
    return w


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _Call:
    """One qwen3vl_call from its start to its free. Its owner (a thread, or a task on ``loop``) makes
    it before starting it, so that an interrupt at any point leaves the owner something to finish().
    Its events, taken by whichever thread or loop took them, wait in ``items`` in the library's
    order (one taker at a time puts them there)."""

    __slots__ = ("native", "id", "ptr", "chunks", "loop", "items", "ended", "by_close", "waiter", "entered",
                 "watched", "finished")

    def __init__(self, native: "_Native", chunks: bool, loop: Optional[asyncio.AbstractEventLoop]) -> None:
        self.native = native
        self.id: int = next(native._ids)  # the user_data of its events
        self.ptr: Optional[int] = None  # set once qwen3vl_call_start has returned
        self.chunks = chunks  # keep each delta's raw chunk (the facade's ChatCompletionChunk)
        self.loop = loop  # the owner's event loop; None for a sync owner
        self.items: Deque[_Item] = collections.deque()
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

    def next_item(self) -> _Item:
        """The next event of the call, waiting in this thread for it (interruptible by signals)."""
        wake = _thread_wake()
        self.waiter = (threading.get_ident(), wake)  # before looking, so no put is missed
        try:
            while not self.items:
                self.native.take_events(None)
                if self.items:
                    break
                if not wake.wait(_lib.client_event_fd(self.native.handle), _POLL_MS):
                    self.native.recover(self)
            return self.items.popleft()
        finally:
            self.waiter = None

    async def next_item_async(self) -> _Item:
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
        return _reply_of(_lib.call_result(self.ptr), self.by_close)


_LogHandler = Callable[[int, str], None]
_natives: "weakref.WeakSet[_Native]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # The library lets a forked child use its parent's clients. A parent's thread that held one of
    # these locks at fork() does not exist in the child to let go of it.
    for native in list(_natives):
        native._lock = threading.Lock()
        native._take_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Native:
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
    removed is dropped, never sent to a freed callback."""

    def __init__(self, ptr: int) -> None:
        _natives.add(self)
        self._lock = threading.Lock()
        self._ptr: Optional[int] = ptr
        self._users = 0
        self.closed = False
        # Calls by the id passed to the library as user_data: started and not yet finished, and
        # those whose pointer an interrupt lost, until their own events free them.
        self._calls: Dict[int, _Call] = {}
        self._ids = itertools.count(1)
        # One taker at a time, so that a call's events reach its items in the library's order.
        self._take_lock = threading.Lock()
        self._text_len = ctypes.c_size_t()  # qwen3vl_event_text's out-parameter, used under _take_lock
        self._readers: Dict[asyncio.AbstractEventLoop, Tuple[int, int]] = {}  # loop -> (calls, fd)
        self._log: Optional[Tuple[_LogHandler, int]] = None  # read by _log_line without the lock
        self._log_fn: Any = None
        self._log_pending = False  # set_log's wish not yet given to the library
        self._log_applying = False  # a thread is giving it to the library now
        self._deferred: Deque[Callable[[], None]] = collections.deque()  # see from_finalizer

    @property
    def handle(self) -> int:
        """The pointer, for a caller that holds a reference."""
        assert self._ptr is not None
        return self._ptr

    def _acquire_locked(self) -> int:
        if self.closed or not self._ptr:
            raise InvalidArgumentError("the client is closed")
        self._users += 1
        return self._ptr

    def acquire(self) -> int:
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

    def _free(self, ptr: Optional[int]) -> None:
        if ptr:
            _lib.client_free(ptr)  # no call is running: none can log or touch it afterwards
            self._log, self._log_fn = None, None

    @contextlib.contextmanager
    def use(self) -> Iterator[int]:
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
                        _lib.call_cancel(call.ptr)
        finally:
            self._free(ptr)
        self._run_deferred()

    # -- calls

    def start(self, call: _Call, body: bytes, options: bytes) -> None:
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
        handle = _lib.call_start(ptr, body, options, call.id)
        with self._lock:
            call.ptr = handle
            call.entered = bool(handle)  # NULL: out of memory, and no call
            if handle and call.by_close:  # closed while it started
                _lib.call_cancel(handle)
        if not handle:
            raise MemoryError("qwen3vl: out of memory for a call")
        self.recover(call)  # a call that could not reach the I/O thread is over already, with no event

    def finish(self, call: _Call) -> None:
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
                _lib.call_free(ptr)
        finally:
            try:
                if watched and call.loop is not None:
                    self._unwatch_soon(call.loop)
            finally:
                if held:
                    self.release()

    def take_events(self, taker: Optional[asyncio.AbstractEventLoop]) -> None:
        """Takes the waiting events of the client's calls and hands each to its call. ``taker`` is
        the loop whose reader this is, None for a waiting thread."""
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
                    for _ in range(_TAKE_AT_ONCE):
                        ev = _lib.client_next_event(ptr, 0)
                        if not ev:
                            break
                        # Handed on right here, not in a method: entering a function is a point
                        # where a pending interrupt is raised, and the event would be lost with it.
                        # An interrupt raised from here on is held back until the event is handed
                        # on (it may be another thread's, whose stream would otherwise miss it).
                        # Each step is marked done before it runs, so none runs twice.
                        interrupt: Optional[BaseException] = None
                        step, call, item, tries = 0, None, None, 0
                        while tries < 8:  # bounded: an error that is no passing interrupt comes back
                            try:
                                if step == 0:
                                    call, item = self._read(ev)
                                    step = 1
                                if call is None:
                                    break  # nobody wants it
                                if step == 1:
                                    step = 2
                                    self._put(ev, call, item)
                                if step == 2:
                                    call.wake(taker)  # not marked first: waking twice is harmless
                                    step = 3
                                break
                            except BaseException as e:
                                interrupt, tries = e, tries + 1
                        _lib.event_free(ev)
                        if interrupt is not None:
                            raise interrupt
                except BaseException:
                    # An interrupt that lands while the library hands an event over, before Python
                    # holds its pointer, still loses that event. A lost DONE would leave its owner
                    # waiting for ever: every call whose end was taken gets it from its result
                    # instead. (A lost delta is a gap in that stream's deltas; its reply is whole.)
                    for c in list(self._calls.values()):
                        self._recover_locked(c, taker)
                    raise
        finally:
            if held:
                self.release()

    def _read(self, ev: int) -> Tuple[Optional[_Call], _Item]:
        """The call an event is for (None: nobody wants it) and what to hand it; no side effects."""
        call = self._calls.get(_lib.event_user_data(ev) or 0)
        if call is None or call.ended:
            return None, None  # a call already freed by its owner
        if call.finished:  # its pointer was lost: only its own events can free it
            return call, None
        if _lib.event_kind(ev) != n.EVENT_DELTA:
            return call, None
        p = _lib.event_text(ev, ctypes.byref(self._text_len))
        size = self._text_len.value
        # "replace": the library's text is valid UTF-8; a router must not raise for another's call.
        text = ctypes.string_at(p, size).decode("utf-8", "replace") if p and size else ""
        if call.chunks:
            return call, (text, _lib.event_chunk_json(ev) or b"")
        return (call, (text, b"")) if text else (None, None)

    def _put(self, ev: int, call: _Call, item: _Item) -> None:
        if call.finished:
            _lib.call_cancel(_lib.event_call(ev))
            if _lib.event_kind(ev) == n.EVENT_DONE:
                self._calls.pop(call.id, None)
                _lib.call_free(_lib.event_call(ev))  # the event keeps the call alive until it is freed
            return
        call.items.append(item)
        if item is None:
            call.ended = True

    def recover(self, call: _Call) -> None:
        with self._take_lock:
            self._recover_locked(call, None)

    def _recover_locked(self, call: _Call, taker: Optional[asyncio.AbstractEventLoop]) -> None:
        # With the take lock held, a result that exists without its end in items means the DONE was
        # taken but never handed on (lost to an interrupt), or never posted (a call that failed
        # before reaching the I/O thread).
        if call.ptr and not call.ended and _lib.call_result(call.ptr):
            call.items.append(None)
            call.ended = True
            call.wake(taker)

    # -- event loops: one reader per loop with calls of this client in flight

    def _watch(self, call: _Call, ptr: int) -> None:
        """On the loop's thread, for a call starting there."""
        loop = call.loop
        assert loop is not None
        fd = _lib.client_event_fd(ptr)
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

    def _log_line(self, level: int, message: Optional[bytes], user: Optional[int]) -> None:
        current = self._log
        if current is not None and level <= current[1]:
            current[0](level, (message or b"").decode("utf-8", "replace"))

    def set_log(self, handler: Optional[_LogHandler], level: int) -> None:
        with self._lock:
            if self.closed and handler is None:
                return  # nothing logs any more
            ptr = self._acquire_locked()
            self._log = None if handler is None else (handler, level)
            if handler is not None and self._log_fn is None:
                self._log_fn = n.LOG_FN(self._log_line)
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
                    wish, fn = self._log, self._log_fn
                _lib.client_set_log(ptr, fn if wish else n.LOG_FN(), wish[1] if wish else 0, None)
        finally:
            if mine:  # interrupted: the next set_log tells the library
                with self._lock:
                    self._log_applying = False
            self.release()


# ---- streams ------------------------------------------------------------------------------------

T = TypeVar("T")


class _Ending(Generic[T]):
    """What Stream and AsyncStream share: the call, its deltas converted, and its end turned into
    its Reply or into the error that ended it, raised by the loop and again by every later look at
    the reply."""

    _reply: Optional[Reply] = None
    _error: Optional[Qwen3VLError] = None

    def __init__(self, client: Any, body: bytes, options: bytes, convert: Callable[[str, bytes], Optional[T]],
                 loop: Optional[asyncio.AbstractEventLoop]) -> None:
        self._client = client  # a client no longer referenced elsewhere lives on for its streams
        self._convert = convert
        # Held before it starts: whatever interrupts the start, _stop() (or __del__) finishes it.
        self._call: Optional[_Call] = _Call(client._native, convert is not _text_delta, loop)
        client._native.start(self._call, body, options)

    def _step(self, call: _Call, item: _Item) -> Optional[T]:
        """A delta converted (None for one that converts to nothing); the end recorded and raised."""
        if item is not None:
            return self._convert(*item)
        try:
            self._reply = call.reply()
        except Qwen3VLError as e:
            self._error = e
            raise
        finally:
            self._stop()
        return None

    def _stop(self, from_finalizer: bool = False) -> None:
        call = self._call
        if call is None:
            return
        if from_finalizer:
            call.native.from_finalizer(call.native.finish, call)
        else:
            call.native.finish(call)  # before letting go of it: an interrupt here leaves it to __del__
        self._call = None
        if self._reply is None and self._error is None:
            self._error = RequestCancelledError("the stream was closed before its end")

    def _ended_reply(self) -> Reply:
        if self._error is not None:
            raise self._error
        assert self._reply is not None
        return self._reply

    def __del__(self) -> None:
        # Abandoned before its end: the request is cancelled. (At interpreter shutdown module
        # globals may already be gone; the process frees everything then.)
        with contextlib.suppress(Exception):
            self._stop(from_finalizer=True)


class Stream(_Ending[T]):
    """Iterates over a streamed reply as it arrives: text deltas (``client.stream``) or
    ChatCompletionChunk objects (the facade). ``reply`` holds the assembled Reply once the stream
    has ended. Leaving the loop early (break, an exception, Ctrl-C, ``close()``) cancels the request.
    Closing the client cancels the stream too (ClientClosedError) unless its reply had all arrived."""

    def __init__(self, client: "Client", body: bytes, options: bytes,
                 convert: Callable[[str, bytes], Optional[T]]) -> None:
        super().__init__(client, body, options, convert, None)

    def __iter__(self) -> "Stream[T]":
        return self

    def __next__(self) -> T:
        while self._call is not None:
            call = self._call
            try:
                out = self._step(call, call.next_item())
            except BaseException:
                self._stop()  # KeyboardInterrupt while waiting, say: the request goes too
                raise
            if out is not None:
                return out
        raise StopIteration

    @property
    def reply(self) -> Reply:
        """The whole reply; reading it first finishes the stream. Raises what ended the stream."""
        for _ in self:
            pass
        return self._ended_reply()

    @property
    def text(self) -> str:
        return self.reply.text

    def close(self) -> None:
        """Stops the request if it is still running; the stream then ends with RequestCancelledError."""
        self._stop()

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStream(_Ending[T]):
    """``async for`` over a streamed reply; same contract as Stream. Made on the loop that reads it."""

    def __init__(self, client: "Client", body: bytes, options: bytes,
                 convert: Callable[[str, bytes], Optional[T]]) -> None:
        super().__init__(client, body, options, convert, asyncio.get_running_loop())

    def __aiter__(self) -> "AsyncStream[T]":
        return self

    async def __anext__(self) -> T:
        while self._call is not None:
            call = self._call
            try:
                out = self._step(call, await call.next_item_async())
            except BaseException:
                self._stop()  # the task was cancelled, say: the request goes too
                raise
            if out is not None:
                return out
        raise StopAsyncIteration

    async def get_reply(self) -> Reply:
        async for _ in self:
            pass
        return self._ended_reply()

    async def aclose(self) -> None:
        self._stop()

    async def __aenter__(self) -> "AsyncStream[T]":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _text_delta(text: str, chunk: bytes) -> Optional[str]:
    return text or None


def _chunk_object(text: str, chunk: bytes) -> Optional[ChatCompletionChunk]:
    d = json.loads(chunk) if chunk else {}
    if not isinstance(d, dict) or d.get("object") == "chat.completion":
        return None  # a server that answered a stream with one plain reply: nothing chunk-shaped
    return ChatCompletionChunk.from_dict(d)


# ---- clients ------------------------------------------------------------------------------------

def _options(api_key: Optional[str], base_url: Optional[str], model: Optional[str], timeout: Optional[float],
             max_retries: Optional[int], connect_timeout: Optional[float], idle_timeout: Optional[float],
             max_response_bytes: Optional[int], max_image_bytes: Optional[int],
             video_frames_as_images: Optional[bool], headers: Optional[Mapping[str, str]],
             rest: Mapping[str, Any]) -> bytes:
    opts = {"api_key": api_key, "base_url": base_url, "model": model, "timeout_ms": _ms(timeout),
            "max_retries": max_retries, "connect_timeout_ms": _ms(connect_timeout), "idle_timeout_ms": _ms(idle_timeout),
            "max_response_bytes": max_response_bytes, "max_image_bytes": max_image_bytes,
            "video_frames_as_images": video_frames_as_images, "headers": dict(headers) if headers else None}
    opts.update(rest)
    return json.dumps({k: v for k, v in opts.items() if v is not None}).encode("utf-8")


class Client:
    """A client of Qwen3-VL (or any OpenAI-compatible server). Thread-safe: share one between
    threads (and event loops, through AsyncClient). Calls run on the client's own I/O thread while
    the caller waits without holding the GIL; Ctrl-C interrupts a waiting call and cancels it.
    Times are in seconds. ``api_key`` and ``base_url`` default to AIML_API_KEY and AIML_API_BASE.

    ``max_connections`` bounds the connections open to the server (64 by default; calls beyond it
    wait their turn; over HTTP/2 many calls share one).

    Per call, besides chat-completions parameters: ``timeout``, ``idle_timeout``, ``max_retries``
    (overriding the client's), ``extra_headers`` and ``extra_query`` (added to the client's). They
    go to the library as call options, never into the request body."""

    def __init__(self, api_key: Optional[str] = None, base_url: Optional[str] = None, model: Optional[str] = None,
                 timeout: Optional[float] = None, max_retries: Optional[int] = None,
                 connect_timeout: Optional[float] = None, idle_timeout: Optional[float] = None,
                 max_response_bytes: Optional[int] = None, max_image_bytes: Optional[int] = None,
                 video_frames_as_images: Optional[bool] = None, headers: Optional[Mapping[str, str]] = None,
                 allow_insecure_http: Optional[bool] = None, insecure_skip_verify: Optional[bool] = None,
                 ca_file: Optional[str] = None, ca_path: Optional[str] = None, proxy: Optional[str] = None,
                 max_connections: Optional[int] = None) -> None:
        err = ctypes.create_string_buffer(512)
        handle = _lib.client_new(_options(api_key, base_url, model, timeout, max_retries, connect_timeout, idle_timeout,
                                          max_response_bytes, max_image_bytes, video_frames_as_images, headers,
                                          {"allow_insecure_http": allow_insecure_http,
                                           "insecure_skip_verify": insecure_skip_verify, "ca_file": ca_file,
                                           "ca_path": ca_path, "proxy": proxy, "max_connections": max_connections}),
                                 err, len(err))
        if not handle:
            raise for_status(n.ERR_INVALID_ARGUMENT)(err.value.decode("utf-8", "replace"))
        self._native = _Native(handle)
        self.chat = _Chat(self)

    def _call(self, body: bytes, options: bytes) -> Reply:
        call = _Call(self._native, False, None)
        try:
            self._native.start(call, body, options)
            while call.next_item() is not None:
                pass  # no deltas: the call is not streamed
            return call.reply()
        finally:
            self._native.finish(call)  # on Ctrl-C too: the request is cancelled

    def stream(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
               **params: Any) -> Stream[str]:
        """Streams the reply: iterate for text deltas; ``.reply`` for the whole Reply at the end."""
        body, options = _split_call_options(params, True)
        return Stream(self, build_request(prompt_or_messages, images, body), options, _text_delta)

    def set_log(self, handler: Optional[Callable[[int, str], None]], level: int = n.LOG_INFO) -> None:
        """Sends the library's log lines (retries, timeouts, failures; requests at LOG_DEBUG, with
        Authorization redacted) to ``handler(level, message)``, e.g. a ``logging.Logger.log`` wrapper.
        Levels: 0 error, 1 warning, 2 info, 3 debug. None turns logging off. The handler may run on
        several threads at once. Any thread may call this at any time, the handler itself included;
        a line arriving after the swap goes to the new handler or nowhere, and once this returns no
        other thread is still in the old one (unless another set_log was under way at the same
        moment: the later one wins). None on a closed client does nothing."""
        self._native.set_log(handler, level)

    def cancel_all(self) -> None:
        """Cancels every call in flight on this client, from any thread."""
        with contextlib.suppress(InvalidArgumentError), self._native.use() as handle:
            _lib.client_cancel_all(handle)

    def close(self) -> None:
        """Closes the client: new calls fail with InvalidArgumentError, and calls and streams still
        running (in other threads, or streams not yet read to their end) are cancelled and raise
        ClientClosedError; a stream whose reply had all arrived still reads to its end. The native
        client is freed once the last of them has returned. Any thread; closing twice is fine."""
        self._native.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # At interpreter shutdown module globals may already be gone; the process frees all then.
        # (No _native: __init__ failed, and there is nothing to free.)
        try:
            self._native.from_finalizer(self._native.close)
        except Exception:
            pass


class _Chat:
    """``client.chat(...)`` for a Reply, and ``client.chat.completions.create(...)`` for the
    OpenAI-shaped objects."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.completions = Completions(client)

    def __call__(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
                 **params: Any) -> Reply:
        """One call: a prompt (or a list of messages), optional images (paths, pathlib.Path, bytes or
        URLs), and any chat-completions parameters (model, max_tokens, temperature, tools, ...)."""
        body, options = _split_call_options(params, False)
        return self._client._call(build_request(prompt_or_messages, images, body), options)


def _facade_request(messages: Messages, model: Optional[str], stream: bool, extra_body: Optional[Mapping[str, Any]],
                    params: Mapping[str, Any]) -> Tuple[bytes, bytes]:
    """The body and the call options of an openai-style create(): timeout, extra_headers and
    extra_query are call options; extra_body is merged into the body as it is."""
    merged, options = _split_call_options(params, stream)
    merged["model"] = model
    merged.update(extra_body or {})
    merged.pop("stream", None)
    return build_request(messages, None, merged), options


class Completions:
    """``client.chat.completions`` as in the openai package."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(self, *, messages: Messages, model: Optional[str] = None, stream: bool = False,
               extra_body: Optional[Mapping[str, Any]] = None,
               **params: Any) -> Union[ChatCompletion, Stream[ChatCompletionChunk]]:
        body, options = _facade_request(messages, model, stream, extra_body, params)
        if stream:
            return Stream(self._client, body, options, _chunk_object)
        return ChatCompletion.from_dict(self._client._call(body, options).raw)


class AsyncClient:
    """The asyncio twin of Client: ``await client.chat(...)``, ``async for d in client.stream(...)``,
    ``await client.chat.completions.create(...)``. No thread pool: a loop with calls of this client
    in flight watches the client's event descriptor (``loop.add_reader``), so any number of calls
    share one loop. Cancelling the awaiting task cancels the call. One client may serve several
    loops (in their own threads) and sync callers at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._client = Client(*args, **kwargs)
        self.chat = _AsyncChat(self._client)

    def stream(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
               **params: Any) -> AsyncStream[str]:
        body, options = _split_call_options(params, True)
        return AsyncStream(self._client, build_request(prompt_or_messages, images, body), options, _text_delta)

    def cancel_all(self) -> None:
        self._client.cancel_all()

    async def close(self) -> None:
        self._client.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def _async_call(client: Client, body: bytes, options: bytes) -> Reply:
    # The client is held here: one no longer referenced elsewhere lives on for its calls.
    call = _Call(client._native, False, asyncio.get_running_loop())
    try:
        client._native.start(call, body, options)
        while (await call.next_item_async()) is not None:
            pass  # no deltas: the call is not streamed
        return call.reply()
    finally:
        client._native.finish(call)  # a cancelled task's request is cancelled here


class _AsyncChat:
    def __init__(self, client: Client) -> None:
        self._client = client
        self.completions = AsyncCompletions(client)

    async def __call__(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
                       **params: Any) -> Reply:
        body, options = _split_call_options(params, False)
        return await _async_call(self._client, build_request(prompt_or_messages, images, body), options)


class AsyncCompletions:
    def __init__(self, client: Client) -> None:
        self._client = client

    async def create(self, *, messages: Messages, model: Optional[str] = None, stream: bool = False,
                     extra_body: Optional[Mapping[str, Any]] = None,
                     **params: Any) -> Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]:
        body, options = _facade_request(messages, model, stream, extra_body, params)
        if stream:
            return AsyncStream(self._client, body, options, _chunk_object)
        return ChatCompletion.from_dict((await _async_call(self._client, body, options)).raw)
