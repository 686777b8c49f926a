# SPDX-License-Identifier: MIT
"""Streams: a streamed call's deltas as an iterator (Stream) or an async iterator (AsyncStream), its
end as the assembled Reply or the error that ended it."""
from __future__ import annotations

import asyncio
import contextlib
import json
from typing import AsyncIterator, Callable, Generic, Iterator, Optional, TypeVar

from ._dispatch import Call, Item, Native
from ._errors import Qwen3VLError, RequestCancelledError
from .types import ChatCompletionChunk, Reply

T = TypeVar("T")
Convert = Callable[[str, bytes], Optional[T]]


def text_delta(text: str, chunk: bytes) -> Optional[str]:
    """A delta of ``client.stream()``: its text (chunks without text are skipped)."""
    return text or None


def chunk_object(include_usage: bool) -> Convert[ChatCompletionChunk]:
    """A delta of the facade's stream: the chunk as a ChatCompletionChunk. The library always asks
    the server for usage (so that the assembled reply has it); the chunk carrying it (no choices)
    is passed on only when the caller asked for it, as the openai package does."""
    def convert(text: str, chunk: bytes) -> Optional[ChatCompletionChunk]:
        d = json.loads(chunk) if chunk else {}
        if not isinstance(d, dict) or d.get("object") == "chat.completion":
            return None  # a server that answered a stream with one plain reply: nothing chunk-shaped
        if not include_usage and not d.get("choices") and "usage" in d:
            return None
        return ChatCompletionChunk(d)
    return convert


class _Ending(Generic[T]):
    """What Stream and AsyncStream share: the call, its deltas converted, and its end turned into
    its Reply or into the error that ended it, raised by the loop and again by every later look at
    the reply."""

    _reply: Optional[Reply] = None
    _error: Optional[Qwen3VLError] = None
    _call: Optional[Call] = None

    def __init__(self, native: Native, body: bytes, options: bytes, convert: Convert[T], chunks: bool,
                 loop: Optional[asyncio.AbstractEventLoop]) -> None:
        self._convert = convert
        # Held before it starts: whatever interrupts the start, _stop() (or __del__) finishes it.
        # The call holds the native client, so a client no longer referenced lives on for it.
        self._call = Call(native, chunks, loop)
        native.start(self._call, body, options)

    def _end(self, call: Call) -> None:
        """Records the end (the reply, or the error, raised here)."""
        try:
            self._reply = call.reply()
        except Qwen3VLError as e:
            self._error = e
            raise
        finally:
            self._stop()

    def _step(self, call: Call, item: Item) -> Optional[T]:
        """A delta converted (None for one that converts to nothing); the end recorded and raised."""
        if item is not None:
            return self._convert(*item)
        self._end(call)
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
    """A streamed reply as it arrives: text deltas (``client.stream``) or ChatCompletionChunk objects
    (the facade). ``reply`` holds the assembled Reply once the stream has ended.

    Leaving a ``for`` loop over it early (``break``, an exception, Ctrl-C) cancels the request, as do
    ``close()`` and leaving a ``with`` block; ``reply`` then raises RequestCancelledError. Closing the
    client cancels the stream too (ClientClosedError) unless its reply had all arrived."""

    def __init__(self, native: Native, body: bytes, options: bytes, convert: Convert[T], chunks: bool) -> None:
        super().__init__(native, body, options, convert, chunks, None)

    def __iter__(self) -> Iterator[T]:
        # A generator of its own per loop: a loop left early drops it, and its finally cancels.
        convert = self._convert
        try:
            while self._call is not None:
                call = self._call
                items = call.items
                item = items.popleft() if items else call.next_item()
                if item is None:
                    self._end(call)
                    return
                out = convert(*item)
                if out is not None:
                    yield out
        finally:
            self._stop()

    def __next__(self) -> T:
        """The next delta (``next(stream)``; a ``for`` loop goes through __iter__)."""
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
        """The whole reply; reading it first reads the stream to its end. Raises what ended the stream."""
        while self._call is not None:
            next(self, None)
        return self._ended_reply()

    @property
    def text(self) -> str:
        """The whole reply's text."""
        return self.reply.text

    def close(self) -> None:
        """Stops the request if it is still running; the stream then ends with RequestCancelledError."""
        self._stop()

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStream(_Ending[T]):
    """``async for`` over a streamed reply; the same contract as Stream (leaving the loop early
    cancels the request once the loop drops it; ``async with`` or ``await stream.close()`` at once).
    Made on the event loop that reads it."""

    def __init__(self, native: Native, body: bytes, options: bytes, convert: Convert[T], chunks: bool) -> None:
        super().__init__(native, body, options, convert, chunks, asyncio.get_running_loop())

    async def _loop(self) -> AsyncIterator[T]:
        try:
            while True:
                out = await self.__anext__()
                yield out
        except StopAsyncIteration:
            return
        finally:
            self._stop()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._loop()

    async def __anext__(self) -> T:
        """The next delta; StopAsyncIteration at the end."""
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
        """The whole reply; awaiting it first reads the stream to its end. Raises what ended the stream."""
        while self._call is not None:
            with contextlib.suppress(StopAsyncIteration):
                await self.__anext__()
        return self._ended_reply()

    async def close(self) -> None:
        """Stops the request if it is still running; the stream then ends with RequestCancelledError."""
        self._stop()

    aclose = close

    async def __aenter__(self) -> "AsyncStream[T]":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
