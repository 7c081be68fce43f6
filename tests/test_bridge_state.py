"""Retained state on change only, motion events, and the image topic following thumbnails.

Changes are made in the simulator behind the bridge's back (as the Blink app or a camera
would), then a `refresh` request makes the bridge poll."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from blink_mqtt.mediafile import is_valid_jpeg
from blink_mqtt.simulator import routed_session
from blink_mqtt.state import AccountState, CameraState, changes
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.sim_fixtures import REST, access_token

STATE_TOPICS = ("camera/+/state", "sync/+/state", "camera/+/image", "camera/+/event")


async def refresh(env: BridgeEnv) -> int:
    """A `refresh` request; returns a mark before it, once all it published is in."""
    mark = env.probe.mark()
    response = await env.exchange("refresh")
    assert response["status"] == "ok", response
    return mark


async def quiet(env: BridgeEnv) -> None:
    """Settle the bridge's view: after login blinkpy counts the clips of the last
    REFRESH_INTERVAL as new motion; two polls later nothing is new."""
    await env.settle()
    await refresh(env)
    await refresh(env)


def state_messages(env: BridgeEnv, mark: int) -> list[str]:
    return [
        m.topic
        for pattern in STATE_TOPICS
        for m in env.published(f"{env.topics.base}/{pattern}", after=mark)
    ]


async def next_second() -> None:
    """Let the wall clock pass a whole second. blinkpy counts a clip as motion when its
    recording time (whole seconds) is later than the previous poll (whole seconds), and
    Blink lists no clip recorded in the future: a clip can only be "new" once a second
    boundary has passed since the last poll. This waits for the clock, not the bridge."""
    await asyncio.sleep(1.02 - time.time() % 1)


async def new_clip(env: BridgeEnv, camera: str) -> datetime:
    """A clip recorded now, after the last poll; returns its recording time."""
    await next_second()
    return env.sim.add_clip(camera, age_seconds=0).created_at


async def test_refresh_without_changes_publishes_no_state(env: BridgeEnv) -> None:
    await quiet(env)
    mark = await refresh(env)
    assert state_messages(env, mark) == []
    mark = await refresh(env)
    assert state_messages(env, mark) == []


async def test_a_change_publishes_only_the_changed_device(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        env.sim.set_sync_module_online("Cabin", False)
        mark = await refresh(env)
        assert state_messages(env, mark) == [f"{base_topic}/sync/cabin/state"]
        cabin = env.published(f"{base_topic}/sync/cabin/state", after=mark)[0]
        assert cabin.retain
        assert cabin.json()["online"] is False
        assert cabin.json()["name"] == "Cabin"

        env.sim.set_sync_module_online("Cabin", True)
        mark = await refresh(env)
        assert state_messages(env, mark) == [f"{base_topic}/sync/cabin/state"]
        assert env.published(f"{base_topic}/sync/cabin/state", after=mark)[0].json()["online"]


async def test_motion_event_after_a_new_clip(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        recorded = await new_clip(env, "Front Door")
        mark = await refresh(env)
        events = env.published(f"{base_topic}/camera/+/event", after=mark)
        assert [(e.topic, e.retain) for e in events] == [
            (f"{base_topic}/camera/front_door/event", False)
        ]
        event = events[0].json()
        assert event["event_type"] == "motion"
        assert event["camera"] == "Front Door"
        assert datetime.fromisoformat(event["recorded_at"]) == recorded
        state = env.published(f"{base_topic}/camera/front_door/state", after=mark)[-1]
        assert state.retain
        assert state.json()["motion_detected"] is True
        assert datetime.fromisoformat(state.json()["last_record"]) == recorded

        # a second clip at the next poll is a second motion event
        later = await new_clip(env, "Front Door")
        mark = await refresh(env)
        events = env.published(f"{base_topic}/camera/+/event", after=mark)
        assert [e.json()["event_type"] for e in events] == ["motion"]
        assert datetime.fromisoformat(events[0].json()["recorded_at"]) == later

        # a motion-free poll: no event, motion_detected back to false
        mark = await refresh(env)
        assert env.published(f"{base_topic}/camera/+/event", after=mark) == []
        state = env.published(f"{base_topic}/camera/front_door/state", after=mark)[-1]
        assert state.json()["motion_detected"] is False


async def test_image_topic_follows_a_thumbnail_taken_elsewhere(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        image_topic = f"{base_topic}/camera/backyard/image"
        old = env.published(image_topic)[-1].payload

        # the Blink app takes a snapshot of Backyard
        env.sim.set_two_factor(enabled=False)
        async with routed_session(env.sim_url) as session:
            token = await access_token(session)
            url = f"{REST}/network/2001/camera/4002/thumbnail"
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(url, headers=headers) as response:
                assert response.status == 200

        # the first poll cannot fetch the new image: nothing changes until one that can
        env.sim.add_fault("thumbnail", "500", count=1)
        mark = await refresh(env)
        assert state_messages(env, mark) == []
        mark = await refresh(env)
        images = env.published(f"{base_topic}/camera/+/image", after=mark)
        assert [m.topic for m in images] == [image_topic]
        assert images[0].retain
        assert is_valid_jpeg(images[0].payload)
        assert images[0].payload != old
        assert state_messages(env, mark) == [f"{base_topic}/camera/backyard/state", image_topic]
        # the snapshot file is the bridge's own `snap`: a thumbnail does not write it
        assert not (tmp_path / "media" / "Backyard" / "last_snap.jpg").exists()


def test_changes_counts_each_newer_clip_as_motion() -> None:
    """The pure rule behind the motion events above."""
    first = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    camera = CameraState("Front Door", "S1", 1, "Home", "catalina", slug="front_door")
    idle = replace(camera, motion_detected=False, last_record=first)
    moving = replace(camera, motion_detected=True, last_record=first)
    moving_on = replace(moving, last_record=first + timedelta(minutes=1))
    motion = [
        changes(AccountState((old,)), AccountState((new,))).motion
        for old, new in ((idle, moving), (moving, moving_on), (moving, moving), (moving, idle))
    ]
    assert [len(m) for m in motion] == [1, 1, 0, 0]
    assert len(changes(AccountState(), AccountState((moving,))).motion) == 1


async def test_ha_birth_resends_states_but_replays_no_motion_event(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        await new_clip(env, "Front Door")
        await refresh(env)  # Front Door now shows motion (one event, tested above)
        mark = env.probe.mark()
        await env.probe.publish(f"{env.settings.ha_discovery_prefix}/status", "online")
        state = await env.probe.wait_for(
            f"{base_topic}/camera/front_door/state", after=mark, timeout=10
        )
        assert state.json()["motion_detected"] is True
        await env.exchange("health")  # everything the re-publish queued is out
        assert env.published(f"{base_topic}/camera/+/event", after=mark) == []
