"""Request round trip through the bridge vs the same operation called directly on blinkpy.

    python bench/roundtrip.py [-n 200] [--warmup 20]

Starts a private mosquitto on a free loopback port (`blink_mqtt.localbroker`), the Blink
cloud simulator (in this process, default scenario) and the bridge (the Service, in this
process too), then measures, for `cameras` and `snap`:

* bridge: MQTT v5 request with Response Topic + Correlation Data -> the response envelope
  arrives (what `mosquitto_rr` sees);
* direct: the same operation on a blinkpy `Blink` logged in to the same simulator. For
  `cameras` that is reading every camera's attributes from memory (the bridge answers from
  its last poll too); for `snap` it is what `blink_mqtt/account/actions.py` does: the
  snapshot command with `force=True`, then re-reading the camera's config (homescreen
  first for Minis and doorbells) and its new thumbnail.

The simulator completes commands at once (`command_pending_polls=0`): Blink's own
command latency is the same on both paths and would only hide what the bridge adds.
Both MQTT clients and the private mosquitto send with TCP_NODELAY: a broker left at
mosquitto's default (`set_tcp_nodelay false`) adds ~40 ms (Nagle vs delayed ACK) to a
request/response round trip whatever the bridge does.

Prints p50 / p99 per operation and path, and the bridge's overhead (difference of the
medians) and ratio. Target: overhead at most 5 ms at p50. Exit status 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
from blinkpy import api
from blinkpy.blinkpy import Blink
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import SecretStr

from blink_mqtt.account import login
from blink_mqtt.account.session import RequestCounter
from blink_mqtt.localbroker import private_broker
from blink_mqtt.service import Service
from blink_mqtt.settings import Settings
from blink_mqtt.simulator import Simulator, default_scenario, routed_session, serve

TARGET_MS = 5.0
CAMERA = "Front Door"
BASE = "bench/blink"
AUTH_TOPIC = f"{BASE}/bridge/auth"
NO_DELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True, slots=True)
class Result:
    operation: str
    path: str
    samples: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 0.99)


async def measure(call: Callable[[], Awaitable[Any]], count: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


class MqttCaller:
    """A v5 client doing request/response like `mosquitto_rr`."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.reply = f"{BASE}-reply/{uuid.uuid4().hex[:8]}"
        self.logged_in = asyncio.Event()
        self._waiting: dict[bytes, asyncio.Future[bytes]] = {}

    async def start(self) -> None:
        await self.client.subscribe(self.reply, qos=1)
        await self.client.subscribe(AUTH_TOPIC, qos=1)

    async def read(self) -> None:
        async for message in self.client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            if message.topic.matches(AUTH_TOPIC):
                if json.loads(payload).get("state") == "ok":
                    self.logged_in.set()
                continue
            props = message.properties
            correlation = getattr(props, "CorrelationData", None) if props else None
            future = self._waiting.pop(correlation, None) if correlation else None
            if future and not future.done():
                future.set_result(payload)

    async def call(self, command: str, payload: bytes) -> bytes:
        correlation = uuid.uuid4().bytes
        future = asyncio.get_running_loop().create_future()
        self._waiting[correlation] = future
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.ResponseTopic = self.reply
        properties.CorrelationData = correlation
        await self.client.publish(
            f"{BASE}/request/{command}", payload, qos=1, properties=properties
        )
        answer: bytes = await asyncio.wait_for(future, 30)
        if b'"status": "ok"' not in answer:
            raise RuntimeError(f"{command} failed: {answer[:200]!r}")
        return answer


async def direct_blink(url: str, email: str, password: str, code: str) -> Blink:
    """A blinkpy Blink logged in to the simulator (login without blinkpy's throttles)."""
    session = routed_session(url)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, blink_username=email, blink_password=SecretStr(password)
    )
    data = {"username": email, "password": password}
    blink = login.new_blink(settings, session, data, _none, RequestCounter())
    outcome: login.LoginOutcome | None = await login.start(blink)
    if isinstance(outcome, login.NeedsCode):
        outcome = await login.send_code(blink, code)
    if not isinstance(outcome, login.Ready):
        raise SystemExit(f"direct login failed: {outcome}")
    return blink


def _none(auth: object) -> None:
    return None


def direct_cameras(blink: Blink) -> Callable[[], Awaitable[Any]]:
    async def cameras() -> list[dict[str, Any]]:
        return [dict(cam.attributes) for cam in blink.cameras.values()]

    return cameras


def direct_snap(blink: Blink) -> Callable[[], Awaitable[Any]]:
    cam = blink.cameras[CAMERA]
    sync = cam.sync

    async def snap() -> bytes:
        before = cam.image_from_cache
        response = await api.request_new_image(
            blink, cam.network_id, cam.camera_id, camera_type=cam.camera_type, force=True
        )
        if not isinstance(response, dict) or "id" not in response:
            raise RuntimeError(f"snapshot refused: {response}")
        if cam.camera_type in ("mini", "doorbell"):
            home = await api.request_homescreen(blink, force=True)
            await blink.validate_homescreen(home)
            config = sync.get_unique_info(cam.name)
        else:
            config = await sync.get_camera_info(cam.camera_id)
        await cam.update(config, force_cache=False, expire_clips=False)
        image = cam.image_from_cache
        if not image or image == before:
            raise RuntimeError("no new image")
        return bytes(image)

    return snap


@contextlib.asynccontextmanager
async def bridge(url: str, mqtt_port: int, workdir: Path) -> AsyncIterator[None]:
    scenario = default_scenario()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        blink_username=scenario.account.email,
        blink_password=SecretStr(scenario.account.password),
        blink_simulator_url=url,
        data_dir=workdir / "data",
        media_dir=workdir / "media",
        mqtt_host="127.0.0.1",
        mqtt_port=mqtt_port,
        mqtt_client_id=f"bench-{uuid.uuid4().hex[:8]}",
        mqtt_base_topic=BASE,
        refresh_interval=3600,
        log_level="WARNING",
    )
    service = Service(settings, auto_2fa_code=scenario.two_factor.code)
    task = asyncio.create_task(service.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def compare(blink: Blink, caller: MqttCaller, count: int, warmup: int) -> list[Result]:
    results = []
    for operation, direct, payload in (
        ("cameras", direct_cameras(blink), b""),
        ("snap", direct_snap(blink), CAMERA.encode()),
    ):
        results.append(Result(operation, "direct", await measure(direct, count, warmup)))

        async def via_bridge(op: str = operation, body: bytes = payload) -> bytes:
            return await caller.call(op, body)

        results.append(Result(operation, "bridge", await measure(via_bridge, count, warmup)))
    return results


async def run(count: int, warmup: int) -> list[Result]:
    scenario = default_scenario()
    account = scenario.account
    simulator = Simulator(scenario)
    # Blink's own command latency (status polls a second apart) is the same on both paths;
    # without it the figures show what the bridge adds.
    simulator.set_options(command_pending_polls=0)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="blink-bench-") as tmp:
        workdir = Path(tmp)
        async with (
            private_broker(port),
            serve(simulator) as url,
            aiomqtt.Client(
                "127.0.0.1",
                port,
                protocol=aiomqtt.ProtocolVersion.V5,
                identifier="bench-client",
                socket_options=[NO_DELAY],
            ) as client,
        ):
            caller = MqttCaller(client)
            await caller.start()
            reader = asyncio.create_task(caller.read())
            try:
                async with bridge(url, port, workdir):
                    await asyncio.wait_for(caller.logged_in.wait(), 30)
                    blink = await direct_blink(url, account.email, account.password, "123456")
                    try:
                        results = await compare(blink, caller, count, warmup)
                    finally:
                        await blink.auth.session.close()
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
    return results


def report(results: list[Result]) -> bool:
    print(f"{'operation':<10} {'path':<7} {'n':>5} {'p50 ms':>9} {'p99 ms':>9}")
    for r in results:
        print(f"{r.operation:<10} {r.path:<7} {len(r.samples):>5} {r.p50:>9.2f} {r.p99:>9.2f}")
    met = True
    print()
    for operation in dict.fromkeys(r.operation for r in results):
        direct = next(r for r in results if r.operation == operation and r.path == "direct")
        via = next(r for r in results if r.operation == operation and r.path == "bridge")
        overhead50, overhead99 = via.p50 - direct.p50, via.p99 - direct.p99
        ratio = via.p50 / direct.p50 if direct.p50 > 0 else float("inf")
        met = met and overhead50 <= TARGET_MS
        print(
            f"{operation:<10} bridge overhead p50 {overhead50:+.2f} ms, p99 {overhead99:+.2f} ms; "
            f"ratio p50 {ratio:.1f}x"
        )
    print(f"\ntarget: overhead <= {TARGET_MS:.0f} ms at p50: {'met' if met else 'MISSED'}")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", "--count", type=int, default=200, help="requests per measurement")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests first")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(run(args.count, args.warmup))
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
