"""The bridge on a broker that wants a user name and password, and on one that wants TLS."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
import pytest

from tests import secrets_guard
from tests.bridge_env import running_bridge
from tests.broker import Broker, BrokerUnavailable

MQTT_USER, MQTT_SECRET = "bridge", "mqtt-pass-7d1f"


def _broker(workdir: Path, **options: object) -> Broker:
    try:
        broker = Broker(workdir, **options)  # type: ignore[arg-type]
    except BrokerUnavailable as error:
        pytest.fail(f"these tests need the mosquitto binary: {error}", pytrace=False)
    broker.start()
    return broker


@pytest.fixture
def password_broker(tmp_path: Path) -> Iterator[Broker]:
    passwords = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwords), MQTT_USER, MQTT_SECRET],
        check=True,
        capture_output=True,
    )
    passwords.chmod(0o600)
    broker = _broker(
        tmp_path / "broker", anonymous=False, extra_config=f"password_file {passwords}\n"
    )
    yield broker
    broker.stop()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[Broker, Path]]:
    """mosquitto with a server certificate for 127.0.0.1 signed by a fresh CA."""
    certs = tmp_path / "certs"
    certs.mkdir()
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        cwd=certs,
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        cwd=certs,
    )
    (certs / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.cnf",
        "-out",
        "server.pem",
        cwd=certs,
    )
    broker = _broker(
        tmp_path / "broker",
        listener_config=f"cafile {certs / 'ca.pem'}\ncertfile {certs / 'server.pem'}\n"
        f"keyfile {certs / 'server.key'}\n",
    )
    yield broker, certs / "ca.pem"
    broker.stop()


async def test_bridge_logs_in_to_a_password_protected_broker(
    password_broker: Broker, base_topic: str, tmp_path: Path
) -> None:
    secrets_guard.remember(MQTT_SECRET)
    async with running_bridge(
        password_broker,
        base_topic,
        tmp_path,
        probe_args={"username": MQTT_USER, "password": MQTT_SECRET},
        mqtt_username=MQTT_USER,
        mqtt_password=MQTT_SECRET,
    ) as env:
        response = await env.request("health")
    assert response["data"]["mqtt"] == "connected"


async def test_anonymous_clients_are_refused_by_that_broker(password_broker: Broker) -> None:
    """The fixture really wants credentials (so the test above proves they were sent)."""
    with pytest.raises(aiomqtt.MqttError):
        async with aiomqtt.Client(password_broker.host, password_broker.port, timeout=5):
            pass


async def test_bridge_connects_with_tls_and_verifies_the_broker(
    tls_broker: tuple[Broker, Path], base_topic: str, tmp_path: Path
) -> None:
    broker, ca = tls_broker
    tls = aiomqtt.TLSParameters(ca_certs=str(ca))
    async with running_bridge(
        broker,
        base_topic,
        tmp_path,
        probe_args={"tls_params": tls},
        mqtt_tls=True,
        mqtt_ca_file=ca,
    ) as env:
        response = await env.request("snap", "Backyard")
    assert response["status"] == "ok"
