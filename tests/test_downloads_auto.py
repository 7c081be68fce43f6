"""AUTO_DOWNLOAD=true: a poll that saw new clips archives them, in the background, one
run at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blink_mqtt.mediafile import is_valid_mp4
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.downloads_support import (
    CAMERAS,
    ages_since,
    cloud_clip_path,
    fetches,
    leftovers,
    progress_of,
    sorted_path,
)
from tests.probe import Received

TIMEOUT = 30
LOOKBACK = 50  # minutes: the first run also saves the scenario's clips younger than this


async def saved(env: BridgeEnv, path: str, after: int) -> Received:
    return await env.probe.wait_for(
        f"{env.topics.base}/camera/front_door/event",
        lambda m: m.json().get("event_type") == "clip_saved" and m.json()["path"] == path,
        after=after,
        timeout=TIMEOUT,
    )


def runs(progress: list[Any]) -> list[list[int]]:
    """Progress messages split into runs: each run counts 1, 2, ... total."""
    found: list[list[int]] = []
    for message in progress:
        if message["done"] == 1:
            found.append([])
        found[-1].append(message["done"])
        assert message["total"] >= message["done"]
    return found


async def test_new_clips_are_archived_after_a_poll_without_delaying_polls(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Clips A (slow to download) and B appear; a poll starts a run that saves both. While
    A is still downloading, clip C appears and another poll answers at once; C is
    archived by a second run after the first, never by two runs at once."""
    async with running_bridge(
        broker, base_topic, tmp_path, auto_download=True, timedelta_hours=LOOKBACK / 60
    ) as env:
        mark = env.probe.mark()
        a = env.sim.add_clip("Front Door", age_seconds=60)
        b = env.sim.add_clip("Front Door", age_seconds=1)
        slow = cloud_clip_path(a.cloud_id)
        env.sim.add_fault("clip", "slow_body", count=1, path_contains=slow, seconds=3)
        first_poll = await env.request("refresh")
        b_saved = await saved(env, sorted_path("Front Door", b.created_at), mark)
        c = env.sim.add_clip("Front Door", age_seconds=0)
        second_poll = env.probe.mark()
        await env.request("refresh")
        a_saved = await saved(env, sorted_path("Front Door", a.created_at), mark)
        c_saved = await saved(env, sorted_path("Front Door", c.created_at), mark)
        await env.probe.wait_for(
            f"{base_topic}/bridge/progress",
            lambda m: m.json()["path"] == sorted_path("Front Door", c.created_at),
            after=mark,
        )
        progress = progress_of(env.probe, base_topic, "auto-download", mark)
        slow_fetches = fetches(env.sim, slow)
    assert first_poll["status"] == "ok"
    assert b_saved.index < second_poll < a_saved.index, "the poll did not wait for A"
    assert c_saved.index > a_saved.index, "C came with the second run"
    first_run = 2 + sum(ages_since(camera, LOOKBACK) for camera in CAMERAS)
    assert runs(progress) == [list(range(1, first_run + 1)), [1]]
    assert {p["id"] for p in progress} == {None}
    assert len(slow_fetches) == 1
    for clip in (a, b, c):
        assert is_valid_mp4(tmp_path / sorted_path("Front Door", clip.created_at))
    assert leftovers(tmp_path) == []
