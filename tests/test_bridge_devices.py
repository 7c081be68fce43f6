"""Devices as they are (issue 10): a field a device does not report is null in its state
and has no Home Assistant entity; the entity comes and goes with the field. Seen through
MQTT, against the simulator's realistic account (unmodified blinkpy behind the bridge)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blink_mqtt.simulator import realistic_scenario
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.ha_rules import message_errors

FIELD_ENTITIES = {"battery": "battery", "temperature_c": "temperature", "wifi_strength": "wifi"}
GARAGE = "blink_G8M1-4003-GRGE"  # a Mini


def state(env: BridgeEnv, slug: str) -> dict[str, Any]:
    message = env.published(env.topics.camera_state(slug))[-1]
    assert message.retain
    parsed: dict[str, Any] = message.json()
    return parsed


def configs(env: BridgeEnv, object_id: str, after: int = 0) -> list[dict[str, Any]]:
    """The device's discovery configs as published, each checked against HA's rules."""
    topic = env.topics.discovery(object_id)
    out = []
    for message in env.published(topic, after=after):
        assert message_errors(topic, message.payload, env.topics.discovery_prefix) == []
        out.append(json.loads(message.payload))
    return out


def entities(env: BridgeEnv, object_id: str) -> set[str]:
    return set(configs(env, object_id)[-1]["components"])


async def refresh(env: BridgeEnv) -> int:
    mark = env.probe.mark()
    assert (await env.exchange("refresh"))["status"] == "ok"
    return mark


async def test_unreported_fields_are_null_and_have_no_entity(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, chosen=realistic_scenario()) as env:
        await env.settle()
        for slug in ("garage", "kitchen"):  # Minis: no battery, temperature or Wi-Fi
            payload = state(env, slug)
            assert [payload[f] for f in FIELD_ENTITIES] == [None, None, None], slug
        porch = state(env, "porch")  # the doorbell: a battery, no temperature, no Wi-Fi
        assert (porch["battery"], porch["temperature_c"], porch["wifi_strength"]) == (
            "ok",
            None,
            None,
        )
        backyard = state(env, "backyard")  # Wi-Fi -255 is Blink's "no reading"
        assert backyard["wifi_strength"] is None
        assert backyard["temperature_c"] is not None
        front = state(env, "front_door")
        assert all(front[f] is not None for f in FIELD_ENTITIES)

        full = entities(env, "blink_G8T1-4001-FRNT")
        assert set(FIELD_ENTITIES.values()) <= full
        for mini in (GARAGE, "blink_G8M1-4005-KTCH"):
            assert entities(env, mini) == full - {"battery", "temperature", "wifi"}, mini
        # the doorbell alone has a Doorbell event entity
        doorbell = entities(env, "blink_G8D1-4004-PRCH")
        assert doorbell == full - {"temperature", "wifi"} | {"doorbell"}
        assert "doorbell" not in full
        assert entities(env, "blink_G8T1-4002-BKYD") == full - {"wifi"}


async def test_an_entity_comes_and_goes_with_its_field(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, chosen=realistic_scenario()) as env:
        await env.settle()
        assert "wifi" not in entities(env, GARAGE)
        garage = env.sim.state.world.camera("Garage")

        garage.wifi_strength = -61  # the Mini starts reporting its signal
        mark = await refresh(env)
        assert state(env, "garage")["wifi_strength"] == -61
        [config] = configs(env, GARAGE, after=mark)
        assert config["components"]["wifi"]["unique_id"] == f"{GARAGE}_wifi"

        garage.wifi_strength = None  # and stops: HA is told to remove the entity
        mark = await refresh(env)
        assert state(env, "garage")["wifi_strength"] is None
        removal, final = configs(env, GARAGE, after=mark)
        assert removal["components"]["wifi"] == {"platform": "sensor"}
        assert [m.retain for m in env.published(env.topics.discovery(GARAGE), after=mark)] == [
            False,
            True,
        ]
        assert "wifi" not in final["components"]
        assert set(final["components"]) == set(removal["components"]) - {"wifi"}

        mark = await refresh(env)  # nothing changed: no config again
        assert configs(env, GARAGE, after=mark) == []
