"""latest/ and retention, at their limits."""

from __future__ import annotations

import errno
import os
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from blink_mqtt.archive import latest
from blink_mqtt.clipref import ClipRef
from tests.test_archive_support import T0, Clock, FakeSource, clip, files, opened


def _clips(count: int, camera: str = "Cam", step: timedelta = timedelta(hours=1)) -> list[ClipRef]:
    return [clip(camera, T0 + n * step) for n in range(count)]


def _latest(tmp_path: Path) -> list[str]:
    return sorted(os.listdir(tmp_path / "media" / "latest"))


def _name(ref: ClipRef) -> str:
    return f"{ref.camera}-{ref.recorded_at:%Y-%m-%dt%H-%M-%S}-00-00.mp4"


@pytest.mark.parametrize("total", [0, 1, 3, 10])
async def test_latest_holds_exactly_the_newest_clips(tmp_path: Path, total: int) -> None:
    clips = _clips(5)
    async with opened(tmp_path, recents_total=total) as archive:
        await archive.download(clips[:3], FakeSource().fetch, sort=True)
        await archive.download(clips, FakeSource().fetch, sort=True)
        await archive.download(clips, FakeSource().fetch, sort=True)  # a re-run changes nothing
    assert _latest(tmp_path) == sorted(_name(ref) for ref in clips[::-1][:total])
    for name in _latest(tmp_path):
        linked = tmp_path / "media" / "latest" / name
        assert os.stat(linked).st_nlink == 2


async def test_latest_spans_all_cameras(tmp_path: Path) -> None:
    clips = _clips(3, "A") + _clips(3, "B", step=timedelta(hours=1, minutes=1))
    async with opened(tmp_path, recents_total=2) as archive:
        await archive.download(clips, FakeSource().fetch, sort=True)
    assert _latest(tmp_path) == sorted([_name(clips[2]), _name(clips[5])])


async def test_recents_hours_boundary(tmp_path: Path) -> None:
    clips = _clips(6)  # T0 .. T0+5h
    clock = Clock(T0 + timedelta(hours=5))
    async with opened(tmp_path, clock, recents_hours=2, recents_total=1) as archive:
        await archive.download(clips, FakeSource().fetch, sort=True)
        assert _latest(tmp_path) == sorted(_name(ref) for ref in clips[3:])  # >= now - 2 h
        clock.now += timedelta(seconds=1)
        await archive.download(clips, FakeSource().fetch, sort=True)
    assert _latest(tmp_path) == sorted(_name(ref) for ref in clips[4:])


async def test_an_unsorted_run_leaves_latest_alone(tmp_path: Path) -> None:
    async with opened(tmp_path) as archive:
        await archive.download(_clips(1), FakeSource().fetch, sort=True)
        await archive.download([clip("Other")], FakeSource().fetch, sort=False)
    assert _latest(tmp_path) == [_name(_clips(1)[0])]
    assert not (tmp_path / "media" / "latest").is_symlink()


async def test_latest_copies_where_links_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    async with opened(tmp_path, recents_total=2) as archive:
        await archive.download(_clips(3), FakeSource().fetch, sort=True)
    assert _latest(tmp_path) == sorted(_name(ref) for ref in _clips(3)[1:])
    copy = tmp_path / "media" / "latest" / _name(_clips(3)[2])
    assert os.stat(copy).st_nlink == 1
    assert copy.read_bytes() == next((tmp_path / "media" / "Cam").rglob(copy.name)).read_bytes()


async def test_latest_is_swapped_never_emptied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the swap primitive, latest/ never lacks an entry of the old or new set."""
    seen: list[list[str]] = []
    link = os.link

    def watching_link(source: str, target: str) -> None:
        seen.append(_latest(tmp_path))
        link(source, target)

    async with opened(tmp_path, recents_total=2) as archive:
        await archive.download(_clips(2), FakeSource().fetch, sort=True)
        monkeypatch.setattr(os, "link", watching_link)
        await archive.download(_clips(4), FakeSource().fetch, sort=True)
    old = sorted(_name(ref) for ref in _clips(2))
    assert seen == [old, old]
    assert _latest(tmp_path) == sorted(_name(ref) for ref in _clips(4)[2:])


@pytest.mark.parametrize("exchange_works", [True, False])
async def test_both_ways_of_installing_latest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange_works: bool
) -> None:
    if not exchange_works:

        def unsupported(first: Path, second: Path) -> None:
            raise OSError(errno.EINVAL, "Invalid argument")

        monkeypatch.setattr(latest, "exchange", unsupported)
    async with opened(tmp_path, recents_total=2) as archive:
        for count in range(1, 5):
            await archive.download(_clips(count), FakeSource().fetch, sort=True)
            assert _latest(tmp_path) == sorted(_name(ref) for ref in _clips(count)[-2:])
    assert sorted(os.listdir(tmp_path / "media")) == ["Cam", "latest"]


async def test_retention_at_its_limits(tmp_path: Path) -> None:
    day = timedelta(days=1)
    clock = Clock(T0 + 3 * day)
    clips = [clip(at=T0), clip(at=T0 + day), clip(at=T0 + day + timedelta(seconds=1))]
    async with opened(tmp_path, clock, retention_days=2, tz=UTC) as archive:
        result = await archive.download(clips, FakeSource().fetch, sort=True)
        assert len(result.downloaded["Front Door"]) == 2  # T0 is already too old: ignored
        clock.now += timedelta(seconds=1)
        await archive.download([], FakeSource().fetch, sort=False)
        assert archive.latest_clip("Front Door") is not None
    left = files(tmp_path / "media")
    assert left == [f"Front Door/2025/07/03/{_name(clips[2])}", f"latest/{_name(clips[2])}"]
    assert sorted(os.listdir(tmp_path / "media" / "Front Door")) == ["2025"]


async def test_retention_runs_at_start_and_removes_empty_date_folders(tmp_path: Path) -> None:
    clock = Clock(T0)
    async with opened(tmp_path, clock, tz=None) as archive:
        await archive.download([clip(at=T0 - timedelta(days=40))], FakeSource().fetch, sort=True)
        await archive.download([clip(at=T0 - timedelta(days=1))], FakeSource().fetch, sort=False)
    async with opened(tmp_path, clock, retention_days=30) as archive:
        assert archive.latest_clip("Front Door") == "media/" + files(tmp_path / "media")[0]
    name = "Front Door-2025-07-01t05-36-54-00-00.mp4"
    assert files(tmp_path / "media") == [f"Front Door/{name}", f"latest/{name}"]
    async with opened(tmp_path, clock, retention_days=0.5) as archive:
        assert archive.latest_clip("Front Door") is None
    assert os.listdir(tmp_path / "media" / "Front Door") == []
    assert os.listdir(tmp_path / "media" / "latest") == []


async def test_last_clip_of_each_camera(tmp_path: Path) -> None:
    clips = _clips(3, "A") + _clips(2, "B")
    async with opened(tmp_path, tz=UTC) as archive:
        assert archive.last_clips() == {}
        result = await archive.download(clips, FakeSource().fetch, sort=True)
        newest_a, newest_b = result.downloaded["A"][-1], result.downloaded["B"][-1]
        assert archive.last_clips() == {"A": newest_a, "B": newest_b}
        assert archive.latest_clip("B") == newest_b
        assert archive.latest_clip("Nobody") is None
        (tmp_path / newest_a).unlink()
        assert archive.last_clips() == {"A": result.downloaded["A"][-2], "B": newest_b}
