"""The Docker path without a Docker engine: the compose file references files that exist,
the image's dependencies are pinned, the entry point hands root-owned directories to
PUID:PGID before running as that user, and the compose broker's configuration (password
file, ACL, autosave) lets the bridge work while refusing anonymous and foreign clients."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
import yaml
from packaging.requirements import Requirement

from tests.bridge_env import running_bridge
from tests.broker import Broker
from tests.probe import Probe

ROOT = Path(__file__).parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
USER_DIRS = {"./data", "./media"}
"""Bind mounts that hold the user's data: created on first start, not in the repository."""
NON_ROOT = 4242


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_compose_references_existing_files() -> None:
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert source in USER_DIRS or (ROOT / source).exists(), (name, source)
            else:
                assert source in COMPOSE["volumes"], (name, source)
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").exists()
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and not line.startswith("COPY --from="):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source


def test_compose_is_closed_by_default() -> None:
    ports = COMPOSE["services"]["mosquitto"]["ports"]
    assert ports == ["${MQTT_BIND:-127.0.0.1:1883}:1883"]
    config = (ROOT / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    assert "allow_anonymous false" in config
    assert "autosave_interval 1" in config
    assert any(line.startswith("password_file ") for line in config)
    assert any(line.startswith("acl_file ") for line in config)
    assert "HEALTHCHECK" in (ROOT / "Dockerfile").read_text()
    assert 'CMD ["blink-mqtt", "health"]' in (ROOT / "Dockerfile").read_text()


def test_every_runtime_dependency_is_pinned_for_the_image() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_norm(name)] = version
    for dependency in project["dependencies"]:
        requirement = Requirement(dependency)
        pinned = pins.get(_norm(requirement.name))
        assert pinned is not None, requirement.name
        assert requirement.specifier.contains(pinned), (requirement, pinned)
    dockerfile = (ROOT / "Dockerfile").read_text()
    # dependencies are installed before the code is copied: code changes keep that layer
    assert dockerfile.index("requirements.lock") < dockerfile.index("COPY blink_mqtt")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can reach (pytest's tmp_path sits under a 0700 one, and so
    may the checkout), with a copy of the entry point and a stand-in `blink-mqtt` on its
    PATH that shows how it was called and as whom."""
    path = Path(tempfile.mkdtemp(prefix="blink-mqtt-entrypoint-", dir="/tmp"))
    os.chmod(path, 0o755)
    shutil.copy(ROOT / "docker-entrypoint.sh", path / "docker-entrypoint.sh")
    (path / "docker-entrypoint.sh").chmod(0o755)
    (path / "bin").mkdir()
    fake = path / "bin" / "blink-mqtt"
    fake.write_text('#!/bin/sh\necho "blink-mqtt $* as $(id -u)"\n')
    fake.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _entrypoint(
    tmp_path: Path, *command: str, user: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "PUID": str(NON_ROOT),
        "PGID": str(NON_ROOT),
    }
    prefix = (
        [] if user is None else ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
    )
    return subprocess.run(
        [*prefix, "sh", str(tmp_path / "docker-entrypoint.sh"), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root, as in the image")


@needs_root
def test_entrypoint_hands_root_owned_directories_to_puid(shared_dir: Path) -> None:
    """Docker creates ./data and ./media as root; the non-root bridge must write them."""
    tmp_path = shared_dir
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "old.json").write_text("{}")  # an earlier root-owned file
    script = 'id -u; touch "$DATA_DIR/new" "$DATA_DIR/old.json" "$MEDIA_DIR/clip"'
    result = _entrypoint(tmp_path, "sh", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(NON_ROOT)]
    for path in ("data", "data/new", "data/old.json", "media", "media/clip"):
        assert (tmp_path / path).stat().st_uid == NON_ROOT, path


@needs_root
def test_entrypoint_runs_blink_mqtt_commands_as_puid(shared_dir: Path) -> None:
    for command, seen in (([], "blink-mqtt run"), (["login"], "blink-mqtt login")):
        result = _entrypoint(shared_dir, *command)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [f"{seen} as {NON_ROOT}"]


@needs_root
def test_entrypoint_as_another_user_says_how_to_fix_the_directory(shared_dir: Path) -> None:
    tmp_path = shared_dir
    (tmp_path / "data").mkdir()
    (tmp_path / "media").mkdir()
    result = _entrypoint(tmp_path, "check-config", user=NON_ROOT)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"blink-mqtt: {tmp_path / 'data'} is not writable by uid {NON_ROOT}; on the host run: "
        f"sudo chown -R {NON_ROOT}:{NON_ROOT} <the directory mounted at {tmp_path / 'data'}>"
    ]


def _compose_broker(tmp_path: Path, base: str, prefix: str) -> Broker:
    """mosquitto with the compose file's settings and the users init.sh writes from .env."""
    auth = tmp_path / "auth"
    env = {
        "PATH": os.environ["PATH"] + ":/usr/sbin:/usr/bin",
        "AUTH_DIR": str(auth),
        "MQTT_USERNAME": "bridge",
        "MQTT_PASSWORD": "bridge-pw-1",
        "HA_MQTT_USERNAME": "ha",
        "HA_MQTT_PASSWORD": "ha-pw-1",
        "MQTT_BASE_TOPIC": base,
        "HA_DISCOVERY_PREFIX": prefix,
    }
    init = subprocess.run(
        ["sh", str(ROOT / "mosquitto" / "init.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    assert (auth / "passwd").stat().st_mode & 0o077 == 0
    kept = []
    for line in (ROOT / "mosquitto" / "mosquitto.conf").read_text().splitlines():
        if line.startswith(("listener", "allow_anonymous", "persistence", "log_dest")):
            continue  # the test broker sets its own listener, store and log
        kept.append(line.replace("/mosquitto/auth/", f"{auth}/"))
    broker = Broker(tmp_path / "mosquitto", "\n".join(kept) + "\n", anonymous=False)
    broker.start()
    return broker


async def test_compose_broker_lets_the_bridge_work_and_keeps_others_out(
    tmp_path: Path, base_topic: str
) -> None:
    prefix = f"{base_topic}-ha"
    broker = _compose_broker(tmp_path, base_topic, prefix)
    try:
        with pytest.raises(aiomqtt.MqttError):
            async with Probe(broker.host, broker.port, [f"{base_topic}/#"]):
                pass
        ha = {"username": "ha", "password": "ha-pw-1"}
        async with running_bridge(
            broker,
            base_topic,
            tmp_path,
            probe_args=ha,
            mqtt_username="bridge",
            mqtt_password="bridge-pw-1",
            ha_discovery_prefix=prefix,
        ) as env:
            await env.settle()
            answer = await env.request("cameras")
            assert answer["status"] == "ok"
            assert env.published(f"{prefix}/device/+/config")  # discovery got through
            # the bridge's user may not write outside its topics
            async with Probe(
                broker.host, broker.port, [], username="bridge", password="bridge-pw-1"
            ) as bridge_user:
                foreign = f"{prefix}/sensor/{uuid.uuid4().hex[:6]}/config"
                await bridge_user.publish(foreign, b"{}")
                await env.barrier()
            assert not env.published(foreign)
    finally:
        broker.stop()
