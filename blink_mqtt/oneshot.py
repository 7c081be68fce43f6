"""Short MQTT sessions outside the running service: the start-up broker check, the
`health` command's question to a running bridge, and the demo's clean-up of what it
retained on a broker it did not start.

The long-lived connection (will, subscriptions, reconnects) stays in bridge.py; these
sessions connect once, do one thing and disconnect. Every failure becomes one
`BrokerProblem` line naming the settings to look at.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from blink_mqtt.bridge import client
from blink_mqtt.errors import UserFacingError
from blink_mqtt.settings import Settings
from blink_mqtt.topics import Topics

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
REFUSED_LOGIN = (4, 5, 134, 135)
"""CONNACK codes for bad user name / password and not authorised (3.1.1 and v5)."""


class BrokerProblem(UserFacingError):
    """The broker cannot be used; the message is one line naming the settings."""


def _client(settings: Settings, identifier: str, *, clean: bool = True) -> aiomqtt.Client:
    return client(settings, identifier, clean=clean, timeout=CONNECT_TIMEOUT)


def describe(settings: Settings, err: BaseException) -> str:
    """One line saying why the broker could not be used and which settings matter."""
    where = f"{settings.mqtt_host}:{settings.mqtt_port}"
    text = str(err) or type(err).__name__
    if isinstance(err, aiomqtt.MqttCodeError) and err.rc in REFUSED_LOGIN:
        return f"the MQTT broker at {where} refused the login (MQTT_USERNAME/MQTT_PASSWORD): {text}"
    if isinstance(err.__cause__, ssl.SSLError) or "SSL" in text or "certificate" in text:
        return f"TLS to the MQTT broker at {where} failed (MQTT_TLS/MQTT_CA_FILE): {text}"
    return f"cannot reach the MQTT broker at {where} (MQTT_HOST/MQTT_PORT): {text}"


@contextlib.asynccontextmanager
async def session(
    settings: Settings, identifier: str | None = None, *, clean: bool = True
) -> AsyncIterator[aiomqtt.Client]:
    """A connected client; connection failures become BrokerProblem."""
    name = identifier or f"{settings.mqtt_client_id}-{uuid.uuid4().hex[:6]}"
    client = _client(settings, name, clean=clean)
    try:
        await client.__aenter__()
    except (aiomqtt.MqttError, OSError, ssl.SSLError) as err:
        raise BrokerProblem(describe(settings, err)) from None
    try:
        yield client
    finally:
        with contextlib.suppress(aiomqtt.MqttError):
            await client.__aexit__(None, None, None)


async def check_broker(settings: Settings) -> None:
    """Connect once and leave: raises BrokerProblem when the bridge could not connect."""
    async with session(settings):
        pass


async def ask_health(settings: Settings, wait: float) -> dict[str, Any]:
    """Send `health` to the bridge and return the response's `data`.
    Raises BrokerProblem, or TimeoutError when no bridge answers within `wait` seconds."""
    topics = Topics(settings.mqtt_base_topic, settings.ha_discovery_prefix)
    rid = f"health-{uuid.uuid4().hex[:10]}"
    async with session(settings) as client:
        v5 = settings.mqtt_protocol == "5"
        reply = f"{topics.base}/response/health-{rid}" if v5 else topics.response("health")
        await client.subscribe(reply, qos=1)
        properties = None
        if v5:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.ResponseTopic = reply
        payload = json.dumps({"id": rid})
        await client.publish(topics.request("health"), payload, qos=1, properties=properties)
        async with asyncio.timeout(wait):
            async for message in client.messages:
                with contextlib.suppress(ValueError, TypeError, AttributeError):
                    answer = json.loads(_bytes(message.payload))
                    if answer.get("id") == rid:
                        data: dict[str, Any] = answer.get("data") or {}
                        return data
    raise TimeoutError  # pragma: no cover - the loop only ends by return or timeout


def _bytes(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else str(payload).encode()


async def clear_retained(
    settings: Settings, filters: list[str], keep: Callable[[str, bytes], bool]
) -> list[str]:
    """Empty every retained topic under `filters` unless `keep(topic, payload)`; connects
    with the bridge's client id and a clean start, which also ends its broker session.
    Returns the cleared topics."""
    marker = f"{settings.mqtt_base_topic}/bridge/cleanup-{uuid.uuid4().hex[:8]}"
    cleared: list[str] = []
    async with session(settings, settings.mqtt_client_id) as client:
        for topic_filter in [*filters, marker]:
            await client.subscribe(topic_filter, qos=1)
        # retained messages come right after each subscription; our marker comes after them
        await client.publish(marker, b"end", qos=1)
        async with asyncio.timeout(CONNECT_TIMEOUT):
            async for message in client.messages:
                topic, payload = str(message.topic), _bytes(message.payload)
                if topic == marker:
                    break
                if message.retain and payload and not keep(topic, payload):
                    cleared.append(topic)
        for topic in cleared:
            await client.publish(topic, b"", qos=1, retain=True)
    log.info("Cleared %d retained topics the demo left on the broker", len(cleared))
    return cleared
