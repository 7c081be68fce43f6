"""An MQTT test client that records everything it receives and waits for messages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Self

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from tests import secrets_guard

DEFAULT_TIMEOUT = 15.0
NO_DELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
"""Without it every QoS 1 publish may wait ~40 ms (Nagle against a delayed ACK)."""


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    qos: int
    correlation: bytes | None
    index: int

    @property
    def text(self) -> str:
        return self.payload.decode()

    def json(self) -> Any:
        return json.loads(self.payload)


class Probe:
    """Subscribes to `topics`, keeps every message, and waits for the one a test expects."""

    def __init__(
        self, host: str, port: int, topics: list[str], *, protocol: int = 5, **client_args: Any
    ) -> None:
        version = aiomqtt.ProtocolVersion.V5 if protocol == 5 else aiomqtt.ProtocolVersion.V311
        client_args.setdefault("socket_options", [NO_DELAY])
        self.client = aiomqtt.Client(
            host, port, protocol=version, identifier=f"probe-{uuid.uuid4().hex[:8]}", **client_args
        )
        self.topics = topics
        self.protocol = protocol
        self.received: list[Received] = []
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None
        secrets_guard.watch(self)

    async def __aenter__(self) -> Self:
        await self.client.__aenter__()
        for topic in self.topics:
            await self.subscribe(topic)
        self._reader = asyncio.create_task(self._read())
        return self

    async def subscribe(self, topic: str) -> None:
        """QoS 1; with MQTT 5 the retain flag is kept as published (so tests can see it)."""
        if self.protocol == 5:
            options = SubscribeOptions(qos=1, retainAsPublished=True)
            await self.client.subscribe(topic, options=options)
        else:
            await self.client.subscribe(topic, qos=1)

    async def __aexit__(self, *exc: object) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        with contextlib.suppress(aiomqtt.MqttError):
            await self.client.__aexit__(None, None, None)

    async def _read(self) -> None:
        """Record messages until the connection ends (e.g. a test stops the broker: what
        was received stays readable, and leaving the Probe still works)."""
        with contextlib.suppress(aiomqtt.MqttError):
            await self._record()

    async def _record(self) -> None:
        async for message in self.client.messages:
            props = getattr(message, "properties", None)
            correlation = getattr(props, "CorrelationData", None) if props else None
            payload = (
                message.payload
                if isinstance(message.payload, bytes)
                else str(message.payload).encode()
            )
            async with self._changed:
                self.received.append(
                    Received(
                        str(message.topic),
                        payload,
                        bool(message.retain),
                        int(message.qos),
                        correlation,
                        len(self.received),
                    )
                )
                self._changed.notify_all()

    def on(self, topic: str) -> list[Received]:
        return [m for m in self.received if m.topic == topic]

    async def wait_for(
        self,
        topic: str,
        predicate: Callable[[Received], bool] | None = None,
        *,
        after: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Received:
        """The first message on `topic` (index >= after) that satisfies `predicate`."""

        def found() -> Received | None:
            return next(
                (
                    m
                    for m in self.received[after:]
                    if aiomqtt.Topic(m.topic).matches(topic) and (predicate is None or predicate(m))
                ),
                None,
            )

        async with asyncio.timeout(timeout), self._changed:
            while (match := found()) is None:
                await self._changed.wait()
            return match

    def mark(self) -> int:
        """An index: wait_for(after=mark) only sees messages received from now on."""
        return len(self.received)

    async def publish(
        self,
        topic: str,
        payload: bytes | str = b"",
        *,
        response_topic: str | None = None,
        correlation: bytes | None = None,
        qos: int = 1,
        retain: bool = False,
    ) -> None:
        properties = None
        if response_topic or correlation:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            if response_topic:
                properties.ResponseTopic = response_topic
            if correlation:
                properties.CorrelationData = correlation
        await self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)

    async def request(
        self, base: str, command: str, payload: bytes | str | dict[str, Any] = b"", **kw: Any
    ) -> dict[str, Any]:
        """Publish a request and return the JSON response on <base>/response/<command>."""
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        mark = self.mark()
        await self.publish(f"{base}/request/{command}", payload)
        timeout = kw.pop("timeout", DEFAULT_TIMEOUT)
        message = await self.wait_for(f"{base}/response/{command}", after=mark, timeout=timeout)
        result: dict[str, Any] = message.json()
        return result


@contextlib.asynccontextmanager
async def probe(host: str, port: int, *topics: str, **kw: Any) -> AsyncIterator[Probe]:
    async with Probe(host, port, list(topics), **kw) as p:
        yield p
