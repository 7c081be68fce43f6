"""Many v5 requests at once, each with its own Correlation Data, and their answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.bridge_env import BridgeEnv
from tests.probe import Received

HOME, CABIN = 2001, 2002
"""The default scenario's two networks with a sync module."""
COMMAND_ENDPOINTS = frozenset(
    {"snap", "record", "arm", "disarm", "motion_enable", "motion_disable", "owl_config"}
)


@dataclass(frozen=True, slots=True)
class Sent:
    reply: str
    correlations: list[bytes]
    mark: int


async def send_all(env: BridgeEnv, command: str, payloads: list[str]) -> Sent:
    """Publish every request back to back (answers go to one Response Topic)."""
    reply = f"{env.topics.base}-reply/{uuid.uuid4().hex[:8]}"
    await env.probe.subscribe(reply)
    mark = env.probe.mark()
    correlations = [uuid.uuid4().bytes for _ in payloads]
    for payload, correlation in zip(payloads, correlations, strict=True):
        await env.probe.publish(
            env.topics.request(command), payload, response_topic=reply, correlation=correlation
        )
    return Sent(reply, correlations, mark)


async def answers(env: BridgeEnv, sent: Sent, timeout: float = 60) -> list[dict[str, Any]]:
    """One answer per request, in the order sent (asserts no request got two)."""
    found = []
    for correlation in sent.correlations:
        message = await env.probe.wait_for(
            sent.reply, correlated(correlation), after=sent.mark, timeout=timeout
        )
        found.append(message.json())
    await env.barrier()
    assert len(env.published(sent.reply, after=sent.mark)) == len(sent.correlations)
    return found


def correlated(correlation: bytes) -> Callable[[Received], bool]:
    return lambda m: m.correlation == correlation


def code(answer: dict[str, Any]) -> str:
    return "ok" if answer["status"] == "ok" else str(answer["error"]["code"])


async def in_flight(env: BridgeEnv) -> int:
    """Requests the bridge holds now (not counting this `health`)."""
    health = await env.probe.request(env.topics.base, "health")
    return int(health["data"]["requests_in_flight"]) - 1
