"""Per-device command topics with plain payloads (scripts, Node-RED): they become the same
requests as `<base>/request/<command>` and are answered the same way."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from blink_mqtt.entity_commands import CAMERA_COMMANDS, SYNC_COMMANDS, translate
from blink_mqtt.topics import Topics
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge

TOPICS = Topics("blink")


@pytest.mark.parametrize(
    ("topic", "payload", "expected"),
    [
        (
            "blink/camera/front_door/motion_detection/set",
            b"OFF",
            ("motion-detection", {"camera": "front_door", "enabled": False}),
        ),
        (
            "blink/camera/front_door/motion_detection/set",
            b" on\n",
            ("motion-detection", {"camera": "front_door", "enabled": True}),
        ),
        (
            "blink/camera/front_door/motion_detection/set",
            b"MAYBE",
            ("motion-detection", {"camera": "front_door", "enabled": "MAYBE"}),
        ),
        ("blink/camera/garage/snap/set", b"PRESS", ("snap", {"camera": "garage"})),
        ("blink/camera/garage/record/set", b"", ("record", {"camera": "garage"})),
        ("blink/sync/home/armed/set", b"ON", ("arm", {"sync_module": "home", "armed": True})),
        ("blink/sync/home/armed/set", b"off", ("arm", {"sync_module": "home", "armed": False})),
    ],
)
def test_topic_and_payload_become_a_request(
    topic: str, payload: bytes, expected: tuple[str, dict[str, object]]
) -> None:
    translated = translate(TOPICS, topic, payload)
    assert translated is not None
    assert (translated[0], json.loads(translated[1])) == expected


@pytest.mark.parametrize(
    "topic",
    [
        "blink/request/snap",
        "blink/camera/front_door/state",
        "blink/camera/front_door/nothing/set",
        "blink/sync/home/motion_detection/set",
        "other/camera/front_door/snap/set",
        "blink/camera//snap/set",
    ],
)
def test_other_topics_are_not_device_commands(topic: str) -> None:
    assert translate(TOPICS, topic, b"ON") is None


def test_every_device_command_topic_matches_the_subscriptions() -> None:
    import aiomqtt

    topics = [TOPICS.camera_command("x", name) for name in CAMERA_COMMANDS]
    topics += [TOPICS.sync_command("x", name) for name in SYNC_COMMANDS]
    for topic in topics:
        assert any(aiomqtt.Topic(topic).matches(f) for f in TOPICS.device_commands), topic


async def _plain(env: BridgeEnv, topic: str, payload: bytes, command: str) -> dict[str, object]:
    """Publish a plain payload; the answer comes on `<base>/response/<command>`."""
    mark = env.probe.mark()
    await env.probe.publish(topic, payload)
    answer = await env.probe.wait_for(env.topics.response(command), after=mark)
    result: dict[str, object] = answer.json()
    return result


async def test_plain_commands_act_and_answer_like_requests(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await env.settle()
        motion = env.topics.camera_command("front_door", "motion_detection")
        answer = await _plain(env, motion, b"OFF", "motion-detection")
        assert answer["status"] == "ok", answer
        assert answer["data"] == {"camera": "Front Door", "enabled": False}
        assert env.sim.snapshot().camera("Front Door").enabled is False

        refused = await _plain(env, motion, b"MAYBE", "motion-detection")
        assert refused["status"] == "error"
        assert refused["error"]["code"] == "invalid_request"  # type: ignore[index]
        assert "enabled" in refused["error"]["message"]  # type: ignore[index]

        armed = env.topics.sync_command("home", "armed")
        answer = await _plain(env, armed, b"OFF", "arm")
        assert answer["data"] == {"sync_modules": {"Home": False}}
        assert env.sim.snapshot().network("Home").armed is False
        assert env.sim.snapshot().network("Cabin").armed is False  # untouched

        # MQTT v5: the Response Topic wins, as for every request
        reply = f"{base_topic}/reply/{uuid.uuid4().hex[:6]}"
        await env.probe.subscribe(reply)
        mark = env.probe.mark()
        await env.probe.publish(armed, b"ON", response_topic=reply, correlation=b"c-1")
        answer_v5 = await env.probe.wait_for(reply, after=mark)
        assert answer_v5.correlation == b"c-1"
        assert answer_v5.json()["data"] == {"sync_modules": {"Home": True}}

        snap = await _plain(env, env.topics.camera_command("garage", "snap"), b"PRESS", "snap")
        assert snap["status"] == "ok", snap
        assert snap["data"]["camera"] == "Garage"  # type: ignore[index]
