"""The MQTT connection: the only module that imports aiomqtt.

One reconnect loop with capped back-off. Everything the service publishes goes through
an outbox, so nothing is lost while the broker is away: responses and events wait for
the next connection, retained topics keep only their newest payload and are all sent
again after every reconnect. A persistent session (fixed client id, session expiry)
lets the broker keep QoS 1 requests published while the bridge was briefly away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiomqtt
from paho.mqtt.client import MQTT_CLEAN_START_FIRST_ONLY
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from blink_mqtt.settings import Settings
from blink_mqtt.topics import Topics

log = logging.getLogger(__name__)

BACKOFF_FIRST, BACKOFF_CAP = 1.0, 30.0
SESSION_EXPIRY = 600
"""Seconds the broker keeps our session (and queued requests) after a disconnect (v5)."""
MAX_QUEUED = 10_000
STOP_TIMEOUT = 3.0
NOT_CONNECTED = (4, 7)  # paho MQTT_ERR_NO_CONN, MQTT_ERR_CONN_LOST
NO_DELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
"""Send each packet at once: with Nagle's algorithm, a response written while the
broker's delayed ACK is pending waits ~40 ms."""


@dataclass(frozen=True, slots=True)
class Inbound:
    topic: str
    payload: bytes
    response_topic: str | None = None
    correlation: bytes | None = None
    retain: bool = False


@dataclass(frozen=True, slots=True)
class Outbound:
    topic: str
    payload: bytes
    retain: bool = False
    qos: int = 1
    correlation: bytes | None = None


class MqttBridge:
    """Connects, subscribes, hands inbound messages over, sends the outbox."""

    def __init__(
        self,
        settings: Settings,
        topics: Topics,
        on_message: Callable[[Inbound], None],
        on_connect: Callable[[], Awaitable[None]],
        extra_subscriptions: list[str] | None = None,
    ) -> None:
        self.settings = settings
        self.topics = topics
        self._on_message = on_message
        self._on_connect = on_connect
        self._subscriptions = [topics.requests, topics.ha_status, *(extra_subscriptions or [])]
        self._retained: dict[str, Outbound] = {}
        self._queue: deque[Outbound] = deque()
        self._wakeup = asyncio.Event()
        self._client = self._make_client()
        self.connected = False
        self._connected_event = asyncio.Event()
        self._stopping = False

    @property
    def v5(self) -> bool:
        return self.settings.mqtt_protocol == "5"

    def _make_client(self) -> aiomqtt.Client:
        s = self.settings
        properties = None
        if self.v5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY
        tls = None
        if s.mqtt_tls:
            tls = aiomqtt.TLSParameters(
                ca_certs=str(s.mqtt_ca_file) if s.mqtt_ca_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        return aiomqtt.Client(
            s.mqtt_host,
            s.mqtt_port,
            username=s.mqtt_username,
            password=s.mqtt_password.get_secret_value() if s.mqtt_password else None,
            identifier=s.mqtt_client_id,
            protocol=aiomqtt.ProtocolVersion.V5 if self.v5 else aiomqtt.ProtocolVersion.V311,
            clean_session=None if self.v5 else False,
            # paho's default for v5 (clean start on the first connect) applies to every
            # connect aiomqtt makes, so each reconnect would drop the session and the
            # requests the broker kept for us
            clean_start=False if self.v5 else MQTT_CLEAN_START_FIRST_ONLY,
            will=aiomqtt.Will(self.topics.bridge_state, b"offline", qos=1, retain=True),
            properties=properties,
            tls_params=tls,
            keepalive=30,
            timeout=10,
            socket_options=[NO_DELAY],
        )

    def publish(self, message: Outbound) -> None:
        """Queue a message; retained ones also become part of the state sent on reconnect."""
        if message.retain:
            if message.payload:
                self._retained[message.topic] = message
            else:
                self._retained.pop(message.topic, None)
        if len(self._queue) >= MAX_QUEUED:
            log.warning("MQTT outbox full; dropping the oldest message")
            self._queue.popleft()
        self._queue.append(message)
        self._wakeup.set()

    @property
    def retained_topics(self) -> frozenset[str]:
        """Topics on which a retained payload of ours is current (the bridge state aside)."""
        return frozenset(self._retained)

    async def wait_connected(self) -> None:
        await self._connected_event.wait()

    async def run(self) -> None:
        """Stay connected until cancelled."""
        backoff = BACKOFF_FIRST
        while True:
            try:
                async with self._client as client:
                    backoff = BACKOFF_FIRST
                    await self._session(client)
            except aiomqtt.MqttError as err:
                self._set_connected(False)
                if self._stopping:
                    return
                log.warning(
                    "MQTT connection to %s:%s lost or refused: %s; retrying in %.0f s",
                    self.settings.mqtt_host,
                    self.settings.mqtt_port,
                    err,
                    backoff,
                )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_CAP)

    async def _session(self, client: aiomqtt.Client) -> None:
        log.info("Connected to MQTT broker %s:%s", self.settings.mqtt_host, self.settings.mqtt_port)
        await client.publish(self.topics.bridge_state, b"online", qos=1, retain=True)
        for topic in self._subscriptions:
            await client.subscribe(topic, qos=1)
        self._requeue_retained()
        self._set_connected(True)
        await self._on_connect()
        sender = asyncio.create_task(self._send(client))
        try:
            async for message in client.messages:
                self._on_message(self._inbound(message))
        finally:
            self._set_connected(False)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        if connected:
            self._connected_event.set()
        else:
            self._connected_event.clear()

    def _requeue_retained(self) -> None:
        """After a (re)connect: every retained topic once, newest payload, then the rest."""
        others = [m for m in self._queue if not m.retain]
        self._queue = deque([*self._retained.values(), *others])
        self._wakeup.set()

    def _inbound(self, message: aiomqtt.Message) -> Inbound:
        props = message.properties
        payload = (
            message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
        )
        return Inbound(
            str(message.topic),
            payload,
            getattr(props, "ResponseTopic", None) if props else None,
            getattr(props, "CorrelationData", None) if props else None,
            bool(message.retain),
        )

    async def _send(self, client: aiomqtt.Client) -> None:
        while True:
            while self._queue:
                message = self._queue.popleft()
                if (
                    message.retain
                    and message.payload
                    and self._retained.get(message.topic) is not message
                ):
                    continue  # a newer payload for this retained topic is queued
                try:
                    await client.publish(
                        message.topic,
                        message.payload,
                        qos=message.qos,
                        retain=message.retain,
                        properties=self._properties(message),
                    )
                except aiomqtt.MqttCodeError as err:
                    if err.rc in NOT_CONNECTED:
                        self._queue.appendleft(message)
                        return
                    log.error("Cannot publish to %s: %s", message.topic, err)
            self._wakeup.clear()
            await self._wakeup.wait()

    def _properties(self, message: Outbound) -> Properties | None:
        if not (self.v5 and message.correlation):
            return None
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.CorrelationData = message.correlation
        return properties

    async def stop(self) -> None:
        """Flush what is queued and say `offline` (bounded in time); no reconnects after."""
        self._stopping = True
        if not self.connected:
            return
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            async with asyncio.timeout(STOP_TIMEOUT):
                while self._queue:
                    message = self._queue.popleft()
                    await self._client.publish(
                        message.topic,
                        message.payload,
                        qos=message.qos,
                        retain=message.retain,
                        properties=self._properties(message),
                    )
                await self._client.publish(self.topics.bridge_state, b"offline", qos=1, retain=True)
