"""download-recent cursors: first-run lookback, advance only past saved clips, persistence."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from blink_mqtt.archive import DownloadResult, Failure
from blink_mqtt.archive.recent import CLOUD_OVERLAP, RecentWindow
from blink_mqtt.clipref import CLOUD, usb
from tests.test_archive_support import T0, Clock, FakeSource, MemoryBody, clip, opened

NOW = T0 + timedelta(days=1)


async def test_first_run_looks_back_timedelta_hours(tmp_path: Path) -> None:
    async with opened(tmp_path, Clock(NOW), timedelta_hours=6) as archive:
        assert archive.recent_window(CLOUD, ["A", "B"]).start == NOW - timedelta(hours=6)
        later = archive.recent_window(CLOUD, [], NOW + timedelta(hours=1))
        assert later.start == NOW - timedelta(hours=5)


async def test_cursor_advances_to_the_listing_end_and_persists(tmp_path: Path) -> None:
    async with opened(tmp_path, Clock(NOW)) as archive:
        result = await archive.download([clip("A", NOW - timedelta(hours=1))], FakeSource().fetch)
        archive.advance(archive.recent_window(CLOUD, ["A", "B"], NOW), result)
        assert archive.recent_window(CLOUD, ["A", "B"]).start == NOW
        assert archive.recent_window(usb("Home"), ["A"]).start == NOW - timedelta(hours=6)
    async with opened(tmp_path, Clock(NOW + timedelta(hours=2))) as archive:
        assert archive.recent_window(CLOUD, ["A"]).start == NOW
        assert archive.recent_window(CLOUD, ["A", "New camera"]).start == NOW - timedelta(hours=4)


async def test_cursor_never_passes_the_earliest_failed_clip(tmp_path: Path) -> None:
    source = FakeSource()
    source.bodies["bad"] = lambda ref: MemoryBody(b"not an mp4")
    times = [NOW - timedelta(minutes=m) for m in (50, 40, 30, 20)]
    clips = [clip("A", times[0]), clip("A", times[1], key="bad"), clip("A", times[2], key="bad")]
    clips.append(clip("B", times[3]))
    async with opened(tmp_path, Clock(NOW)) as archive:
        result = await archive.download(clips, source.fetch)
        archive.advance(archive.recent_window(CLOUD, ["A", "B"], NOW), result)
        assert archive.recent_window(CLOUD, ["B"]).start == NOW
        assert archive.recent_window(CLOUD, ["A", "B"]).start == times[1]
        del source.bodies["bad"]
        retry = await archive.download(clips, source.fetch)  # what the next listing returns
        archive.advance(archive.recent_window(CLOUD, ["A", "B"], NOW + timedelta(minutes=5)), retry)
        assert archive.recent_window(CLOUD, ["A"]).start == NOW + timedelta(minutes=5)
    assert len(retry.downloaded["A"]) == 2
    assert set(retry.skipped) == {"A", "B"}


async def test_failures_of_another_source_do_not_hold_a_cursor(tmp_path: Path) -> None:
    failure = Failure("A", NOW - timedelta(hours=1), usb("Home"), "blink_unavailable", "x")
    async with opened(tmp_path, Clock(NOW)) as archive:
        archive.advance(archive.recent_window(CLOUD, ["A"], NOW), DownloadResult(failed=[failure]))
        archive.advance(
            archive.recent_window(usb("Home"), ["A"], NOW), DownloadResult(failed=[failure])
        )
        assert archive.recent_window(CLOUD, ["A"]).start == NOW
        assert archive.recent_window(usb("Home"), ["A"]).start == NOW - timedelta(hours=1)


def test_the_window_takes_late_uploads_of_resuming_cameras_only() -> None:
    window = RecentWindow(
        CLOUD,
        {"A": NOW - timedelta(hours=1), "B": None},
        first_run=NOW - timedelta(hours=6),
        listed_until=NOW,
        overlap=CLOUD_OVERLAP,
    )
    assert window.start == NOW - timedelta(hours=6)
    assert window.list_since == NOW - timedelta(hours=6) - CLOUD_OVERLAP
    old = NOW - timedelta(days=3)  # recorded long ago, uploaded (listed) late
    assert window.wants(clip("A", old))
    assert not window.wants(clip("B", old))
    assert window.wants(clip("B", NOW - timedelta(hours=1)))
    assert not window.wants(clip("C", NOW - timedelta(hours=1)))  # not asked for
    first = RecentWindow(CLOUD, {"B": None}, NOW - timedelta(hours=6), NOW, CLOUD_OVERLAP)
    assert first.list_since == first.start  # nobody resumes: no overlap
