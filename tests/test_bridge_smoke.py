"""First end-to-end check: logged in through 2FA, state retained, a snap answered."""

from __future__ import annotations

from pathlib import Path

from blink_mqtt.mediafile import is_valid_jpeg
from tests.bridge_env import AnyBroker, running_bridge
from tests.probe import probe


async def test_snap_over_mqtt_v5(broker: AnyBroker, base_topic: str, tmp_path: Path) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        state = await env.probe.wait_for(f"{base_topic}/camera/front_door/state")
        assert state.retain
        assert state.json()["name"] == "Front Door"
        response, _ = await env.rr("snap", "Front Door")
        assert response["status"] == "ok", response
        saved = tmp_path / response["data"]["path"]
        assert is_valid_jpeg(saved.read_bytes())
        assert response["data"]["fresh"] is True


async def test_a_retained_request_is_ignored_not_run_on_every_restart(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with probe(broker.host, broker.port) as writer:
        await writer.publish(f"{base_topic}/request/disarm", b"Home", retain=True)
    try:
        async with running_bridge(broker, base_topic, tmp_path) as env:
            # refresh queues behind any blinkpy call a disarm would have made first
            response = await env.request("refresh")
            assert response["status"] == "ok"
            assert not env.probe.on(f"{base_topic}/response/disarm")
            assert env.sim.snapshot().network("Home").armed
    finally:
        async with probe(broker.host, broker.port) as writer:
            await writer.publish(f"{base_topic}/request/disarm", b"", retain=True)


async def test_last_record_is_known_right_after_login(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Each camera's newest cloud clip is in its state before any poll sees a new clip."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        world = env.sim.state.world
        for camera in world.cameras.values():
            newest = max(c.created_at for c in world.cloud.values() if c.camera_id == camera.id)
            slug = camera.name.lower().replace(" ", "_")
            state = await env.probe.wait_for(f"{base_topic}/camera/{slug}/state")
            assert state.json()["last_record"] == newest.isoformat(), camera.name
