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
