"""The README's HTTP checks, as printed, on `HTTP_PORT=... blink-mqtt run` in demo mode
(a real process: private mosquitto, built-in simulator): a snap's `url` returns the
JPEG, `Range: bytes=0-99` of a clip returns 206 with 100 bytes, /healthz is 200 and
/metrics parses as Prometheus text."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from urllib.parse import quote

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from blink_mqtt.localbroker import free_port

READY = "Blink auth state: ok"
START_TIMEOUT = 60.0


async def _watch(stream: asyncio.StreamReader, lines: list[str], ready: asyncio.Event) -> None:
    while line := await stream.readline():
        lines.append(line.decode(errors="replace"))
        if READY in lines[-1]:
            ready.set()


async def test_the_readme_http_checks_in_demo_mode(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLINK_", "MQTT_", "HTTP_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "blink_mqtt", "run",
        cwd=tmp_path,
        env={**env, "HTTP_PORT": str(port), "LOG_LEVEL": "INFO"},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    lines: list[str] = []
    ready = asyncio.Event()
    watcher = asyncio.create_task(_watch(process.stderr, lines, ready))
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.wait_for(ready.wait(), START_TIMEOUT)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            async with http.post(f"{base}/api/snap", data="Front Door") as answer:
                url = (await answer.json())["data"]["url"]
            assert url == f"{base}/media/Front%20Door/last_snap.jpg"
            async with http.get(url) as answer:
                assert answer.status == 200
                assert answer.content_type == "image/jpeg"
                assert (await answer.read())[:2] == b"\xff\xd8"
            since = "2000-01-01T00:00:00+00:00"
            async with http.post(f"{base}/api/download-since", data=since) as answer:
                saved = (await answer.json())["data"]["downloaded_clips"]
            clip = next(path for paths in saved.values() for path in paths)
            ranged = {"Range": "bytes=0-99"}
            async with http.get(f"{base}/{quote(clip)}", headers=ranged) as answer:
                assert answer.status == 206
                assert len(await answer.read()) == 100
            async with http.get(f"{base}/healthz") as answer:
                assert answer.status == 200
            async with http.get(f"{base}/metrics") as answer:
                names = {f.name for f in text_string_to_metric_families(await answer.text())}
            assert "blink_mqtt_request_duration_seconds" in names
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), START_TIMEOUT) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        with contextlib.suppress(asyncio.CancelledError):
            watcher.cancel()
            await watcher
    assert not [line for line in lines if "Traceback" in line], "".join(lines)
