# SPDX-License-Identifier: MIT
"""An HTTP reply as the openai package shows one (``APIStatusError.response``,
``with_raw_response``): its status, headers and body, with the attribute names of httpx.Response."""
from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Mapping, Tuple


class Headers(Mapping[str, str]):
    """A reply's headers: names case-insensitive; a name sent more than once reads as its values
    joined by ", " (as httpx.Headers)."""

    def __init__(self, lines: bytes = b"") -> None:
        self._items: List[Tuple[str, str]] = []
        for line in lines.decode("utf-8", "replace").split("\n"):
            name, colon, value = line.partition(":")
            if colon:
                self._items.append((name.strip(), value.strip()))
        self._joined: Dict[str, str] = {}
        for name, value in self._items:
            key = name.lower()
            self._joined[key] = self._joined[key] + ", " + value if key in self._joined else value

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)

    def get_list(self, name: str) -> List[str]:
        """Every value of ``name``, in the order they came."""
        return [v for k, v in self._items if k.lower() == name.lower()]

    def multi_items(self) -> List[Tuple[str, str]]:
        """(name, value) pairs as they came."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class Response:
    """A reply: ``status_code``, ``headers``, ``content`` (bytes), ``text`` and ``json()``."""

    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def is_error(self) -> bool:
        return self.status_code >= 400

    def json(self) -> Any:
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"
