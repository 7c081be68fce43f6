"""Fakes and fixtures shared by the archive tests (no tests here).

Clip bodies are our own ClipBody type, so in-memory fakes are honest stand-ins; one
test in test_archive_stream.py proves the seam with a real aiohttp server and client.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from blink_mqtt.archive import ArchiveConfig, ClipBody, MediaArchive
from blink_mqtt.clipref import CLOUD, ClipRef, ClipSource

T0 = datetime(2025, 7, 2, 5, 36, 54, tzinfo=UTC)
TIMEOUT = 5.0


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mp4(payload: bytes = b"\x00" * 1000) -> bytes:
    """A structurally complete MP4 (ftyp, moov, mdat)."""
    return (
        box(b"ftyp", b"isom\0\0\2\0isomiso2mp41") + box(b"moov", b"\0" * 64) + box(b"mdat", payload)
    )


def clip(
    camera: str = "Front Door",
    at: datetime = T0,
    source: ClipSource = CLOUD,
    key: str = "",
    size: int | None = None,
) -> ClipRef:
    return ClipRef(camera, at, source, key or f"{camera}@{at:%H%M%S}", size)


@dataclass
class Clock:
    now: datetime = T0 + timedelta(hours=1)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class MemoryBody:
    """A ClipBody from bytes; `fail_at` raises `error` once that many bytes were sent."""

    data: bytes
    content_type: str = "video/mp4"
    content_length: int | None = None
    chunk_size: int = 256
    fail_at: int | None = None
    error: BaseException = field(default_factory=lambda: ConnectionResetError("reset by peer"))

    async def chunks(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.chunk_size):
            if self.fail_at is not None and start >= self.fail_at:
                raise self.error
            yield self.data[start : start + self.chunk_size]
            await asyncio.sleep(0)


BodyFactory = Callable[[ClipRef], ClipBody]


class FakeSource:
    """A Fetch over in-memory bodies: counts fetches and in-flight bodies.

    `bodies` maps a clip key to a body factory (default: a valid MP4 of that clip);
    `gate`, when set, holds every fetch until it is set.
    """

    def __init__(self) -> None:
        self.bodies: dict[str, BodyFactory] = {}
        self.fetched: list[ClipRef] = []
        self.active = 0
        self.max_active = 0
        self.gate: asyncio.Event | None = None
        self.changed = asyncio.Condition()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), TIMEOUT)

    async def _note(self, delta: int) -> None:
        async with self.changed:
            self.active += delta
            self.max_active = max(self.max_active, self.active)
            self.changed.notify_all()

    @asynccontextmanager
    async def fetch(self, ref: ClipRef) -> AsyncIterator[ClipBody]:
        self.fetched.append(ref)
        await self._note(+1)
        try:
            if self.gate is not None:
                await asyncio.wait_for(self.gate.wait(), TIMEOUT)
            factory = self.bodies.get(ref.key)
            if factory is None:
                data = mp4(ref.key.encode())
                yield MemoryBody(data, content_length=len(data))
            else:
                yield factory(ref)
        finally:
            await self._note(-1)


def config(tmp_path: Path, **values: object) -> ArchiveConfig:
    paths = {"media_dir": tmp_path / "media", "data_dir": tmp_path / "data"}
    return ArchiveConfig(**{**paths, **values})  # type: ignore[arg-type]


@asynccontextmanager
async def opened(
    tmp_path: Path, clock: Clock | None = None, **values: object
) -> AsyncIterator[MediaArchive]:
    async with MediaArchive(config(tmp_path, **values), clock=clock or Clock()) as archive:
        yield archive


def files(root: Path) -> list[str]:
    """Every file under `root`, relative, '/'-separated, sorted."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
