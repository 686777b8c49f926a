#!/usr/bin/env python3
"""Writes N photo-sized JPEGs for the resize benchmark: 4032 x 3024 (12 MP, a phone's), quality
92, of gradients, discs and sensor-like noise, 2.5-3 MB each as a phone's are. Files already there
are kept.

    resize_images.py DIR N"""
import os
import sys

import numpy as np
from PIL import Image


def photo(seed: int, w: int = 4032, h: int = 3024) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.arange(w, dtype=np.float32)
    y = np.arange(h, dtype=np.float32)[:, None]
    a, b, c = rng.uniform(0.5, 2, 3)
    img = np.empty((h, w, 3), np.uint8)
    img[..., 0] = (np.sin(x / w * 3.1 * a + y / h * b) * 90 + 120).astype(np.uint8)
    img[..., 1] = (y / h * 90 * c + 40 + 30 * np.cos(x / (80 * a))).astype(np.uint8)
    img[..., 2] = (128 + 70 * np.sin(x / (37 * b)) * np.cos(y / (23 * c))).astype(np.uint8)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(100, 700)
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 256, 3)
    tile = rng.normal(0, 5, (512, 512, 3)).astype(np.int16)
    for y0 in range(0, h, 512):
        for x0 in range(0, w, 512):
            block = img[y0:y0 + 512, x0:x0 + 512]
            block[...] = np.clip(block + tile[:block.shape[0], :block.shape[1]], 0, 255)
    return img


def main() -> None:
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        path = os.path.join(out, "photo%03d.jpg" % i)
        if not os.path.exists(path):
            Image.fromarray(photo(i)).save(path + ".part", "JPEG", quality=92)
            os.replace(path + ".part", path)
        print(path)


if __name__ == "__main__":
    main()
