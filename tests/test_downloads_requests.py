"""download-since end to end: payload forms, cameras, layouts, names, latest/, progress.

Real mosquitto, the simulator's default scenario and the whole bridge in this loop.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from blink_mqtt.mediafile import is_valid_mp4
from blink_mqtt.simulator.scenario import ClipSpec
from tests.bridge_env import AnyBroker, running_bridge
from tests.downloads_support import (
    CAMERAS,
    DATA_KEYS,
    EVERYTHING,
    ages_since,
    archive_files,
    assert_sound,
    clip_events,
    fetches,
    file_name,
    flat_path,
    paths,
    progress_of,
    recorded_at,
    sorted_path,
    with_clips,
)

TIMEOUT = 60


async def test_everything_sorted_then_a_rerun_skips_it_all(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """The issue's acceptance check: mosquitto_rr-style request with a plain string."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        first, _ = await env.rr("download-since", EVERYTHING, timeout=TIMEOUT)
        second, _ = await env.rr("download-since", EVERYTHING, timeout=TIMEOUT)
        served = fetches(env.sim)
    assert first["status"] == "ok", first
    data = first["data"]
    assert set(data) == DATA_KEYS
    assert data["since"] == EVERYTHING
    assert (data["skipped"], data["failed"]) == ({}, [])
    assert sorted(data["downloaded_clips"]) == sorted(CAMERAS)
    for camera, saved in data["downloaded_clips"].items():
        assert len(saved) == 6, camera
        assert saved == sorted(saved, key=recorded_at), "per camera in recording order"
        for path in saved:
            assert path == sorted_path(camera, recorded_at(path))
    assert archive_files(tmp_path) == paths(data)
    assert_sound(tmp_path, data)
    newest = sorted(paths(data), key=recorded_at)[-20:]  # RECENTS_TOTAL defaults to 20
    assert sorted(os.listdir(tmp_path / "media/latest")) == sorted(Path(p).name for p in newest)
    assert second["status"] == "ok", second
    assert second["data"]["downloaded_clips"] == {}
    assert second["data"]["failed"] == []
    assert second["data"]["skipped"] == data["downloaded_clips"]
    assert len(served) == 30, "the re-run fetched nothing"


async def test_json_form_one_camera_by_slug_unsorted_with_progress_and_events(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        mark = env.probe.mark()
        request = {"id": "42", "since": EVERYTHING, "camera": "front_door", "sort": False}
        response = await env.request("download-since", request, timeout=TIMEOUT)
        await env.probe.wait_for(
            f"{base_topic}/bridge/progress", lambda m: m.json()["done"] == 6, after=mark
        )
        progress = progress_of(env.probe, base_topic, "download-since", mark)
        events = clip_events(env.probe, base_topic, mark)
    assert response["id"] == "42"
    data = response["data"]
    saved = data["downloaded_clips"]["Front Door"]
    assert list(data["downloaded_clips"]) == ["Front Door"]
    assert [flat_path("Front Door", recorded_at(p)) for p in saved] == saved
    assert archive_files(tmp_path) == sorted(saved)
    assert not (tmp_path / "media/latest").exists(), "latest/ follows sorted runs only"
    assert_sound(tmp_path, data)
    assert [p["done"] for p in progress] == [1, 2, 3, 4, 5, 6]
    assert {(p["id"], p["total"], p["camera"]) for p in progress} == {("42", 6, "Front Door")}
    assert sorted(p["path"] for p in progress) == sorted(saved)
    assert sorted(e["path"] for e in events) == sorted(saved)
    for event in events:
        keys = {"event_type", "camera", "recorded_at", "path", "bytes", "source", "trigger"}
        assert set(event) == keys
        assert (event["camera"], event["source"]) == ("Front Door", "cloud")
        assert event["bytes"] == (tmp_path / event["path"]).stat().st_size
        assert datetime.fromisoformat(event["recorded_at"]) == recorded_at(event["path"])


async def test_since_and_a_list_of_cameras_by_name_serial_and_case(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        since = datetime.now(UTC) - timedelta(minutes=250)
        request = {"since": since.isoformat(), "camera": ["BACKYARD", "G8M1-4003-GRGE"]}
        response = await env.request("download-since", request, timeout=TIMEOUT)
        unknown = await env.request("download-since", {"since": EVERYTHING, "camera": ["Attic"]})
        bad_since = await env.request("download-since", {"since": "yesterday-ish"})
        no_since = await env.request("download-since", {"camera": "Garage"})
    data = response["data"]
    assert data["since"] == since.isoformat()
    assert sorted(data["downloaded_clips"]) == ["Backyard", "Garage"]
    for camera in ("Backyard", "Garage"):
        saved = data["downloaded_clips"][camera]
        assert len(saved) == ages_since(camera, 250) == 2
        assert all(recorded_at(p) >= since.replace(microsecond=0) for p in saved)
    assert archive_files(tmp_path) == paths(data)
    assert unknown["error"]["code"] == "unknown_camera"
    assert "Attic" in unknown["error"]["message"]
    assert bad_since["error"]["code"] == "invalid_request"
    assert "since" in bad_since["error"]["message"]
    assert no_since["error"]["code"] == "invalid_request"


async def test_sorted_by_the_recording_day_in_tz_named_in_utc(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """A clip recorded 02:30 UTC on 2 July is filed under 1 July in New York."""
    at = datetime(2025, 7, 2, 2, 30, 5, tzinfo=UTC)
    chosen = with_clips([("Kitchen", ClipSpec(created_at=at, size=70_000))])
    async with running_bridge(
        broker, base_topic, tmp_path, chosen=chosen, tz="America/New_York"
    ) as env:
        request = {"since": "2025-07-01T00:00:00Z", "camera": "Kitchen", "sort": True}
        response = await env.request("download-since", json.dumps(request), timeout=TIMEOUT)
    saved = response["data"]["downloaded_clips"]["Kitchen"]
    day = datetime(2025, 7, 1, tzinfo=UTC)
    expected = sorted_path("Kitchen", at, day)
    assert expected == "media/Kitchen/2025/07/01/Kitchen-2025-07-02t02-30-05-00-00.mp4"
    assert expected in saved
    assert (tmp_path / expected).stat().st_size == 70_000
    assert is_valid_mp4(tmp_path / expected)
    assert file_name("Kitchen", at) in os.listdir(tmp_path / "media/latest")


async def test_overlapping_requests_never_fetch_a_clip_twice(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Two requests at once never fetch a clip twice: each clip is downloaded by one
    and reported skipped by the other."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        env.sim.set_latency(0.05)  # every clip takes a while, so the requests overlap
        front = json.dumps({"since": EVERYTHING, "camera": "Front Door"})
        both = await asyncio.gather(
            env.rr("download-since", EVERYTHING, timeout=TIMEOUT),
            env.rr("download-since", front, timeout=TIMEOUT),
        )
        recent = await env.request("download-recent", b"", timeout=TIMEOUT)
        served = fetches(env.sim)
    first, second = (response["data"] for response, _ in both)
    assert first["failed"] == second["failed"] == []
    assert len(served) == len(set(served)) == 30
    mine = set(paths(first)) | set(paths(second))
    assert len(mine) == 30
    assert set(paths(first)).isdisjoint(paths(second))
    assert sorted(paths(second) + paths(second, "skipped")) == sorted(
        first["downloaded_clips"].get("Front Door", []) + first["skipped"].get("Front Door", [])
    )
    assert recent["data"]["downloaded_clips"] == {}
    assert sorted(recent["data"]["skipped"]) == sorted(CAMERAS)
    assert archive_files(tmp_path) == sorted(mine)


async def test_camera_names_never_leave_media_dir(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """A camera named like a path escape (`..`, `/`, a control character, 300 bytes) gets
    its clips inside MEDIA_DIR all the same."""
    evil = "../../outside/" + "x" * 300 + "\x07"
    base = with_clips([])
    home = base.networks[0]
    renamed = home.cameras[0].model_copy(update={"name": evil})
    chosen = base.model_copy(
        update={
            "networks": (
                home.model_copy(update={"cameras": (renamed, *home.cameras[1:])}),
                *base.networks[1:],
            )
        }
    )
    async with running_bridge(broker, base_topic, tmp_path / "w", chosen=chosen) as env:
        response = await env.request("download-since", {"since": EVERYTHING, "camera": evil})
    [saved] = response["data"]["downloaded_clips"].values()
    assert list(response["data"]["downloaded_clips"]) == [evil]
    assert len(saved) == 6
    media = (tmp_path / "w/media").resolve()
    for path in saved:
        target = (tmp_path / "w" / path).resolve()
        assert target.is_relative_to(media)
        assert is_valid_mp4(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]
    assert not (tmp_path / "outside").exists()
