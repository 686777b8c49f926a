# SPDX-License-Identifier: MIT
"""Qwen3-VL helpers: image sizes, vision-token estimates, data URIs and grounding boxes."""
from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Dict, List, Tuple, Union

from . import _native as n
from ._errors import check

__all__ = ["image_size", "image_tokens", "image_data_uri", "pixels_data_uri", "grounding"]


def image_data_uri(data: Union[bytes, bytearray, memoryview]) -> str:
    """Encoded image bytes (PNG, JPEG, ...) as a data: URI, the type taken from the bytes."""
    raw = bytes(data)
    status, uri, message = n.text_helper(lambda out, out_len, err, size: n.image_data_uri(
        raw, len(raw), out, out_len, err, size))
    check(status, message)
    return uri


def image_size(image: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]) -> Tuple[int, int]:
    """(width, height) of an image file or of encoded image bytes, read from the header only."""
    w, h = ctypes.c_int(), ctypes.c_int()
    if isinstance(image, (bytes, bytearray, memoryview)):
        raw = bytes(image)
        check(*n.helper(lambda err, size: n.image_size_from_bytes(raw, len(raw), ctypes.byref(w), ctypes.byref(h),
                                                                  err, size)))
    else:
        path = os.fsencode(image)
        check(*n.helper(lambda err, size: n.image_size(path, ctypes.byref(w), ctypes.byref(h), err, size)))
    return w.value, h.value


def image_tokens(width: int, height: int, min_pixels: int = 0, max_pixels: int = 0) -> int:
    """Vision tokens Qwen3-VL spends on a width × height image (0 limits: the model's defaults)."""
    tokens = ctypes.c_int64()
    check(*n.helper(lambda err, size: n.image_tokens(width, height, min_pixels, max_pixels, ctypes.byref(tokens),
                                                     err, size)))
    return tokens.value


def pixels_data_uri(pixels: Union[bytes, bytearray, memoryview], width: int, height: int, *,
                    stride: int = 0, format: str = "RGBA") -> str:
    """Raw 8-bit pixels (GRAY, RGB, RGBA, BGRA or BGR) as a PNG data URI; stride 0: rows packed."""
    formats = {"GRAY": n.PIXELS_GRAY8, "RGB": n.PIXELS_RGB8, "RGBA": n.PIXELS_RGBA8, "BGRA": n.PIXELS_BGRA8,
               "BGR": n.PIXELS_BGR8}
    if format.upper() not in formats:
        raise ValueError(f"format must be one of {', '.join(formats)}")
    raw, fmt = bytes(pixels), formats[format.upper()]
    status, uri, message = n.text_helper(lambda out, out_len, err, size: n.pixels_data_uri(
        raw, len(raw), width, height, stride, fmt, out, out_len, err, size))
    check(status, message)
    return uri


def grounding(text: str, width: int, height: int) -> List[Dict[str, Any]]:
    """The bbox_2d / point_2d objects in a grounding answer, in pixels of a width × height image."""
    raw = text.encode("utf-8")
    status, found, message = n.text_helper(lambda out, out_len, err, size: n.grounding_parse(
        raw, len(raw), width, height, out, out_len, err, size))
    check(status, message)
    items = json.loads(found)
    return items if isinstance(items, list) else []
