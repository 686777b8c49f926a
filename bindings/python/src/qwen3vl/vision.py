"""Qwen3-VL helpers: image sizes, vision-token estimates, data URIs and grounding boxes."""
from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Dict, List, Tuple, Union

from . import _native as n
from ._errors import FileError, InvalidArgumentError, for_status

_lib = n

__all__ = ["image_size", "image_tokens", "image_data_uri", "pixels_data_uri", "grounding"]


def image_data_uri(data: Union[bytes, bytearray, memoryview]) -> str:
    """Encoded image bytes (PNG, JPEG, ...) as a data: URI, the type taken from the bytes."""
    raw = bytes(data)
    err = ctypes.create_string_buffer(512)
    p = _lib.image_data_uri(raw, len(raw), err, len(err))
    if not p:
        raise FileError(err.value.decode("utf-8", "replace"))
    return n.take_string(p)


def image_size(image: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]) -> Tuple[int, int]:
    """(width, height) of an image file or of encoded image bytes, read from the header only."""
    w, h = ctypes.c_int(), ctypes.c_int()
    if isinstance(image, (bytes, bytearray, memoryview)):
        raw = bytes(image)
        status = _lib.image_size_from_bytes(raw, len(raw), ctypes.byref(w), ctypes.byref(h))
        if status != n.OK:
            raise for_status(status)("the bytes are not an image whose size can be read")
        return w.value, h.value
    err = ctypes.create_string_buffer(512)
    status = _lib.image_size(os.fsencode(image), ctypes.byref(w), ctypes.byref(h), err, len(err))
    if status != n.OK:
        raise for_status(status)(err.value.decode("utf-8", "replace"))
    return w.value, h.value


def image_tokens(width: int, height: int, min_pixels: int = 0, max_pixels: int = 0) -> int:
    """Vision tokens Qwen3-VL spends on a width × height image (0 limits: the model's defaults)."""
    t: int = _lib.image_tokens(width, height, min_pixels, max_pixels)
    if t < 0:
        raise ValueError(f"Qwen3-VL does not take a {width}x{height} image with these limits")
    return t


def pixels_data_uri(pixels: Union[bytes, bytearray, memoryview], width: int, height: int, *,
                    stride: int = 0, format: str = "RGBA") -> str:
    """Raw 8-bit pixels (GRAY, RGB, RGBA, BGRA or BGR) as a PNG data URI."""
    formats = {"GRAY": n.PIXELS_GRAY8, "RGB": n.PIXELS_RGB8, "RGBA": n.PIXELS_RGBA8, "BGRA": n.PIXELS_BGRA8,
               "BGR": n.PIXELS_BGR8}
    if format.upper() not in formats:
        raise ValueError(f"format must be one of {', '.join(formats)}")
    fmt = formats[format.upper()]
    bpp = {n.PIXELS_GRAY8: 1, n.PIXELS_RGB8: 3, n.PIXELS_BGR8: 3}.get(fmt, 4)
    raw = bytes(pixels)
    stride = stride or width * bpp
    if len(raw) < stride * max(0, height - 1) + width * bpp:
        raise ValueError("the pixel buffer is smaller than height × stride")
    err = ctypes.create_string_buffer(512)
    p = _lib.pixels_data_uri(raw, width, height, stride, fmt, err, len(err))
    if not p:
        raise InvalidArgumentError(err.value.decode("utf-8", "replace"))
    return n.take_string(p)


def grounding(text: str, width: int, height: int) -> List[Dict[str, Any]]:
    """The bbox_2d / point_2d objects in a grounding answer, in pixels of a width × height image."""
    err = ctypes.create_string_buffer(256)
    p = _lib.grounding_parse(text.encode("utf-8"), width, height, err, len(err))
    if not p:
        raise ValueError(err.value.decode("utf-8", "replace"))
    items = json.loads(n.take_string(p))
    return items if isinstance(items, list) else []
