"""Home Assistant's controls, driven with the payloads of the published discovery configs
(rendered as HA renders them), change the simulated Blink account; the state templates
turn the live retained states into states HA accepts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from blink_mqtt.mediafile import is_valid_jpeg
from tests import ha_view
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.ha_view import (
    Command,
    DeviceConfig,
    account_devices,
    latest_configs,
    state_of,
    wait_configs,
)
from tests.sim_fixtures import CODE

FRONT_DOOR, GARAGE, BACKYARD = (
    "blink_G8T1-4001-FRNT",
    "blink_G8M1-4003-GRGE",
    "blink_G8T1-4002-BKYD",
)
HOME, CABIN = "blink_sync_G8SM-3001-HOME", "blink_sync_G8SM-3002-CABN"


async def configs_of(env: BridgeEnv) -> dict[str, DeviceConfig]:
    """Every device's config, once the bridge published the whole account and the states
    the configs' templates read."""
    cameras, syncs = account_devices(env.sim)
    await wait_configs(env, {*cameras, *syncs}, after=0)
    configs = latest_configs(env.probe, env.settings.ha_discovery_prefix)
    for _, _, comp in ha_view.stateful(configs.values()):
        await env.probe.wait_for(comp["state_topic"])
    return configs


def bridge_of(configs: dict[str, DeviceConfig]) -> DeviceConfig:
    return next(c for c in configs.values() if set(c.components) == ha_view.BRIDGE_KEYS)


async def send(env: BridgeEnv, command: Command) -> dict[str, Any]:
    """Publish what HA publishes and return the bridge's response to it."""
    name = env.topics.command_of(command.topic)
    assert name is not None, command.topic
    mark = env.probe.mark()
    await env.probe.publish(command.topic, command.payload)
    reply = await env.probe.wait_for(env.topics.response(name), after=mark, timeout=20)
    response: dict[str, Any] = reply.json()
    assert response["status"] == "ok", response
    return response


def shown(env: BridgeEnv, comp: dict[str, Any]) -> str:
    """The entity's state now: the newest message on its state topic, as HA renders it.
    States are published (on change) before the response to the command that changed
    them, so after a response this is current."""
    return state_of(comp, env.probe.on(comp["state_topic"])[-1].payload)


async def test_snapshot_and_record_buttons(env: BridgeEnv) -> None:
    front = (await configs_of(env))[FRONT_DOOR].components
    before = env.sim.snapshot().camera("Front Door")
    mark = env.probe.mark()
    response = await send(env, ha_view.press(front["snap"]))
    assert response["data"]["camera"] == "Front Door"
    assert response["data"]["fresh"] is True
    image = await env.probe.wait_for(front["camera"]["topic"], after=mark)
    assert image.retain
    assert is_valid_jpeg(image.payload)
    assert env.sim.snapshot().camera("Front Door").snapshots == before.snapshots + 1
    await send(env, ha_view.press(front["record"]))
    assert env.sim.snapshot().camera("Front Door").cloud_clips == before.cloud_clips + 1


async def test_motion_detection_switches(env: BridgeEnv) -> None:
    configs = await configs_of(env)
    for object_id, name in ((FRONT_DOOR, "Front Door"), (GARAGE, "Garage")):
        switch = configs[object_id].components["motion_detection"]
        assert env.sim.snapshot().camera(name).enabled is True
        for on, state in ((False, "OFF"), (True, "ON")):
            response = await send(env, ha_view.switch(switch, on))
            assert response["data"] == {"camera": name, "enabled": on}
            assert env.sim.snapshot().camera(name).enabled is on
            assert shown(env, switch) == state


async def test_alarm_panel_arms_and_disarms(env: BridgeEnv) -> None:
    configs = await configs_of(env)
    for object_id, name in ((CABIN, "Cabin"), (HOME, "Home")):
        panel = configs[object_id].components["alarm"]
        for action, armed, state in (
            ("arm_away", True, "armed_away"),
            ("disarm", False, "disarmed"),
        ):
            response = await send(env, ha_view.alarm(panel, action))
            assert response["data"] == {"sync_modules": {name: armed}}
            assert env.sim.snapshot().network(name).armed is armed
            assert shown(env, panel) == state


async def test_download_button(env: BridgeEnv, tmp_path: Path) -> None:
    bridge = bridge_of(await configs_of(env)).components
    response = await send(env, ha_view.press(bridge["download_recent"]))
    downloaded = response["data"]["downloaded_clips"]
    assert sum(len(paths) for paths in downloaded.values()) > 0
    for paths in downloaded.values():
        for path in paths:
            assert (tmp_path / path).stat().st_size > 0


async def test_text_entity_completes_a_pending_2fa_login(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, auto_2fa=False) as env:
        prefix = env.settings.ha_discovery_prefix
        await env.probe.wait_for(f"{prefix}/device/+/config", lambda m: bool(m.payload))
        (bridge,) = latest_configs(env.probe, prefix).values()  # no devices known yet
        auth, text = bridge.components["auth"], bridge.components["two_factor_code"]
        pending = env.probe.on(auth["state_topic"])[-1]
        assert state_of(auth, pending.payload) == "2fa_required"
        assert ha_view.is_valid_state(text, state_of(text, pending.payload))
        response = await send(env, ha_view.type_text(text, CODE))
        assert response["data"] == {"auth": "ok"}
        assert shown(env, auth) == "ok"
        configs = await configs_of(env)
        assert len(configs) == 8


async def test_state_templates_give_valid_states_from_live_payloads(env: BridgeEnv) -> None:
    configs = await configs_of(env)
    clip = env.sim.add_clip("Front Door", age_seconds=5)
    assert (await env.request("refresh"))["status"] == "ok"  # a poll sees the new clip
    shown: dict[tuple[str, str], str] = {}
    for object_id, key, comp in ha_view.stateful(configs.values()):
        latest = env.probe.on(comp["state_topic"])[-1]
        assert latest.retain, comp["state_topic"]
        state = state_of(comp, latest.payload)
        assert ha_view.is_valid_state(comp, state), (object_id, key, state)
        shown[object_id, key] = state
    unknown = [k for k, state in shown.items() if state == "None"]
    assert unknown == [], unknown
    assert shown[HOME, "alarm"] == "armed_away"
    assert shown[CABIN, "alarm"] == "disarmed"
    assert shown[HOME, "online"] == "ON"
    assert (shown[BACKYARD, "battery"], shown[FRONT_DOOR, "battery"]) == ("ON", "OFF")
    assert shown[FRONT_DOOR, "motion"] == "ON"
    assert datetime.fromisoformat(shown[FRONT_DOOR, "last_clip"]) == clip.created_at
    assert shown[FRONT_DOOR, "motion_detection"] == "ON"
    assert float(shown[FRONT_DOOR, "wifi"]) == -48
    assert float(shown[FRONT_DOOR, "temperature"]) == 20.0  # 68 °F
    bridge = bridge_of(configs)
    assert shown[bridge.object_id, "auth"] == "ok"
