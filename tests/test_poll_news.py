"""What a poll asks Blink for, and what it makes of the media listing (issues 10 and 11):
no clip is read on a poll, a bounded number of requests per poll, live views and
snapshots are not motion, and a doorbell press is a `doorbell` event.

Requests are counted by the simulator per endpoint (its telemetry, as `/_sim/counters`
shows it), so the counts do not depend on the bridge's own bookkeeping."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

from bench.scenarios import cameras
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.test_bridge_state import new_clip, next_second, quiet, refresh

BIG_CLIP = 8 << 20
STEADY_POLL = {"homescreen": 1, "media_changed": 1, "network_update": 2, "camera_config": 2}
"""The default account: Home and Cabin are networks with a sync module; Front Door and
Backyard the cameras with a config of their own (Minis and doorbells are in the
homescreen)."""


async def polled(env: BridgeEnv) -> tuple[int, dict[str, int]]:
    """A poll with the simulator's counters reset before it: (mark, requests by endpoint)."""
    env.sim.reset_telemetry()
    mark = await refresh(env)
    return mark, dict(env.sim.counters().requests)


def events(env: BridgeEnv, slug: str, after: int) -> list[dict[str, object]]:
    return [m.json() for m in env.published(env.topics.camera_event(slug), after=after)]


def camera_state(env: BridgeEnv, slug: str) -> dict[str, object]:
    message = env.published(env.topics.camera_state(slug))[-1]
    assert message.retain
    parsed: dict[str, object] = message.json()
    return parsed


async def test_a_poll_that_sees_a_new_clip_reads_no_clip(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        await next_second()
        recorded = env.sim.add_clip("Front Door", age_seconds=0, size=BIG_CLIP).created_at
        mark, requests = await polled(env)
        assert [e["event_type"] for e in events(env, "front_door", mark)] == ["motion"]
        assert camera_state(env, "front_door")["motion_detected"] is True
        last = camera_state(env, "front_door")["last_record"]
        assert isinstance(last, str)
        assert datetime.fromisoformat(last) == recorded
        assert requests == STEADY_POLL  # no `clip`, no `camera_signals`, no thumbnail

        _, requests = await polled(env)  # and a quiet poll asks for the same
        assert requests == STEADY_POLL


async def test_auto_download_reads_a_new_clip_exactly_once(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(
        broker, base_topic, tmp_path, auto_download=True, timedelta_hours=0.01
    ) as env:
        await quiet(env)
        recorded = await new_clip(env, "Front Door")
        env.sim.reset_telemetry()
        mark = await refresh(env)
        saved = await env.probe.wait_for(
            env.topics.camera_event("front_door"),
            lambda m: m.json()["event_type"] == "clip_saved",
            after=mark,
            timeout=30,
        )
        assert datetime.fromisoformat(saved.json()["recorded_at"]) == recorded
        await env.barrier()
        assert env.sim.counters().requests.get("clip") == 1


async def test_requests_per_poll_at_50_cameras(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Issue 11's target: at most 60 requests per poll at 50 cameras (networks of 10).
    One homescreen and one media listing for the account, one network state per sync
    module, one config per camera; never `signals`, a clip or a USB manifest."""
    async with running_bridge(broker, base_topic, tmp_path, chosen=cameras(50)) as env:
        await env.settle()
        await refresh(env)
        _, requests = await polled(env)
    assert requests == {
        "homescreen": 1,
        "media_changed": 1,
        "network_update": 5,
        "camera_config": 50,
    }
    assert sum(requests.values()) <= 60


async def test_a_live_view_or_a_snapshot_is_not_motion(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """home-assistant/core#120383: a saved live view showed as motion. It is a clip (the
    camera's newest: `last_record`), but not motion; a snapshot item is neither."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        await next_second()
        live = env.sim.add_clip("Front Door", age_seconds=0, source="liveview").created_at
        mark = await refresh(env)
        assert events(env, "front_door", mark) == []
        state = camera_state(env, "front_door")
        assert state["motion_detected"] is False
        assert isinstance(state["last_record"], str)
        assert datetime.fromisoformat(state["last_record"]) == live

        await next_second()
        env.sim.add_clip("Front Door", age_seconds=0, source="pir", kind="snapshot")
        mark = await refresh(env)
        assert events(env, "front_door", mark) == []
        assert env.published(env.topics.camera_state("front_door"), after=mark) == []

        # motion still shows for a motion clip after them, with the motion clip's time
        # even when a live view follows it before the next poll
        recorded = await new_clip(env, "Front Door")
        await next_second()
        live = env.sim.add_clip("Front Door", age_seconds=0, source="liveview").created_at
        mark = await refresh(env)
        [event] = events(env, "front_door", mark)
        assert event["event_type"] == "motion"
        assert isinstance(event["recorded_at"], str)
        assert datetime.fromisoformat(event["recorded_at"]) == recorded
        state = camera_state(env, "front_door")
        assert state["motion_detected"] is True
        assert state["last_record"] == live.isoformat()


async def test_a_button_press_is_a_doorbell_event(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Blink lists a doorbell press as a clip with `source: button_press`: the doorbell's
    event topic gets one `doorbell` event (not motion), and its Home Assistant device has
    a Doorbell event entity that passes only those."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        await next_second()
        pressed = env.sim.add_clip("Porch", age_seconds=0, source="button_press").created_at
        mark = await refresh(env)
        [event] = events(env, "porch", mark)
        assert event == {
            "event_type": "doorbell",
            "camera": "Porch",
            "pressed_at": pressed.isoformat(),
        }
        assert camera_state(env, "porch")["motion_detected"] is False
        assert "pressed_at" not in camera_state(env, "porch")

        mark = await refresh(env)  # a press is one event
        assert events(env, "porch", mark) == []

        porch = json.loads(env.published(env.topics.discovery("blink_G8D1-4004-PRCH"))[-1].payload)
        doorbell = porch["components"]["doorbell"]
        assert doorbell["platform"] == "event"
        assert doorbell["device_class"] == "doorbell"
        assert doorbell["event_types"] == ["doorbell"]
        assert doorbell["state_topic"] == env.topics.camera_event("porch")
        front = json.loads(env.published(env.topics.discovery("blink_G8T1-4001-FRNT"))[-1].payload)
        assert "doorbell" not in front["components"]


async def test_a_request_waits_for_one_step_of_a_poll_not_the_whole_poll(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Each camera's update is its own step: a `snap` sent while the poll waits for one
    camera's config reaches Blink before the poll's next step. Both cameras with a config
    of their own answer it 3 s late; the snap is sent once the first has answered."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        for camera_id in (4001, 4002):
            env.sim.add_fault(
                "camera_config", "delay", count=1, path_contains=f"/{camera_id}/", seconds=3
            )
        start = len(env.sim.request_log())
        poll = asyncio.create_task(env.rr("refresh"))
        async with asyncio.timeout(30):
            await env.sim.wait_for_request(lambda r: r.endpoint == "camera_config", after=start)
        snap = await env.rr("snap", "Kitchen", timeout=30)
        assert (await poll)[0]["status"] == snap[0]["status"] == "ok"
        order = [r.endpoint for r in env.sim.request_log()[start:]]
    # the poll: homescreen, media, Home, Front Door, Backyard, then Cabin's network state
    assert order.index("snap") < len(order) - 1 - order[::-1].index("network_update"), order


async def test_a_failed_listing_costs_the_news_of_one_poll_not_the_poll(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """The media list answers 500 once: that poll still updates the devices; the next
    one finds the clip."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        recorded = await new_clip(env, "Front Door")
        env.sim.set_sync_module_online("Cabin", False)
        env.sim.add_fault("media_changed", "500", count=1)
        mark = await refresh(env)
        assert events(env, "front_door", mark) == []
        cabin = env.published(env.topics.sync_state("cabin"), after=mark)
        assert [m.json()["online"] for m in cabin] == [False]
        mark = await refresh(env)
        [event] = events(env, "front_door", mark)
        assert event["event_type"] == "motion"
        assert event["recorded_at"] == recorded.isoformat()


async def test_a_poll_that_fails_on_its_way_leaves_its_news_to_the_next(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Blink rejects Front Door's config three times over (three token refreshes): that
    poll fails and publishes nothing; the next one still finds the new clip."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await quiet(env)
        recorded = await new_clip(env, "Front Door")
        env.sim.add_fault("camera_config", "401", count=3, path_contains="/4001/")
        mark = env.probe.mark()
        answer = await env.exchange("refresh")
        assert answer["status"] == "error"
        assert answer["error"]["code"] == "blink_unavailable"
        assert events(env, "front_door", mark) == []
        mark = await refresh(env)
        [event] = events(env, "front_door", mark)
        assert event["event_type"] == "motion"
        assert event["recorded_at"] == recorded.isoformat()
