"""The broker fixture itself: real retained messages, restarts keep persistent sessions."""

from __future__ import annotations

from tests.broker import Broker, ContainerBroker
from tests.probe import probe


async def test_retained_message_reaches_a_later_subscriber(
    broker: Broker | ContainerBroker, base_topic: str
) -> None:
    async with probe(broker.host, broker.port) as writer:
        await writer.publish(f"{base_topic}/x", b"hello", retain=True)
    async with probe(broker.host, broker.port, f"{base_topic}/#") as reader:
        message = await reader.wait_for(f"{base_topic}/x")
    assert message.payload == b"hello"
    assert message.retain


async def test_restart_keeps_retained_messages(
    fresh_broker: Broker | ContainerBroker, base_topic: str
) -> None:
    async with probe(fresh_broker.host, fresh_broker.port) as writer:
        await writer.publish(f"{base_topic}/kept", b"1", retain=True)
    fresh_broker.restart()
    async with probe(fresh_broker.host, fresh_broker.port, f"{base_topic}/#") as reader:
        message = await reader.wait_for(f"{base_topic}/kept")
    assert message.payload == b"1"
