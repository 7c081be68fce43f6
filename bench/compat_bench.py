"""BlinkPy API's endpoints on the bridge vs BlinkPy API's own code, same simulator.

The bridge runs as `blink-mqtt run` with HTTP_PORT, against the simulator with the
default scenario (2FA off, no added latency, commands complete at once: what
bench/record_blinkpy_api.py ran BlinkPy API against). Each endpoint is timed over HTTP
and printed next to the time BlinkPy API took for the same request in the recordings
(tests/data/blinkpy_api/*.json, `seconds`).

    PYTHONPATH=$PWD python3 -m bench.compat_bench [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.figures import p50
from bench.rig import HOST, ROOT, bridge, caller, free_port, load, mosquitto, simulator
from blink_mqtt.simulator import Scenario, default_scenario

RECORDINGS = ROOT / "tests" / "data" / "blinkpy_api"


def recorded_seconds(name: str) -> float:
    data: dict[str, Any] = json.loads((RECORDINGS / f"{name}.json").read_text())
    return float(data["seconds"])


async def timed(session: aiohttp.ClientSession, method: str, url: str, body: Any) -> float:
    start = time.perf_counter()
    async with session.request(method, url, json=body) as response:
        await response.read()
        if response.status != 200:
            raise SystemExit(f"{method} {url}: HTTP {response.status}")
    return time.perf_counter() - start


async def run(rounds: int) -> None:
    scenario = Scenario.model_validate(
        {**default_scenario().model_dump(), "two_factor": {"enabled": False}}
    )
    with tempfile.TemporaryDirectory(prefix="compat-bench-") as tmp:
        work = Path(tmp)
        port = free_port()
        with mosquitto(work / "mqtt") as mqtt_port:
            async with simulator(scenario, work / "sim", latency=0.0) as sim:
                with bridge(sim, mqtt_port, work / "bridge", scenario, HTTP_PORT=str(port)):
                    async with caller(mqtt_port) as rr:
                        await rr.ready(len([c for n in scenario.networks for c in n.cameras]))
                    await measure(f"http://{HOST}:{port}", rounds)


async def measure(origin: str, rounds: int) -> None:
    timeout = aiohttp.ClientTimeout(total=300)
    rows: list[tuple[str, str, float]] = []
    async with aiohttp.ClientSession(timeout=timeout) as session:
        info = [
            await timed(session, "GET", origin + "/get-camera-info", None) for _ in range(rounds)
        ]
        rows.append(("get_camera_info", f"p50 of {rounds}", p50(info)))
        snap = {"camera_name": "Front Door"}
        snaps = [await timed(session, "POST", origin + "/snap", snap) for _ in range(rounds)]
        rows.append(("snap", f"p50 of {rounds}", p50(snaps)))
        recent = await timed(session, "POST", origin + "/download-recent-clips", {})
        rows.append(("recent", "10 clips, once", recent))
        day = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
        body = {"camera_name": "all", "since": day}
        since = await timed(session, "POST", origin + "/download-clips-since-and-sort", body)
        rows.append(("since_sort", "20 new clips, once", since))
    print(f"load {load()}")
    print(f"{'endpoint (recording)':24} {'what':20} {'bridge s':>9} {'BlinkPy API s':>14} {'x':>7}")
    for name, what, seconds in rows:
        theirs = recorded_seconds(name)
        print(f"{name:24} {what:20} {seconds:9.3f} {theirs:14.3f} {theirs / seconds:7.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(run(parser.parse_args().rounds))
