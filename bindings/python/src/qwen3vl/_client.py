# SPDX-License-Identifier: MIT
"""The clients: Client (calls wait in the calling thread) and AsyncClient (calls are awaited), their
Pythonic ``chat()`` and ``stream()``, and the ``chat.completions`` of the openai-shaped facade."""
from __future__ import annotations

import ctypes
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, TypeVar, Union

from . import _native as n
from ._dispatch import Native
from ._errors import InvalidArgumentError
from ._facade import AsyncCompletions, Completions
from ._options import endpoint, library_options
from ._request import CALL_KEYS, ImageInput, PromptOrMessages, prepare
from ._streams import AsyncStream, Stream, text_delta
from .types import Reply

C = TypeVar("C", bound="_BaseClient")


class _BaseClient:
    """What Client and AsyncClient share: the native client, its options, closing and logging."""

    def __init__(self, api_key: Optional[str] = None, base_url: Optional[str] = None, model: Optional[str] = None,
                 timeout: Optional[float] = None, max_retries: Optional[int] = None,
                 connect_timeout: Optional[float] = None, idle_timeout: Optional[float] = None,
                 max_connections: Optional[int] = None, max_response_bytes: Optional[int] = None,
                 max_image_bytes: Optional[int] = None, max_video_bytes: Optional[int] = None,
                 video_frames_as_images: Optional[bool] = None, headers: Optional[Mapping[str, str]] = None,
                 allow_insecure_http: Optional[bool] = None, insecure_skip_verify: Optional[bool] = None,
                 ca_file: Optional[str] = None, ca_path: Optional[str] = None, proxy: Optional[str] = None,
                 resize: Union[str, Mapping[str, int], None] = None, min_pixels: Optional[int] = None,
                 max_pixels: Optional[int] = None, jpeg_quality: Optional[int] = None) -> None:
        # Every keyword is a library client option (see _options); tests pin them to qwen3vl.h.
        given = dict(locals())
        del given["self"]
        given["api_key"], given["base_url"] = endpoint(api_key, base_url)
        err = ctypes.create_string_buffer(512)
        handle = n.client_new(library_options(given), err, len(err))
        if not handle:
            raise InvalidArgumentError(err.value.decode("utf-8", "replace"))
        self._setup(Native(handle), given, {})

    def _setup(self, native: Native, options: Dict[str, Any], defaults: Dict[str, Any]) -> None:
        self._native = native
        self._options = options  # as given (with the key and base URL resolved), for with_options
        self._defaults = defaults  # per-call options every call of this object gets (with_options)
        self._chat = self._chat_class(native, defaults)  # holds the native client, not this object

    _chat_class: Callable[[Native, Mapping[str, Any]], Any]

    @property
    def base_url(self) -> str:
        """The base URL calls go to ("/chat/completions" is appended)."""
        return str(self._options["base_url"])

    @property
    def model(self) -> Optional[str]:
        """The model used when a request names none (None: the library's default)."""
        model: Optional[str] = self._options["model"]
        return model

    def with_options(self: C, **changes: Any) -> C:
        """A client like this one with some options changed, as the openai package's
        ``client.with_options(max_retries=5, timeout=20)``. ``timeout``, ``idle_timeout`` and
        ``max_retries`` alone share this client's connections (they become per-call options); any
        other option makes a client of its own. Closing either closes a shared one."""
        unknown = set(changes) - set(self._options)
        if unknown:
            raise TypeError(f"with_options() got an unexpected keyword argument {sorted(unknown)[0]!r}")
        defaults = {**self._defaults, **{k: v for k, v in changes.items() if k in CALL_KEYS}}
        if set(changes) <= set(CALL_KEYS):
            made = object.__new__(type(self))
            made._setup(self._native, {**self._options, **changes}, defaults)
        else:
            made = type(self)(**{**self._options, **changes})
            made._setup(made._native, made._options, defaults)
        return made

    copy = with_options

    def cancel_all(self) -> None:
        """Cancels every call in flight on this client, from any thread."""
        try:
            with self._native.use() as handle:
                n.client_cancel_all(handle)
        except InvalidArgumentError:
            pass  # closed: nothing runs

    def set_log(self, handler: Optional[Callable[[int, str], None]], level: int = n.LOG_INFO) -> None:
        """Sends the library's log lines (retries, timeouts, failures; requests at LOG_DEBUG, with
        Authorization redacted) to ``handler(level, message)``, e.g. a ``logging.Logger.log`` wrapper.
        Levels: 0 error, 1 warning, 2 info, 3 debug. None turns logging off. The handler may run on
        several threads at once. Any thread may call this at any time, the handler itself included;
        a line arriving after the swap goes to the new handler or nowhere, and once this returns no
        other thread is still in the old one (unless another set_log was under way at the same
        moment: the later one wins). None on a closed client does nothing."""
        self._native.set_log(handler, level)

    @property
    def is_closed(self) -> bool:
        return self._native.closed

    def _close(self) -> None:
        self._native.close()

    def __repr__(self) -> str:
        state = " closed" if self._native.closed else ""
        return f"<qwen3vl.{type(self).__name__} base_url={self.base_url!r}{state}>"


class _Chat:
    """``client.chat(...)`` for a Reply, ``client.chat.completions.create(...)`` for the
    openai-shaped objects."""

    def __init__(self, native: Native, defaults: Mapping[str, Any]) -> None:
        self._native = native
        self._defaults = defaults
        self.completions = Completions(native, defaults)

    def __call__(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
                 **params: Any) -> Reply:
        """One call: a prompt (or a list of messages), optional images (paths, pathlib.Path, bytes or
        URLs), any chat-completions parameters (model, max_tokens, temperature, tools, ...) and the
        per-call options timeout, idle_timeout, max_retries, extra_headers, extra_query."""
        return self._native.call(*prepare(prompt_or_messages, images, params, False, self._defaults))


class Client(_BaseClient):
    """A client of Qwen3-VL (or any OpenAI-compatible server). Thread-safe: share one between
    threads (and event loops, through AsyncClient). A call runs on the calling thread, a stream on
    the client's own I/O thread; either way the caller waits without holding the GIL, and Ctrl-C
    interrupts a waiting call and cancels it. Times are in seconds.

    ``api_key`` and ``base_url`` default to AIML_API_KEY and AIML_API_BASE (then AIMLAPI_API_KEY and
    AIMLAPI_API_BASE); without any of these, OPENAI_BASE_URL with OPENAI_API_KEY, as the openai
    package reads them; else the AI/ML API. ``max_connections`` bounds the connections open to the
    server (64 by default; calls beyond it wait their turn; over HTTP/2 many calls share one). The
    other keywords are the library's client options of the same name (qwen3vl.h).

    ``client.chat("...", images=[...])`` returns a Reply; ``client.stream(...)`` a Stream of text;
    ``client.chat.completions.create(...)`` is the openai package's call. Per call, besides
    chat-completions parameters: ``timeout``, ``idle_timeout``, ``max_retries`` (overriding the
    client's), ``extra_headers`` and ``extra_query`` (added to the client's), which go to the library
    as call options, never into the request body.

    A client is closed by ``close()``, by leaving ``with Client() as client:``, or once nothing uses
    it any more (no reference left, no stream running)."""

    _chat_class = _Chat
    _chat: _Chat

    @property
    def chat(self) -> _Chat:
        """``client.chat(prompt_or_messages, images=[...], **params)`` makes one call and returns its
        Reply; ``client.chat.completions.create(...)`` is the openai package's call."""
        return self._chat

    def stream(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
               **params: Any) -> Stream[str]:
        """Streams the reply: iterate for text deltas; ``.reply`` for the whole Reply at the end.
        Leaving the loop early cancels the request."""
        body, options = prepare(prompt_or_messages, images, params, True, self._defaults)
        return Stream(self._native, body, options, text_delta, False)

    def close(self) -> None:
        """Closes the client: new calls fail with InvalidArgumentError, and calls and streams still
        running (in other threads, or streams not yet read to their end) are cancelled and raise
        ClientClosedError; a stream whose reply had all arrived still reads to its end. The native
        client is freed once the last of them has returned. Any thread; closing twice is fine."""
        self._close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _AsyncChat:
    """``await client.chat(...)`` for a Reply, ``await client.chat.completions.create(...)`` for the
    openai-shaped objects."""

    def __init__(self, native: Native, defaults: Mapping[str, Any]) -> None:
        self._native = native
        self._defaults = defaults
        self.completions = AsyncCompletions(native, defaults)

    async def __call__(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
                       **params: Any) -> Reply:
        """One call, awaited; the arguments of Client.chat()."""
        return await self._native.call_async(*prepare(prompt_or_messages, images, params, False, self._defaults))


class AsyncClient(_BaseClient):
    """The asyncio twin of Client, with the same keywords: ``await client.chat(...)``,
    ``async for d in client.stream(...)``, ``await client.chat.completions.create(...)``. No thread
    pool: a loop with calls of this client in flight watches the client's event descriptor
    (``loop.add_reader``), so any number of calls share one loop. Cancelling the awaiting task
    cancels the call. One client may serve several loops (in their own threads) and sync callers at once."""

    _chat_class = _AsyncChat
    _chat: _AsyncChat

    @property
    def chat(self) -> _AsyncChat:
        """``await client.chat(prompt_or_messages, images=[...], **params)`` makes one call and returns
        its Reply; ``await client.chat.completions.create(...)`` is the openai package's call."""
        return self._chat

    def stream(self, prompt_or_messages: PromptOrMessages, *, images: Optional[Sequence[ImageInput]] = None,
               **params: Any) -> AsyncStream[str]:
        """Streams the reply: ``async for`` over text deltas; ``await .get_reply()`` for the whole Reply."""
        body, options = prepare(prompt_or_messages, images, params, True, self._defaults)
        return AsyncStream(self._native, body, options, text_delta, False)

    async def close(self) -> None:
        """As Client.close()."""
        self._close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
