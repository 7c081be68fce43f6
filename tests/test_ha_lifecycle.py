"""Home Assistant discovery over a real broker: on connect, after HA's birth message,
when devices leave the account, with discovery turned off, across restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import ClientSession

from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.ha_view import (
    BRIDGE_KEYS,
    CAMERA_KEYS,
    SYNC_KEYS,
    DeviceConfig,
    account_devices,
    config_topic,
    latest_configs,
    wait_configs,
)
from tests.probe import probe

BIRTH_TIMEOUT = 15.0
"""The bridge answers HA's birth after a random 1-3 s (service.HA_BIRTH_DELAY)."""


def bridge_config(env: BridgeEnv, known: set[str]) -> DeviceConfig:
    others = [
        config
        for object_id, config in latest_configs(env.probe, env.settings.ha_discovery_prefix).items()
        if object_id not in known
    ]
    assert len(others) == 1, [c.object_id for c in others]
    return others[0]


async def test_configs_on_connect_one_per_device(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        cameras, syncs = account_devices(env.sim)
        assert (len(cameras), len(syncs)) == (5, 2)
        await wait_configs(env, {*cameras, *syncs}, after=0)
        configs = latest_configs(env.probe, env.settings.ha_discovery_prefix)
        bridge = bridge_config(env, {*cameras, *syncs})
        assert set(bridge.components) == BRIDGE_KEYS
        assert bridge.components["two_factor_code"]["command_topic"] == f"{base_topic}/request/2fa"
        for object_id, sync_id in cameras.items():
            config = configs[object_id]
            doorbell = {"doorbell"} if object_id == "blink_G8D1-4004-PRCH" else set()
            assert set(config.components) == CAMERA_KEYS | doorbell, object_id
            assert config.device["manufacturer"] == "Blink"
            assert config.device["serial_number"] == object_id.removeprefix("blink_")
            assert config.device.get("via_device", "") == sync_id, object_id
        for object_id, name in syncs.items():
            assert set(configs[object_id].components) == SYNC_KEYS
            assert configs[object_id].device["name"] == name
        every_uid = [uid for c in configs.values() for uid in c.unique_ids()]
        assert len(every_uid) == len(set(every_uid)) == 5 * 12 + 1 + 2 * 2 + 3  # 1: Doorbell
        for object_id, config in configs.items():
            for comp in config.components.values():
                assert comp["availability"][0] == {"topic": f"{base_topic}/bridge/state"}
                if object_id in syncs or object_id.startswith("blink_bridge_"):
                    assert len(comp["availability"]) == 1
                else:
                    assert comp["availability"][1]["topic"].startswith(f"{base_topic}/camera/")


async def test_ha_birth_republishes_configs_then_states(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        cameras, syncs = account_devices(env.sim)
        await wait_configs(env, {*cameras, *syncs}, after=0)
        bridge_id = bridge_config(env, {*cameras, *syncs}).object_id
        mark = env.probe.mark()
        await env.probe.publish(f"{env.settings.ha_discovery_prefix}/status", "online")
        async with asyncio.timeout(BIRTH_TIMEOUT):
            sent = await wait_configs(env, {*cameras, *syncs, bridge_id}, after=mark)
        last_config = max(sent.values())
        state = await env.probe.wait_for(
            f"{base_topic}/camera/+/state", after=last_config, timeout=BIRTH_TIMEOUT
        )
        assert state.retain
        assert state.json()["serial"]
        sync_state = await env.probe.wait_for(f"{base_topic}/sync/+/state", after=last_config)
        assert sync_state.json()["name"] in syncs.values()


async def test_devices_that_leave_the_account_have_their_configs_cleared(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        cameras, syncs = account_devices(env.sim)
        await wait_configs(env, {*cameras, *syncs}, after=0)
        async with ClientSession() as http:
            for path in ("cameras/Backyard", "sync_modules/Cabin"):
                async with http.delete(f"{env.sim_url}/_sim/{path}") as resp:
                    assert resp.status == 200, path
        mark = env.probe.mark()
        response = await env.request("refresh")
        assert response["status"] == "ok", response
        assert response["data"]["cameras"] == 3
        gone = {"blink_G8T1-4002-BKYD", "blink_G8D1-4004-PRCH", "blink_sync_G8SM-3002-CABN"}
        assert gone <= {*cameras, *syncs}
        prefix = env.settings.ha_discovery_prefix
        cleared = {
            m.topic.split("/")[-2]
            for m in env.probe.received[mark:]
            if m.topic.startswith(f"{prefix}/device/") and not m.payload
        }
        assert cleared == gone
        for object_id in gone:
            message = env.probe.on(config_topic(env, object_id))[-1]
            assert (message.retain, message.payload) == (True, b"")
        assert env.probe.on(f"{base_topic}/camera/backyard/state")[-1].payload == b""
        assert env.probe.on(f"{base_topic}/sync/cabin/state")[-1].payload == b""
        left = latest_configs(env.probe, prefix)
        assert set(left) >= {*cameras, *syncs} - gone
        assert not set(left) & gone


async def test_unique_ids_are_stable_across_restarts(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    prefix = f"{base_topic}-ha"
    async with running_bridge(broker, base_topic, tmp_path / "first") as env:
        cameras, syncs = account_devices(env.sim)
        await wait_configs(env, {*cameras, *syncs}, after=0)
        first = {o: c.unique_ids() for o, c in latest_configs(env.probe, prefix).items()}
    async with running_bridge(broker, base_topic, tmp_path / "second") as env:
        for object_id in first:
            topic = config_topic(env, object_id)
            replayed = await env.probe.wait_for(topic)  # the first run's, retained
            await env.probe.wait_for(topic, lambda m: bool(m.payload), after=replayed.index + 1)
        second = {o: c.unique_ids() for o, c in latest_configs(env.probe, prefix).items()}
    assert second == first
    assert len(first) == 8


async def test_discovery_off_clears_configs_of_an_earlier_run_and_publishes_none(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path / "on") as env:
        cameras, syncs = account_devices(env.sim)
        await wait_configs(env, {*cameras, *syncs}, after=0)
        published = set(latest_configs(env.probe, env.settings.ha_discovery_prefix))
        assert len(published) == len(cameras) + len(syncs) + 1
    async with running_bridge(broker, base_topic, tmp_path / "off", ha_discovery=False) as env:
        for object_id in published:
            topic = config_topic(env, object_id)
            await env.probe.wait_for(topic, lambda m: m.payload == b"" and m.retain)
        assert (await env.request("health"))["status"] == "ok"  # all it queued is sent
        for object_id in published:
            sent = [m.payload for m in env.probe.on(config_topic(env, object_id))]
            assert sent[0], object_id  # the first run's, retained
            assert sent[1:] == [b""], object_id  # cleared, and nothing new
        prefix = env.settings.ha_discovery_prefix
        async with probe(broker.host, broker.port, f"{prefix}/#") as fresh:
            await fresh.publish(f"{prefix}/barrier", "after the retained ones")
            await fresh.wait_for(f"{prefix}/barrier")
            assert [m.topic for m in fresh.received] == [f"{prefix}/barrier"]
