"""Media bytes: distinct valid JPEG snapshots and MP4 clips of any exact size.

The assets are a 64x48 JPEG and a 1 s 64x48 H.264 MP4. A snapshot is the JPEG with a
COM segment (camera and counter) inserted after SOI. A clip is the MP4 followed by a
``free`` box naming the clip and a ``free`` box of zeros that pads it to the requested
size; the padding is produced chunk by chunk, never held in memory.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources

CHUNK_SIZE = 64 * 1024
_ZEROS = bytes(CHUNK_SIZE)
_MAX_BOX32 = 0xFFFFFFFF


@functools.cache
def _asset(name: str) -> bytes:
    return resources.files(__package__).joinpath("assets", name).read_bytes()


def base_jpeg() -> bytes:
    return _asset("thumbnail.jpg")


def base_mp4() -> bytes:
    return _asset("clip.mp4")


def jpeg_with_comment(comment: str) -> bytes:
    """The base JPEG with a COM segment carrying ``comment`` right after SOI."""
    data = base_jpeg()
    text = comment.encode("utf-8")[:65000]
    segment = b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text
    return data[:2] + segment + data[2:]


def snapshot_jpeg(camera_id: int, counter: int) -> bytes:
    return jpeg_with_comment(f"blink-mqtt simulator camera {camera_id} snapshot {counter}")


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _pad_header(total: int) -> bytes:
    """Header of a ``free`` box of ``total`` bytes (64-bit largesize when needed)."""
    if total <= _MAX_BOX32:
        return struct.pack(">I4s", total, b"free")
    return struct.pack(">I4sQ", 1, b"free", total)


@dataclass(frozen=True, slots=True)
class Mp4Body:
    """A valid MP4 of exactly ``size`` bytes: ``head`` then ``zeros`` padding bytes."""

    head: bytes
    zeros: int

    @property
    def size(self) -> int:
        return len(self.head) + self.zeros

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.head
        remaining = self.zeros
        while remaining > 0:
            step = min(remaining, CHUNK_SIZE)
            yield _ZEROS[:step] if step < CHUNK_SIZE else _ZEROS
            remaining -= step


def min_clip_size(label: str) -> int:
    return len(base_mp4()) + 8 + len(label.encode("utf-8"))


def clip_body(label: str, size: int) -> Mp4Body:
    """An MP4 clip tagged with ``label``; sizes below the minimum are raised to it."""
    tag = label.encode("utf-8")
    gap = max(size, min_clip_size(label)) - min_clip_size(label)
    if 0 < gap < 8:
        tag, gap = tag + bytes(gap), 0
    head = base_mp4() + _box(b"free", tag)
    if gap == 0:
        return Mp4Body(head, 0)
    header = _pad_header(gap)
    return Mp4Body(head + header, gap - len(header))
