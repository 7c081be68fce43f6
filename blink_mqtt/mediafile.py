"""Structural checks of media files: MP4 top-level boxes and JPEG markers (pure).

``mp4_boxes`` walks the top-level ISO-BMFF boxes by reading only their headers, so
files of any size are checked in bounded memory. A valid MP4 here starts with
``ftyp``, contains ``moov`` and ``mdat``, and its box sizes add up exactly to its length.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

_HEADER = struct.Struct(">I4s")
_LARGESIZE = struct.Struct(">Q")
_REQUIRED = frozenset({"moov", "mdat"})
JPEG_SOI = b"\xff\xd8"
JPEG_EOI = b"\xff\xd9"

MediaSource = bytes | bytearray | memoryview | str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class Box:
    """A top-level MP4 box: its four-character type, offset, total size and header size."""

    type: str
    offset: int
    size: int
    header_size: int


def _read_box(stream: BinaryIO, offset: int, length: int) -> Box | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    size, raw_type = _HEADER.unpack(header)
    header_size = _HEADER.size
    if size == 1:
        extended = stream.read(_LARGESIZE.size)
        if len(extended) < _LARGESIZE.size:
            return None
        (size,) = _LARGESIZE.unpack(extended)
        header_size += _LARGESIZE.size
    elif size == 0:
        size = length - offset
    if size < header_size or offset + size > length:
        return None
    return Box(raw_type.decode("latin-1"), offset, size, header_size)


def _walk(stream: BinaryIO, length: int) -> list[Box] | None:
    boxes: list[Box] = []
    offset = 0
    while offset < length:
        stream.seek(offset)
        box = _read_box(stream, offset, length)
        if box is None:
            return None
        boxes.append(box)
        offset += box.size
    return boxes


def mp4_boxes(source: MediaSource) -> list[Box] | None:
    """The top-level boxes of an MP4 (bytes or a path), or None if they do not parse.

    Parsing succeeds only when the boxes tile the data exactly, end to end.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return _walk(io.BytesIO(data), len(data))
    with open(source, "rb") as stream:
        return _walk(stream, os.fstat(stream.fileno()).st_size)


def is_valid_mp4(source: MediaSource) -> bool:
    """First box ``ftyp``, ``moov`` and ``mdat`` present, sizes adding up to the length."""
    try:
        boxes = mp4_boxes(source)
    except OSError:
        return False
    if not boxes or boxes[0].type != "ftyp":
        return False
    return {box.type for box in boxes} >= _REQUIRED


def is_valid_jpeg(data: bytes) -> bool:
    """SOI marker at the start and EOI marker at the end."""
    return len(data) >= 4 and data.startswith(JPEG_SOI) and data.endswith(JPEG_EOI)
