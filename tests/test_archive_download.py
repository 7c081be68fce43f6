"""MediaArchive.download: dedupe, failures, results, progress, concurrency, cancellation."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from blink_mqtt import downloads
from blink_mqtt.archive import writer
from blink_mqtt.archive.batch import Downloader
from blink_mqtt.clipref import CLOUD, ClipRef, usb
from blink_mqtt.errors import BlinkUnavailable, StorageError
from tests.test_archive_support import (
    T0,
    TIMEOUT,
    FakeSource,
    MemoryBody,
    clip,
    files,
    mp4,
    opened,
)

SORTED = "media/Front Door/2025/07/02/Front Door-2025-07-02t05-36-54-00-00.mp4"
UNSORTED = "media/Front Door/Front Door-2025-07-02t05-36-54-00-00.mp4"


async def test_download_saves_clips_and_a_rerun_downloads_nothing(tmp_path: Path) -> None:
    source = FakeSource()
    clips = [clip(), clip("Backyard", T0 + timedelta(minutes=1))]
    async with opened(tmp_path, tz=None, sort_clips=True) as archive:
        first = await archive.download(clips, source.fetch, sort=True)
        second = await archive.download(clips, source.fetch, sort=True)
    assert first.downloaded["Front Door"] == [SORTED]
    assert list(first.downloaded) == ["Front Door", "Backyard"]
    assert (first.skipped, first.failed) == ({}, [])
    assert second.skipped == first.downloaded
    assert (second.downloaded, second.failed) == ({}, [])
    assert len(source.fetched) == 2
    assert (tmp_path / SORTED).read_bytes() == mp4(clips[0].key.encode())


async def test_result_data_is_the_documented_response(tmp_path: Path) -> None:
    source = FakeSource()
    source.bodies["bad"] = lambda ref: MemoryBody(b"<html>", content_type="text/html")
    clips = [clip(), clip(at=T0 + timedelta(hours=1), key="bad")]
    async with opened(tmp_path, sort_clips=False) as archive:
        await archive.download(clips[:1], source.fetch)
        result = await archive.download([*clips, clip("Garage")], source.fetch)
    assert downloads.reply(result, T0).to_json() == {
        "downloaded_clips": {"Garage": ["media/Garage/Garage-2025-07-02t05-36-54-00-00.mp4"]},
        "since": "2025-07-02T05:36:54+00:00",
        "skipped": {"Front Door": [UNSORTED]},
        "failed": [
            {
                "camera": "Front Door",
                "recorded_at": "2025-07-02T06:36:54+00:00",
                "source": "cloud",
                "error": {
                    "code": "blink_unavailable",
                    "message": "expected video/mp4, got text/html",
                },
                "trigger": None,
            }
        ],
        "saved": [
            {
                "camera": "Garage",
                "recorded_at": "2025-07-02T05:36:54+00:00",
                "path": "media/Garage/Garage-2025-07-02t05-36-54-00-00.mp4",
                "bytes": (tmp_path / "media/Garage/Garage-2025-07-02t05-36-54-00-00.mp4")
                .stat()
                .st_size,
                "source": "cloud",
                "trigger": None,
            }
        ],
    }


async def test_cloud_and_usb_copies_of_one_clip_are_stored_once(tmp_path: Path) -> None:
    source = FakeSource()
    cloud = clip(key="media-1")
    copy = clip(source=usb("Home"), key="9001", at=T0 + timedelta(microseconds=400))
    async with opened(tmp_path, sort_clips=False) as archive:
        together = await archive.download([cloud, copy], source.fetch)
        later = await archive.download([copy], source.fetch)
    assert together.downloaded == {"Front Door": [UNSORTED]}
    assert together.skipped == {"Front Door": [UNSORTED]}
    assert later.skipped == {"Front Door": [UNSORTED]}
    assert later.downloaded == {}
    assert [ref.key for ref in source.fetched] == ["media-1"]
    assert files(tmp_path / "media") == ["Front Door/Front Door-2025-07-02t05-36-54-00-00.mp4"]


async def test_clip_ids_renumbered_by_a_reboot_cause_no_duplicates(tmp_path: Path) -> None:
    source = FakeSource()
    before = [
        clip(source=usb("Home"), key=str(9000 + n), at=T0 + timedelta(minutes=n)) for n in range(3)
    ]
    after = [
        ClipRef(ref.camera, ref.recorded_at, ref.source, str(n)) for n, ref in enumerate(before)
    ]
    async with opened(tmp_path) as archive:
        await archive.download(before, source.fetch)
        result = await archive.download(after, source.fetch)
    assert result.downloaded == {}
    assert len(result.skipped["Front Door"]) == 3
    assert len(source.fetched) == 3


def _bad_bodies() -> dict[str, Any]:
    data = mp4(b"x" * 4000)
    return {
        "content type": MemoryBody(data, content_type="application/json"),
        "short body": MemoryBody(data, content_length=len(data) + 10),
        "long body": MemoryBody(data, content_length=len(data) - 10),
        "connection drop": MemoryBody(data, fail_at=2048),
        "invalid mp4": MemoryBody(b"\0" * 5000, content_type="video/mp4; codecs=avc1"),
        "truncated mp4": MemoryBody(data[:3000]),
        "cancellation": MemoryBody(data, fail_at=1024, error=asyncio.CancelledError()),
        "empty": MemoryBody(b""),
    }


@pytest.mark.parametrize("kind", list(_bad_bodies()))
async def test_a_bad_clip_fails_alone_and_leaves_nothing(tmp_path: Path, kind: str) -> None:
    source = FakeSource()
    source.bodies["bad"] = lambda ref: _bad_bodies()[kind]
    clips = [clip(at=T0 + timedelta(minutes=n), key="bad" if n == 1 else "") for n in range(3)]
    async with opened(tmp_path, sort_clips=False) as archive:
        result = await archive.download(clips, source.fetch)
    assert len(result.downloaded["Front Door"]) == 2
    [failure] = result.failed
    assert (failure.camera, failure.recorded_at, failure.source) == (
        "Front Door",
        clips[1].recorded_at,
        CLOUD,
    )
    assert failure.code == "blink_unavailable"
    assert files(tmp_path / "media") == sorted(
        p.removeprefix("media/") for p in result.downloaded["Front Door"]
    )


async def test_size_listed_by_the_source_must_match(tmp_path: Path) -> None:
    source = FakeSource()
    data = mp4(b"abc")
    source.bodies["k"] = lambda ref: MemoryBody(data)
    async with opened(tmp_path) as archive:
        wrong = await archive.download([clip(key="k", size=len(data) + 1)], source.fetch)
        right = await archive.download([clip(key="k", size=len(data))], source.fetch)
    assert "short body" in wrong.failed[0].message
    assert right.downloaded
    assert not right.failed


async def test_a_fetch_error_fails_only_that_clip(tmp_path: Path) -> None:
    source = FakeSource()

    def refuse(ref: ClipRef) -> MemoryBody:
        raise BlinkUnavailable("HTTP 404 for the clip")

    source.bodies["gone"] = refuse
    async with opened(tmp_path) as archive:
        result = await archive.download([clip(key="gone"), clip("Garage")], source.fetch)
    assert [(f.code, f.message) for f in result.failed] == [
        ("blink_unavailable", "HTTP 404 for the clip")
    ]
    assert list(result.downloaded) == ["Garage"]


async def test_disk_errors_are_storage_errors_of_that_clip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = FakeSource()
    original = writer._commit

    def disk_full(stream: Any, temp: Path, dest: Path, check: bool) -> None:
        if dest.name.startswith("Garage"):
            raise OSError(errno.ENOSPC, "No space left on device")
        original(stream, temp, dest, check)

    monkeypatch.setattr(writer, "_commit", disk_full)
    async with opened(tmp_path, sort_clips=False) as archive:
        (tmp_path / "media" / "Attic").write_bytes(b"a file where a folder must go")
        result = await archive.download([clip(), clip("Garage"), clip("Attic")], source.fetch)
    assert list(result.downloaded) == ["Front Door"]
    assert {(f.camera, f.code) for f in result.failed} == {
        ("Garage", "storage_error"),
        ("Attic", "storage_error"),
    }
    assert "No space left on device" in next(
        f.message for f in result.failed if f.camera == "Garage"
    )
    assert files(tmp_path / "media") == [
        "Attic",
        "Front Door/Front Door-2025-07-02t05-36-54-00-00.mp4",
    ]


async def test_an_unusable_media_dir_raises_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(StorageError, match="MEDIA_DIR"):
        async with opened(tmp_path, media_dir=tmp_path / "file" / "media"):
            pass
    async with opened(tmp_path) as archive:
        (tmp_path / "media").rmdir()
        (tmp_path / "media").write_text("now a file")
        with pytest.raises(StorageError, match="not writable"):
            await archive.download([clip()], FakeSource().fetch)


async def test_a_clip_deleted_by_the_user_is_downloaded_again(tmp_path: Path) -> None:
    source = FakeSource()
    async with opened(tmp_path, sort_clips=False) as archive:
        await archive.download([clip()], source.fetch)
        (tmp_path / UNSORTED).unlink()
        assert archive.latest_clip("Front Door") is None
        result = await archive.download([clip()], source.fetch, sort=True)
    assert result.downloaded == {"Front Door": [SORTED]}
    assert len(source.fetched) == 2


async def test_a_valid_clip_already_on_disk_is_adopted_not_fetched(tmp_path: Path) -> None:
    source = FakeSource()
    (tmp_path / SORTED).parent.mkdir(parents=True)
    (tmp_path / SORTED).write_bytes(mp4())
    async with opened(tmp_path) as archive:
        result = await archive.download([clip()], source.fetch, sort=True)
        assert archive.latest_clip("Front Door") == SORTED
    assert result.skipped == {"Front Door": [SORTED]}
    assert source.fetched == []


async def test_progress_and_saved_callbacks_and_their_failures(tmp_path: Path) -> None:
    source = FakeSource()
    source.bodies["bad"] = lambda ref: MemoryBody(b"nope")
    progress: list[tuple[int, int, str, str | None]] = []
    saved: list[tuple[str, str, int]] = []

    async def on_progress(done: int, total: int, ref: ClipRef, path: str | None) -> None:
        progress.append((done, total, ref.key, path))
        raise RuntimeError("a broken MQTT publish")

    async def on_saved(ref: ClipRef, path: str, size: int) -> None:
        saved.append((ref.key, path, size))
        raise RuntimeError("another broken publish")

    clips = [clip(), clip(at=T0 + timedelta(minutes=1), key="bad"), clip("Garage")]
    async with opened(tmp_path, sort_clips=False, download_concurrency=1) as archive:
        await archive.download(clips[:1], source.fetch)
        result = await archive.download(
            clips, source.fetch, on_progress=on_progress, on_saved=on_saved
        )
    garage = "media/Garage/Garage-2025-07-02t05-36-54-00-00.mp4"
    assert result.downloaded == {"Garage": [garage]}
    assert len(result.failed) == 1
    assert sorted(progress) == [(1, 2, "Garage@053654", garage), (2, 2, "bad", None)]
    assert saved == [("Garage@053654", garage, len(mp4(b"Garage@053654")))]


async def test_downloads_respect_the_limit_and_spread_across_cameras(tmp_path: Path) -> None:
    source = FakeSource()
    source.gate = asyncio.Event()
    clips = [
        clip(camera, T0 + timedelta(minutes=n)) for camera in ("A", "B", "C") for n in range(4)
    ]
    async with opened(tmp_path, download_concurrency=3) as archive:
        task = asyncio.create_task(archive.download(clips, source.fetch))
        await source.wait_for(lambda: source.active == 3)
        first = {(ref.camera, ref.recorded_at) for ref in source.fetched}
        source.gate.set()
        result = await asyncio.wait_for(task, TIMEOUT)
    assert first == {("A", T0), ("B", T0), ("C", T0)}
    assert source.max_active == 3
    assert sum(len(paths) for paths in result.downloaded.values()) == 12
    for camera in "ABC":
        times = [ref.recorded_at for ref in source.fetched if ref.camera == camera]
        assert times == sorted(times)


async def test_the_limit_holds_across_overlapping_calls(tmp_path: Path) -> None:
    source = FakeSource()
    source.gate = asyncio.Event()
    async with opened(tmp_path, download_concurrency=2) as archive:
        calls = [
            asyncio.create_task(
                archive.download(
                    [clip(c, T0 + timedelta(minutes=n)) for n in range(3)], source.fetch
                )
            )
            for c in ("A", "B")
        ]
        await source.wait_for(lambda: source.active == 2)
        assert len(source.fetched) == 2
        source.gate.set()
        await asyncio.wait_for(asyncio.gather(*calls), TIMEOUT)
    assert source.max_active == 2
    assert len(source.fetched) == 6


@pytest.mark.parametrize("fails", [False, True])
async def test_overlapping_calls_fetch_a_clip_once(tmp_path: Path, fails: bool) -> None:
    source = FakeSource()
    source.gate = asyncio.Event()
    if fails:
        source.bodies["X"] = lambda ref: MemoryBody(b"garbage")
    x, y = clip(key="X"), clip("Garage", key="Y")
    async with opened(tmp_path, sort_clips=False) as archive:
        first = asyncio.create_task(archive.download([x], source.fetch))
        await source.wait_for(lambda: source.active == 1)
        second = asyncio.create_task(archive.download([x, y], source.fetch))
        await source.wait_for(lambda: source.active == 2)
        source.gate.set()
        one, two = await asyncio.wait_for(asyncio.gather(first, second), TIMEOUT)
    assert [ref.key for ref in source.fetched] == ["X", "Y"]
    assert two.downloaded == {"Garage": ["media/Garage/Garage-2025-07-02t05-36-54-00-00.mp4"]}
    if fails:
        assert [f.source for f in one.failed] == [f.source for f in two.failed] == [CLOUD]
        assert two.skipped == {}
    else:
        assert two.skipped == one.downloaded == {"Front Door": [UNSORTED]}


async def test_cancelling_a_download_leaves_nothing_and_frees_its_clips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = asyncio.Event()
    plan = Downloader._plan

    def plan_and_tell(self: Downloader, *args: Any) -> Any:
        try:
            return plan(self, *args)
        finally:
            planned.set()

    monkeypatch.setattr(Downloader, "_plan", plan_and_tell)
    source = FakeSource()
    source.gate = asyncio.Event()
    clips = [clip(at=T0 + timedelta(minutes=n)) for n in range(4)]
    async with opened(tmp_path, download_concurrency=2) as archive:
        task = asyncio.create_task(archive.download(clips, source.fetch))
        await source.wait_for(lambda: source.active == 2)
        planned.clear()
        waiter = asyncio.create_task(archive.download(clips[3:], source.fetch))
        await asyncio.wait_for(planned.wait(), TIMEOUT)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert files(tmp_path / "media") == []
        assert (await asyncio.wait_for(waiter, TIMEOUT)).failed[
            0
        ].message == "the download was cancelled"
        source.gate.set()
        result = await archive.download(clips, source.fetch)
    assert len(result.downloaded["Front Door"]) == 4


async def test_cancellation_mid_body_leaves_no_temp_file(tmp_path: Path) -> None:
    started = asyncio.Event()

    class Stalling(MemoryBody):
        async def chunks(self) -> AsyncIterator[bytes]:
            yield mp4()[:100]
            started.set()
            await asyncio.Event().wait()
            yield b""

    source = FakeSource()
    source.bodies["stall"] = lambda ref: Stalling(b"")
    async with opened(tmp_path) as archive:
        task = asyncio.create_task(archive.download([clip(key="stall")], source.fetch))
        await asyncio.wait_for(started.wait(), TIMEOUT)
        assert any(name.name.startswith(".") for name in (tmp_path / "media").rglob("*.part-*"))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert files(tmp_path / "media") == []
