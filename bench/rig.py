"""The bench rig: mosquitto, the simulator and the bridge, each in its own process.

* `mosquitto(workdir)`: a private mosquitto on a free loopback port (as tests/broker.py
  starts it: `set_tcp_nodelay true`, no persistence);
* `simulator(scenario, workdir, latency)`: `python -m blink_mqtt simulator` serving a
  scenario file, with LATENCY seconds added to every Blink request; steered over its
  control API (`/_sim/...`), which is neither logged nor delayed;
* `bridge(...)`: `python -m blink_mqtt run` configured through environment variables
  (as tests/bridge_env.py `bridge_environment` does), its RSS read from /proc;
* `Caller`: an MQTT v5 client doing request/response like `mosquitto_rr`.

Every process gets PYTHONPATH pointing at this checkout first, so that the code under
test is the checkout's and not an installed copy. Only loopback is ever used.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from blink_mqtt.simulator import Scenario

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
BASE = "bench/blink"
NO_DELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    """This environment without Blink/MQTT settings, the checkout first on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLINK_", "MQTT_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def load() -> str:
    """The 1-minute load average, for printing next to each figure."""
    return f"{os.getloadavg()[0]:.2f}"


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"process {process.args!r} did not listen on port {port}")
        time.sleep(0.02)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def mosquitto(workdir: Path) -> Iterator[int]:
    """A private mosquitto on a free loopback port; yields the port."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "mosquitto.conf"
    config.write_text(
        f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 10000\nset_tcp_nodelay true\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    process = subprocess.Popen(
        ["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_listening(port, process)
        yield port
    finally:
        _stop(process)


@dataclass(frozen=True, slots=True)
class Sim:
    """A simulator process and its control API."""

    url: str
    pid: int

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.url + path, json=body) as response,
        ):
            response.raise_for_status()
            text = await response.text()
        return json.loads(text) if text else None

    async def reset(self) -> None:
        await self.control("POST", "/_sim/reset", {})

    async def requests(self) -> dict[str, int]:
        """Blink requests per endpoint name since the last reset."""
        counters = await self.control("GET", "/_sim/counters")
        return dict(counters["requests"])

    async def add_clip(self, camera: str, size: int) -> None:
        await self.control("POST", "/_sim/clips", {"camera": camera, "size": size})


def _spawn_simulator(scenario: Scenario, workdir: Path) -> tuple[subprocess.Popen[bytes], Sim]:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"scenario-{uuid.uuid4().hex[:6]}.json"
    path.write_text(scenario.model_dump_json())
    port = free_port()
    command = [sys.executable, "-m", "blink_mqtt", "simulator", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--scenario", str(path)],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, process)
    except BaseException:
        _stop(process)
        raise
    return process, Sim(f"http://{HOST}:{port}", process.pid)


@contextlib.asynccontextmanager
async def simulator(scenario: Scenario, workdir: Path, latency: float) -> AsyncIterator[Sim]:
    """`blink-mqtt simulator` serving `scenario` in its own process, LATENCY per request."""
    process, sim = _spawn_simulator(scenario, workdir)
    try:
        await sim.control("POST", "/_sim/latency", {"seconds": latency})
        # Blink's own command latency (status polls a second apart) is the same for every
        # contender and would hide what the bridge adds.
        await sim.control("POST", "/_sim/options", {"command_pending_polls": 0})
        yield sim
    finally:
        _stop(process)


@dataclass(frozen=True, slots=True)
class Bridge:
    """A running `blink-mqtt run` process."""

    process: subprocess.Popen[bytes]
    workdir: Path

    def _status(self) -> dict[str, int]:
        lines = Path(f"/proc/{self.process.pid}/status").read_text().splitlines()
        fields = dict(line.split(":", 1) for line in lines)
        return {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM")}

    def rss_kib(self) -> int:
        return self._status()["VmRSS"]

    def peak_kib(self) -> int:
        return self._status()["VmHWM"]

    def reset_peak(self) -> None:
        """Set VmHWM to the current RSS (Linux `clear_refs` 5)."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")


def bridge_env(
    sim: Sim, mqtt_port: int, workdir: Path, scenario: Scenario, **settings: str
) -> dict[str, str]:
    values = {
        "BLINK_USERNAME": scenario.account.email,
        "BLINK_PASSWORD": scenario.account.password,
        "BLINK_SIMULATOR_URL": sim.url,
        "DATA_DIR": str(workdir / "data"),
        "MEDIA_DIR": str(workdir / "media"),
        "MQTT_HOST": HOST,
        "MQTT_PORT": str(mqtt_port),
        "MQTT_CLIENT_ID": f"bench-bridge-{uuid.uuid4().hex[:8]}",
        "MQTT_BASE_TOPIC": BASE,
        "HA_DISCOVERY_PREFIX": "bench-ha",
        "REFRESH_INTERVAL": "3600",
        "TZ": "UTC",
        "LOG_LEVEL": "WARNING",
    }
    values.update(settings)
    return child_env(**values)


@contextlib.contextmanager
def bridge(
    sim: Sim, mqtt_port: int, workdir: Path, scenario: Scenario, **settings: str
) -> Iterator[Bridge]:
    """`python -m blink_mqtt run` in its own process; its log is `workdir/bridge.log`."""
    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / "bridge.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "blink_mqtt", "run"],
            env=bridge_env(sim, mqtt_port, workdir, scenario, **settings),
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Bridge(process, workdir)
    finally:
        _stop(process)


@dataclass(frozen=True, slots=True)
class Answer:
    status: str  # "ok", "error" or "timeout"
    code: str | None  # the error code, e.g. "busy"
    ms: float
    data: Any


class Caller:
    """An MQTT v5 request/response client (Response Topic + Correlation Data)."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.reply = f"{BASE}-reply/{uuid.uuid4().hex[:8]}"
        self._waiting: dict[bytes, asyncio.Future[bytes]] = {}

    async def _read(self) -> None:
        async for message in self.client.messages:
            props = message.properties
            correlation = getattr(props, "CorrelationData", None) if props else None
            future = self._waiting.pop(correlation, None) if correlation else None
            if future is not None and not future.done():
                payload = message.payload
                future.set_result(payload if isinstance(payload, bytes) else b"")

    async def call(self, command: str, payload: str = "", wait: float = 60) -> Answer:
        correlation = uuid.uuid4().bytes
        future = asyncio.get_running_loop().create_future()
        self._waiting[correlation] = future
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.ResponseTopic = self.reply
        properties.CorrelationData = correlation
        start = time.perf_counter()
        await self.client.publish(
            f"{BASE}/request/{command}", payload.encode(), qos=1, properties=properties
        )
        try:
            raw = await asyncio.wait_for(future, wait)
        except TimeoutError:
            self._waiting.pop(correlation, None)
            return Answer("timeout", None, (time.perf_counter() - start) * 1000, None)
        ms = (time.perf_counter() - start) * 1000
        envelope = json.loads(raw)
        code = envelope.get("error", {}).get("code") if envelope["status"] != "ok" else None
        return Answer(envelope["status"], code, ms, envelope.get("data"))

    async def ok(self, command: str, payload: str = "", wait: float = 60) -> Answer:
        answer = await self.call(command, payload, wait)
        if answer.status != "ok":
            raise RuntimeError(f"{command} {payload!r}: {answer}")
        return answer

    async def ready(self, cameras: int, wait: float = START_TIMEOUT) -> None:
        """Wait until the bridge is logged in and lists `cameras` cameras."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            health = await self.call("health", wait=5)
            if health.status == "ok" and health.data["auth"] == "ok":
                listed = await self.call("cameras", wait=5)
                if listed.status == "ok" and len(listed.data["cameras"]) == cameras:
                    return
            await asyncio.sleep(0.2)
        raise SystemExit(f"the bridge was not ready with {cameras} cameras in {wait:.0f} s")


@contextlib.asynccontextmanager
async def caller(mqtt_port: int) -> AsyncIterator[Caller]:
    async with aiomqtt.Client(
        HOST,
        mqtt_port,
        protocol=aiomqtt.ProtocolVersion.V5,
        identifier=f"bench-client-{uuid.uuid4().hex[:8]}",
        socket_options=[NO_DELAY],
        max_inflight_messages=1000,  # paho's default 20 would hold back a burst of 50
    ) as client:
        client.pending_calls_threshold = 1000  # a burst is not a concern here
        rr = Caller(client)
        await client.subscribe(rr.reply, qos=1)
        reader = asyncio.create_task(rr._read())
        try:
            yield rr
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
