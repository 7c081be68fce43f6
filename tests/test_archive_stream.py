"""Streaming: a real aiohttp server and client, bounded memory, crash leftovers, snapshots."""

from __future__ import annotations

import asyncio
import errno
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from blink_mqtt.archive import ClipBody, writer
from blink_mqtt.clipref import ClipRef
from blink_mqtt.errors import BlinkUnavailable, StorageError
from tests.test_archive_support import T0, box, clip, files, mp4, opened

CLIP = mp4(os.urandom(3 << 20))


class HttpBody:
    """How the account is expected to wrap an aiohttp response."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    @property
    def content_type(self) -> str:
        return self._response.headers.get(aiohttp.hdrs.CONTENT_TYPE, "")

    @property
    def content_length(self) -> int | None:
        return self._response.content_length

    def chunks(self) -> AsyncIterator[bytes]:
        return self._response.content.iter_chunked(1 << 16)


async def _clip(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
    response.content_length = len(CLIP)
    await response.prepare(request)
    for start in range(0, len(CLIP), 1 << 16):
        if request.match_info["name"] == "drop" and start > len(CLIP) // 2:
            raise ConnectionResetError("the server went away")
        await response.write(CLIP[start : start + (1 << 16)])
    return response


async def _error_page(request: web.Request) -> web.Response:
    return web.Response(text="<html>throttled</html>", content_type="text/html")


@asynccontextmanager
async def _server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/clip/{name}", _clip)
    app.router.add_get("/page/{name}", _error_page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _http_fetch(
    session: aiohttp.ClientSession, base: str
) -> Callable[[ClipRef], AbstractAsyncContextManager[ClipBody]]:
    @asynccontextmanager
    async def fetch(ref: ClipRef) -> AsyncIterator[ClipBody]:
        try:
            async with session.get(f"{base}/{ref.key}") as response:
                if response.status != 200:
                    raise BlinkUnavailable(f"HTTP {response.status}")
                yield HttpBody(response)
        except aiohttp.ClientConnectionError as error:
            raise BlinkUnavailable(f"connection failed: {error}") from error

    return fetch


async def test_clips_stream_from_a_real_http_server(tmp_path: Path) -> None:
    keys = ["clip/a", "clip/drop", "page/throttled", "clip/b"]
    clips = [clip(at=T0.replace(minute=n), key=key) for n, key in enumerate(keys)]
    async with _server() as base, aiohttp.ClientSession() as session, opened(tmp_path) as archive:
        result = await archive.download(clips, _http_fetch(session, base), sort=False)
    saved = result.downloaded["Front Door"]
    assert len(saved) == 2
    assert (tmp_path / saved[0]).read_bytes() == CLIP
    assert [(f.recorded_at.minute, f.code) for f in result.failed] == [
        (1, "blink_unavailable"),
        (2, "blink_unavailable"),
    ]
    assert "interrupted" in result.failed[0].message
    assert files(tmp_path / "media") == sorted(path.removeprefix("media/") for path in saved)


def _rss() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


class BigBody:
    """A 300 MB MP4 made on the fly; records the highest RSS seen while streaming."""

    content_type = "video/mp4"

    def __init__(self, size: int) -> None:
        self.head = box(b"ftyp", b"isom\0\0\2\0isom") + box(b"moov", b"\0" * 64)
        self.mdat = size - len(self.head)
        self.content_length: int | None = size
        self.peak = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.head + (self.mdat).to_bytes(4, "big") + b"mdat"
        zeros, left = bytes(1 << 16), self.mdat - 8
        while left > 0:
            if left % (1 << 22) < (1 << 16):
                self.peak = max(self.peak, _rss())
            yield zeros[: min(left, len(zeros))]
            left -= len(zeros)


async def test_a_300_mb_clip_streams_in_bounded_memory(tmp_path: Path) -> None:
    size = 300 << 20
    body = BigBody(size)
    lag = 0.0

    async def ticker() -> None:
        nonlocal lag
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lag = max(lag, time.perf_counter() - before - 0.01)

    @asynccontextmanager
    async def fetch(ref: ClipRef) -> AsyncIterator[ClipBody]:
        yield body

    async with opened(tmp_path) as archive:
        baseline, started = _rss(), time.perf_counter()
        watch = asyncio.create_task(ticker())
        result = await archive.download([clip()], fetch, sort=False)
        watch.cancel()
        elapsed = time.perf_counter() - started
    [path] = result.downloaded["Front Door"]
    assert (tmp_path / path).stat().st_size == size
    growth = max(body.peak, _rss()) - baseline
    print(f"300 MB: {size / elapsed / 1e6:.0f} MB/s, RSS +{growth / 1e6:.1f} MB, lag {lag:.3f} s")
    assert growth < 30 << 20
    assert lag < 1.0


async def test_leftovers_of_a_crash_are_removed_at_start(tmp_path: Path) -> None:
    day = tmp_path / "media" / "Cam" / "2025" / "07" / "02"
    day.mkdir(parents=True)
    (day / ".Cam-2025-07-02t05-36-54-00-00.mp4.part-0123abcd").write_bytes(b"half a clip")
    (tmp_path / "media" / "Cam" / ".last_snap.jpg.part-deadbeef").write_bytes(b"half")
    build = tmp_path / "media" / ".latest.part-89abcdef"
    build.mkdir()
    (build / "Cam-2025-07-02t05-36-54-00-00.mp4").write_bytes(b"link")
    keep = [".hidden", "notes.part-12345678", ".x.part-1234567"]
    for name in keep:
        (tmp_path / "media" / name).write_bytes(b"user data")
    async with opened(tmp_path):
        pass
    assert files(tmp_path / "media") == sorted(keep)
    assert os.listdir(day) == []


async def test_snapshots_are_written_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = b"\xff\xd8\xff\xe0one\xff\xd9", b"\xff\xd8\xff\xe0two\xff\xd9"
    async with opened(tmp_path, last_image_filename="snap.jpg") as archive:
        saved = await archive.save_snapshot("Front Door", first)
        assert (saved.path, saved.size) == ("media/Front Door/snap.jpg", len(first))
        with pytest.raises(BlinkUnavailable, match="not a JPEG"):
            await archive.save_snapshot("Front Door", b"<html>")

        def disk_full(*args: Any) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(writer, "_commit", disk_full)
        with pytest.raises(StorageError, match="No space left"):
            await archive.save_snapshot("Front Door", second)
        assert (tmp_path / saved.path).read_bytes() == first
        monkeypatch.undo()
        await archive.save_snapshot("Front Door", second)
    assert (tmp_path / saved.path).read_bytes() == second
    assert files(tmp_path / "media") == ["Front Door/snap.jpg"]
