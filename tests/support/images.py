"""Small real images for photo tests, made here (no files): a PNG of one colour with a darker band."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 160, height: int = 120, rgb: tuple[int, int, int] = (70, 140, 200)) -> bytes:
    """A valid RGB PNG of width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    band = tuple(c // 2 for c in rgb)
    rows = b"".join(
        b"\x00" + bytes(band if height // 3 <= y < 2 * height // 3 else rgb) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
