#!/usr/bin/env python3
"""Writes N small, valid PNG images (each a different colour, so each has its own bytes):

    make_images.py DIR N [WIDTH HEIGHT]   ->  DIR/img0000.png, DIR/img0001.png, ...
"""
import struct
import sys
import zlib
from pathlib import Path


def png(width: int, height: int, rgb: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + rgb * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def main() -> None:
    out, n = Path(sys.argv[1]), int(sys.argv[2])
    width, height = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (32, 32)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (out / ("img%04d.png" % i)).write_bytes(png(width, height, bytes([i % 256, i // 256 % 256, 77])))


if __name__ == "__main__":
    main()
