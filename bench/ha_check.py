"""End-to-end check of the Home Assistant discovery against a real Home Assistant.

Starts a private mosquitto, the Blink cloud simulator (default scenario, 2FA on) and
`blink-mqtt run` against them with the 2FA code still pending, then a headless Home
Assistant 2025.4.4 whose MQTT integration uses that broker. Through HA's websocket and
REST APIs it enters the 2FA code in the bridge's text entity, checks that every camera
and sync module of the scenario became a device with all its entities and sensible
states, presses the snapshot button, toggles a motion-detection switch, arms and
disarms an alarm panel, and checks the simulator's state (`/_sim/state`) followed.
Finally HA's log must hold no ERROR or WARNING from `homeassistant.components.mqtt`.
Prints a PASS/FAIL summary; exit status 0 on PASS.

Home Assistant is not a dependency of this project. Set it up once, outside the repo
(HA 2025.4.4 is the last release that runs on Python 3.13.0; its own constraints file
makes pip pick the versions it was released with)::

    /root/.pyenv/versions/3.13.0/bin/python -m venv /work/ha-venv
    /work/ha-venv/bin/pip download homeassistant==2025.4.4 --no-deps -d /tmp/ha
    unzip -o -j /tmp/ha/homeassistant-2025.4.4-py3-none-any.whl \
        homeassistant/package_constraints.txt -d /tmp/ha
    /work/ha-venv/bin/pip install homeassistant==2025.4.4 paho-mqtt==2.1.0 \
        -c /tmp/ha/package_constraints.txt

(`paho-mqtt` is the MQTT integration's requirement; HA runs with `--skip-pip`.) Then::

    python bench/ha_check.py [--hass /work/ha-venv/bin/hass] [--keep DIR]

Home Assistant's MQTT integration is set up only through a config entry in 2025.4, so
the script writes `.storage/core.config_entries` (the entry) and `.storage/auth` (an
admin user with a long-lived access token it signs itself) before HA's first start.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from blink_mqtt.localbroker import private_broker
from blink_mqtt.simulator import Simulator, default_scenario, serve

HASS = os.environ.get("HA_HASS", "/work/ha-venv/bin/hass")
START_TIMEOUT = 180.0
STEP_TIMEOUT = 60.0
CAMERA_PLATFORMS = {
    "camera": "camera",
    "motion": "binary_sensor",
    "battery": "binary_sensor",
    "temperature": "sensor",
    "wifi": "sensor",
    "last_clip": "sensor",
    "motion_detection": "switch",
    "snap": "button",
    "record": "button",
    "event": "event",
}
SYNC_PLATFORMS = {"alarm": "alarm_control_panel", "online": "binary_sensor"}
BRIDGE_PLATFORMS = {"auth": "sensor", "two_factor_code": "text", "download_recent": "button"}
UNKNOWN_UNTIL_USED = {"button", "event"}
"""HA shows these `unknown` until pressed / until the first event: that is their design."""
UNKNOWN_UNTIL_A_CLIP = "_last_clip"
"""Last clip is unknown until the bridge sees a clip: blinkpy reports a clip's time only
when a poll finds it new (checked below by adding one)."""
MQTT_LOG = re.compile(r"^\S+ \S+ (ERROR|WARNING) .*mqtt", re.IGNORECASE)
"""An ERROR/WARNING from homeassistant.components.mqtt, or any naming MQTT (entities)."""


class Checks:
    def __init__(self) -> None:
        self.results: list[tuple[bool, str]] = []

    def check(self, ok: bool, message: str) -> bool:
        self.results.append((ok, message))
        print(f"  [{'ok' if ok else 'FAIL'}] {message}", flush=True)
        return ok

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(ok for ok, _ in self.results)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- Home Assistant's config dir -------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_jwt(claims: dict[str, Any], key: str) -> str:
    """A JWT as HA's `async_create_access_token` makes it (HS256, `iss` = token id)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def _store(path: Path, key: str, data: dict[str, Any], minor_version: int = 1) -> None:
    doc = {"version": 1, "minor_version": minor_version, "key": key, "data": data}
    path.write_text(json.dumps(doc, indent=2))


def write_ha_config(config_dir: Path, http_port: int, mqtt_port: int) -> str:
    """configuration.yaml, the MQTT config entry and an admin's long-lived token."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True)
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n  name: blink-mqtt check\n  unit_system: metric\n"
        "  time_zone: UTC\n  country: US\n  latitude: 0\n  longitude: 0\n  elevation: 0\n"
        f"http:\n  server_host: 127.0.0.1\n  server_port: {http_port}\n"
        "api:\nconfig:\nwebsocket_api:\n"
        "logger:\n  default: warning\n  logs:\n    homeassistant.components.mqtt: info\n"
    )
    now = datetime.now(UTC).isoformat()
    entry: dict[str, Any] = {
        "created_at": now,
        "data": {"broker": "127.0.0.1", "port": mqtt_port},
        "discovery_keys": {},
        "disabled_by": None,
        "domain": "mqtt",
        "entry_id": uuid.uuid4().hex,
        "minor_version": 2,
        "modified_at": now,
        "options": {"discovery": True, "discovery_prefix": "homeassistant"},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [],
        "title": "127.0.0.1",
        "unique_id": None,
        "version": 1,
    }
    _store(storage / "core.config_entries", "core.config_entries", {"entries": [entry]}, 5)
    user_id, token_id, jwt_key = uuid.uuid4().hex, uuid.uuid4().hex, secrets.token_hex(64)
    auth = {
        "users": [
            {
                "id": user_id,
                "group_ids": ["system-admin"],
                "is_owner": True,
                "is_active": True,
                "name": "ha-check",
                "system_generated": False,
                "local_only": False,
            }
        ],
        "groups": [
            {"id": "system-admin", "name": "Administrators"},
            {"id": "system-users", "name": "Users"},
            {"id": "system-read-only", "name": "Read Only"},
        ],
        "credentials": [],
        "refresh_tokens": [
            {
                "id": token_id,
                "user_id": user_id,
                "client_id": None,
                "client_name": "ha-check",
                "client_icon": None,
                "token_type": "long_lived_access_token",
                "created_at": now,
                "access_token_expiration": 86400 * 365,
                "token": secrets.token_hex(64),
                "jwt_key": jwt_key,
                "last_used_at": None,
                "last_used_ip": None,
                "expire_at": None,
                "credential_id": None,
                "version": "2025.4.4",
            }
        ],
    }
    _store(storage / "auth", "auth", auth)
    issued = int(time.time())
    return hs256_jwt({"iss": token_id, "iat": issued, "exp": issued + 86400}, jwt_key)


# --- Home Assistant's APIs -------------------------------------------------------------


class HomeAssistant:
    """HA's websocket API (registries, live states) and REST API (services)."""

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        self.http, self.url, self.token = http, url, token
        self.states: dict[str, dict[str, Any]] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def api_ready(self) -> bool:
        with contextlib.suppress(aiohttp.ClientError):
            async with self.http.get(f"{self.url}/api/", headers=self.headers) as resp:
                return resp.status == 200
        return False

    async def connect(self) -> None:
        self._ws = await self.http.ws_connect(f"{self.url}/api/websocket", max_msg_size=0)
        assert (await self._ws.receive_json())["type"] == "auth_required"
        await self._ws.send_json({"type": "auth", "access_token": self.token})
        reply = await self._ws.receive_json()
        if reply["type"] != "auth_ok":
            raise RuntimeError(f"HA refused the token: {reply}")
        self._reader = asyncio.create_task(self._read())
        await self.command("subscribe_events", event_type="state_changed")
        for state in await self.command("get_states"):
            self.states[state["entity_id"]] = state

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self._ws:
            await self._ws.close()

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                print(f"ha_check: websocket {message.type.name}: {message.data}", flush=True)
                break
            data = message.json()
            for item in data if isinstance(data, list) else [data]:
                await self._dispatch(item)

    async def _dispatch(self, data: dict[str, Any]) -> None:
        if data.get("type") == "event":
            changed = data["event"]["data"]
            async with self._changed:
                if changed.get("new_state") is None:
                    self.states.pop(changed["entity_id"], None)
                else:
                    self.states[changed["entity_id"]] = changed["new_state"]
                self._changed.notify_all()
        elif data.get("id") in self._replies:
            future = self._replies.pop(data["id"])
            if data.get("success", True):
                future.set_result(data.get("result"))
            else:
                future.set_exception(RuntimeError(str(data.get("error"))))

    async def command(self, kind: str, **fields: Any) -> Any:
        assert self._ws is not None
        message_id, self._next_id = self._next_id, self._next_id + 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._replies[message_id] = future
        await self._ws.send_json({"id": message_id, "type": kind, **fields})
        async with asyncio.timeout(STEP_TIMEOUT):
            return await future

    async def wait(self, what: str, predicate: Callable[[], bool]) -> None:
        """Until `predicate()` holds (re-checked on every state change)."""
        try:
            async with asyncio.timeout(STEP_TIMEOUT), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            raise TimeoutError(f"timed out waiting for {what}") from None

    async def wait_state(self, entity_id: str, state: str) -> None:
        await self.wait(f"{entity_id} = {state}", lambda: self.state(entity_id) == state)

    async def next_change(self, seconds: float) -> None:
        """Until any state changes (or `seconds` pass)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self._changed:
                await self._changed.wait()

    def state(self, entity_id: str) -> str:
        return str(self.states.get(entity_id, {}).get("state"))

    async def service(self, domain: str, service: str, **data: Any) -> None:
        url = f"{self.url}/api/services/{domain}/{service}"
        async with self.http.post(url, json=data, headers=self.headers) as resp:
            if resp.status != 200:
                raise RuntimeError(f"{domain}.{service}: HTTP {resp.status} {await resp.text()}")

    async def entities(self) -> dict[str, dict[str, Any]]:
        """unique_id -> entity registry entry, for MQTT entities."""
        entries = await self.command("config/entity_registry/list")
        return {e["unique_id"]: e for e in entries if e["platform"] == "mqtt"}

    async def devices(self) -> dict[str, dict[str, Any]]:
        """Device id -> device registry entry."""
        return {d["id"]: d for d in await self.command("config/device_registry/list")}


# --- the run ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def process(args: list[str], log: Path, env: dict[str, str]) -> AsyncIterator[None]:
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)  # noqa: ASYNC220
    try:
        yield
    finally:
        proc.terminate()
        try:
            await asyncio.to_thread(proc.wait, 30)
        except subprocess.TimeoutExpired:
            proc.kill()


def bridge_env(workdir: Path, sim_url: str, mqtt_port: int) -> dict[str, str]:
    scenario = default_scenario()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLINK_", "MQTT_"))}
    env.update(
        BLINK_USERNAME=scenario.account.email,
        BLINK_PASSWORD=scenario.account.password,
        BLINK_SIMULATOR_URL=sim_url,
        MQTT_HOST="127.0.0.1",
        MQTT_PORT=str(mqtt_port),
        DATA_DIR=str(workdir / "bridge-data"),
        MEDIA_DIR=str(workdir / "media"),
        REFRESH_INTERVAL="15",
        LOG_LEVEL="INFO",
    )
    return env


async def sim_state(http: aiohttp.ClientSession, sim_url: str) -> dict[str, Any]:
    async with http.get(f"{sim_url}/_sim/state") as resp:
        state: dict[str, Any] = await resp.json()
        return state


def expected_uids(sim: Simulator) -> dict[str, dict[str, str]]:
    """Device object id -> {unique_id: platform}, from the scenario's serials."""
    out: dict[str, dict[str, str]] = {
        "blink_bridge_blink": {f"blink_bridge_blink_{k}": p for k, p in BRIDGE_PLATFORMS.items()}
    }
    for net in sim.scenario.networks:
        if net.sync_module:
            oid = f"blink_sync_{net.sync_module.serial}"
            out[oid] = {f"{oid}_{k}": p for k, p in SYNC_PLATFORMS.items()}
        for cam in net.cameras:
            oid = f"blink_{cam.serial}"
            out[oid] = {f"{oid}_{k}": p for k, p in CAMERA_PLATFORMS.items()}
    return out


async def run_checks(
    ha: HomeAssistant, http: aiohttp.ClientSession, sim: Simulator, sim_url: str, checks: Checks
) -> None:
    code = sim.scenario.two_factor.code
    wanted = expected_uids(sim)
    all_uids = {uid: p for device in wanted.values() for uid, p in device.items()}
    registry: dict[str, dict[str, Any]] = {}

    def entity(uid: str) -> str:
        return str(registry[uid]["entity_id"])

    async def wait_entities(uids: set[str]) -> list[str]:
        """Until HA registered every unique_id and shows a state for it; the missing."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            registry.update(await ha.entities())
            missing = sorted(u for u in uids if u not in registry or entity(u) not in ha.states)
            if not missing or time.monotonic() > deadline:
                return missing
            await ha.next_change(2.0)  # entities appear with a state change

    # 1. The bridge device alone, waiting for the 2FA code.
    missing = await wait_entities(set(wanted["blink_bridge_blink"]))
    if not checks.check(not missing, f"the bridge device's entities; missing: {missing}"):
        return
    auth = entity("blink_bridge_blink_auth")
    await ha.wait("auth state 2fa_required", lambda: ha.state(auth) == "2fa_required")
    checks.check(True, f"{auth} = 2fa_required before the code is entered")

    # 2. The 2FA code typed into the text entity completes the login.
    text = entity("blink_bridge_blink_two_factor_code")
    await ha.service("text", "set_value", entity_id=text, value=code)
    await ha.wait("auth state ok", lambda: ha.state(auth) == "ok")
    checks.check(True, f"2FA code entered in {text}: {auth} = ok")

    # 3. Every device with every entity.
    missing = await wait_entities(set(all_uids))
    checks.check(not missing, f"{len(all_uids)} entities registered; missing: {missing}")
    devices = await ha.devices()
    for object_id, uids in wanted.items():
        device_ids = {registry[u]["device_id"] for u in uids if u in registry}
        platforms_ok = all(
            registry[u]["entity_id"].split(".")[0] == p for u, p in uids.items() if u in registry
        )
        device = devices.get(next(iter(device_ids))) if len(device_ids) == 1 else None
        identifiers = [list(i) for i in device["identifiers"]] if device else []
        checks.check(
            device is not None and ["mqtt", object_id] in identifiers and platforms_ok,
            f"device {object_id} ({device and device['name']}, {device and device['model']}):"
            f" {len(uids)} entities of the right platforms",
        )

    # 4. States: nothing unavailable; unknown only where HA shows that by design.
    def unexpected() -> list[str]:
        bad = []
        for uid, platform in all_uids.items():
            state = ha.state(entity(uid)) if uid in registry else "missing"
            expected_unknown = platform in UNKNOWN_UNTIL_USED or uid.endswith(UNKNOWN_UNTIL_A_CLIP)
            if state in ("unavailable", "missing") or (state == "unknown" and not expected_unknown):
                bad.append(f"{uid}={state}")
        return bad

    with contextlib.suppress(TimeoutError):
        await ha.wait("every entity available with a state", lambda: not unexpected())
    checks.check(not unexpected(), f"every entity has a state; unexpected: {unexpected()}")
    shown = {uid: ha.state(entity(uid)) for uid in all_uids if uid in registry}
    home, cabin = "blink_sync_G8SM-3001-HOME", "blink_sync_G8SM-3002-CABN"
    front, backyard = "blink_G8T1-4001-FRNT", "blink_G8T1-4002-BKYD"
    samples = {
        f"{home}_alarm": "armed_away",
        f"{cabin}_alarm": "disarmed",
        f"{home}_online": "on",
        f"{backyard}_battery": "on",
        f"{front}_battery": "off",
        f"{front}_motion_detection": "on",
        f"{front}_wifi": "-48",
        f"{front}_temperature": "20.0",
        f"{front}_camera": "idle",
    }
    wrong = {u: (shown.get(u), s) for u, s in samples.items() if shown.get(u) != s}
    checks.check(not wrong, f"states match the scenario (got, want): {wrong or 'all'}")

    # 5. AccountState button.
    before = await sim_state(http, sim_url)
    snaps = {c["name"]: c["snapshots"] for c in before["cameras"]}
    event = entity(f"{front}_event")
    await ha.service("button", "press", entity_id=entity(f"{front}_snap"))
    await ha.wait(
        "the snapshot event",
        lambda: ha.states.get(event, {}).get("attributes", {}).get("event_type") == "snapshot",
    )
    after = await sim_state(http, sim_url)
    now = {c["name"]: c["snapshots"] for c in after["cameras"]}
    checks.check(
        now["Front Door"] == snaps["Front Door"] + 1,
        f"snapshot button: simulator snapshots {snaps['Front Door']} -> {now['Front Door']},"
        f" {event} = snapshot",
    )

    # 6. Motion-detection switch off and on.
    switch = entity(f"{front}_motion_detection")
    for service, value in (("turn_off", False), ("turn_on", True)):
        await ha.service("switch", service, entity_id=switch)
        want = "on" if value else "off"
        await ha.wait_state(switch, want)
        cams = {c["name"]: c for c in (await sim_state(http, sim_url))["cameras"]}
        checks.check(
            cams["Front Door"]["enabled"] is value,
            f"switch.{service} {switch}: simulator enabled = {cams['Front Door']['enabled']}",
        )

    # 7. Alarm panel: arm away and disarm.
    panel = entity(f"{cabin}_alarm")
    for service, state, armed in (
        ("alarm_arm_away", "armed_away", True),
        ("alarm_disarm", "disarmed", False),
    ):
        await ha.service("alarm_control_panel", service, entity_id=panel)
        await ha.wait_state(panel, state)
        nets = {n["name"]: n for n in (await sim_state(http, sim_url))["networks"]}
        checks.check(
            nets["Cabin"]["armed"] is armed,
            f"{service} {panel}: HA {ha.state(panel)}, simulator armed = {nets['Cabin']['armed']}",
        )

    # 8. A new clip reaches Last clip and Motion at the next poll.
    await check_new_clip(ha, http, sim_url, entity(f"{front}_camera").split(".")[1], checks)


async def check_new_clip(
    ha: HomeAssistant, http: aiohttp.ClientSession, sim_url: str, front: str, checks: Checks
) -> None:
    """A clip recorded now: the next poll shows its time in Last clip."""
    async with http.post(f"{sim_url}/_sim/clips", json={"camera": "Front Door"}) as resp:
        created = datetime.fromisoformat((await resp.json())["created_at"])
    last_clip, motion = f"sensor.{front}_last_clip", f"binary_sensor.{front}_motion"

    def shown() -> datetime | None:
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(ha.state(last_clip))
        return None

    with contextlib.suppress(TimeoutError):
        await ha.wait(f"{last_clip} = {created.isoformat()}", lambda: shown() == created)
    checks.check(
        shown() == created,
        f"a new clip at {created.isoformat()}: {last_clip} = {ha.state(last_clip)}"
        f" ({motion} = {ha.state(motion)})",
    )


def mqtt_log_problems(log: Path) -> list[str]:
    if not log.exists():
        return [f"no log at {log}"]
    return [line for line in log.read_text().splitlines() if MQTT_LOG.match(line)]


async def main(hass: str, keep: Path | None, hold: float = 0) -> int:
    workdir = keep or Path(tempfile.mkdtemp(prefix="ha-check-"))
    workdir.mkdir(parents=True, exist_ok=True)
    checks = Checks()
    mqtt_port, http_port = free_port(), free_port()
    config_dir = workdir / "ha-config"
    token = write_ha_config(config_dir, http_port, mqtt_port)
    sim = Simulator(default_scenario())
    print(f"ha_check: work dir {workdir}", flush=True)
    async with (
        private_broker(mqtt_port),
        serve(sim, host="127.0.0.1", port=0) as sim_url,
        aiohttp.ClientSession() as http,
        process(
            [sys.executable, "-m", "blink_mqtt", "run"],
            workdir / "bridge.log",
            bridge_env(workdir, sim_url, mqtt_port),
        ),
        process(
            [hass, "--skip-pip", "-c", str(config_dir)], workdir / "hass.out", dict(os.environ)
        ),
    ):
        ha = HomeAssistant(http, f"http://127.0.0.1:{http_port}", token)
        started = time.monotonic()
        while not await ha.api_ready():
            if time.monotonic() - started > START_TIMEOUT:
                checks.check(False, f"Home Assistant API up within {START_TIMEOUT:.0f} s")
                return report(checks, workdir)
            await asyncio.sleep(1)  # polling a process that is starting: nothing to wait on
        checks.check(True, f"Home Assistant API up after {time.monotonic() - started:.0f} s")
        await ha.connect()
        try:
            await run_checks(ha, http, sim, sim_url, checks)
        except (TimeoutError, RuntimeError, KeyError) as err:
            checks.check(False, f"stopped: {type(err).__name__}: {err}")
        finally:
            if hold:
                print(f"ha_check: holding {hold:.0f} s; HA at {ha.url}, token in {workdir}/token")
                (workdir / "token").write_text(token)
                await asyncio.sleep(hold)
            await ha.close()
    problems = mqtt_log_problems(config_dir / "home-assistant.log")
    checks.check(
        not problems, f"no ERROR/WARNING from homeassistant.components.mqtt ({len(problems)})"
    )
    for line in problems[:20]:
        print(f"      {line[:300]}")
    return report(checks, workdir)


def report(checks: Checks, workdir: Path) -> int:
    failed = [m for ok, m in checks.results if not ok]
    verdict = "PASS" if checks.passed else "FAIL"
    print(f"ha_check: {verdict}: {len(checks.results) - len(failed)} passed, {len(failed)} failed")
    print(f"ha_check: logs in {workdir} (hass: ha-config/home-assistant.log, bridge.log)")
    return 0 if checks.passed else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hass", default=HASS, help="the hass executable of HA's venv")
    parser.add_argument("--keep", type=Path, default=None, help="work dir (kept)")
    parser.add_argument("--hold", type=float, default=0, help="seconds to keep it all running")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.hass, args.keep, args.hold)))
