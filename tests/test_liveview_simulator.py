"""The simulator's live view as unmodified blinkpy 0.25.9 uses it: the request for each
camera kind, the immis:// server, real H.264 MPEG-TS, and the realism switches."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.liveview_probe import probe_bytes
from tests.sim_fixtures import SimEnv, login, running, scenario

pytestmark = pytest.mark.timeout(240)


async def _watch(camera: Any, limit: float = 20.0) -> bytes:
    """What a local client of blinkpy's BlinkLiveStream receives until the stream ends."""
    stream = await camera.init_livestream()
    await stream.start()
    feed = asyncio.create_task(stream.feed())
    host, port = stream.socket.getsockname()[:2]
    reader, writer = await asyncio.open_connection(host, port)
    data = bytearray()
    async with asyncio.timeout(limit):
        while chunk := await reader.read(65536):
            data += chunk
        await feed
    writer.close()
    return bytes(data)


@pytest.mark.parametrize("name", ["Front Door", "Garage", "Porch"])
async def test_blinkpy_streams_h264_from_every_camera_kind(name: str, tmp_path: Path) -> None:
    async with running(scenario(twofa=False)) as env:
        env.sim.set_liveview(max_seconds=3, polling_interval=1)
        blink = await login(env, owls=True)
        data = await _watch(blink.cameras[name])
        found = probe_bytes(data, tmp_path)
        assert "h264" in found.codecs
        assert found.increasing
        assert found.duration >= 2.5
        (session,) = env.sim.liveview_sessions()
        assert session["ended"] == "max_seconds"
        assert session["keepalives"] >= 1
        assert session["latency_reports"] >= 2


async def test_fragmented_packets_end_blinkpys_own_reader(tmp_path: Path) -> None:
    """The fault reproduces fronzbot/blinkpy#1181: blinkpy's recv takes a short read for
    the end of the stream, so its clients get nothing."""
    async with running(scenario(twofa=False)) as env:
        env.sim.set_liveview(max_seconds=5, polling_interval=1, fragment_bytes=50)
        blink = await login(env, owls=True)
        data = await _watch(blink.cameras["Front Door"])
        assert len(data) < 2000


async def test_dropped_connection_ends_the_stream() -> None:
    async with running(scenario(twofa=False)) as env:
        env.sim.set_liveview(max_seconds=30, polling_interval=1, drop_after_seconds=1)
        blink = await login(env, owls=True)
        data = await _watch(blink.cameras["Front Door"])
        assert data
        assert env.sim.liveview_sessions()[0]["ended"] == "dropped"


async def _raw_connect(env: SimEnv, blink: Any) -> tuple[str, int]:
    stream = await blink.cameras["Front Door"].init_livestream()
    return stream.target.hostname, stream.target.port


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(junk=st.binary(min_size=0, max_size=300))
def test_any_auth_header_is_answered_by_a_closed_connection(junk: bytes) -> None:
    async def run() -> None:
        async with running(scenario(twofa=False)) as env:
            blink = await login(env, owls=True)
            host, port = await _raw_connect(env, blink)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            reader, writer = await asyncio.open_connection(host, port, ssl=context)
            writer.write(junk.ljust(122, b"\x00")[:122])
            await writer.drain()
            async with asyncio.timeout(15):
                assert await reader.read() == b""
            writer.close()
            assert env.sim.liveview_sessions()[0]["connections"] == 0

    asyncio.run(run())
