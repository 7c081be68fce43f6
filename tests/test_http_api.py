"""The generic door (`POST /api/<command>` answers as MQTT does), `/healthz` and
`/metrics`, over real HTTP against the running bridge."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from blink_mqtt.dispatch import COMMANDS
from tests.bridge_env import AnyBroker
from tests.http_support import FIRST_CAMERA, http_bridge
from tests.sim_fixtures import CODE


def families(text: str) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    """Every sample of a Prometheus text exposition, by family (parsed by the library)."""
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


async def test_the_api_door_answers_as_mqtt_does(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with http_bridge(broker, base_topic, tmp_path) as web:
        status, over_http = await web.api("cameras", json.dumps({"id": "h1"}))
        over_mqtt = await web.env.exchange("cameras", {"id": "h1"})
        assert status == 200
        assert over_http == over_mqtt
        status, answer = await web.api("snap", FIRST_CAMERA)  # a plain main argument
        assert (status, answer["status"], answer["data"]["camera"]) == (200, "ok", FIRST_CAMERA)
        cases = {
            "nope": (b"", 404, "unknown_command"),
            "snap": (b'{"camera": "Nobody"}', 404, "unknown_camera"),
            "arm": (b"{}", 400, "invalid_request"),
            "cameras": (b'{"id": 7,', 400, "invalid_json"),
            "health": (b"x" * 70_000, 400, "invalid_request"),
        }
        for command, (body, wanted, code) in cases.items():
            status, answer = await web.api(command, body)
            over_mqtt = await web.env.exchange(command, body)
            assert (status, answer["error"]["code"]) == (wanted, code), (command, answer)
            assert answer == over_mqtt, command
        async with web.client.get(f"{web.url}/api/cameras") as response:
            assert response.status == 405


async def test_healthz_is_200_when_logged_in_with_the_health_answer(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with http_bridge(broker, base_topic, tmp_path) as web:
        async with web.client.get(f"{web.url}/healthz") as response:
            assert response.status == 200
            body = await response.json()
        assert body["command"] == "health"
        assert body["data"]["mqtt"] == "connected"
        assert body["data"]["auth"] == "ok"
        assert set(body["data"]) == set((await web.env.exchange("health"))["data"])


async def test_healthz_is_503_until_the_2fa_code_came(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with http_bridge(broker, base_topic, tmp_path, auto_2fa=False, wait_ready=False) as web:
        await web.env.wait_auth("2fa_required")
        async with web.client.get(f"{web.url}/healthz") as response:
            assert response.status == 503
            assert (await response.json())["data"]["auth"] == "2fa_required"
        status, answer = await web.api("2fa", CODE)  # the door needs no login for 2fa
        assert status == 200, answer
        await web.env.wait_auth("ok")
        async with web.client.get(f"{web.url}/healthz") as response:
            assert response.status == 200


async def test_metrics_parse_and_count_what_happened(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with http_bridge(broker, base_topic, tmp_path) as web:
        await web.api("snap", FIRST_CAMERA)
        await web.env.exchange("refresh")
        clips = await web.clips()
        async with web.client.get(f"{web.url}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            found = families(await response.text())
    blink = found["blink_mqtt_blink_requests"]
    assert any(labels["endpoint"] == "/oauth/token" for _, labels, _ in blink)
    endpoints = {labels["endpoint"] for _, labels, _ in blink}
    assert not [e for e in endpoints if re.search(r"\d{3}", e)], endpoints  # ids replaced
    latency = found["blink_mqtt_request_duration_seconds"]
    counts = {
        (labels["command"], labels["door"]): value
        for name, labels, value in latency
        if name.endswith("_count")
    }
    assert counts[("snap", "http")] == 1
    assert counts[("refresh", "mqtt")] == 1
    assert {command for command, _ in counts} <= {*COMMANDS, "unknown"}
    polls = {labels["result"]: value for _, labels, value in found["blink_mqtt_polls"]}
    assert polls["ok"] >= 1
    assert found["blink_mqtt_clips_downloaded"][0][2] == len(clips)
    saved = sum((web.media.parent / path).stat().st_size for path in clips)
    assert found["blink_mqtt_downloaded_bytes"][0][2] == saved
    auth = {labels["state"]: value for _, labels, value in found["blink_mqtt_auth_state"]}
    assert auth["ok"] == 1
    assert sum(auth.values()) == 1
    assert found["blink_mqtt_mqtt_connected"][0][2] == 1
    assert found["blink_mqtt_requests_in_flight"][0][2] == 0


async def test_an_http_request_counts_in_flight_like_an_mqtt_one(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with http_bridge(broker, base_topic, tmp_path) as web:
        web.env.sim.set_latency(1.5)  # every Blink request now takes 1.5 s
        after = len(web.env.sim.request_log())
        running = asyncio.create_task(web.api("refresh"))
        # the refresh reached Blink: it is running
        await asyncio.wait_for(web.env.sim.wait_for_request(lambda _: True, after=after), 30)

        async def in_flight() -> float:
            async with web.client.get(f"{web.url}/metrics") as response:
                found = families(await response.text())
            return found["blink_mqtt_requests_in_flight"][0][2]

        assert await in_flight() == 1
        health = await web.env.exchange("health")  # MQTT sees the HTTP request too
        assert health["data"]["requests_in_flight"] == 2  # the HTTP refresh and itself
        status, answer = await asyncio.wait_for(running, 60)
        assert (status, answer["status"]) == (200, "ok")
        assert await in_flight() == 0
