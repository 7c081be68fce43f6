"""Hostile and odd input: every request answered once in strict JSON, the bridge alive.

Each case was found ending the process or leaving it online but deaf (issue 8): deep
JSON, lone surrogate escapes, `NaN`, a v5 Response Topic with wildcards, garbage on a
foreign discovery topic, an empty command, a BOM, absurd times, a huge payload.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.bridge_env import BOTH_PROTOCOLS, PROTOCOLS, AnyBroker, BridgeEnv, running_bridge
from tests.test_bridge_errors import error_of, still_serving


def strict(payload: bytes) -> Any:
    """Parse an answer as strict JSON: UTF-8 without lone surrogates, no NaN/Infinity."""

    def no_constant(name: str) -> Any:
        raise AssertionError(f"{name} in an answer")

    text = payload.decode("utf-8")  # raises on invalid UTF-8 (lone surrogates included)
    return json.loads(text, parse_constant=no_constant)


DEEP = b"[" * 5000 + b"]" * 5000
NESTED_OBJECTS = b'{"a":' * 3000 + b"1" + b"}" * 3000

# (command, payload, code, words in the message, echoed id)
HOSTILE: list[tuple[str, bytes, str, tuple[str, ...], Any]] = [
    ("snap", DEEP, "invalid_json", ("deeply",), None),
    ("cameras", NESTED_OBJECTS, "invalid_json", ("deeply",), None),
    ("snap", b'{"id": 4, "camera": ' + b"[" * 50 + b"]" * 50 + b"}", "invalid_request", (), 4),
    ("snap", b'{"camera": "\\ud800"}', "invalid_request", ("surrogate",), None),
    ("snap", b'{"id": "\\udfff", "camera": "Front Door"}', "invalid_request", ("surrogate",), None),
    ("snap", b'{"id": 5, "camera": "\\ud800x"}', "invalid_request", ("surrogate",), 5),
    ("snap", b'"\\ud800"', "invalid_request", ("surrogate",), None),
    ("snap", b'{"id": NaN, "camera": "Front Door"}', "invalid_json", ("NaN",), None),
    ("snap", b'{"id": 6, "camera": Infinity}', "invalid_json", ("Infinity",), None),
    ("snap", b'{"id": true, "camera": "Nope"}', "invalid_request", ("'id'",), None),
    ("snap", b'\xef\xbb\xbf{"id": 7, "camera": "Nope"}', "unknown_camera", ("Nope",), 7),
    ("download-since", b'{"id": 8, "since": "0001-01-01T00:00:00"}', "invalid_request", (), 8),
    ("download-since", b'{"id": 9, "since": "9999-12-31T23:59:59"}', "invalid_request", (), 9),
    ("download-since", b'{"id": 10, "since": 1e300}', "invalid_request", ("'since'",), 10),
    ("download-since", b'{"id": 11, "since": 99999999999999}', "invalid_request", (), 11),
    ("disarm", b"", "invalid_request", ('"all"',), None),
    ("snap", b'{"id": 12, "x": [' + b"0," * 3000 + b"0]}", "invalid_request", ("values",), 12),
    ("snap", json.dumps({"id": 13, "pad": "x" * 4_000_000}).encode(), "invalid_request", (), None),
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_hostile_payloads_are_answered_once_and_the_bridge_lives(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, protocol=protocol) as env:
        sent_before = len(env.sim.request_log())
        for command, payload, code, words, rid in HOSTILE:
            response = await env.exchange(command, payload)  # asserts exactly one answer
            error_of(response, command, code, *words)
            assert response.get("id") == rid, (payload[:80], response)
        assert len(env.sim.request_log()) == sent_before  # nothing reached Blink
        for answer in env.published(f"{base_topic}-reply/#") + env.published(
            env.topics.response("+")
        ):
            strict(answer.payload)
        await still_serving(env)


async def test_a_response_topic_with_wildcards_is_refused_on_the_default_topic(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        for bad in ("reply/+/x", "reply/#", f"{base_topic}/request/disarm"):
            mark = env.probe.mark()
            correlation = uuid.uuid4().bytes
            await env.probe.publish(
                env.topics.request("snap"),
                '{"id": "w", "camera": "Front Door"}',
                response_topic=bad,
                correlation=correlation,
            )
            answer = await env.probe.wait_for(env.topics.response("snap"), after=mark)
            assert answer.correlation == correlation
            error_of(answer.json(), "snap", "invalid_request", "Response Topic")
            assert answer.json()["id"] == "w"
        # the connection is alive: answers still reach Response Topics
        response, _ = await env.rr("health")
        assert response["data"]["mqtt"] == "connected"
        await still_serving(env)


async def test_a_lone_surrogate_id_while_requests_are_in_flight(env: BridgeEnv) -> None:
    env.sim.set_latency(0.3)
    mark = env.probe.mark()
    await env.probe.publish(env.topics.request("snap"), '{"id": "slow", "camera": "Garage"}')
    await env.probe.publish(env.topics.request("health"), b'{"id": "\\ud800"}')
    answers = [
        await env.probe.wait_for(env.topics.response(command), after=mark, timeout=20)
        for command in ("health", "snap")
    ]
    health, snap = (strict(a.payload) for a in answers)
    error_of(health, "health", "invalid_request", "surrogate")
    assert "id" not in health
    assert (snap["status"], snap["id"]) == ("ok", "slow"), snap
    env.sim.set_latency(0)
    await still_serving(env)


async def test_garbage_on_a_foreign_discovery_topic_with_discovery_off(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, ha_discovery=False) as env:
        prefix = env.settings.ha_discovery_prefix
        for payload in (DEEP, NESTED_OBJECTS, b'{"availability": "\\ud800"}', b"\xff"):
            await env.probe.publish(f"{prefix}/device/other/config", payload, retain=True)
        await env.barrier()
        await still_serving(env)
        await env.probe.publish(f"{prefix}/device/other/config", b"", retain=True)


@BOTH_PROTOCOLS
async def test_a_request_topic_without_a_command_is_answered(env: BridgeEnv) -> None:
    response = await env.exchange("", '{"id": 1}')
    error_of(response, "", "unknown_command", "No command", "snap")
    assert response["id"] == 1
    await still_serving(env)
