"""The manual stays honest: every request, setting and topic it shows exists in code (and
the other way round), examples use the contract's topics, payload-less examples use `-n`."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
import yaml

from blink_mqtt.__main__ import SUBCOMMANDS
from blink_mqtt.dispatch import COMMANDS
from blink_mqtt.entity_commands import CAMERA_COMMANDS, SYNC_COMMANDS, translate
from blink_mqtt.settings import SECRET_FILE_SETTINGS, Settings, known_names
from blink_mqtt.topics import Topics
from tests.bridge_env import AnyBroker, running_bridge

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
TOPICS = Topics("blink")
NEEDS_NO_ARGUMENT = {"cameras", "get-camera-info", "refresh", "login", "health"}
"""Requests whose example has no payload (each must use `-n`)."""


def _shell_lines(tool: str) -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line.rstrip("&")) for line in lines if line.startswith(tool + " ")]


def _option(words: list[str], flag: str) -> str | None:
    return words[words.index(flag) + 1] if flag in words else None


def test_every_request_has_one_working_example_and_no_example_is_of_an_unknown_one() -> None:
    shown: dict[str, list[str]] = {}
    for words in _shell_lines("mosquitto_rr") + _shell_lines("mosquitto_pub"):
        topic = _option(words, "-t")
        assert topic is not None, words
        command = TOPICS.command_of(topic)
        if command is None:
            assert translate(TOPICS, topic, b"ON") is not None, topic
            continue
        assert command in COMMANDS, topic
        shown.setdefault(command, words)
    assert set(shown) == set(COMMANDS)
    for command, words in shown.items():
        has_payload = "-m" in words or "-f" in words
        if command in NEEDS_NO_ARGUMENT:
            assert "-n" in words, words
            assert not has_payload, words
        else:
            assert has_payload or "-n" in words, words


def test_response_topics_in_examples_stay_under_the_base_topic() -> None:
    """The compose broker's ACL lets the bridge answer only under `<base>/`."""
    for words in _shell_lines("mosquitto_rr"):
        reply = _option(words, "-e")
        assert reply is not None, words
        assert reply.startswith("blink/"), words


def test_secret_file_variants_and_compose_names_are_documented() -> None:
    for name in SECRET_FILE_SETTINGS:
        assert f"`{name}_FILE`" in README, name
    mentioned = set(re.findall(r"`((?:BLINK|MQTT|HA)_[A-Z_]+)`", README))
    assert mentioned <= known_names(), mentioned - known_names()
    ours = {n.upper() for n in Settings.model_fields if n.startswith(("blink_", "mqtt_", "ha_"))}
    assert ours <= mentioned


def test_every_device_command_topic_is_documented() -> None:
    for name in CAMERA_COMMANDS:
        assert f"`<base>/camera/<camera>/{name}/set`" in README, name
    for name in SYNC_COMMANDS:
        assert f"`<base>/sync/<sync>/{name}/set`" in README, name


def test_every_cli_command_is_in_the_manual() -> None:
    for command in SUBCOMMANDS:
        assert f"blink-mqtt {command}" in README, command


def test_the_manual_has_its_chapters_and_the_license_exists() -> None:
    for chapter in (
        "## How it fits together",
        "## Quick start",
        "## Tests",
        "## First login and 2FA",
        "## Settings",
        "## MQTT reference",
        "## Docker",
        "## Troubleshooting",
        "## Coming from BlinkPy API",
    ):
        assert f"\n{chapter}" in README, chapter
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text()


def _node_red() -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = json.loads((ROOT / "examples" / "node-red-flow.json").read_text())
    return nodes


def test_node_red_flow_uses_the_contract_with_v5_response_topics() -> None:
    nodes = {node["id"]: node for node in _node_red()}
    brokers = [n for n in nodes.values() if n["type"] == "mqtt-broker"]
    assert [b["protocolVersion"] for b in brokers] == ["5"]
    outs = [n for n in nodes.values() if n["type"] == "mqtt out"]
    ins = [n for n in nodes.values() if n["type"] == "mqtt in"]
    assert {TOPICS.command_of(n["topic"]) for n in outs} == {"snap", "download-recent"}
    replies = {n["respTopic"] for n in outs}
    assert all(reply.startswith("blink/") for reply in replies)
    assert {n["topic"] for n in ins} == replies  # every answer is shown
    for node in nodes.values():
        for wire in (w for port in node.get("wires", []) for w in port):
            assert wire in nodes, (node["id"], wire)  # importable: no dangling wires
        if node["type"] in ("mqtt in", "mqtt out"):
            assert node["broker"] in nodes
    shows = [n for n in nodes.values() if n["type"] == "debug"]
    assert len(shows) == len(ins)


def test_home_assistant_automations_use_the_contract_and_documented_entities() -> None:
    automations = yaml.safe_load(
        (ROOT / "examples" / "home-assistant-automations.yaml").read_text()
    )
    text = json.dumps(automations)
    assert len(automations) == 2
    for topic in re.findall(r'"topic": "([^"]+)"', text):
        command = TOPICS.command_of(topic)
        if command is not None:
            assert command in COMMANDS, topic
        else:
            assert aiomqtt.Topic(topic).matches(TOPICS.camera_event("+")), topic
    entities = re.findall(r'"entity_id": "([^"]+)"', text)
    entities += re.findall(r"camera_proxy/(camera\.[a-z0-9_]+)", text)
    assert len(entities) == 3
    for entity in entities:
        assert f"`{entity}`" in README, entity


@pytest.mark.skipif(shutil.which("mosquitto_rr") is None, reason="needs mosquitto-clients")
async def test_every_reference_example_gets_its_answer(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """The README's examples, run as printed (base topic and broker swapped in)."""
    start = README.index("### One example per request")
    block = re.search(r"```sh\n(.*?)```", README[start:], re.DOTALL)
    assert block is not None
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await env.settle()
        for line in block.group(1).splitlines():
            words = [w.replace("blink/", f"{base_topic}/", 1) for w in shlex.split(line)]
            words[1:1] = ["-h", broker.host, "-p", str(broker.port)]
            done = await asyncio.to_thread(
                subprocess.run, words, capture_output=True, text=True, timeout=60, check=False
            )
            assert done.returncode == 0, (line, done.stderr)
            answer = json.loads(done.stdout)
            command = TOPICS.command_of(_option(shlex.split(line), "-t") or "")
            assert answer["command"] == command
            expected = "error" if command == "2fa" else "ok"  # no login waits for a code
            assert answer["status"] == expected, (line, answer)
