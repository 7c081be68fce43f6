"""Cheap structural checks of the media the archive accepts (pure, reads headers only).

A stand-in for `blink_mqtt.mediafile`, which was not committed when the archive was
written; both check the same things: an MP4 is a chain of top-level boxes that starts
with `ftyp`, contains `moov`, and ends exactly at the end of the file (so a truncated
body fails); a JPEG starts with SOI and ends with EOI.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO

_HEADER = struct.Struct(">I4s")
_LARGE = struct.Struct(">Q")


def _box_types(stream: BinaryIO, length: int) -> list[bytes] | None:
    """Top-level box types in order, or None when the chain does not fit `length`."""
    types: list[bytes] = []
    offset = 0
    while offset < length:
        stream.seek(offset)
        head = stream.read(_HEADER.size)
        if len(head) < _HEADER.size:
            return None
        size, kind = _HEADER.unpack(head)
        header = _HEADER.size
        if size == 1:
            large = stream.read(_LARGE.size)
            if len(large) < _LARGE.size:
                return None
            (size,) = _LARGE.unpack(large)
            header += _LARGE.size
        elif size == 0:
            size = length - offset
        if size < header or offset + size > length or not kind.isascii():
            return None
        types.append(kind)
        offset += size
    return types


def is_valid_mp4(path: Path) -> bool:
    """True when `path` is a complete MP4 file as far as its top-level boxes tell."""
    try:
        with path.open("rb") as stream:
            types = _box_types(stream, os.fstat(stream.fileno()).st_size)
    except OSError:
        return False
    return types is not None and types[:1] == [b"ftyp"] and b"moov" in types


def is_valid_jpeg(data: bytes) -> bool:
    return data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\0").endswith(b"\xff\xd9")
