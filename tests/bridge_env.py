"""Running the whole bridge in a test: simulator in-process, real mosquitto, real MQTT.

`running_bridge(...)` starts a simulator and the Service (in this event loop, or as a
`blink-mqtt run` subprocess with `spawn_bridge`), with a unique base topic and discovery
prefix, and a Probe subscribed to both. Every secret the simulator issued is handed to
`secrets_guard` so the suite-wide check can look for it in logs and MQTT payloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from blink_mqtt.service import Service
from blink_mqtt.settings import Settings
from blink_mqtt.simulator import Scenario, Simulator, serve
from blink_mqtt.simulator.telemetry import RequestRecord
from blink_mqtt.topics import Topics
from tests import secrets_guard
from tests.broker import Broker, ContainerBroker
from tests.probe import Probe, Received
from tests.sim_fixtures import CODE, EMAIL, PASSWORD, scenario

AnyBroker = Broker | ContainerBroker
PROTOCOLS = [pytest.param(5, id="v5"), pytest.param(3, id="v311")]
"""MQTT 5 and 3.1.1, for tests that run under both."""
BOTH_PROTOCOLS = pytest.mark.parametrize("env", PROTOCOLS, indirect=True)
"""Runs a test taking the `env` fixture once per protocol."""
READY_TIMEOUT = 20.0
BARRIER_ID = "barrier-"


def bridge_settings(
    broker: AnyBroker, base_topic: str, workdir: Path, sim_url: str, **overrides: Any
) -> Settings:
    """Settings for a bridge of one test: its own topics, client id, data and media."""
    values: dict[str, Any] = {
        "blink_username": EMAIL,
        "blink_password": PASSWORD,
        "blink_simulator_url": sim_url,
        "data_dir": workdir / "data",
        "media_dir": workdir / "media",
        "mqtt_host": broker.host,
        "mqtt_port": broker.port,
        "mqtt_client_id": f"bridge-{uuid.uuid4().hex[:10]}",
        "mqtt_base_topic": base_topic,
        "ha_discovery_prefix": f"{base_topic}-ha",
        "refresh_interval": 3600,
        "tz": "UTC",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class BridgeEnv:
    sim: Simulator
    sim_url: str
    settings: Settings
    probe: Probe
    service: Service | None = None
    topics: Topics = field(init=False)

    def __post_init__(self) -> None:
        self.topics = Topics(self.settings.mqtt_base_topic, self.settings.ha_discovery_prefix)

    async def request(
        self, command: str, payload: bytes | str | dict[str, Any] = b"", *, timeout: float = 20
    ) -> dict[str, Any]:
        """A request answered on `<base>/response/<command>`."""
        return await self.probe.request(self.topics.base, command, payload, timeout=timeout)

    async def rr(
        self, command: str, payload: bytes | str = b"", *, timeout: float = 20
    ) -> tuple[dict[str, Any], Received]:
        """A v5 request with Response Topic and Correlation Data (like mosquitto_rr)."""
        reply = f"{self.topics.base}-reply/{uuid.uuid4().hex[:8]}"
        correlation = uuid.uuid4().bytes
        await self.probe.subscribe(reply)
        mark = self.probe.mark()
        await self.probe.publish(
            self.topics.request(command), payload, response_topic=reply, correlation=correlation
        )
        message = await self.probe.wait_for(reply, after=mark, timeout=timeout)
        assert message.correlation == correlation
        return message.json(), message

    async def wait_auth(self, state: str, timeout: float = READY_TIMEOUT) -> Received:
        return await self.probe.wait_for(
            self.topics.bridge_auth, lambda m: m.json()["state"] == state, timeout=timeout
        )

    @property
    def protocol(self) -> int:
        return 5 if self.settings.mqtt_protocol == "5" else 3

    async def barrier(self, timeout: float = 20) -> None:
        """Return once everything the bridge queued before now has reached the probe.

        A `health` answer leaves through the same first-in-first-out outbox as every other
        message, and the broker keeps the order of one publisher's QoS 1 messages.
        """
        rid = f"{BARRIER_ID}{uuid.uuid4().hex[:8]}"
        mark = self.probe.mark()
        await self.probe.publish(self.topics.request("health"), json.dumps({"id": rid}))
        await self.probe.wait_for(
            self.topics.response("health"),
            lambda m: m.json().get("id") == rid,
            after=mark,
            timeout=timeout,
        )

    async def settle(self) -> None:
        """Return once the state published after login has reached the probe (`bridge/info`
        lists the cameras once the first snapshot is out), so that later marks only see
        what a test itself causes."""
        await self.probe.wait_for(self.topics.bridge_info, lambda m: bool(m.json()["cameras"]))
        await self.barrier()

    async def exchange(
        self,
        command: str,
        payload: bytes | str | dict[str, Any] = b"",
        *,
        rr: bool | None = None,
        timeout: float = 20,
    ) -> dict[str, Any]:
        """One request sent the way a client of the bridge's protocol sends it (`rr`, the
        default under v5: Response Topic + Correlation Data; otherwise answered on
        `<base>/response/<command>`). Asserts that exactly one response came back."""
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        if rr if rr is not None else self.protocol == 5:
            response, message = await self.rr(command, payload, timeout=timeout)
            await self.barrier()
            answers = self.probe.on(message.topic)
        else:
            topic, mark = self.topics.response(command), self.probe.mark()
            await self.probe.publish(self.topics.request(command), payload)
            answer = await self.probe.wait_for(topic, after=mark, timeout=timeout)
            response = answer.json()
            await self.barrier()
            answers = [
                m for m in self.probe.received[mark:] if m.topic == topic and not is_barrier(m)
            ]
        assert len(answers) == 1, f"{len(answers)} responses to one {command!r} request: " + (
            ", ".join(m.text for m in answers)
        )
        return response

    def published(self, topic_filter: str, after: int = 0) -> list[Received]:
        """What the probe received on topics matching `topic_filter` since `after`."""
        return [
            m for m in self.probe.received[after:] if aiomqtt.Topic(m.topic).matches(topic_filter)
        ]

    def requests_to(self, *endpoints: str, after: int = 0) -> list[RequestRecord]:
        """The simulator's log entries for these endpoint names (from entry `after` on)."""
        return [r for r in self.sim.request_log()[after:] if r.endpoint in endpoints]


@contextlib.asynccontextmanager
async def simulator(chosen: Scenario | None = None) -> AsyncIterator[tuple[Simulator, str]]:
    sim = Simulator(chosen if chosen is not None else scenario())
    try:
        async with serve(sim) as url:
            yield sim, url
    finally:
        secrets_guard.remember(PASSWORD, *sim.issued_tokens())


@contextlib.asynccontextmanager
async def running_bridge(
    broker: AnyBroker,
    base_topic: str,
    workdir: Path,
    *,
    chosen: Scenario | None = None,
    protocol: int = 5,
    auto_2fa: bool = True,
    wait_ready: bool = True,
    probe_args: dict[str, Any] | None = None,
    **overrides: Any,
) -> AsyncIterator[BridgeEnv]:
    """The Service in this event loop against a fresh simulator; logged in when it yields.
    `probe_args` go to the test's own MQTT client (credentials, TLS)."""
    async with simulator(chosen) as (sim, url):
        wait_state = ("ok" if auto_2fa else "2fa_required") if wait_ready else None
        async with bridge_on(
            sim,
            url,
            broker,
            base_topic,
            workdir,
            protocol=protocol,
            auto_2fa=auto_2fa,
            wait_state=wait_state,
            probe_args=probe_args,
            **overrides,
        ) as env:
            yield env


def bridge_environment(settings: Settings) -> dict[str, str]:
    """The environment variables that make `blink-mqtt run` use these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLINK_", "MQTT_"))}
    for name, value in settings.model_dump(exclude_none=True).items():
        raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        env[name.upper()] = str(raw).lower() if isinstance(raw, bool) else str(raw)
    return env


def spawn_bridge(settings: Settings, workdir: Path) -> subprocess.Popen[bytes]:
    """`python -m blink_mqtt run` as a real process (for signals and kills); its log
    goes to `workdir/bridge.log`."""
    log = (workdir / "bridge.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "blink_mqtt", "run"],
        env=bridge_environment(settings),
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def is_barrier(message: Received) -> bool:
    """The answer to a `BridgeEnv.barrier()` request."""
    try:
        rid = json.loads(message.payload).get("id")
    except (ValueError, AttributeError):
        return False
    return isinstance(rid, str) and rid.startswith(BARRIER_ID)


@contextlib.asynccontextmanager
async def bridge_on(
    sim: Simulator,
    sim_url: str,
    broker: AnyBroker,
    base_topic: str,
    workdir: Path,
    *,
    protocol: int = 5,
    auto_2fa: bool = True,
    wait_state: str | None = "ok",
    probe_args: dict[str, Any] | None = None,
    **overrides: Any,
) -> AsyncIterator[BridgeEnv]:
    """Like `running_bridge`, against a simulator the caller runs (so that a second bridge,
    e.g. a restart from saved credentials, talks to the same Blink); `wait_state` is the
    auth state to wait for (None: don't wait)."""
    settings = bridge_settings(
        broker,
        base_topic,
        workdir,
        sim_url,
        mqtt_protocol="5" if protocol == 5 else "3.1.1",
        **overrides,
    )
    topics = [f"{base_topic}/#", f"{settings.ha_discovery_prefix}/#"]
    async with Probe(
        broker.host, broker.port, topics, protocol=protocol, **(probe_args or {})
    ) as probe:
        env = BridgeEnv(sim, sim_url, settings, probe)
        env.service = Service(settings, auto_2fa_code=CODE if auto_2fa else None)
        task = asyncio.create_task(env.service.run())
        try:
            if wait_state is not None:
                await env.wait_auth(wait_state)
            yield env
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def wait_exit(process: subprocess.Popen[bytes], timeout: float) -> int:
    """The exit status of a spawned bridge, awaited without blocking the event loop (the
    in-process simulator must keep answering it meanwhile)."""
    return await asyncio.to_thread(process.wait, timeout)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Kill a spawned bridge a test left running (test clean-up only)."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait(10)


def bridge_log(workdir: Path) -> str:
    """What a spawned bridge wrote (stdout and stderr)."""
    path = workdir / "bridge.log"
    return path.read_text(errors="replace") if path.exists() else ""
