"""Atomic writes: stream to a hidden temp file beside the destination, fsync, rename.

Nothing ever appears under a final name unless it is complete and checked. Temp files
are named `.<name>.part-<8 hex>`; `remove_leftovers` deletes those a crash left behind.
Disk errors become StorageError; problems with the body become BlinkUnavailable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from blink_mqtt.archive.results import ClipBody
from blink_mqtt.errors import BlinkUnavailable, StorageError
from blink_mqtt.mediafile import is_valid_mp4

log = logging.getLogger(__name__)

T = TypeVar("T")
MP4 = "video/mp4"
FLUSH_BYTES = 1 << 20  # bytes gathered before one write in a worker thread
_LEFTOVER = re.compile(r"^\..+\.part-[0-9a-f]{8}$")


def temp_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.part-{secrets.token_hex(4)}")


async def settle(func: Callable[..., T], *args: object) -> T:
    """Run `func` in a thread; if cancelled meanwhile, let the thread finish first."""
    task = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([task])
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what propagates
        raise


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _commit(stream: BinaryIO, temp: Path, dest: Path, check_mp4: bool) -> None:
    stream.flush()
    os.fsync(stream.fileno())
    stream.close()
    if check_mp4 and not is_valid_mp4(temp):
        raise BlinkUnavailable("the body is not a complete MP4 file")
    os.replace(temp, dest)
    fsync_dir(dest.parent)


def check_headers(body: ClipBody, expected: int | None) -> int | None:
    """The size the body must have, after checking its type and announced lengths."""
    kind = body.content_type.split(";", 1)[0].strip().lower()
    if kind != MP4:
        raise BlinkUnavailable(f"expected {MP4}, got {body.content_type or 'no content type'}")
    length = body.content_length
    if length is not None and expected is not None and length != expected:
        raise BlinkUnavailable(f"Content-Length {length} differs from the listed size {expected}")
    return length if length is not None else expected


async def _next_chunk(chunks: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None
    except (BlinkUnavailable, asyncio.CancelledError):
        raise
    except Exception as error:
        raise BlinkUnavailable(f"download interrupted: {error or type(error).__name__}") from error


async def _pump(chunks: AsyncIterator[bytes], stream: BinaryIO, size: int | None) -> int:
    """Copy chunks into `stream`, at most FLUSH_BYTES held in memory; returns bytes."""
    written, pending = 0, bytearray()
    while (chunk := await _next_chunk(chunks)) is not None:
        pending += chunk
        if size is not None and written + len(pending) > size:
            raise BlinkUnavailable(f"body longer than the announced {size} bytes")
        if len(pending) >= FLUSH_BYTES:
            full, pending = pending, bytearray()
            written += await settle(stream.write, full)
    if pending:
        written += await settle(stream.write, pending)
    if size is not None and written != size:
        raise BlinkUnavailable(f"short body: {written} of {size} bytes")
    if written == 0:
        raise BlinkUnavailable("empty body")
    return written


async def stream_clip(body: ClipBody, dest: Path, expected: int | None) -> int:
    """Stream a clip body to `dest` atomically; returns its size in bytes.

    On any failure, cancellation included, neither the temp file nor `dest` remains
    (a rename that completed just before the failure is undone).
    """
    size = check_headers(body, expected)
    temp = temp_path(dest)
    chunks = body.chunks()
    stream: BinaryIO | None = None
    committed = False
    try:
        stream = await settle(_open_temp, temp)
        written = await _pump(chunks, stream, size)
        await settle(_commit, stream, temp, dest, True)
        committed = True
        return written
    except OSError as error:
        raise StorageError(f"cannot write {dest.name}: {error.strerror or error}") from error
    finally:
        _discard(stream, temp, dest, committed)
        await _close(chunks)


def _discard(stream: BinaryIO | None, temp: Path, dest: Path, committed: bool) -> None:
    """Clean up after `stream_clip`: remove the temp file, or `dest` on a late failure."""
    if stream is not None:
        stream.close()
    with contextlib.suppress(OSError):
        if temp.exists() or stream is None:
            temp.unlink(missing_ok=True)
        elif not committed:  # renamed, then failed or cancelled: undo
            dest.unlink(missing_ok=True)


async def _close(chunks: AsyncIterator[bytes]) -> None:
    closer = getattr(chunks, "aclose", None)
    if closer is not None:
        with contextlib.suppress(Exception):
            await closer()


def _open_temp(temp: Path) -> BinaryIO:
    temp.parent.mkdir(parents=True, exist_ok=True)
    return temp.open("xb")


def write_atomic(dest: Path, data: bytes) -> None:
    """Write small `data` to `dest` atomically (blocking: call it in a thread)."""
    temp = temp_path(dest)
    try:
        stream = _open_temp(temp)
        try:
            stream.write(data)
            _commit(stream, temp, dest, False)
        finally:
            stream.close()
    except OSError as error:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        raise StorageError(f"cannot write {dest.name}: {error.strerror or error}") from error


def remove_leftovers(media_dir: Path) -> int:
    """Delete temp files and build folders a crash left in `media_dir`; returns how many."""
    removed = 0
    for folder, dirs, files in os.walk(media_dir):
        for name in [d for d in dirs if _LEFTOVER.match(d)]:
            shutil.rmtree(Path(folder, name), ignore_errors=True)
            dirs.remove(name)
            removed += 1
        for name in filter(_LEFTOVER.match, files):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(Path(folder, name))
                removed += 1
    if removed:
        log.info("Removed %d unfinished file(s) left in %s", removed, media_dir)
    return removed
