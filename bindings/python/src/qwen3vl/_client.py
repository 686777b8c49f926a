"""The high-level API: Client, AsyncClient, streams, and the OpenAI-shaped facade."""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import json
import os
import queue
import sys
import threading
import weakref
from typing import (Any, Callable, Dict, Generic, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, TypeVar,
                    Union)

from . import _native as n
from ._errors import ClientClosedError, InvalidArgumentError, Qwen3VLError, for_status
from .types import ChatCompletion, ChatCompletionChunk, Reply, Usage

ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
Messages = Sequence[Mapping[str, Any]]
PromptOrMessages = Union[str, Messages]

_lib = n.lib


# ---- requests -----------------------------------------------------------------------------------

def image_data_uri(data: Union[bytes, bytearray, memoryview]) -> str:
    """Encoded image bytes (PNG, JPEG, ...) as a data: URI, the type taken from the bytes."""
    raw = bytes(data)
    err = ctypes.create_string_buffer(512)
    p = _lib.image_data_uri(raw, len(raw), err, len(err))
    if not p:
        raise for_status(n.ERR_FILE)(err.value.decode("utf-8", "replace"))
    return n.take_string(p)


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


def _take_reply(ptr: Optional[int], closed: bool) -> Reply:
    """Turns a qwen3vl_result into a Reply (or raises its error), freeing it either way. ``closed``:
    the call's token was triggered by Client.close(), so a cancellation is a ClientClosedError."""
    if not ptr:
        raise MemoryError("qwen3vl: out of memory for a result")
    try:
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
    finally:
        _lib.result_free(ptr)


class _Token:
    """A qwen3vl_cancel token, freed deterministically by the call that owns it. Any thread may
    trigger it, even while the owner frees it: the lock makes a late trigger a no-op."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Triggered by Client.close(): the call's cancellation is then a ClientClosedError.
        self.by_close = False
        self.ptr: Optional[int] = _lib.cancel_new()
        if not self.ptr:
            raise MemoryError("qwen3vl: out of memory for a cancellation token")

    def trigger(self, by_close: bool = False) -> None:
        with self._lock:
            if self.ptr:
                self.by_close = self.by_close or by_close
                _lib.cancel_trigger(self.ptr)

    def free(self) -> None:
        with self._lock:
            ptr, self.ptr = self.ptr, None
        if ptr:
            _lib.cancel_free(ptr)


_LogHandler = Callable[[int, str], None]


class _Native:
    """The qwen3vl_client of a Client, shared by the Client and every call and stream using it.

    Each call holds a reference (``use``) for as long as the library works with the pointer.
    ``close()`` refuses new calls and cancels those running; qwen3vl_client_free is called once the
    client is closed and the last call has let go, on whichever thread that happens. So no thread
    ever passes a freed pointer to the library, whatever the order of close() and the calls.

    Logging goes through one ctypes callback made for the client's whole life, which forwards to
    the current Python handler: a line the library delivers just after the handler was replaced or
    removed is dropped, never sent to a freed callback."""

    def __init__(self, ptr: int) -> None:
        self._lock = threading.Lock()
        self._ptr: Optional[int] = ptr
        self._users = 0
        self._tokens: Set[_Token] = set()  # of the calls now running, triggered by close()
        self.closed = False
        self._log: Optional[Tuple[_LogHandler, int]] = None  # read by _log_line without the lock
        self._log_fn: Any = None
        self._log_pending = False  # set_log's wish not yet given to the library
        self._log_applying = False  # a thread is giving it to the library now

    def _acquire_locked(self, token: Optional[_Token]) -> int:
        if self.closed or not self._ptr:
            raise InvalidArgumentError("the client is closed")
        self._users += 1
        if token is not None:
            self._tokens.add(token)
        return self._ptr

    def release(self, token: Optional[_Token] = None) -> None:
        """Lets go of a reference taken with acquire()."""
        with self._lock:
            self._users -= 1
            if token is not None:
                self._tokens.discard(token)
            ptr = self._unused_locked()
        self._free(ptr)

    def _unused_locked(self) -> Optional[int]:
        """The pointer, taken, when the client is closed and nobody uses it any more."""
        if not self.closed or self._users or not self._ptr:
            return None
        ptr, self._ptr = self._ptr, None
        return ptr

    def _free(self, ptr: Optional[int]) -> None:
        if ptr:
            _lib.client_free(ptr)  # no call is running: none can log or touch it afterwards
            self._log, self._log_fn = None, None

    def acquire(self, token: Optional[_Token] = None) -> int:
        """A reference to the native client for a call that runs past this function (a stream's
        thread); ``release(token)`` when the call has returned. ``token`` is triggered by close()."""
        with self._lock:
            return self._acquire_locked(token)

    @contextlib.contextmanager
    def use(self, token: Optional[_Token] = None) -> Iterator[int]:
        """The native client, kept alive until the block ends. InvalidArgumentError once closed."""
        ptr = self.acquire(token)
        try:
            yield ptr
        finally:
            self.release(token)

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            running = list(self._tokens)
            ptr = self._unused_locked()
        for token in running:
            token.trigger(by_close=True)
        self._free(ptr)

    def _log_line(self, level: int, message: Optional[bytes], user: Optional[int]) -> None:
        current = self._log
        if current is not None and level <= current[1]:
            current[0](level, (message or b"").decode("utf-8", "replace"))

    def set_log(self, handler: Optional[_LogHandler], level: int) -> None:
        with self._lock:
            if self.closed and handler is None:
                return  # nothing logs any more
            ptr = self._acquire_locked(None)
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

_Item = Tuple[str, Any, Any]  # ("delta", text, chunk_json) or ("end", result_ptr, closed by close())


_live_workers: "weakref.WeakSet[_StreamWorker]" = weakref.WeakSet()


@atexit.register
def _stop_live_streams() -> None:
    # Before the interpreter freezes its threads: a stream thread caught in a callback then would
    # never return. Cancelled calls come back within ~100 ms.
    for w in list(_live_workers):
        w.stop()
        w.wait(1.0)


class _StreamWorker:
    """Runs one qwen3vl_chat_stream call on a thread of its own and hands its deltas to ``put``,
    ending with ("end", result). ``stop()`` cancels it; the C call then returns within ~100 ms."""

    def __init__(self, client: "Client", body: bytes, put: Callable[[_Item], None], chunks: bool) -> None:
        self._client = client  # a client no longer referenced elsewhere lives on for its streams
        self._native = client._native
        self._body = body
        self._put = put
        self._chunks = chunks
        self._stopped = False
        self.token = _Token()
        # Held on self: a collected ctypes callback would crash the call still using it.
        self._callback = n.DELTA_FN(self._on_delta)
        self._thread = threading.Thread(target=self._run, name="qwen3vl-stream", daemon=True)
        try:
            # Taken here, not on the thread: a closed client fails now, and a close() from now on
            # cancels this call instead of freeing the client under it.
            self._handle = self._native.acquire(self.token)
        except BaseException:
            self.token.free()
            raise
        try:
            self._thread.start()
        except BaseException:
            self._native.release(self.token)
            self.token.free()
            raise
        _live_workers.add(self)

    def _on_delta(self, text: Optional[int], length: int, chunk: Optional[int], user: Optional[int]) -> int:
        if self._stopped:
            return 1
        # Runs once per chunk with the GIL taken: do as little as possible.
        piece = ctypes.string_at(text, length).decode("utf-8") if text and length else ""
        if self._chunks:
            self._put(("delta", piece, ctypes.string_at(chunk) if chunk else b""))
        elif piece:
            self._put(("delta", piece, b""))
        return 0

    def _run(self) -> None:
        try:
            ptr = _lib.chat_stream_cancellable(self._handle, self._body, self._callback, None, self.token.ptr)
        finally:
            self._native.release(self.token)
        self._put(("end", ptr, self.token.by_close))

    def stop(self) -> None:
        self._stopped = True
        self.token.trigger()

    def wait(self, seconds: float) -> None:
        self._thread.join(seconds)

    def join(self) -> None:
        self._thread.join()
        self.token.free()


T = TypeVar("T")


class _Ending:
    """What Stream and AsyncStream share: the end of the stream turned into its Reply, or into the
    error that ended it, raised by the loop and again by every later look at the reply."""

    _reply: Optional[Reply] = None
    _error: Optional[Qwen3VLError] = None

    def _end(self, ptr: Optional[int], closed: bool) -> None:
        try:
            self._reply = _take_reply(ptr, closed)
        except Qwen3VLError as e:
            self._error = e
            raise

    def _ended_reply(self) -> Reply:
        if self._error is not None:
            raise self._error
        assert self._reply is not None
        return self._reply


class Stream(_Ending, Generic[T]):
    """Iterates over a streamed reply as it arrives: text deltas (``client.stream``) or
    ChatCompletionChunk objects (the facade). ``reply`` holds the assembled Reply once the stream
    has ended. Leaving the loop early (break, an exception, ``close()``) cancels the request.
    Closing the client cancels the stream too (ClientClosedError) unless its reply had all arrived."""

    def __init__(self, client: "Client", body: bytes, convert: Callable[[str, bytes], Optional[T]]) -> None:
        self._queue: "queue.SimpleQueue[_Item]" = queue.SimpleQueue()
        self._get = self._queue.get
        self._convert = convert
        self._done = False
        self._worker = _StreamWorker(client, body, self._queue.put, convert is not _text_delta)

    def __iter__(self) -> "Stream[T]":
        return self

    def __next__(self) -> T:
        while not self._done:
            kind, a, b = self._get()
            if kind == "delta":
                out = self._convert(a, b)
                if out is not None:
                    return out
                continue
            self._done = True
            self._worker.join()
            self._end(a, b)
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
        """Stops the request if it is still running and waits for it."""
        if self._done:
            return
        self._worker.stop()
        if sys.is_finalizing():
            return  # threads may be frozen now: the process is ending anyway
        while True:
            kind, a, _ = self._get()
            if kind == "end":
                break
        self._done = True
        self._worker.join()
        _lib.result_free(a)

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class AsyncStream(_Ending, Generic[T]):
    """``async for`` over a streamed reply; same contract as Stream."""

    def __init__(self, client: "Client", body: bytes, convert: Callable[[str, bytes], Optional[T]]) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: "asyncio.Queue[_Item]" = asyncio.Queue()
        self._convert = convert
        self._done = False
        self._worker = _StreamWorker(client, body, self._put, convert is not _text_delta)

    def _put(self, item: _Item) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is gone: nobody is listening any more
            self._worker.stop()
            if item[0] == "end":
                _lib.result_free(item[1])

    def __aiter__(self) -> "AsyncStream[T]":
        return self

    async def __anext__(self) -> T:
        try:
            while not self._done:
                kind, a, b = await self._queue.get()
                if kind == "delta":
                    out = self._convert(a, b)
                    if out is not None:
                        return out
                    continue
                self._done = True
                await asyncio.to_thread(self._worker.join)
                self._end(a, b)
        except asyncio.CancelledError:
            await self.aclose()
            raise
        raise StopAsyncIteration

    async def get_reply(self) -> Reply:
        async for _ in self:
            pass
        return self._ended_reply()

    async def aclose(self) -> None:
        if self._done:
            return
        self._worker.stop()
        while True:
            kind, a, _ = await self._queue.get()
            if kind == "end":
                break
        self._done = True
        await asyncio.to_thread(self._worker.join)
        _lib.result_free(a)

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
             security: Mapping[str, Any]) -> bytes:
    def ms(seconds: Optional[float]) -> Optional[int]:
        return None if seconds is None else max(0, int(round(seconds * 1000)))
    opts = {"api_key": api_key, "base_url": base_url, "model": model, "timeout_ms": ms(timeout),
            "max_retries": max_retries, "connect_timeout_ms": ms(connect_timeout), "idle_timeout_ms": ms(idle_timeout),
            "max_response_bytes": max_response_bytes, "max_image_bytes": max_image_bytes,
            "video_frames_as_images": video_frames_as_images, "headers": dict(headers) if headers else None}
    opts.update(security)
    return json.dumps({k: v for k, v in opts.items() if v is not None}).encode("utf-8")


class Client:
    """A client of Qwen3-VL (or any OpenAI-compatible server). Thread-safe: share one between
    threads; calls release the GIL and use their own pooled connection. Times are in seconds.
    ``api_key`` and ``base_url`` default to AIML_API_KEY and AIML_API_BASE."""

    def __init__(self, api_key: Optional[str] = None, base_url: Optional[str] = None, model: Optional[str] = None,
                 timeout: Optional[float] = None, max_retries: Optional[int] = None,
                 connect_timeout: Optional[float] = None, idle_timeout: Optional[float] = None,
                 max_response_bytes: Optional[int] = None, max_image_bytes: Optional[int] = None,
                 video_frames_as_images: Optional[bool] = None, headers: Optional[Mapping[str, str]] = None,
                 allow_insecure_http: Optional[bool] = None, insecure_skip_verify: Optional[bool] = None,
                 ca_file: Optional[str] = None, ca_path: Optional[str] = None, proxy: Optional[str] = None) -> None:
        err = ctypes.create_string_buffer(512)
        handle = _lib.client_new(_options(api_key, base_url, model, timeout, max_retries, connect_timeout, idle_timeout,
                                          max_response_bytes, max_image_bytes, video_frames_as_images, headers,
                                          {"allow_insecure_http": allow_insecure_http,
                                           "insecure_skip_verify": insecure_skip_verify, "ca_file": ca_file,
                                           "ca_path": ca_path, "proxy": proxy}),
                                 err, len(err))
        if not handle:
            raise for_status(n.ERR_INVALID_ARGUMENT)(err.value.decode("utf-8", "replace"))
        self._native = _Native(handle)
        self.chat = _Chat(self)

    def _call(self, body: bytes, token: Optional[_Token] = None) -> Reply:
        own = _Token() if token is None else token  # close() cancels the call through it
        try:
            with self._native.use(own) as handle:
                ptr = _lib.chat_cancellable(handle, body, own.ptr)
            return _take_reply(ptr, own.by_close)
        finally:
            if token is None:
                own.free()

    def stream(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
               **params: Any) -> Stream[str]:
        """Streams the reply: iterate for text deltas; ``.reply`` for the whole Reply at the end."""
        return Stream(self, build_request(prompt_or_messages, images, params), _text_delta)

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
            self.close()
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
        return self._client._call(build_request(prompt_or_messages, images, params))


def _facade_body(messages: Messages, model: Optional[str], extra_body: Optional[Mapping[str, Any]],
                 params: Mapping[str, Any]) -> bytes:
    merged = dict(params)
    merged["model"] = model
    merged.update(extra_body or {})
    merged.pop("stream", None)
    return build_request(messages, None, merged)


class Completions:
    """``client.chat.completions`` as in the openai package."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(self, *, messages: Messages, model: Optional[str] = None, stream: bool = False,
               extra_body: Optional[Mapping[str, Any]] = None,
               **params: Any) -> Union[ChatCompletion, Stream[ChatCompletionChunk]]:
        body = _facade_body(messages, model, extra_body, params)
        if stream:
            return Stream(self._client, body, _chunk_object)
        return ChatCompletion.from_dict(self._client._call(body).raw)


class AsyncClient:
    """The asyncio twin of Client: ``await client.chat(...)``, ``async for d in client.stream(...)``,
    ``await client.chat.completions.create(...)``. Cancelling the awaiting task cancels the call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._client = Client(*args, **kwargs)
        self.chat = _AsyncChat(self._client)

    def stream(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
               **params: Any) -> AsyncStream[str]:
        return AsyncStream(self._client, build_request(prompt_or_messages, images, params), _text_delta)

    def cancel_all(self) -> None:
        self._client.cancel_all()

    async def close(self) -> None:
        self._client.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def _async_call(client: Client, body: bytes) -> Reply:
    token = _Token()
    job = asyncio.ensure_future(asyncio.to_thread(client._call, body, token))
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        token.trigger()
        try:
            await job  # returns within ~100 ms as RequestCancelledError
        except Qwen3VLError:
            pass
        raise
    finally:
        if job.done():
            token.free()


class _AsyncChat:
    def __init__(self, client: Client) -> None:
        self._client = client
        self.completions = AsyncCompletions(client)

    async def __call__(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
                       **params: Any) -> Reply:
        return await _async_call(self._client, build_request(prompt_or_messages, images, params))


class AsyncCompletions:
    def __init__(self, client: Client) -> None:
        self._client = client

    async def create(self, *, messages: Messages, model: Optional[str] = None, stream: bool = False,
                     extra_body: Optional[Mapping[str, Any]] = None,
                     **params: Any) -> Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]:
        body = _facade_body(messages, model, extra_body, params)
        if stream:
            return AsyncStream(self._client, body, _chunk_object)
        return ChatCompletion.from_dict((await _async_call(self._client, body)).raw)
