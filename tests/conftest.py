"""Shared fixtures: a real mosquitto broker and a unique base topic per test."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from blink_mqtt.redact import RedactingFilter
from tests import secrets_guard
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.broker import Broker, BrokerUnavailable, ContainerBroker, start_broker


@pytest.fixture(autouse=True)
def no_secret_leaks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test: no log line (through the product's redacting filter, at DEBUG) and no
    MQTT payload a Probe saw may contain the account password or any issued token."""
    secrets_guard.reset()
    caplog.handler.addFilter(RedactingFilter())
    caplog.set_level(logging.DEBUG)
    yield
    leaks = secrets_guard.leaks(caplog.records)
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks[:10])


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker | ContainerBroker]:
    """One mosquitto per test session (per xdist worker); tests may restart it."""
    try:
        running = start_broker(tmp_path_factory.mktemp("mosquitto"))
    except BrokerUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    yield running
    running.stop()


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[Broker | ContainerBroker]:
    """A broker of this test's own, for tests that stop or reconfigure it."""
    try:
        running = start_broker(tmp_path / "mosquitto")
    except BrokerUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    yield running
    running.stop()


@pytest.fixture
def base_topic() -> str:
    """A topic prefix no other test uses, so retained messages never leak between tests."""
    return f"test-{uuid.uuid4().hex[:10]}/blink"


@pytest.fixture
async def env(
    request: pytest.FixtureRequest, broker: AnyBroker, base_topic: str, tmp_path: Path
) -> AsyncIterator[BridgeEnv]:
    """A running bridge (the Service in this event loop) logged in to a fresh simulator,
    with a probe on its topics; MQTT 5 unless a test asks for both (BOTH_PROTOCOLS)."""
    protocol = getattr(request, "param", 5)
    async with running_bridge(broker, base_topic, tmp_path, protocol=protocol) as running:
        yield running
