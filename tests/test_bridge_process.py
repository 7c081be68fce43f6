"""`blink-mqtt run` as a real process: availability on SIGKILL (the will), SIGTERM and
SIGINT (clean `offline`, exit 0 within 5 s), requests kept in the broker across a
restart, and no secret in the process's log."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from blink_mqtt.settings import Settings
from blink_mqtt.simulator import Simulator
from tests import secrets_guard
from tests.bridge_env import (
    AnyBroker,
    BridgeEnv,
    bridge_log,
    bridge_settings,
    is_barrier,
    simulator,
    spawn_bridge,
    stop_process,
    wait_exit,
)
from tests.probe import Probe
from tests.sim_fixtures import CODE, PASSWORD

EXIT_WITHIN = 5.0
START_TIMEOUT = 30.0


def check_log(sim: Simulator, workdir: Path) -> str:
    """The process's log holds no password or token and no traceback."""
    log = bridge_log(workdir)
    secrets_guard.remember(PASSWORD, *sim.issued_tokens())
    leaks = secrets_guard.leaks([], extra_text=log)
    assert not leaks, leaks
    assert "Traceback" not in log, log[-3000:]
    return log


@asynccontextmanager
async def bridge_process(
    broker: AnyBroker, base_topic: str, workdir: Path, **overrides: Any
) -> AsyncIterator[tuple[BridgeEnv, subprocess.Popen[bytes]]]:
    """A simulator here, `blink-mqtt run` in a subprocess, logged in over MQTT (2FA)."""
    async with simulator() as (sim, url):
        settings = bridge_settings(broker, base_topic, workdir, url, **overrides)
        protocol = 5 if settings.mqtt_protocol == "5" else 3
        async with Probe(broker.host, broker.port, [f"{base_topic}/#"], protocol=protocol) as probe:
            env = BridgeEnv(sim, url, settings, probe)
            process = spawn_bridge(settings, workdir)
            try:
                await log_in(env)
                yield env, process
            finally:
                stop_process(process)
                check_log(sim, workdir)


async def log_in(env: BridgeEnv, after: int = 0) -> None:
    """Wait for the spawned bridge; answer its 2FA request when it asks."""
    waiting = await env.probe.wait_for(
        env.topics.bridge_auth,
        lambda m: m.json()["state"] in ("2fa_required", "ok"),
        after=after,
        timeout=START_TIMEOUT,
    )
    if waiting.json()["state"] == "2fa_required":
        response = await env.exchange("2fa", CODE)
        assert response["status"] == "ok", response
    await env.probe.wait_for(
        env.topics.bridge_auth, lambda m: m.json()["state"] == "ok", after=after
    )
    await env.probe.wait_for(env.topics.bridge_state, lambda m: m.payload == b"online")


async def retained_state(settings: Settings) -> bytes:
    topic = f"{settings.mqtt_base_topic}/bridge/state"
    async with Probe(settings.mqtt_host, settings.mqtt_port, [topic]) as fresh:
        message = await fresh.wait_for(topic)
    assert message.retain
    return message.payload


async def test_sigkill_sets_offline_through_the_will(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with bridge_process(broker, base_topic, tmp_path) as (env, process):
        mark = env.probe.mark()
        process.send_signal(signal.SIGKILL)
        assert await wait_exit(process, EXIT_WITHIN) == -signal.SIGKILL
        offline = await env.probe.wait_for(env.topics.bridge_state, after=mark)
        assert offline.payload == b"offline"
        assert offline.retain
        assert await retained_state(env.settings) == b"offline"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_says_offline_and_exits_0_within_5_s(
    broker: AnyBroker, base_topic: str, tmp_path: Path, signum: signal.Signals
) -> None:
    async with bridge_process(broker, base_topic, tmp_path) as (env, process):
        # a request in flight when the signal comes is still answered (busy, retry later)
        env.sim.add_fault("snap", "delay", count=1, seconds=4)
        mark = env.probe.mark()
        await env.probe.publish(
            env.topics.request("snap"), json.dumps({"id": "slow", "camera": "Front Door"})
        )
        health = await env.exchange("health")
        assert health["data"]["requests_in_flight"] >= 2, health

        started = time.monotonic()
        process.send_signal(signum)
        assert await wait_exit(process, EXIT_WITHIN) == 0
        assert time.monotonic() - started < EXIT_WITHIN

        answer = await env.probe.wait_for(env.topics.response("snap"), after=mark)
        assert answer.json()["id"] == "slow"
        assert answer.json()["error"]["code"] == "busy"
        assert len(env.published(env.topics.response("snap"), after=mark)) == 1
        offline = await env.probe.wait_for(env.topics.bridge_state, after=mark)
        assert offline.payload == b"offline"
        assert offline.retain
        assert await retained_state(env.settings) == b"offline"
        assert "Stopped" in check_log(env.sim, tmp_path)


@pytest.mark.parametrize("protocol", ["5", "3.1.1"], ids=["v5", "v311"])
async def test_a_request_sent_while_the_process_is_down_is_answered_after_restart(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: str
) -> None:
    async with bridge_process(broker, base_topic, tmp_path, mqtt_protocol=protocol) as (
        env,
        process,
    ):
        process.send_signal(signal.SIGTERM)
        assert await wait_exit(process, EXIT_WITHIN) == 0
        await env.probe.wait_for(env.topics.bridge_state, lambda m: m.payload == b"offline")

        mark = env.probe.mark()
        # (health: it is answered even before the new process has logged in)
        await env.probe.publish(
            env.topics.request("health"), json.dumps({"id": "while-down"}), qos=1
        )
        logins = env.sim.counters()["full_logins"]
        again = spawn_bridge(env.settings, tmp_path)  # same client id, same saved login
        try:
            answer = await env.probe.wait_for(
                env.topics.response("health"), after=mark, timeout=START_TIMEOUT
            )
            assert answer.json()["id"] == "while-down"
            assert answer.json()["status"] == "ok"
            await log_in(env, after=mark)
            assert env.sim.counters()["full_logins"] == logins  # restarted without 2FA
            await env.barrier()
            answers = env.published(env.topics.response("health"), after=mark)
            assert [a.json()["id"] for a in answers if not is_barrier(a)] == ["while-down"]
        finally:
            stop_process(again)


async def test_sigterm_while_the_broker_is_down_exits_within_5_s(
    fresh_broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with bridge_process(fresh_broker, base_topic, tmp_path) as (_, process):
        fresh_broker.stop()
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert await wait_exit(process, EXIT_WITHIN) == 0
        assert time.monotonic() - started < EXIT_WITHIN


async def test_sigterm_while_blink_hangs_in_login_exits_within_5_s(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        sim.add_fault("oauth_signin", "delay", seconds=30)
        settings = bridge_settings(broker, base_topic, tmp_path, url)
        async with Probe(broker.host, broker.port, [f"{base_topic}/#"]) as probe:
            env = BridgeEnv(sim, url, settings, probe)
            process = spawn_bridge(settings, tmp_path)
            try:
                await env.wait_auth("logging_in", timeout=START_TIMEOUT)
                await probe.wait_for(env.topics.bridge_state, lambda m: m.payload == b"online")
                assert await env.exchange("health", rr=False)  # connected and answering
                mark = probe.mark()
                started = time.monotonic()
                process.send_signal(signal.SIGTERM)
                assert await wait_exit(process, EXIT_WITHIN) == 0
                assert time.monotonic() - started < EXIT_WITHIN
                offline = await probe.wait_for(env.topics.bridge_state, after=mark)
                assert offline.payload == b"offline"
            finally:
                stop_process(process)
        check_log(sim, tmp_path)
