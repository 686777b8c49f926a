# SPDX-License-Identifier: MIT
"""Ctrl-C during a blocking call on the main thread.

A call that is not streamed runs in qwen3vl_chat_v2 on the caller's thread, and Python runs signal
handlers only between bytecodes, so a Ctrl-C alone would wait for the call's end. For the length
of the call, the main thread's signal wakeup descriptor (``signal.set_wakeup_fd``) is the write end
of a pipe whose read end the call's cancel token watches (``qwen3vl_cancel_watch_fd``): the byte
Python's C-level handler writes for SIGINT ends the call at once, CANCELLED.

Meanwhile SIGINT's Python handler is one that only notes the signal, so that no KeyboardInterrupt
lands between two steps of the call (where the result would be lost): it is raised once the handler
and the descriptor are back as they were. That takes SIGINT's handler to be Python's own
(KeyboardInterrupt), and no other signal to have a Python handler, whose signal would end the call
too: then ``begin()`` declines and the call runs on the non-blocking engine instead, where signals
reach their handlers while the call goes on, as in a plain blocking read.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import List, Optional

# signal's C functions themselves: its getsignal() and signal() wrap results in enums, at some
# 1 us a call, and the check below asks about every signal before each call.
import _signal  # type: ignore

_SIGINT = int(signal.SIGINT)
_DEFAULT = signal.default_int_handler
_NOT_PYTHON = {int(signal.SIG_DFL), int(signal.SIG_IGN), None}  # handlers that write no wakeup byte


def _others() -> List[int]:
    """The signals besides SIGINT that a Python handler may be set for."""
    out: List[int] = []
    for s in signal.valid_signals():
        with contextlib.suppress(ValueError, OSError):
            if s != _SIGINT:
                _signal.getsignal(s)
                out.append(int(s))
    return out


_OTHERS = _others()


class _Pipe:
    """The main thread's wakeup pipe (one per process), closed with this object."""

    def __init__(self) -> None:
        self.r, self.w = os.pipe()
        os.set_blocking(self.r, False)
        os.set_blocking(self.w, False)  # set_wakeup_fd requires it

    def __del__(self) -> None:
        for fd in (getattr(self, "r", -1), getattr(self, "w", -1)):
            if fd >= 0:
                os.close(fd)

    def drain(self) -> bytes:
        got = b""
        with contextlib.suppress(BlockingIOError):
            while True:
                chunk = os.read(self.r, 512)
                if not chunk:
                    break
                got += chunk
        return got


_pipe: Optional[_Pipe] = None
_interrupted = False  # a SIGINT came while begin() held it
_prev_fd = -1  # the wakeup descriptor begin() replaced
_clean = True  # the pipe holds no byte: the last end() ran to its end without a SIGINT


def _note(signum: int, frame: object) -> None:
    global _interrupted
    _interrupted = True


def _after_fork_in_child() -> None:
    global _pipe
    _pipe = None  # the parent's pipe is shared with it


os.register_at_fork(after_in_child=_after_fork_in_child)


def begin() -> int:
    """On the main thread, with no Python signal handler but SIGINT's own: holds SIGINT until
    end() and returns the descriptor a call's token is to watch. Else -1, and nothing changed."""
    global _pipe, _interrupted, _prev_fd, _clean
    if threading.current_thread() is not threading.main_thread() or _signal.getsignal(_SIGINT) is not _DEFAULT:
        return -1
    if not set(map(_signal.getsignal, _OTHERS)) <= _NOT_PYTHON:
        return -1
    p = _pipe
    if p is None:
        p = _pipe = _Pipe()
    if not _clean:
        p.drain()  # a byte of a SIGINT that was raised as it came
    _interrupted = _clean = False
    _signal.signal(_SIGINT, _note)  # from here on no KeyboardInterrupt until end()
    try:
        _prev_fd = signal.set_wakeup_fd(p.w, warn_on_full_buffer=False)
    except BaseException:
        _signal.signal(_SIGINT, _DEFAULT)
        raise
    return p.r


def end() -> None:
    """Undoes begin(), then raises KeyboardInterrupt if a SIGINT came meanwhile."""
    global _interrupted, _clean
    signal.set_wakeup_fd(_prev_fd)
    _signal.signal(_SIGINT, _DEFAULT)  # a SIGINT from here on is raised at once, and leaves _clean False
    if _interrupted:
        _interrupted = False
        p = _pipe
        got = p.drain() if p is not None else b""
        if got and _prev_fd >= 0:  # the descriptor's owner hears of it too
            with contextlib.suppress(OSError):
                os.write(_prev_fd, got)
        raise KeyboardInterrupt
    _clean = True
