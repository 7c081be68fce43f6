"""`blink-mqtt demo` is a sandbox: its own broker unless told otherwise; on someone else's
broker its own topics, no discovery, and nothing retained left behind. `health` asks it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from tests.bridge_env import AnyBroker
from tests.probe import Probe
from tests.test_cli import run_cli

START_TIMEOUT = 30.0


def _env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BLINK_", "MQTT_", "HA_"))}
    return {**clean, "LOG_LEVEL": "INFO", **extra}


async def _start_demo(cwd: Path, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    """The demo process and the first line it printed (where to reach it)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "blink_mqtt",
        "demo",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)).decode()
    assert line.startswith("blink-mqtt demo:"), line
    return proc, line


async def _stop(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(proc.communicate(), START_TIMEOUT)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def _retained(broker: AnyBroker) -> list[str]:
    """Every topic the broker holds a retained message on (all of them arrive before the
    marker published after subscribing)."""
    async with Probe(broker.host, broker.port, ["#"]) as probe:
        await probe.publish("marker/end", b"x")
        marker = await probe.wait_for("marker/end")
        return [m.topic for m in probe.received[: marker.index] if m.retain]


async def test_demo_on_a_broker_it_did_not_start_leaves_no_retained_topic(
    fresh_broker: AnyBroker, tmp_path: Path
) -> None:
    async with Probe(fresh_broker.host, fresh_broker.port, ["user/thing"]) as owner:
        await owner.publish("user/thing", b"kept", retain=True)
    env = _env(MQTT_HOST=fresh_broker.host, MQTT_PORT=str(fresh_broker.port))
    async with Probe(fresh_broker.host, fresh_broker.port, ["#"]) as probe:
        proc, line = await _start_demo(tmp_path, env)
        try:
            assert f"{fresh_broker.host}:{fresh_broker.port}" in line
            assert "base topic blink-demo" in line
            await probe.wait_for(
                "blink-demo/bridge/info", lambda m: bool(m.json()["cameras"]), timeout=30
            )
            health = await asyncio.to_thread(run_cli, "health", env=env, cwd=tmp_path)
            assert health.returncode == 0, health.stdout + health.stderr
            assert health.stdout.startswith("healthy: mqtt connected, auth ok")
            assert health.stdout.count("\n") == 1
        finally:
            status, err = await _stop(proc)
        assert status == 0, err
        published = {m.topic for m in probe.received}
    assert not [t for t in published if t.startswith("homeassistant/")]  # discovery off
    assert not [t for t in published if t.startswith("blink/")]
    assert await _retained(fresh_broker) == ["user/thing"]
    gone = await asyncio.to_thread(run_cli, "health", "--timeout", "1", env=env, cwd=tmp_path)
    assert gone.returncode == 1
    assert gone.stdout.startswith("unhealthy: no answer on blink-demo/request/health")


async def test_demo_without_broker_settings_runs_a_private_broker(tmp_path: Path) -> None:
    """No MQTT_HOST / MQTT_PORT: a private mosquitto on a free port, gone afterwards; a
    second start does not trip over the first one's saved (now stale) demo login."""
    for run in range(2):
        proc, line = await _start_demo(tmp_path, _env())
        try:
            found = re.search(r"MQTT broker at 127\.0\.0\.1:(\d+)", line)
            assert found, line
            port = int(found.group(1))
            async with Probe("127.0.0.1", port, ["blink/bridge/info"]) as probe:
                await probe.wait_for("blink/bridge/info", lambda m: bool(m.json()["cameras"]))
        finally:
            status, err = await _stop(proc)
        assert status == 0, err
        assert " ERROR " not in err, err
        if run == 1:
            assert (tmp_path / "data" / "demo-credentials.json").exists()
    with_no_broker = await asyncio.to_thread(
        run_cli, "health", env={"MQTT_PORT": str(port)}, cwd=tmp_path
    )
    assert with_no_broker.returncode == 1
    assert with_no_broker.stdout.startswith("unhealthy: cannot reach the MQTT broker")
    assert "MQTT_HOST/MQTT_PORT" in with_no_broker.stdout
