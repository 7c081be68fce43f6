"""Never online but deaf: failing callbacks, dying tasks, the start-up window, requests
delivered twice, and a second client with the bridge's client id."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from pathlib import Path

import pytest

from blink_mqtt import modes
from blink_mqtt.bridge import Inbound, MqttBridge
from blink_mqtt.reconnects import SHORT_SESSIONS, Reconnects
from blink_mqtt.service import Service
from blink_mqtt.topics import Topics
from tests.bridge_env import PROTOCOLS, AnyBroker, bridge_settings, running_bridge, simulator
from tests.probe import Probe
from tests.sim_fixtures import CODE

WAIT = 15.0


async def logged(caplog: pytest.LogCaptureFixture, *words: str) -> logging.LogRecord:
    """The first log record holding every word, waited for (bounded)."""
    async with asyncio.timeout(WAIT):
        while True:
            for record in caplog.records:
                if all(word in record.getMessage() for word in words):
                    return record
            await asyncio.sleep(0.02)


async def test_a_failing_message_handler_costs_one_message_not_the_connection(
    broker: AnyBroker, base_topic: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = bridge_settings(broker, base_topic, tmp_path, "http://127.0.0.1:9")
    topics = Topics(base_topic, settings.ha_discovery_prefix)
    handled: list[Inbound] = []
    arrived = asyncio.Event()

    def on_message(message: Inbound) -> None:
        if message.payload == b"poison":
            raise RuntimeError("a bug in a handler")
        handled.append(message)
        arrived.set()

    async def on_connect() -> None:
        raise RuntimeError("a bug in the connect handler")

    bridge = MqttBridge(settings, topics, on_message, on_connect)
    task = asyncio.create_task(bridge.run())
    try:
        async with Probe(broker.host, broker.port, [f"{base_topic}/#"]) as probe:
            await probe.wait_for(topics.bridge_state, lambda m: m.payload == b"online")
            await probe.publish(topics.request("x"), b"poison")
            await probe.publish(topics.request("x"), b"after")
            async with asyncio.timeout(WAIT):
                await arrived.wait()
        assert [m.payload for m in handled] == [b"after"]
        assert bridge.connected
        record = await logged(caplog, "failed; the bridge carries on", topics.request("x"))
        assert record.exc_info is not None  # logged with its traceback
        record = await logged(caplog, "connect handler failed")
        assert record.exc_info is not None
    finally:
        await bridge.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class PollerWithABug(Service):
    """The poller dies after login, once `online` was seen (a stand-in for any bug)."""

    seen_online = asyncio.Event()

    async def logged_in(self) -> None:
        await self.seen_online.wait()
        raise RuntimeError("a bug in the poller")


async def test_a_dead_long_lived_task_says_offline_and_exits_1(
    broker: AnyBroker, base_topic: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with simulator() as (_, url):
        settings = bridge_settings(broker, base_topic, tmp_path, url)
        topics = Topics(base_topic, settings.ha_discovery_prefix)
        async with Probe(broker.host, broker.port, [f"{base_topic}/bridge/#"]) as probe:
            service = PollerWithABug(settings, auto_2fa_code=CODE)
            service.seen_online = asyncio.Event()
            run = asyncio.create_task(modes.serve_until_signal(service))
            online = await probe.wait_for(topics.bridge_state, lambda m: m.payload == b"online")
            service.seen_online.set()
            async with asyncio.timeout(WAIT):
                assert await run == 1
            offline = await probe.wait_for(
                topics.bridge_state, lambda m: m.payload == b"offline", after=online.index
            )
            assert offline.retain
        record = await logged(caplog, "stopped because of a bug")
        assert record.levelno == logging.CRITICAL
        assert record.exc_info is not None


async def test_auth_says_logging_in_before_online_and_unavailable_after_a_clean_stop(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        sim.set_latency(0.05)  # a login of several round trips
        settings = bridge_settings(broker, base_topic, tmp_path, url)
        topics = Topics(base_topic, settings.ha_discovery_prefix)
        async with Probe(broker.host, broker.port, [f"{base_topic}/bridge/#"]) as probe:
            # what a killed bridge leaves behind: the will's `offline`, and auth still `ok`
            stale = {"state": "ok", "message": "logged in", "since": "2026-01-01T00:00:00+00:00"}
            await probe.publish(topics.bridge_auth, json.dumps(stale), retain=True)
            await probe.publish(topics.bridge_state, b"offline", retain=True)
            await probe.wait_for(topics.bridge_state, lambda m: m.payload == b"offline")
            mark = probe.mark()
            service = Service(settings, auto_2fa_code=CODE)
            run = asyncio.create_task(service.run())
            online = await probe.wait_for(
                topics.bridge_state, lambda m: m.payload == b"online", after=mark
            )
            before = [m.json()["state"] for m in probe.received[mark : online.index]]
            assert before == ["logging_in"], before
            ok = await probe.wait_for(
                topics.bridge_auth, lambda m: m.json()["state"] == "ok", after=mark
            )
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run
            stopped = await probe.wait_for(
                topics.bridge_auth, lambda m: m.json()["state"] == "unavailable", after=ok.index
            )
            offline = await probe.wait_for(
                topics.bridge_state, lambda m: m.payload == b"offline", after=ok.index
            )
            assert stopped.index < offline.index
        # what the broker keeps for the next client
        async with Probe(broker.host, broker.port, [f"{base_topic}/bridge/#"]) as late:
            auth = await late.wait_for(topics.bridge_auth)
            state = await late.wait_for(topics.bridge_state)
            assert (auth.retain, auth.json()["state"]) == (True, "unavailable")
            assert (state.retain, state.payload) == (True, b"offline")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_request_delivered_again_runs_once_and_gets_the_same_answer(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, protocol=protocol) as env:
        await env.settle()
        snaps = len(env.requests_to("snap"))
        if protocol == 5:  # recognised by Response Topic + Correlation Data
            reply, correlation = f"{base_topic}-reply/{uuid.uuid4().hex[:8]}", b"corr-1"
            payload, topic = b"Front Door", reply
            await env.probe.subscribe(reply)
        else:  # recognised by the id
            reply, correlation = None, None
            payload, topic = b'{"id": "once", "camera": "Front Door"}', env.topics.response("snap")
        mark = env.probe.mark()
        for _ in range(2):  # the copy arrives while the first is still running
            await env.probe.publish(
                env.topics.request("snap"), payload, response_topic=reply, correlation=correlation
            )
        first = await env.probe.wait_for(topic, after=mark)
        await env.probe.wait_for(topic, after=first.index + 1)
        await env.probe.publish(  # and once more after it was answered
            env.topics.request("snap"), payload, response_topic=reply, correlation=correlation
        )
        await env.barrier()
        answers = [m for m in env.probe.received[mark:] if m.topic == topic]
        assert len(answers) == 3
        assert {m.payload for m in answers} == {first.payload}
        assert first.json()["status"] == "ok"
        assert len(env.requests_to("snap")) == snaps + 1  # one Blink snapshot
        # another request (new id / correlation) runs again
        again = b'{"id": "twice", "camera": "Front Door"}'
        response = await env.exchange("snap", again)
        assert response["status"] == "ok"
        assert len(env.requests_to("snap")) == snaps + 2


async def test_two_bridges_with_one_client_id_are_named_and_back_off(
    broker: AnyBroker, base_topic: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        await env.settle()
        twin_settings = env.settings.model_copy(
            update={"mqtt_base_topic": f"{base_topic}-twin", "data_dir": tmp_path / "twin"}
        )
        twin = Service(twin_settings, auto_2fa_code=CODE)
        run = asyncio.create_task(twin.run())
        try:
            # mosquitto 2.0 closes the old connection without a reason code: the bridges
            # take the session from each other a few times, then name the cause and pause
            record = await logged(caplog, "connections in a row", "MQTT_CLIENT_ID")
            assert record.levelno == logging.ERROR
            assert env.settings.mqtt_client_id in record.getMessage()
            assert "Reconnecting in 60 s" in record.getMessage()
            connects = [r for r in caplog.records if "Connected to MQTT broker" in r.getMessage()]
            assert len(connects) <= 2 + 2 * SHORT_SESSIONS
        finally:
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run


def test_a_session_taken_over_with_reason_142_backs_off_at_once() -> None:
    policy = Reconnects()
    pause, why = policy.next_pause(lasted=2.0, reason=142)
    assert (pause, "reason code 142" in (why or "")) == (60.0, True)
    assert policy.next_pause(lasted=2.0, reason=142)[0] == 120.0
    # a connection that held for a while starts the back-off over
    assert policy.next_pause(lasted=3600.0, reason=None) == (1.0, None)
    assert policy.next_pause(lasted=None, reason=None) == (2.0, None)
