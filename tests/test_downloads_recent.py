"""download-recent end to end: the persisted cursor per camera, retries, forms, restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from blink_mqtt.simulator.scenario import ClipSpec
from tests.bridge_env import AnyBroker, running_bridge
from tests.downloads_support import (
    CAMERAS,
    DATA_KEYS,
    ages_since,
    archive_files,
    assert_sound,
    cloud_clip_path,
    fetches,
    flat_path,
    paths,
    pinned,
    recorded_at,
    sorted_path,
    with_clips,
)

TIMEOUT = 60


async def test_first_run_looks_back_timedelta_hours_then_only_newer_clips(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    inside, outside = now - timedelta(minutes=235), now - timedelta(minutes=245)
    chosen = with_clips([("Garage", ClipSpec(created_at=at)) for at in (inside, outside)])
    async with running_bridge(
        broker, base_topic, tmp_path, chosen=chosen, timedelta_hours=4
    ) as env:
        started = datetime.now(UTC)
        first = await env.request("download-recent", timeout=TIMEOUT)
        newer = env.sim.add_clip("Front Door", age_seconds=1)
        second = await env.request("download-recent", timeout=TIMEOUT)
        served = fetches(env.sim)
    data = first["data"]
    assert set(data) == DATA_KEYS
    since = datetime.fromisoformat(data["since"])
    assert timedelta(0) <= since - (started - timedelta(hours=4)) <= timedelta(seconds=5)
    for camera in CAMERAS:
        extra = 1 if camera == "Garage" else 0
        assert len(data["downloaded_clips"][camera]) == ages_since(camera, 240) + extra
    garage = data["downloaded_clips"]["Garage"]
    assert sorted_path("Garage", inside) in garage
    assert sorted_path("Garage", outside) not in garage, "older than TIMEDELTA_HOURS"
    assert_sound(tmp_path, data)
    again = second["data"]
    assert again["downloaded_clips"] == {
        "Front Door": [sorted_path("Front Door", newer.created_at)]
    }
    assert again["failed"] == []
    assert datetime.fromisoformat(again["since"]) >= started.replace(microsecond=0), "cursor"
    assert len(served) == len(paths(data)) + 1
    assert archive_files(tmp_path) == sorted([*paths(data), *paths(again)])


async def test_a_failed_clip_is_retried_by_the_next_run(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, timedelta_hours=2) as env:
        broken = env.sim.add_clip("Backyard", age_minutes=30)
        env.sim.add_fault("clip", "500", count=1, path_contains=cloud_clip_path(broken.cloud_id))
        first = await env.request("download-recent", timeout=TIMEOUT)
        second = await env.request("download-recent", timeout=TIMEOUT)
        served = fetches(env.sim)
    expected = sorted_path("Backyard", broken.created_at)
    [failure] = first["data"]["failed"]
    assert failure == {
        "camera": "Backyard",
        "recorded_at": broken.created_at.isoformat(),
        "source": "cloud",
        "error": {"code": "blink_unavailable", "message": "Blink answered HTTP 500"},
        "trigger": "pir",
    }
    assert expected not in paths(first["data"])
    assert second["data"]["downloaded_clips"] == {"Backyard": [expected]}
    assert second["data"]["failed"] == []
    assert sum(p.endswith(cloud_clip_path(broken.cloud_id)) for p in served) == 2
    assert len(served) == len(set(served)) + 1, "nothing else was fetched twice"
    assert_sound(tmp_path, second["data"])


async def test_cursors_are_per_camera_and_survive_a_restart(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """A plain-string camera with `sort` false, then all cameras after a restart: the
    camera that ran keeps its cursor, the others look back TIMEDELTA_HOURS."""
    chosen = pinned()
    async with running_bridge(
        broker, base_topic, tmp_path, chosen=chosen, timedelta_hours=2.75
    ) as env:
        porch = await env.request("download-recent", "Porch", timeout=TIMEOUT)
        unsorted = await env.request("download-recent", {"camera": "Kitchen", "sort": False})
    # a new base topic: the first bridge's retained auth state must not pass for ready
    async with running_bridge(
        broker, f"{base_topic}-2", tmp_path, chosen=chosen, timedelta_hours=2.75
    ) as env:
        env.sim.add_clip("Porch", age_minutes=100)  # a late upload, older than the cursor
        rest = await env.request("download-recent", timeout=TIMEOUT)
    saved = porch["data"]["downloaded_clips"]["Porch"]
    assert len(saved) == ages_since("Porch", 165) == 2
    assert all(p == sorted_path("Porch", recorded_at(p)) for p in saved)
    kitchen = unsorted["data"]["downloaded_clips"]["Kitchen"]
    assert kitchen == [flat_path("Kitchen", recorded_at(p)) for p in kitchen]
    assert len(kitchen) == ages_since("Kitchen", 165)
    data = rest["data"]
    assert "Kitchen" not in data["downloaded_clips"]
    late = data["downloaded_clips"]["Porch"]
    assert len(late) == 1, "only the late upload; the rest was archived by the first run"
    assert recorded_at(late[0]) < datetime.fromisoformat(porch["data"]["since"]) + timedelta(
        hours=2
    )
    for camera in ("Front Door", "Backyard", "Garage"):
        assert len(data["downloaded_clips"][camera]) == ages_since(camera, 165)
    assert_sound(tmp_path, data)
