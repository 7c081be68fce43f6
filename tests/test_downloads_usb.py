"""sync-download end to end: every module with USB storage, filters, failing modules.

`usb_scenario()` gives the Cabin sync module USB storage too, with two Porch clips, so a
module can fail while another proceeds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from blink_mqtt.simulator import Scenario
from blink_mqtt.simulator.scenario import ClipSpec
from tests.bridge_env import AnyBroker, running_bridge
from tests.downloads_support import (
    DATA_KEYS,
    EVERYTHING,
    archive_files,
    assert_sound,
    clip_events,
    fetches,
    paths,
    pinned,
    recorded_at,
    sorted_path,
)
from tests.sim_fixtures import scenario

TIMEOUT = 60
BOUND = 20.0  # seconds a failing sync module may cost a request at most


def usb_scenario() -> Scenario:
    """Pinned clips; Cabin has USB storage with a Porch clip (also in the cloud) at 130
    minutes and a USB-only one at 70."""
    base = scenario()
    networks = []
    for net in base.networks:
        if net.name == "Cabin" and net.sync_module is not None:
            module = net.sync_module.model_copy(update={"local_storage": True})
            [porch] = net.cameras
            clips = [
                ClipSpec(
                    age_minutes=c.age_minutes, storage="both" if c.age_minutes == 130 else "cloud"
                )
                for c in porch.clips
            ]
            clips.append(ClipSpec(age_minutes=70, storage="usb"))
            porch = porch.model_copy(update={"clips": tuple(clips)})
            networks.append(net.model_copy(update={"sync_module": module, "cameras": (porch,)}))
        else:
            networks.append(net)
    return pinned(base.model_copy(update={"networks": tuple(networks)}))


def usb_counts(data: dict[str, object]) -> dict[str, int]:
    downloaded = data["downloaded_clips"]
    assert isinstance(downloaded, dict)
    return {camera: len(found) for camera, found in downloaded.items()}


async def test_every_module_with_storage_then_cloud_copies_are_skipped(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, chosen=usb_scenario()) as env:
        mark = env.probe.mark()
        usb, _ = await env.rr("sync-download", EVERYTHING, timeout=TIMEOUT)
        events = clip_events(env.probe, base_topic, mark)
        cloud = await env.request("download-since", EVERYTHING, timeout=TIMEOUT)
        again = await env.request("sync-download", {"since": EVERYTHING}, timeout=TIMEOUT)
        counters = env.sim.counters().requests
        served = fetches(env.sim)
    data = usb["data"]
    assert set(data) == DATA_KEYS
    assert data["failed"] == []
    assert usb_counts(data) == {"Front Door": 3, "Backyard": 1, "Porch": 2}
    for camera, saved in data["downloaded_clips"].items():
        assert all(p == sorted_path(camera, recorded_at(p)) for p in saved)
    assert sorted(e["source"] for e in events) == ["usb:Cabin"] * 2 + ["usb:Home"] * 4
    stored_once = {p for p in paths(data) if p in paths(cloud["data"], "skipped")}
    assert len(stored_once) == 4, "the cloud copies of Front Door 20/180, Backyard 45, Porch 130"
    assert len(paths(cloud["data"])) == 30 - 4
    assert archive_files(tmp_path) == sorted([*paths(data), *paths(cloud["data"])])
    assert again["data"]["downloaded_clips"] == {}
    assert paths(again["data"], "skipped") == paths(data)
    assert counters["manifest_request"] == 2 * 2, "one per module per command"
    assert counters["local_clip_download"] == 6
    assert len(served) == len(set(served)) == 6 + 26
    assert_sound(tmp_path, data)


async def test_since_camera_and_sync_module_filters(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, chosen=usb_scenario()) as env:
        since = (datetime.now(UTC) - timedelta(minutes=100)).isoformat()
        front = await env.request(
            "sync-download", {"since": since, "camera": "front door", "sort": False}
        )
        cabin = await env.request("sync-download", {"since": EVERYTHING, "sync_module": "cabin"})
        unknown = await env.request("sync-download", {"sync_module": "Attic"})
        counters = env.sim.counters().requests
    saved = front["data"]["downloaded_clips"]
    assert list(saved) == ["Front Door"]
    assert [Path(p).parent.name for p in saved["Front Door"]] == ["Front Door"] * 2
    assert len(saved["Front Door"]) == 2, "USB clips at 20 and 95 minutes"
    assert usb_counts(cabin["data"]) == {"Porch": 2}
    assert unknown["error"]["code"] == "unknown_sync_module"
    assert "Attic" in unknown["error"]["message"]
    assert counters["manifest_request"] == 2


async def test_an_offline_module_is_reported_while_the_others_proceed(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, chosen=usb_scenario()) as env:
        env.sim.set_sync_module_online("Cabin", False)  # the bridge has not polled yet
        started = time.monotonic()
        unpolled = await env.request("sync-download", EVERYTHING, timeout=TIMEOUT)
        unpolled_took = time.monotonic() - started
        await env.request("refresh")
        started = time.monotonic()
        polled = await env.request("sync-download", {"sync_module": ["Home", "Cabin"]})
        polled_took = time.monotonic() - started
    for response, took in ((unpolled, unpolled_took), (polled, polled_took)):
        [failure] = response["data"]["failed"]
        assert failure["sync_module"] == "Cabin"
        assert failure["error"]["code"] == "blink_unavailable"
        assert "Cabin" in failure["error"]["message"]
        assert "offline" in failure["error"]["message"].lower()
        assert took < BOUND
    assert usb_counts(unpolled["data"]) == {"Front Door": 3, "Backyard": 1}
    assert polled["data"]["downloaded_clips"] == {}
    assert len(paths(polled["data"], "skipped")) == 4
    assert_sound(tmp_path, unpolled["data"])


async def test_a_module_without_storage_and_a_manifest_that_never_comes(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Default scenario: Cabin has no USB storage. Then Home's manifest is never ready."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        named = await env.request("sync-download", {"sync_module": ["Cabin", "Home"]})
        env.sim.set_options(manifest_not_ready_polls=1000)
        started = time.monotonic()
        mark = env.probe.mark()
        await env.probe.publish(env.topics.request("sync-download"), b"")
        # while the bridge waits for the manifest, other Blink calls still go through
        snap = await env.request("snap", "Front Door", timeout=TIMEOUT)
        waiting = await env.probe.wait_for(
            env.topics.response("sync-download"), after=mark, timeout=TIMEOUT
        )
        took = time.monotonic() - started
        stuck = waiting.json()
    assert snap["status"] == "ok"
    assert env.probe.on(env.topics.response("snap"))[0].index < waiting.index
    [no_storage] = named["data"]["failed"]
    assert no_storage["sync_module"] == "Cabin"
    assert "local storage" in no_storage["error"]["message"]
    assert usb_counts(named["data"]) == {"Front Door": 3, "Backyard": 1}
    [never] = stuck["data"]["failed"]
    assert never["sync_module"] == "Home"
    assert never["error"]["code"] == "blink_unavailable"
    assert "manifest" in never["error"]["message"]
    assert took < BOUND
    assert stuck["data"]["downloaded_clips"] == {}


async def test_a_refused_usb_upload_and_a_failed_usb_download_fail_fast_alone(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Front Door's USB clips at 20, 95 and 180 minutes: the sync module refuses to upload
    the one at 95 (a JSON error answer), and the download of the one at 180 fails."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        env.sim.add_fault("local_clip_request", "429", count=1, path_contains="/7002")
        env.sim.add_fault("local_clip_download", "500", count=1, path_contains="/7003")
        started = time.monotonic()
        response = await env.request("sync-download", {"since": EVERYTHING, "sort": False})
        took = time.monotonic() - started
    data = response["data"]
    assert usb_counts(data) == {"Front Door": 1, "Backyard": 1}
    failed = {(f["camera"], f["source"], f["error"]["code"]) for f in data["failed"]}
    assert failed == {("Front Door", "usb:Home", "blink_unavailable")}
    messages = sorted(f["error"]["message"] for f in data["failed"])
    assert len(messages) == 2
    assert "HTTP 500" in messages[0]
    assert "refused" in messages[1]
    assert took < 5, "no waiting for an upload Blink refused"
    assert_sound(tmp_path, data)


async def test_usb_clips_listed_with_sizes_in_kb_are_all_saved(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Real manifests list `size` in KB ("186"-"452", fronzbot/blinkpy's recorded one):
    a complete, valid MP4 is never refused over it."""
    async with running_bridge(broker, base_topic, tmp_path, chosen=usb_scenario()) as env:
        env.sim.set_options(usb_size_unit="kb")
        usb, _ = await env.rr("sync-download", EVERYTHING, timeout=TIMEOUT)
    data = usb["data"]
    assert data["failed"] == []
    assert usb_counts(data) == {"Front Door": 3, "Backyard": 1, "Porch": 2}
    assert_sound(tmp_path, data)
