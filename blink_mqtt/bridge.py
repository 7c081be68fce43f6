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
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt
from paho.mqtt.client import MQTT_CLEAN_START_FIRST_ONLY
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from blink_mqtt.reconnects import Reconnects, reason_code
from blink_mqtt.settings import Settings
from blink_mqtt.topics import Topics

log = logging.getLogger(__name__)

SESSION_EXPIRY = 600
"""Seconds the broker keeps our session (and queued requests) after a disconnect (v5)."""
MAX_QUEUED = 10_000
STOP_TIMEOUT = 3.0
SEND_WINDOW = 32
"""Messages published at once before their PUBACKs are awaited (paho keeps at most its
`max_inflight_messages`, 20, unacknowledged on the wire and sends the rest in order)."""
CANCEL_RETRY = 1.0
"""Seconds to wait for a cancelled task before cancelling it again."""
NOT_CONNECTED = (4, 7)  # paho MQTT_ERR_NO_CONN, MQTT_ERR_CONN_LOST
NO_DELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
"""Send each packet at once: with Nagle's algorithm, a response written while the
broker's delayed ACK is pending waits ~40 ms."""


def client(
    settings: Settings,
    identifier: str,
    *,
    clean: bool,
    timeout: float = 10,
    **options: Any,
) -> aiomqtt.Client:
    """A client for the configured broker (address, login, TLS, protocol). `clean`: start
    without the broker's session for `identifier`. With `clean=False` under v5 every
    connect resumes it: paho's default (clean start on the first connect only) applies to
    every connect aiomqtt makes, so each reconnect would drop the session and the
    requests the broker kept for us."""
    s = settings
    v5 = s.mqtt_protocol == "5"
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
        identifier=identifier,
        protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
        clean_session=None if v5 else clean,
        clean_start=clean if v5 else MQTT_CLEAN_START_FIRST_ONLY,
        tls_params=tls,
        timeout=timeout,
        **options,
    )


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
        self._stopping = False

    @property
    def v5(self) -> bool:
        return self.settings.mqtt_protocol == "5"

    def _make_client(self) -> aiomqtt.Client:
        properties = None
        if self.v5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY
        return client(
            self.settings,
            self.settings.mqtt_client_id,
            clean=False,
            will=aiomqtt.Will(self.topics.bridge_state, b"offline", qos=1, retain=True),
            properties=properties,
            keepalive=30,
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

    async def run(self) -> None:
        """Stay connected until cancelled (or until `stop`). Returns only after `stop`."""
        policy = Reconnects()
        while True:
            connected_at: float | None = None
            try:
                async with self._client as client:
                    connected_at = time.monotonic()
                    await self._session(client)
            except aiomqtt.MqttError as err:
                self._set_connected(False)
                if self._stopping:
                    return
                lasted = None if connected_at is None else time.monotonic() - connected_at
                pause, taken_over = policy.next_pause(lasted, reason_code(err))
                self._log_lost(err, pause, taken_over)
            else:
                pause = policy.backoff
            if self._stopping:
                return
            await asyncio.sleep(pause)

    def _log_lost(self, err: aiomqtt.MqttError, pause: float, taken_over: str | None) -> None:
        if taken_over is None:
            log.warning(
                "MQTT connection to %s:%s lost or refused: %s; retrying in %.0f s",
                self.settings.mqtt_host,
                self.settings.mqtt_port,
                err,
                pause,
            )
            return
        log.error(
            "%s. Two bridges must not share MQTT_CLIENT_ID (here %r): give each its own (and "
            "its own MQTT_BASE_TOPIC). Reconnecting in %.0f s",
            taken_over,
            self.settings.mqtt_client_id,
            pause,
        )

    async def _session(self, client: aiomqtt.Client) -> None:
        log.info("Connected to MQTT broker %s:%s", self.settings.mqtt_host, self.settings.mqtt_port)
        try:
            for topic in self._subscriptions:
                await client.subscribe(topic, qos=1)
            await self._send_retained(client)  # e.g. auth `logging_in` before `online`
            await client.publish(self.topics.bridge_state, b"online", qos=1, retain=True)
            self._set_connected(True)
            await self._guarded("the connect handler", self._on_connect())
            await self._listen(client)
        except (aiomqtt.MqttError, asyncio.CancelledError):
            raise
        except BaseException:  # a bug: say `offline` (a clean disconnect sends no will)
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                async with asyncio.timeout(STOP_TIMEOUT):
                    await client.publish(self.topics.bridge_state, b"offline", qos=1, retain=True)
            raise
        finally:
            self._set_connected(False)

    async def _listen(self, client: aiomqtt.Client) -> None:
        sender = asyncio.create_task(self._send(client))
        try:
            async for message in client.messages:
                try:
                    self._on_message(self._inbound(message))
                except Exception:  # one message's bug must not end the connection
                    log.exception(
                        "Handling a message on %s failed; the bridge carries on", message.topic
                    )
        finally:
            await cancel_and_wait(sender)

    async def _guarded(self, what: str, step: Awaitable[None]) -> None:
        try:
            await step
        except Exception:
            log.exception("%s failed; the bridge carries on", what.capitalize())

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected

    async def _send_retained(self, client: aiomqtt.Client) -> None:
        """After a (re)connect: every retained topic once, newest payload, before anything
        else; the outbox keeps the rest."""
        self._queue = deque(m for m in self._queue if not m.retain)
        for message in list(self._retained.values()):
            await self._publish(client, message)

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
        """Publish the outbox, SEND_WINDOW messages at a time: each batch goes out in
        order at once and its PUBACKs are awaited together (not one round trip per
        message: 50 answers at once would otherwise queue behind each other's acks)."""
        while True:
            while self._queue:
                batch = self._next_batch()
                outcomes = await asyncio.gather(
                    *(self._publish(client, message) for message in batch),
                    return_exceptions=True,
                )
                unsent = []
                for message, outcome in zip(batch, outcomes, strict=True):
                    if isinstance(outcome, aiomqtt.MqttCodeError) and outcome.rc in NOT_CONNECTED:
                        unsent.append(message)
                    elif isinstance(outcome, aiomqtt.MqttCodeError):
                        log.error("Cannot publish to %s: %s", message.topic, outcome)
                    elif isinstance(outcome, BaseException):  # e.g. a PUBACK timeout
                        log.error(
                            "Publishing to %s failed; message dropped",
                            message.topic,
                            exc_info=outcome,
                        )
                if unsent:  # the connection is gone: they go first on the next one
                    self._queue.extendleft(reversed(unsent))
                    return
            self._wakeup.clear()
            await self._wakeup.wait()

    def _next_batch(self) -> list[Outbound]:
        batch: list[Outbound] = []
        while self._queue and len(batch) < SEND_WINDOW:
            message = self._queue.popleft()
            if (
                message.retain
                and message.payload
                and self._retained.get(message.topic) is not message
            ):
                continue  # a newer payload for this retained topic is queued
            batch.append(message)
        return batch

    async def _publish(self, client: aiomqtt.Client, message: Outbound) -> None:
        """Publish one message; one the client refuses (a bad topic) is logged and dropped."""
        try:
            await client.publish(
                message.topic,
                message.payload,
                qos=message.qos,
                retain=message.retain,
                properties=self._properties(message),
            )
        except (ValueError, TypeError) as err:
            log.error("Cannot publish to %r: %s; message dropped", message.topic[:200], err)

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
                    await self._publish(self._client, self._queue.popleft())
                await self._client.publish(self.topics.bridge_state, b"offline", qos=1, retain=True)


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it has ended, cancelling it again if a cancellation
    was lost: Python 3.11's `asyncio.wait_for` (under every aiomqtt publish) swallows one
    that arrives as its future completes, and the task would then run on."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_RETRY)
    if not task.cancelled():
        with contextlib.suppress(Exception):
            task.result()  # retrieved here; the owner has already given up on it
