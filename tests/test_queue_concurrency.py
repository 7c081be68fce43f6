"""Requests wait their turn: identical snaps share one Blink snapshot, commands take
turns per Blink network and run in parallel across networks, `busy` only when the
queue (REQUEST_QUEUE) is full. Real broker, simulator and bridge; facts are read from
the simulator's request log and counters, not from timing."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path

from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.queue_support import (
    COMMAND_ENDPOINTS,
    HOME,
    answers,
    code,
    correlated,
    in_flight,
    send_all,
)


def network_of(path: str) -> str:
    """The network id in a Blink command path (`/network/N/...`, `/networks/N/...`)."""
    found = re.search(r"/networks?/(\d+)/", path)
    assert found is not None, path
    return found.group(1)


async def _until_in_flight(env: BridgeEnv, count: int) -> None:
    async with asyncio.timeout(30):
        while await in_flight(env) < count:
            pass


async def test_fifty_snaps_of_one_camera_are_one_blink_snapshot(env: BridgeEnv) -> None:
    await env.settle()
    before = env.sim.snapshot().camera("Front Door").snapshots
    start = len(env.sim.request_log())
    # Blink answers "busy" (409) until all 50 have arrived: the first run waits in its
    # retries, and every other request finds it in progress
    env.sim.set_network_busy(HOME, True)
    payloads = [json.dumps({"id": n, "camera": "Front Door"}) for n in range(50)]
    sent = await send_all(env, "snap", payloads)
    await _until_in_flight(env, 50)
    env.sim.set_network_busy(HOME, False)
    got = await answers(env, sent)
    assert [code(a) for a in got] == ["ok"] * 50, got
    assert [a["id"] for a in got] == list(range(50))  # each its own answer
    assert len({a["data"]["path"] for a in got}) == 1
    assert env.sim.snapshot().camera("Front Door").snapshots == before + 1
    taken = [r for r in env.requests_to("snap", after=start) if r.status == 200]
    assert len(taken) == 1
    assert await in_flight(env) == 0


async def test_commands_on_one_network_never_overlap(env: BridgeEnv) -> None:
    """With Blink's one-command-per-network rule on, no 409 ever reaches Blink's log."""
    await env.settle()
    env.sim.set_options(one_command_per_network=True, command_pending_polls=1)
    start = len(env.sim.request_log())
    snaps = await send_all(
        env, "snap", [json.dumps({"camera": name}) for name in ("Front Door", "Backyard", "Garage")]
    )
    motion = await send_all(
        env, "motion-detection", [json.dumps({"camera": "Backyard", "enabled": False})]
    )
    record = await send_all(env, "record", [json.dumps({"camera": "Front Door"})])
    for sent in (snaps, motion, record):
        got = await answers(env, sent)
        assert [code(a) for a in got] == ["ok"] * len(got), got
    sent_to_blink = [r for r in env.sim.request_log()[start:] if r.endpoint in COMMAND_ENDPOINTS]
    assert len(sent_to_blink) == 5
    assert [r.status for r in sent_to_blink] == [200] * 5


async def test_two_networks_run_their_commands_at_the_same_time(env: BridgeEnv) -> None:
    await env.settle()
    # each command stays pending for 3 status polls (blinkpy polls once a second)
    env.sim.set_options(one_command_per_network=True, command_pending_polls=3)
    start = len(env.sim.request_log())
    sent = await send_all(env, "snap", [json.dumps({"camera": c}) for c in ("Front Door", "Porch")])
    got = await answers(env, sent)
    assert [code(a) for a in got] == ["ok", "ok"], got
    log = env.sim.request_log()[start:]
    issued = {network_of(r.path): i for i, r in enumerate(log) if r.endpoint == "snap"}
    assert set(issued) == {str(HOME), "2002"}, log
    for network, other in ((str(HOME), "2002"), ("2002", str(HOME))):
        completing = max(
            i
            for i, r in enumerate(log)
            if r.endpoint == "command_status" and f"/network/{network}/" in r.path
        )
        # the other network's snapshot was asked for while this one's was pending
        assert issued[other] < completing, [(r.endpoint, r.path) for r in log]
    assert all(r.status == 200 for r in log if r.endpoint in COMMAND_ENDPOINTS)


async def test_busy_only_when_the_queue_is_full(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, request_queue=3) as env:
        await env.settle()
        env.sim.set_network_busy(HOME, True)
        payloads = [json.dumps({"id": n, "camera": "Front Door"}) for n in range(5)]
        sent = await send_all(env, "snap", payloads)
        refused = []
        for correlation in sent.correlations[3:]:
            message = await env.probe.wait_for(
                sent.reply, correlated(correlation), after=sent.mark, timeout=30
            )
            refused.append(message.json())
        assert [code(a) for a in refused] == ["busy", "busy"], refused
        assert "3 requests are already queued or running" in refused[0]["error"]["message"]
        env.sim.set_network_busy(HOME, False)
        got = await answers(env, sent)
        assert [code(a) for a in got] == ["ok", "ok", "ok", "busy", "busy"], got
        assert [a["id"] for a in got] == list(range(5))


async def test_a_copy_delivered_again_is_replayed_and_a_new_request_shares_the_run(
    env: BridgeEnv,
) -> None:
    """At most once (replay.py) and sharing (coalesce.py) side by side: a copy of one
    request gets that request's answer, a different request for the same picture joins
    its run; one Blink snapshot in all."""
    await env.settle()
    before = env.sim.snapshot().camera("Front Door").snapshots
    env.sim.set_network_busy(HOME, True)
    reply = f"{env.topics.base}-reply/{uuid.uuid4().hex[:8]}"
    await env.probe.subscribe(reply)
    mark = env.probe.mark()
    first, other = uuid.uuid4().bytes, uuid.uuid4().bytes
    sends = [
        (json.dumps({"id": 1, "camera": "Front Door"}), first),
        (json.dumps({"id": 1, "camera": "Front Door"}), first),  # the broker's copy
        (json.dumps({"id": 2, "camera": "front door"}), other),
    ]
    for payload, correlation in sends:
        await env.probe.publish(
            env.topics.request("snap"), payload, response_topic=reply, correlation=correlation
        )
    await _until_in_flight(env, 2)  # the copy waits for the first answer, uncounted
    env.sim.set_network_busy(HOME, False)
    for correlation in (first, other):
        await env.probe.wait_for(reply, correlated(correlation), after=mark, timeout=60)
    await env.barrier()
    got = env.published(reply, after=mark)
    assert sorted((m.correlation, m.json()["id"]) for m in got) == sorted(
        [(first, 1), (first, 1), (other, 2)]
    )
    assert all(m.json()["status"] == "ok" for m in got), [m.json() for m in got]
    assert len({m.json()["data"]["path"] for m in got}) == 1
    assert env.sim.snapshot().camera("Front Door").snapshots == before + 1
