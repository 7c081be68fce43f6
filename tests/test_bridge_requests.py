"""Every request of mqtt-api.md sections 2-3 end to end, under MQTT 5 and 3.1.1.

Each test runs the real Service against the in-process simulator and a real mosquitto,
sends requests the way a client of that protocol version does (v5: Response Topic and
Correlation Data; 3.1.1: answered on `<base>/response/<command>`, `id` echoed), and checks
what a user sees: the envelope, retained topics, files on disk and the simulator's state.
`BridgeEnv.exchange` also asserts that each request got exactly one response.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from blink_mqtt.mediafile import is_valid_jpeg
from tests.bridge_env import BOTH_PROTOCOLS, PROTOCOLS, AnyBroker, BridgeEnv, running_bridge
from tests.probe import Probe, Received
from tests.test_contract_pure import DOCUMENTED_CAMERA_FIELDS

CAMERAS = ["Front Door", "Backyard", "Garage", "Porch", "Kitchen"]
SYNC_FIELDS = {"name", "network_id", "armed", "online", "local_storage"}


def ok_data(response: dict[str, Any], command: str) -> Any:
    assert response["command"] == command, response
    assert response["status"] == "ok", response
    assert "error" not in response
    return response["data"]


def iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


async def retained_now(env: BridgeEnv, topic: str) -> bytes:
    """The retained payload a client subscribing now gets (after the bridge's pending
    publications have reached the broker)."""
    await env.barrier()
    async with Probe(env.settings.mqtt_host, env.settings.mqtt_port, [topic]) as fresh:
        message = await fresh.wait_for(topic, timeout=10)
    assert message.retain
    return message.payload


# --- cameras / get-camera-info -----------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("command", ["cameras", "get-camera-info"])
async def test_cameras_lists_every_camera_and_sync_module(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int, command: str
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, protocol=protocol) as env:
        data = ok_data(await env.exchange(command), command)
        assert sorted(c["name"] for c in data["cameras"]) == sorted(CAMERAS)
        for camera in data["cameras"]:
            assert camera.keys() >= DOCUMENTED_CAMERA_FIELDS, camera
        front = next(c for c in data["cameras"] if c["name"] == "Front Door")
        assert front["serial"] == "G8T1-4001-FRNT"
        assert front["camera_id"] == 4001
        assert front["sync_module"] == "Home"
        assert front["type"] == "catalina"
        kitchen = next(c for c in data["cameras"] if c["name"] == "Kitchen")
        assert kitchen["sync_module"] is None
        assert sorted(s["name"] for s in data["sync_modules"]) == ["Cabin", "Home"]
        for sync in data["sync_modules"]:
            assert sync.keys() >= SYNC_FIELDS, sync
        home = next(s for s in data["sync_modules"] if s["name"] == "Home")
        assert (home["network_id"], home["armed"], home["local_storage"]) == (2001, True, True)


@BOTH_PROTOCOLS
async def test_id_is_echoed_on_the_command_response_topic(env: BridgeEnv) -> None:
    for rid in ("42", 42, 4.5, "a b/c"):
        response = await env.exchange("cameras", {"id": rid}, rr=False)
        assert response["id"] == rid
        assert list(response)[:3] == ["id", "command", "status"]
    response = await env.exchange("health", b"", rr=False)
    assert "id" not in response


async def test_v5_response_topic_and_correlation_data(env: BridgeEnv) -> None:
    mark = env.probe.mark()
    response, message = await env.rr("cameras", json.dumps({"id": "r1"}))
    assert response["id"] == "r1"
    ok_data(response, "cameras")
    assert not message.retain
    await env.barrier()
    # the answer went only to the Response Topic, never to <base>/response/cameras
    assert env.published(env.topics.response("cameras"), after=mark) == []
    # a v5 request without a Response Topic is answered on <base>/response/<command>
    response = await env.exchange("cameras", b"", rr=False)
    ok_data(response, "cameras")


# --- snap --------------------------------------------------------------------------------


async def check_snap(
    env: BridgeEnv, workdir: Path, payload: str | dict[str, Any], name: str, slug: str
) -> bytes:
    before = env.sim.snapshot().camera(name).snapshots
    mark = env.probe.mark()
    data = ok_data(await env.exchange("snap", payload), "snap")
    assert data["camera"] == name
    assert data["path"] == f"media/{name}/last_snap.jpg"
    assert data["url"] is None
    assert data["fresh"] is True
    iso(data["taken_at"])
    saved: bytes = (workdir / data["path"]).read_bytes()
    assert is_valid_jpeg(saved)
    assert data["bytes"] == len(saved)
    assert env.sim.snapshot().camera(name).snapshots == before + 1
    image = await env.probe.wait_for(
        f"{env.topics.base}/camera/{slug}/image", lambda m: m.payload == saved, after=mark
    )
    if env.protocol == 5:
        assert image.retain
    event = await env.probe.wait_for(f"{env.topics.base}/camera/{slug}/event", after=mark)
    assert not event.retain
    assert event.json()["event_type"] == "snapshot"
    assert event.json()["camera"] == name
    assert event.json()["path"] == data["path"]
    assert event.json()["fresh"] is True
    return saved


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_snap_returns_a_new_image_saved_and_published(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, protocol=protocol) as env:
        old = await retained_now(env, f"{base_topic}/camera/front_door/image")
        first = await check_snap(env, tmp_path, "Front Door", "Front Door", "front_door")
        assert first != old
        second = await check_snap(
            env, tmp_path, {"camera": "front_door"}, "Front Door", "front_door"
        )
        assert second != first
        assert await retained_now(env, f"{base_topic}/camera/front_door/image") == second


async def test_snap_every_camera_kind_by_name_slug_or_serial(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    refs: list[tuple[str | dict[str, Any], str, str]] = [
        ("G8T1-4002-BKYD", "Backyard", "backyard"),  # default camera, by serial
        ("GARAGE", "Garage", "garage"),  # Mini on a sync module, case-insensitive name
        ('"Porch"', "Porch", "porch"),  # doorbell, a JSON string literal
        ({"camera": "kitchen", "id": 9}, "Kitchen", "kitchen"),  # standalone Mini, slug
    ]
    async with running_bridge(broker, base_topic, tmp_path) as env:
        for payload, name, slug in refs:
            await check_snap(env, tmp_path, payload, name, slug)


async def test_snap_url_joins_public_base_url_with_the_quoted_path(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(
        broker, base_topic, tmp_path, public_base_url="http://nas.local:8080/blink/"
    ) as env:
        data = ok_data(await env.exchange("snap", "Front Door"), "snap")
        assert data["url"] == "http://nas.local:8080/blink/media/Front%20Door/last_snap.jpg"


# --- arm / disarm ------------------------------------------------------------------------


async def sync_state(env: BridgeEnv, slug: str, mark: int, armed: bool) -> None:
    message = await env.probe.wait_for(
        f"{env.topics.base}/sync/{slug}/state", lambda m: m.json()["armed"] is armed, after=mark
    )
    if env.protocol == 5:
        assert message.retain


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_arm_and_disarm_one_sync_module(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, protocol=protocol) as env:
        assert env.sim.snapshot().network("Home").armed is True
        mark = env.probe.mark()
        data = ok_data(await env.exchange("disarm", "Home"), "disarm")
        assert data == {"sync_modules": {"Home": False}}
        assert env.sim.snapshot().network("Home").armed is False
        await sync_state(env, "home", mark, armed=False)
        assert env.sim.snapshot().network("Cabin").armed is False

        # Home Assistant's alarm panel: the serial and `armed` in one JSON object
        mark = env.probe.mark()
        request = {"sync_module": "G8SM-3002-CABN", "armed": True, "id": "panel"}
        response = await env.exchange("arm", request)
        assert response["id"] == "panel"
        assert ok_data(response, "arm") == {"sync_modules": {"Cabin": True}}
        assert env.sim.snapshot().network("Cabin").armed is True
        await sync_state(env, "cabin", mark, armed=True)

        mark = env.probe.mark()
        data = ok_data(await env.exchange("arm", {"sync_module": "cabin", "armed": False}), "arm")
        assert data == {"sync_modules": {"Cabin": False}}
        assert env.sim.snapshot().network("Cabin").armed is False
        await sync_state(env, "cabin", mark, armed=False)
        assert await retained_now(env, f"{base_topic}/sync/cabin/state") == (
            env.published(f"{base_topic}/sync/cabin/state")[-1].payload
        )


async def test_arm_and_disarm_all_sync_modules_only_when_asked_by_name(env: BridgeEnv) -> None:
    before = [n.armed for n in env.sim.snapshot().networks if n.sync_module_id]
    # an empty message (e.g. clearing a retained topic) must never act on every device
    for command, payload in (("arm", b""), ("disarm", "  "), ("disarm", {"id": 1})):
        response = await env.exchange(command, payload)
        assert response["error"]["code"] == "invalid_request", response
        assert '"all"' in response["error"]["message"]
    assert [n.armed for n in env.sim.snapshot().networks if n.sync_module_id] == before
    data = ok_data(await env.exchange("arm", "all"), "arm")
    assert data == {"sync_modules": {"Home": True, "Cabin": True}}
    assert [n.armed for n in env.sim.snapshot().networks if n.sync_module_id] == [True, True]
    data = ok_data(await env.exchange("disarm", {"sync_module": "ALL"}), "disarm")
    assert data == {"sync_modules": {"Home": False, "Cabin": False}}
    assert [n.armed for n in env.sim.snapshot().networks if n.sync_module_id] == [
        False,
        False,
    ]
    # a list of sync modules
    data = ok_data(await env.exchange("arm", {"sync_module": ["home", "Cabin"]}), "arm")
    assert data == {"sync_modules": {"Home": True, "Cabin": True}}


def motion_enabled_is(enabled: bool) -> Callable[[Received], bool]:
    return lambda m: m.json()["motion_enabled"] is enabled


# --- motion-detection --------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "camera",
    [
        pytest.param(("Front Door", "front_door"), id="default"),
        pytest.param(("Garage", "garage"), id="mini"),
        pytest.param(("Porch", "porch"), id="doorbell"),
        pytest.param(("Kitchen", "kitchen"), id="standalone-mini"),
    ],
)
async def test_motion_detection_for_each_camera_kind(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int, camera: tuple[str, str]
) -> None:
    name, slug = camera
    state_topic = f"{base_topic}/camera/{slug}/state"
    async with running_bridge(broker, base_topic, tmp_path, protocol=protocol) as env:
        assert env.sim.snapshot().camera(name).enabled is True
        for enabled in (False, True):
            mark = env.probe.mark()
            request = {"camera": name, "enabled": enabled}
            data = ok_data(await env.exchange("motion-detection", request), "motion-detection")
            assert data == {"camera": name, "enabled": enabled}
            assert env.sim.snapshot().camera(name).enabled is enabled
            state = await env.probe.wait_for(state_topic, motion_enabled_is(enabled), after=mark)
            if protocol == 5:
                assert state.retain


# --- record, refresh, health -------------------------------------------------------------


@BOTH_PROTOCOLS
async def test_record_adds_a_clip_in_the_cloud(env: BridgeEnv) -> None:
    before = env.sim.snapshot().camera("Backyard")
    data = ok_data(await env.exchange("record", "Backyard"), "record")
    assert data["camera"] == "Backyard"
    iso(data["requested_at"])
    after = env.sim.snapshot().camera("Backyard")
    assert after.cloud_clips == before.cloud_clips + 1
    assert after.usb_clips == before.usb_clips + 1  # Home has local storage
    assert len(env.requests_to("record")) == 1


@BOTH_PROTOCOLS
async def test_refresh_polls_blink(env: BridgeEnv) -> None:
    polls = len(env.requests_to("homescreen"))
    data = ok_data(await env.exchange("refresh"), "refresh")
    assert data["cameras"] == 5
    iso(data["refreshed_at"])
    assert len(env.requests_to("homescreen")) == polls + 1
    before = datetime.now(UTC)
    data = ok_data(await env.exchange("refresh", "{}"), "refresh")
    assert iso(data["refreshed_at"]) >= before
    health = ok_data(await env.exchange("health"), "health")
    assert iso(health["last_refresh"]) >= before


@BOTH_PROTOCOLS
async def test_health(env: BridgeEnv) -> None:
    data = ok_data(await env.exchange("health", b""), "health")
    assert {"uptime_s", "mqtt", "auth", "last_refresh", "blink_requests"} <= data.keys()
    assert isinstance(data["uptime_s"], int | float)
    assert data["uptime_s"] >= 0
    assert data["mqtt"] == "connected"
    assert data["auth"] == "ok"
    iso(data["last_refresh"])
    requests_so_far = len(env.sim.request_log())
    assert 0 < data["blink_requests"] <= requests_so_far
    await env.exchange("snap", "Garage")
    later = ok_data(await env.exchange("health", "{}"), "health")
    assert later["blink_requests"] > data["blink_requests"]
    assert later["uptime_s"] >= data["uptime_s"]
