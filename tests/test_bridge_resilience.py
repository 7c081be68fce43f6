"""The bridge under stress: broker restarts, requests published while it is away, many
requests at once (`busy`), and slow Blink calls that must not hold up other answers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.bridge_env import PROTOCOLS, AnyBroker, BridgeEnv, running_bridge
from tests.probe import Probe, Received

QUEUE = 8
"""REQUEST_QUEUE of the tests that fill it."""


async def send_rr(env: BridgeEnv, command: str, payload: bytes | str = b"") -> str:
    """Publish a v5 request with its own Response Topic; returns that topic."""
    reply = f"{env.topics.base}-reply/{uuid.uuid4().hex[:8]}"
    await env.probe.subscribe(reply)
    await env.probe.publish(
        env.topics.request(command), payload, response_topic=reply, correlation=reply.encode()
    )
    return reply


def with_id(rid: Any) -> Any:
    return lambda m: m.json().get("id") == rid


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_broker_restart_state_subscriptions_and_a_request_sent_meanwhile(
    fresh_broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int
) -> None:
    async with running_bridge(fresh_broker, base_topic, tmp_path, protocol=protocol) as env:
        await env.settle()
        assert env.service is not None
        # Stop and start the broker without letting the event loop run in between: the
        # bridge only notices once it is back, then waits its back-off (1 s) to reconnect.
        fresh_broker.stop()
        fresh_broker.start()
        # 3.1.1 delivers live messages with retain=0, so republished state is told apart
        # from what the broker kept across the restart
        async with Probe(
            fresh_broker.host, fresh_broker.port, [f"{base_topic}/#"], protocol=3
        ) as watcher:
            await watcher.publish(
                env.topics.request("cameras"), json.dumps({"id": "meanwhile"}), qos=1
            )
            # published while the bridge was away: only its persistent session can hold it
            assert not env.service.mqtt.connected
            answer = await watcher.wait_for(
                env.topics.response("cameras"), with_id("meanwhile"), timeout=20
            )
            assert answer.json()["status"] == "ok"
            online = await watcher.wait_for(
                env.topics.bridge_state, lambda m: not m.retain and m.payload == b"online"
            )
            # retained state is sent again on the reconnect, before `online`
            state = await watcher.wait_for(
                f"{base_topic}/camera/front_door/state", lambda m: not m.retain
            )
            assert state.index < online.index
            await watcher.wait_for(f"{base_topic}/sync/home/state", lambda m: not m.retain)
            assert len([m for m in watcher.on(answer.topic) if with_id("meanwhile")(m)]) == 1

        async with Probe(
            fresh_broker.host, fresh_broker.port, [f"{base_topic}/#"], protocol=protocol
        ) as probe:
            after = BridgeEnv(env.sim, env.sim_url, env.settings, probe, env.service)
            state = await probe.wait_for(env.topics.bridge_state)
            assert state.payload == b"online"
            assert state.retain
            # subscriptions are back: requests of both kinds are answered, exactly once
            response = await after.exchange("snap", {"camera": "Front Door", "id": 1})
            assert response["status"] == "ok", response
            response = await after.exchange("health", rr=False)
            assert response["data"]["mqtt"] == "connected"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_busy_when_too_many_requests_are_in_flight(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int
) -> None:
    extra = 3
    total = QUEUE + extra
    async with running_bridge(
        broker, base_topic, tmp_path, protocol=protocol, request_queue=QUEUE
    ) as env:
        await env.settle()
        # the first snapshot hangs in Blink for 2 s; every other one waits for it (they
        # share its run), so all of them are in flight at once
        env.sim.add_fault("snap", "delay", count=1, seconds=2)
        mark = env.probe.mark()
        for n in range(total):
            await env.probe.publish(
                env.topics.request("snap"), json.dumps({"id": n, "camera": "Backyard"})
            )
        answers: dict[int, Received] = {}
        for n in range(total):
            answers[n] = await env.probe.wait_for(
                env.topics.response("snap"), with_id(n), after=mark, timeout=30
            )
        await env.barrier()
        responses = env.published(env.topics.response("snap"), after=mark)
        assert len(responses) == total  # one answer per request
        codes = [
            a.json()["status"] if a.json()["status"] == "ok" else a.json()["error"]["code"]
            for a in answers.values()
        ]
        assert codes.count("ok") == QUEUE, codes
        # the ones that came in while REQUEST_QUEUE others were being handled
        assert [n for n, code in enumerate(codes) if code == "busy"] == list(range(QUEUE, total)), (
            codes
        )
        busy = next(a.json() for a in answers.values() if a.json()["status"] == "error")
        assert "retry" in busy["error"]["message"]
        assert f"{QUEUE} requests" in busy["error"]["message"]
        assert env.sim.snapshot().camera("Backyard").snapshots == 1  # one shared run
        # nothing is left in flight: the next request is served
        response = await env.exchange("snap", "Backyard")
        assert response["status"] == "ok", response
        assert (await env.exchange("health"))["data"]["requests_in_flight"] == 1


async def test_busy_also_for_a_burst_of_queued_requests(
    fresh_broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Requests the broker held during an outage arrive all at once on reconnect; the
    limit must hold for them too."""
    extra = 3
    total = QUEUE + extra
    async with running_bridge(fresh_broker, base_topic, tmp_path, request_queue=QUEUE) as env:
        await env.settle()
        assert env.service is not None
        env.sim.add_fault("snap", "delay", count=1, seconds=2)
        fresh_broker.stop()
        fresh_broker.start()
        async with Probe(
            fresh_broker.host, fresh_broker.port, [env.topics.response("snap")]
        ) as client:
            for n in range(total):
                await client.publish(
                    env.topics.request("snap"), json.dumps({"id": n, "camera": "Garage"})
                )
            assert not env.service.mqtt.connected  # all of them wait in the session
            answers = [
                (await client.wait_for(env.topics.response("snap"), with_id(n), timeout=30)).json()
                for n in range(total)
            ]
        codes = [a["status"] if a["status"] == "ok" else a["error"]["code"] for a in answers]
        assert codes.count("ok") == QUEUE, codes
        # the ones that came in while REQUEST_QUEUE others were being handled
        assert [n for n, code in enumerate(codes) if code == "busy"] == list(range(QUEUE, total)), (
            codes
        )


async def test_a_slow_request_does_not_delay_other_answers(env: BridgeEnv) -> None:
    await env.settle()
    env.sim.add_fault("snap", "delay", count=1, seconds=2)
    slow = await send_rr(env, "snap", "Front Door")
    fast = [
        await send_rr(env, "health"),
        await send_rr(env, "cameras"),
        await send_rr(env, "snap", "Nope"),  # unknown_camera: needs no call to Blink
        await send_rr(env, "no-such-command"),
    ]
    answers = [await env.probe.wait_for(topic, timeout=5) for topic in fast]
    snap = await env.probe.wait_for(slow, timeout=20)
    assert all(answer.index < snap.index for answer in answers)
    health = answers[0].json()["data"]
    assert health["requests_in_flight"] >= 2  # the snapshot and health itself
    assert [a.json()["status"] for a in answers] == ["ok", "ok", "error", "error"]
    assert snap.json()["status"] == "ok"
    assert snap.json()["data"]["fresh"] is True
