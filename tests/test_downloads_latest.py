"""latest/ and retention at their limits, through requests (RECENTS_TOTAL, RECENTS_HOURS,
RETENTION_DAYS)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from blink_mqtt.simulator.scenario import ClipSpec
from tests.bridge_env import AnyBroker, running_bridge
from tests.downloads_support import (
    CAMERAS,
    EVERYTHING,
    ages_since,
    archive_files,
    assert_sound,
    fetches,
    file_name,
    paths,
    pinned,
    recorded_at,
    sorted_path,
    with_clips,
)

TIMEOUT = 60


def latest(root: Path) -> list[str]:
    return sorted(os.listdir(root / "media/latest"))


def newest(found: list[str], count: int) -> list[str]:
    return sorted(Path(p).name for p in sorted(found, key=recorded_at)[-count:])


async def test_recents_total_zero_three_and_unsorted_runs(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, recents_total=3) as env:
        front = await env.request("download-since", {"since": EVERYTHING, "camera": "Front Door"})
        after_front = latest(tmp_path)
        back = await env.request("download-since", {"since": EVERYTHING, "camera": "Backyard"})
        after_back = latest(tmp_path)
        flat = await env.request(
            "download-since", {"since": EVERYTHING, "camera": "Porch", "sort": False}
        )
        after_flat = latest(tmp_path)
    assert after_front == newest(paths(front["data"]), 3)
    both = paths(front["data"]) + paths(back["data"])
    assert after_back == newest(both, 3)
    assert after_flat == after_back, "an unsorted run leaves latest/ alone"
    for name in after_back:
        linked = tmp_path / "media/latest" / name
        [source] = [tmp_path / p for p in both if Path(p).name == name]
        assert os.path.samefile(linked, source), "a hard link to the archived clip"
    assert len(paths(flat["data"])) == 6
    async with running_bridge(broker, f"{base_topic}-2", tmp_path / "none", recents_total=0) as env:
        await env.request("download-since", {"since": EVERYTHING, "camera": "Kitchen"})
    assert latest(tmp_path / "none") == []


async def test_recents_hours_wins_over_recents_total_at_its_limit(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    inside, outside = now - timedelta(minutes=118), now - timedelta(minutes=122)
    chosen = with_clips([("Garage", ClipSpec(created_at=at)) for at in (inside, outside)])
    async with running_bridge(
        broker, base_topic, tmp_path, chosen=chosen, recents_hours=2, recents_total=1
    ) as env:
        response = await env.request("download-since", EVERYTHING, timeout=TIMEOUT)
    found = paths(response["data"])
    assert sorted_path("Garage", outside) in found
    young = [p for p in found if recorded_at(p) > now - timedelta(hours=2)]
    assert len(young) == 1 + sum(ages_since(camera, 120) for camera in CAMERAS)
    assert latest(tmp_path) == sorted(Path(p).name for p in young)
    assert file_name("Garage", inside) in latest(tmp_path)
    assert file_name("Garage", outside) not in latest(tmp_path)


async def test_retention_days_prunes_at_start_and_ignores_old_clips_at_its_limit(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Archived with retention off: Kitchen clips of 23 h 58 min, 24 h 2 min and two days.
    Restarted with a day of retention: the two older ones are deleted at start (with their
    index rows, day folders and latest/ links) and a new request does not fetch them."""
    now = datetime.now(UTC).replace(microsecond=0)
    kept, dropped, old = (now - timedelta(minutes=m) for m in (1438, 1442, 2880))
    chosen = pinned(
        with_clips([("Kitchen", ClipSpec(created_at=at)) for at in (kept, dropped, old)]), now
    )
    request = {"since": EVERYTHING, "camera": "Kitchen"}
    async with running_bridge(broker, base_topic, tmp_path, chosen=chosen) as env:
        everything = await env.request("download-since", request)
    assert len(paths(everything["data"])) == 6 + 3
    assert file_name("Kitchen", old) in latest(tmp_path)
    async with running_bridge(
        broker, f"{base_topic}-2", tmp_path, chosen=chosen, retention_days=1
    ) as env:
        pruned = archive_files(tmp_path)
        pruned_latest = latest(tmp_path)
        again = await env.request("download-since", request)
        served = fetches(env.sim)
    gone = {sorted_path("Kitchen", dropped), sorted_path("Kitchen", old)}
    assert sorted(pruned) == sorted(set(paths(everything["data"])) - gone)
    assert not (tmp_path / sorted_path("Kitchen", old)).parent.exists(), "empty day removed"
    assert file_name("Kitchen", old) not in pruned_latest
    assert file_name("Kitchen", kept) in pruned_latest
    data = again["data"]
    assert (data["downloaded_clips"], data["failed"]) == ({}, [])
    assert paths(data, "skipped") == sorted(pruned), "the pruned clips are not fetched again"
    assert served == []
    assert_sound(tmp_path, data)
