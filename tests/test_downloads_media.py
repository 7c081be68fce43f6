"""Media as Blink really lists them (issue 10): snapshot items, clips that vanish, late
uploads and every item's `source` (our `trigger`), through broker, simulator and bridge."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from blink_mqtt.mediafile import is_valid_mp4
from blink_mqtt.simulator import Simulator
from blink_mqtt.simulator.core import AddedClip
from blink_mqtt.simulator.scenario import MediaSource
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.downloads_support import (
    EVERYTHING,
    archive_files,
    assert_sound,
    clip_events,
    cloud_clip_path,
    fetches,
    paths,
    progress_of,
    sorted_path,
)

TIMEOUT = 60
SHORT = 0.1  # hours: TIMEDELTA_HOURS that leaves out every scenario clip (8 min and older)


def fetched_snapshot_items(sim: Simulator) -> list[str]:
    return [r.path for r in sim.request_log() if r.endpoint == "snapshot_item"]


async def until_listed(sim: Simulator, clip: AddedClip) -> None:
    """Wait until the simulator lists a clip uploaded late (its `updated_at` passed)."""
    assert clip.cloud_id is not None
    async with asyncio.timeout(TIMEOUT):
        while sim.state.world.cloud[clip.cloud_id].updated_at > sim.state.now():
            await asyncio.sleep(0.05)


async def clip_saved(env: BridgeEnv, path: str, after: int) -> dict[str, Any]:
    found = await env.probe.wait_for(
        f"{env.topics.base}/camera/front_door/event",
        lambda m: m.json().get("event_type") == "clip_saved" and m.json()["path"] == path,
        after=after,
        timeout=TIMEOUT,
    )
    event: dict[str, Any] = found.json()
    return event


async def test_snapshot_items_are_left_out_not_failed(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """A snapshot item (a JPEG under /api/v3/..., type photo) between clips: download-recent
    and download-since save the clips, never fetch the picture, and report no failure."""
    async with running_bridge(broker, base_topic, tmp_path, timedelta_hours=SHORT) as env:
        picture = env.sim.add_clip("Front Door", age_seconds=30, kind="snapshot", source="liveview")
        clip = env.sim.add_clip("Front Door", age_seconds=20)
        recent = await env.request("download-recent", timeout=TIMEOUT)
        since = await env.request("download-since", EVERYTHING, timeout=TIMEOUT)
        served = fetches(env.sim)
        pictures = fetched_snapshot_items(env.sim)
    expected = sorted_path("Front Door", clip.created_at)
    assert recent["data"]["downloaded_clips"] == {"Front Door": [expected]}
    assert recent["data"]["failed"] == []
    assert since["data"]["failed"] == []
    assert expected in paths(since["data"], "skipped")
    assert sorted_path("Front Door", picture.created_at) not in archive_files(tmp_path)
    assert pictures == []
    assert not any(str(picture.cloud_id) in path for path in served)
    assert_sound(tmp_path, since["data"])


async def test_auto_download_leaves_snapshot_items_out(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(
        broker, base_topic, tmp_path, auto_download=True, timedelta_hours=SHORT
    ) as env:
        mark = env.probe.mark()
        env.sim.add_clip("Front Door", age_seconds=30, kind="snapshot", source="liveview")
        clip = env.sim.add_clip("Front Door", age_seconds=20, source="cv_motion")
        await env.request("refresh")
        event = await clip_saved(env, sorted_path("Front Door", clip.created_at), mark)
        await env.probe.wait_for(
            f"{base_topic}/bridge/progress",
            lambda m: m.json()["path"] == event["path"],
            after=mark,
            timeout=TIMEOUT,
        )
        progress = progress_of(env.probe, base_topic, "auto-download", mark)
        pictures = fetched_snapshot_items(env.sim)
    assert event["trigger"] == "cv_motion"
    assert [(p["done"], p["total"], p["path"]) for p in progress] == [(1, 1, event["path"])]
    assert pictures == []


async def test_a_clip_gone_from_blink_is_reported_once_fetched_and_passed(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Blink lists a clip but answers its download with a JSON 404: `clip_gone`, with the
    clip's trigger. The next download-recent lists it again (the overlap) and reports it
    gone without asking Blink again; the cursor moves past it."""
    async with running_bridge(broker, base_topic, tmp_path, timedelta_hours=SHORT) as env:
        gone = env.sim.add_clip("Front Door", age_seconds=40, source="button_press")
        kept = env.sim.add_clip("Front Door", age_seconds=20)
        env.sim.add_fault("clip", "404", path_contains=cloud_clip_path(gone.cloud_id))
        started = datetime.now(UTC).replace(microsecond=0)
        first = await env.request("download-recent", "Front Door", timeout=TIMEOUT)
        second = await env.request("download-recent", "Front Door", timeout=TIMEOUT)
        served = fetches(env.sim, cloud_clip_path(gone.cloud_id))
    [failure] = first["data"]["failed"]
    assert failure["camera"] == "Front Door"
    assert failure["recorded_at"] == gone.created_at.isoformat()
    assert failure["source"] == "cloud"
    assert failure["trigger"] == "button_press"
    assert failure["error"]["code"] == "clip_gone"
    assert "HTTP 404" in failure["error"]["message"]
    assert first["data"]["downloaded_clips"] == {
        "Front Door": [sorted_path("Front Door", kept.created_at)]
    }
    assert second["data"]["failed"] == [failure], "reported again, as gone"
    assert second["data"]["downloaded_clips"] == {}
    assert datetime.fromisoformat(second["data"]["since"]) >= started, "the cursor moved on"
    assert len(served) == 1, "asked Blink once"


async def test_clips_that_vanish_after_listing_fail_as_gone_and_are_not_retried(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """The simulator's retention strikes between listing and download (purged: Blink
    never lists them again). Both runs complete; nothing is fetched twice."""
    async with running_bridge(broker, base_topic, tmp_path, timedelta_hours=SHORT) as env:
        clips = [env.sim.add_clip("Backyard", age_seconds=age) for age in (50, 40)]
        env.sim.set_options(clips_vanish_after_listing=True)
        first = await env.request("download-recent", "Backyard", timeout=TIMEOUT)
        env.sim.set_options(clips_vanish_after_listing=False)
        later = env.sim.add_clip("Backyard", age_seconds=1)
        second = await env.request("download-recent", "Backyard", timeout=TIMEOUT)
        served = fetches(env.sim)
    failed = first["data"]["failed"]
    assert [(f["recorded_at"], f["error"]["code"]) for f in failed] == [
        (clip.created_at.isoformat(), "clip_gone") for clip in clips
    ]
    assert first["data"]["downloaded_clips"] == {}
    assert second["data"]["failed"] == []
    assert second["data"]["downloaded_clips"] == {
        "Backyard": [sorted_path("Backyard", later.created_at)]
    }
    assert len(served) == len(set(served)) == 3
    assert archive_files(tmp_path) == [sorted_path("Backyard", later.created_at)]


async def test_download_recent_picks_up_a_late_upload_older_than_its_cursor(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """A clip recorded 30 minutes ago is uploaded only after a run moved the cursor past
    its recording time; the next run archives it (listing by Blink's change time)."""
    async with running_bridge(broker, base_topic, tmp_path, timedelta_hours=1) as env:
        late = env.sim.add_clip(
            "Front Door", age_minutes=30, upload_delay_seconds=2, source="button_press"
        )
        first = await env.request("download-recent", "Front Door", timeout=TIMEOUT)
        await until_listed(env.sim, late)
        second = await env.request("download-recent", "Front Door", timeout=TIMEOUT)
        third = await env.request("download-recent", "Front Door", timeout=TIMEOUT)
        served = fetches(env.sim, cloud_clip_path(late.cloud_id))
    expected = sorted_path("Front Door", late.created_at)
    assert expected not in paths(first["data"])
    assert datetime.fromisoformat(second["data"]["since"]) > late.created_at, "cursor passed it"
    assert second["data"]["downloaded_clips"] == {"Front Door": [expected]}
    [entry] = second["data"]["saved"]
    assert entry == {
        "camera": "Front Door",
        "recorded_at": late.created_at.isoformat(),
        "path": expected,
        "bytes": (tmp_path / expected).stat().st_size,
        "source": "cloud",
        "trigger": "button_press",
    }
    assert third["data"]["downloaded_clips"] == {}
    assert expected in paths(third["data"], "skipped"), "listed again in the overlap"
    assert len(served) == 1
    assert is_valid_mp4(tmp_path / expected)


async def test_auto_download_picks_up_a_late_upload(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(
        broker, base_topic, tmp_path, auto_download=True, timedelta_hours=SHORT
    ) as env:
        mark = env.probe.mark()
        late = env.sim.add_clip("Front Door", age_minutes=4, upload_delay_seconds=2)
        fresh = env.sim.add_clip("Front Door", age_seconds=1, source="liveview")
        await env.request("refresh")
        first = await clip_saved(env, sorted_path("Front Door", fresh.created_at), mark)
        await until_listed(env.sim, late)
        await env.request("refresh")
        second = await clip_saved(env, sorted_path("Front Door", late.created_at), mark)
        events = clip_events(env.probe, base_topic, mark)
    assert first["trigger"] == "liveview"
    assert second["trigger"] == "pir"
    assert second["recorded_at"] == late.created_at.isoformat()
    front = [e["path"] for e in events if e["camera"] == "Front Door"]  # others' own clips
    assert sorted(front) == sorted([first["path"], second["path"]])


async def test_every_listing_and_event_carries_the_trigger(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Each of Blink's sources in `saved` and `clip_saved`; USB clips have none."""
    sources: tuple[MediaSource, ...] = ("pir", "cv_motion", "liveview", "button_press")
    async with running_bridge(broker, base_topic, tmp_path, timedelta_hours=SHORT) as env:
        mark = env.probe.mark()
        added = {
            source: env.sim.add_clip("Front Door", age_seconds=60 - 10 * n, source=source)
            for n, source in enumerate(sources)
        }
        cloud = await env.request("download-since", EVERYTHING, timeout=TIMEOUT)
        usb_clip = env.sim.add_clip("Backyard", storage="usb", age_seconds=5)
        usb = await env.request(
            "sync-download", {"since": usb_clip.created_at.isoformat()}, timeout=TIMEOUT
        )
        events = clip_events(env.probe, base_topic, mark)
    by_time = {e["recorded_at"]: e for e in cloud["data"]["saved"]}
    for source, clip in added.items():
        assert by_time[clip.created_at.isoformat()]["trigger"] == source
    by_path = {e["path"]: e["trigger"] for e in events}
    for entry in cloud["data"]["saved"]:
        assert by_path[entry["path"]] == entry["trigger"]
    assert len(cloud["data"]["saved"]) == len(paths(cloud["data"]))
    [entry] = usb["data"]["saved"]
    assert (entry["source"], entry["trigger"]) == ("usb:Home", None)
    assert_sound(tmp_path, usb["data"])
