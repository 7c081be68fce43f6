"""Live view through the whole bridge: a `liveview` request over MQTT, the raw MPEG-TS
on the TCP URL it answers with (checked with ffprobe), the caps and the budget, the
faults of Blink's stream, and no motion from a live view."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from blink_mqtt.simulator import liveview_ts
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge
from tests.liveview_probe import decode_errors, ffprobe, probe_bytes

pytestmark = pytest.mark.timeout(300)
CAMERA = "Front Door"


async def _read_stream(
    url: str, limit: float = 60.0, got_data: asyncio.Event | None = None
) -> tuple[bytes, float]:
    """Everything the TCP URL sends until it closes, and the seconds to the first byte
    (`got_data` is set then)."""
    parts = urlparse(url)
    assert parts.hostname
    assert parts.port
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    data, first = bytearray(), 0.0
    async with asyncio.timeout(limit):
        while chunk := await reader.read(65536):
            if not data:
                first = time.monotonic() - started
                if got_data is not None:
                    got_data.set()
            data += chunk
    writer.close()
    return bytes(data), first


async def _ended(env: BridgeEnv, mark: int, timeout: float = 60) -> dict[str, Any]:
    event = await env.probe.wait_for(
        env.topics.camera_event("front_door"),
        lambda m: m.json().get("event_type") == "liveview_ended",
        after=mark,
        timeout=timeout,
    )
    body: dict[str, Any] = event.json()
    return body


async def _start(env: BridgeEnv, **fields: Any) -> dict[str, Any]:
    answer = await env.exchange("liveview", {"camera": CAMERA, **fields}, timeout=40)
    assert answer["status"] == "ok", answer
    data: dict[str, Any] = answer["data"]
    return data


async def test_a_liveview_request_streams_h264_for_its_duration(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    ffprobe()
    async with running_bridge(broker, base_topic, tmp_path) as env:
        env.sim.set_liveview(polling_interval=1)
        await env.settle()
        mark = env.probe.mark()
        data = await _start(env, duration=4)
        assert data["state"] == "on"
        assert data["tcp_url"].startswith("tcp://127.0.0.1:")
        stream, first = await _read_stream(data["tcp_url"])
        found = probe_bytes(stream, tmp_path)
        assert "h264" in found.codecs
        assert found.increasing
        assert 3.0 <= found.duration <= 5.0, found.duration
        assert first < 5.0
        ended = await _ended(env, mark)
        assert ended["reason"] == "time_limit"
        assert ended["bytes"] >= len(stream)
        started = [
            m.json()
            for m in env.published(env.topics.camera_event("front_door"), mark)
            if m.json()["event_type"] == "liveview_started"
        ]
        assert started[0]["tcp_url"] == data["tcp_url"]
        state = await env.probe.wait_for(
            env.topics.camera_liveview("front_door"),
            lambda m: m.json()["state"] == "off",
            after=mark,
        )
        assert state.retain or state.json()["last_end_reason"] == "time_limit"
        assert state.json()["seconds_today"] >= 3.5
        session = env.sim.liveview_sessions()[0]
        assert session["ended"] in ("done", "client_closed")
        assert env.requests_to("command_done")
        assert session["keepalives"] >= 1
        assert session["latency_reports"] >= 2


async def test_fragmented_packets_are_put_back_together(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        env.sim.set_liveview(fragment_bytes=50, polling_interval=1)
        await env.settle()
        mark = env.probe.mark()
        data = await _start(env, duration=3)
        stream, _ = await _read_stream(data["tcp_url"])
        found = probe_bytes(stream, tmp_path)
        assert "h264" in found.codecs
        assert found.increasing
        assert found.duration >= 2.0
        assert (await _ended(env, mark))["reason"] == "time_limit"


async def test_a_dropped_connection_ends_the_session_and_the_next_one_works(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        env.sim.set_liveview(drop_after_seconds=1.5, polling_interval=1)
        await env.settle()
        mark = env.probe.mark()
        data = await _start(env, duration=30)
        stream, _ = await _read_stream(data["tcp_url"])
        assert stream
        assert (await _ended(env, mark))["reason"] == "connection_lost"
        env.sim.set_liveview(drop_after_seconds=0)
        mark = env.probe.mark()
        again = await _start(env, duration=2)
        stream, _ = await _read_stream(again["tcp_url"])
        assert "h264" in probe_bytes(stream, tmp_path).codecs
        assert (await _ended(env, mark))["reason"] == "time_limit"


async def test_a_session_blink_ends_ends_cleanly(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        env.sim.set_liveview(max_seconds=2, polling_interval=1)
        await env.settle()
        mark = env.probe.mark()
        data = await _start(env, duration=60)
        stream, _ = await _read_stream(data["tcp_url"])
        assert "h264" in probe_bytes(stream, tmp_path).codecs
        assert (await _ended(env, mark))["reason"] == "blink_ended"


async def test_the_time_cap_and_the_daily_budget(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(
        broker, base_topic, tmp_path, liveview_max_seconds=2, liveview_daily_seconds=5
    ) as env:
        env.sim.set_liveview(polling_interval=1)
        await env.settle()
        mark = env.probe.mark()
        first = await _start(env, duration=100)
        await _read_stream(first["tcp_url"])
        assert (await _ended(env, mark))["reason"] == "time_limit"
        mark = env.probe.mark()
        second = await _start(env)
        await _read_stream(second["tcp_url"])
        assert (await _ended(env, mark))["reason"] == "time_limit"
        mark = env.probe.mark()
        third = await _start(env)
        assert third["seconds_left_today"] <= 1.2
        await _read_stream(third["tcp_url"])
        assert (await _ended(env, mark))["reason"] == "budget"
        refused = await env.exchange("liveview", {"camera": CAMERA}, timeout=40)
        assert refused["status"] == "error"
        assert refused["error"]["code"] == "liveview_budget_spent"
        assert "budget" in refused["error"]["message"]
        assert len(env.sim.liveview_sessions()) == 3


async def test_liveview_stop_and_no_motion_from_a_live_view(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path) as env:
        env.sim.set_liveview(polling_interval=1)
        await env.settle()
        assert (await env.exchange("refresh"))["status"] == "ok"  # the clips before the test
        await env.barrier()
        mark = env.probe.mark()
        data = await _start(env, duration=60)
        got_data = asyncio.Event()
        reading = asyncio.create_task(_read_stream(data["tcp_url"], got_data=got_data))
        await env.probe.wait_for(
            env.topics.camera_liveview("front_door"),
            lambda m: m.json()["viewers"] == 1,
            after=mark,
        )
        async with asyncio.timeout(20):
            await got_data.wait()
        stopped = await env.exchange("liveview-stop", CAMERA)
        assert stopped["status"] == "ok"
        stream, _ = await reading
        assert stream
        assert (await _ended(env, mark))["reason"] == "stopped"
        refreshed = await env.exchange("refresh")
        assert refreshed["status"] == "ok"
        await env.barrier()
        events = [m.json() for m in env.published(env.topics.camera_event("+"), mark)]
        assert [e for e in events if e["event_type"] == "motion"] == []
        states = env.published(env.topics.camera_state("front_door"), mark)
        assert all(not m.json()["motion_detected"] for m in states)


async def test_the_session_ends_soon_after_its_last_viewer_leaves(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """What go2rtc relies on: it ends the pipe when its last viewer leaves."""
    async with running_bridge(broker, base_topic, tmp_path) as env:
        env.sim.set_liveview(polling_interval=1)
        await env.settle()
        mark = env.probe.mark()
        data = await _start(env, duration=120)
        parts = urlparse(data["tcp_url"])
        assert parts.hostname
        assert parts.port
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        async with asyncio.timeout(20):
            assert await reader.read(1024)
        writer.close()
        left = time.monotonic()
        ended = await _ended(env, mark, timeout=30)
        assert ended["reason"] == "no_viewers"
        assert time.monotonic() - left < 15
        assert ended["seconds"] < 30


async def test_a_late_viewer_starts_at_the_last_key_frame(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """The sample stream has a key frame every 10 frames; the second viewer joins after
    frame 11, mid-way between two, and still decodes from its first byte."""
    frames = list(itertools.islice(liveview_ts.stream(), 12))
    into_second_gop = sum(len(chunk) for _, chunk in frames)
    async with running_bridge(broker, base_topic, tmp_path) as env:
        env.sim.set_liveview(polling_interval=1)
        await env.settle()
        data = await _start(env, duration=5)
        parts = urlparse(data["tcp_url"])
        assert parts.hostname
        assert parts.port
        first_reader, first_writer = await asyncio.open_connection(parts.hostname, parts.port)
        seen = 0
        async with asyncio.timeout(20):
            while seen < into_second_gop:
                seen += len(await first_reader.read(65536))
        late, _ = await _read_stream(data["tcp_url"])
        first_writer.close()
        assert late
        assert decode_errors(late, tmp_path) == ""
        assert "h264" in probe_bytes(late, tmp_path).codecs
