"""Qwen3-VL over Ray Data, for image sets that outgrow one machine.

    import ray
    from qwen3vl.ray import ImageChat

    ds = ray.data.read_binary_files("s3://bucket/photos/", include_paths=True)   # columns bytes, path
    ds = ds.map_batches(ImageChat, fn_constructor_kwargs={"prompt": "Caption this image", "image_column": "bytes"},
                        concurrency=8, batch_size=64)
    ds.write_json("s3://bucket/captions/")

``ImageChat`` is a callable class for ``Dataset.map_batches``: Ray makes one per actor, so each
actor holds one qwen3vl client (one I/O thread, one pool of connections) for its whole life, and
each batch runs on an event loop with at most ``max_in_flight`` calls in flight. Rows keep their
columns and gain ``text``, ``usage`` and ``error``: a row that failed has ``text`` None and
``error`` "QWEN3VL_ERR_...: message", so one bad image never fails the dataset. Ray itself is not
imported here: the class only needs the batches Ray hands it.
"""
from __future__ import annotations

import asyncio
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ._client import AsyncClient
from ._errors import Qwen3VLError
from .vision import pixels_data_uri

__all__ = ["ImageChat"]

_PIXEL_FORMATS = {1: "GRAY", 3: "RGB", 4: "RGBA"}
Row = Tuple[Optional[str], Optional[Dict[str, Optional[int]]], Optional[str]]


def _image(value: Any) -> Union[str, bytes]:
    """A column value as the client takes it: a path or URL as it is, encoded bytes as they are, and
    an 8-bit pixel array (what ``ray.data.read_images`` gives: height x width [x 1, 3 or 4]) as PNG."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) in (2, 3) and str(getattr(value, "dtype", "")) == "uint8":
        fmt = _PIXEL_FORMATS.get(1 if len(shape) == 2 else int(shape[2]))
        if fmt:
            return pixels_data_uri(value.tobytes(), int(shape[1]), int(shape[0]), format=fmt)
    raise TypeError(f"an image must be a path, a URL, encoded bytes or a uint8 pixel array, not {type(value).__name__}")


class ImageChat:
    """Asks ``prompt`` (or each row's ``prompt_column``) about each row's ``image_column`` (a path,
    an http(s):// or data: URL, encoded bytes, or a uint8 pixel array).

    ``max_in_flight`` bounds the calls one actor has in flight at once (Ray calls an actor with one
    batch at a time unless ``max_concurrency`` is raised). ``client_options`` are the keywords of
    ``qwen3vl.Client`` (``base_url``, ``api_key``, ``timeout``, ``max_retries``, ...; the key
    defaults to AIML_API_KEY in the actor's environment); further keywords are chat-completions
    parameters (``model``, ``max_tokens``, ``temperature``, ``response_format``, ...)."""

    def __init__(self, prompt: Optional[str] = None, *, image_column: str = "image",
                 prompt_column: Optional[str] = None, max_in_flight: int = 16,
                 client_options: Optional[Mapping[str, Any]] = None, **params: Any) -> None:
        if (prompt is None) == (prompt_column is None):
            raise ValueError("give one of prompt and prompt_column")
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._prompt = prompt
        self._image_column = image_column
        self._prompt_column = prompt_column
        self._max_in_flight = max_in_flight
        self._params = params
        options = dict(client_options or {})
        options.setdefault("max_connections", max_in_flight)
        self._client = AsyncClient(**options)

    def __call__(self, batch: Mapping[str, Any]) -> Dict[str, Any]:
        images = list(batch[self._image_column])
        prompts: Sequence[Any] = (list(batch[self._prompt_column]) if self._prompt_column is not None
                                  else [self._prompt] * len(images))
        rows = asyncio.run(self._all(images, prompts))
        out = dict(batch)
        out["text"] = [r[0] for r in rows]
        out["usage"] = [r[1] for r in rows]
        out["error"] = [r[2] for r in rows]
        return out

    async def _all(self, images: List[Any], prompts: Sequence[Any]) -> List[Row]:
        gate = asyncio.Semaphore(self._max_in_flight)

        async def one(image: Any, prompt: Any) -> Row:
            async with gate:
                return await self._one(image, prompt)
        return list(await asyncio.gather(*(one(i, p) for i, p in zip(images, prompts))))

    async def _one(self, image: Any, prompt: Any) -> Row:
        try:
            reply = await self._client.chat(str(prompt), images=[_image(image)], **self._params)
        except Qwen3VLError as e:
            return None, None, f"{e.status_name}: {e.message}"
        except (TypeError, ValueError) as e:
            return None, None, f"QWEN3VL_ERR_INVALID_ARGUMENT: {e}"
        u = reply.usage
        return reply.text, {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
                            "total_tokens": u.total_tokens}, None
