"""Live view: time to first frame, the bridge's CPU and RSS per open stream, and what
happens when a camera's daily budget is spent.

    python -m bench.liveview_bench [--rounds 5] [--latency 0.02] [--seconds 10]
                                   [--kbps 1000] [--quick]

mosquitto, the simulator (LATENCY per Blink request) and `blink-mqtt run` each run in
their own process (bench/rig.py). Measured:

* time to first frame: from the `liveview` request to the first MPEG-TS byte on its
  `tcp_url` (the simulator's stream starts with a key frame), median and worst of
  ROUNDS sessions; also the request's own answer time. Blink's real camera wake-up
  (seconds, not published) comes on top; this is what the bridge adds.
* CPU and RSS per open stream: the bridge's CPU time (utime + stime from /proc) over
  SECONDS with 0, 1, 3 and 5 streams open (one per camera, one reading client each),
  and its RSS; per stream = (with N - with 0) / N. The simulator's 64x48 stream is
  padded with null packets to KBPS (default 1000 kbit/s: an assumed rate for Blink's
  live view, not a published one); the bytes relayed per second are printed with it.
* the budget: LIVEVIEW_DAILY_SECONDS=5 and LIVEVIEW_MAX_SECONDS=3 on a fresh bridge:
  two sessions, then the answer to a third request and the Blink requests it caused.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

from bench import rig, scenarios

CAMERAS = ["Front Door", "Backyard", "Garage", "Porch", "Kitchen"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _consume(url: str, first: asyncio.Future[float], counter: list[int]) -> None:
    parts = urlparse(url)
    assert parts.hostname
    assert parts.port
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while chunk := await reader.read(65536):
            if not first.done():
                first.set_result(time.perf_counter())
            counter[0] += len(chunk)
    finally:
        writer.close()


async def first_frame(caller: rig.Caller, rounds: int) -> None:
    totals, answers = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        answer = await caller.ok("liveview", '{"camera": "Front Door", "duration": 30}')
        answers.append(answer.ms)
        first: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(_consume(answer.data["tcp_url"], first, [0]))
        totals.append((await asyncio.wait_for(first, 30) - start) * 1000)
        await caller.ok("liveview-stop", "Front Door")
        await asyncio.wait_for(task, 30)
        await asyncio.sleep(1)  # the session's end reaches Blink before the next one
    print(
        f"time to first frame: median {statistics.median(totals):.0f} ms, worst "
        f"{max(totals):.0f} ms ({rounds} sessions; the liveview answer alone: median "
        f"{statistics.median(answers):.0f} ms)"
    )


async def per_stream(caller: rig.Caller, bridge: rig.Bridge, seconds: float) -> None:
    pid = bridge.process.pid
    print(f"{'streams':>8} {'CPU %':>7} {'RSS MiB':>8} {'kB/s relayed':>13}")
    base_cpu = base_rss = 0.0
    for count in (0, 1, 3, 5):
        tasks, counters = [], []
        for name in CAMERAS[:count]:
            answer = await caller.ok("liveview", f'{{"camera": "{name}", "duration": 120}}')
            counter = [0]
            counters.append(counter)
            first: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            tasks.append(asyncio.create_task(_consume(answer.data["tcp_url"], first, counter)))
        await asyncio.sleep(2)  # streams flowing
        before, moved = cpu_seconds(pid), sum(c[0] for c in counters)
        await asyncio.sleep(seconds)
        cpu = (cpu_seconds(pid) - before) / seconds * 100
        rate = (sum(c[0] for c in counters) - moved) / seconds / 1000
        rss = bridge.rss_kib() / 1024
        if count == 0:
            base_cpu, base_rss = cpu, rss
            print(f"{count:>8} {cpu:>7.2f} {rss:>8.1f} {rate:>13.1f}")
        else:
            print(
                f"{count:>8} {cpu:>7.2f} {rss:>8.1f} {rate:>13.1f}   per stream: "
                f"{(cpu - base_cpu) / count:.2f} % CPU, {(rss - base_rss) / count:.2f} MiB"
            )
        for name in CAMERAS[:count]:
            await caller.ok("liveview-stop", name)
        for task in tasks:
            await asyncio.wait_for(task, 30)
        await asyncio.sleep(1)


async def budget(sim: rig.Sim, port: int, workdir: Path) -> None:
    scenario = scenarios.default_without_2fa()
    settings = {"LIVEVIEW_DAILY_SECONDS": "5", "LIVEVIEW_MAX_SECONDS": "3"}
    settings["LIVEVIEW_RTSP_PORT"] = "0"
    with rig.bridge(sim, port, workdir / "budget", scenario, **settings):
        async with rig.caller(port) as caller:
            await caller.ready(len(CAMERAS))
            for _ in range(2):
                answer = await caller.ok("liveview", "Front Door")
                first: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                await asyncio.wait_for(_consume(answer.data["tcp_url"], first, [0]), 30)
                granted = datetime.fromisoformat(answer.data["ends_at"]) - datetime.fromisoformat(
                    answer.data["started_at"]
                )
                print(
                    f"session granted {granted.total_seconds():.1f} s "
                    f"(seconds left today when it started: {answer.data['seconds_left_today']})"
                )
            await asyncio.sleep(1)
            await sim.reset()
            refused = await caller.call("liveview", "Front Door")
            blink = await sim.requests()
            print(
                f"third request: {refused.status} {refused.code} in {refused.ms:.0f} ms; "
                f"Blink requests it caused: {sum(blink.values())} {blink or ''}"
            )


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--kbps", type=int, default=1000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 2, 3.0
    print(f"load before: {rig.load()}")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        with rig.mosquitto(workdir / "broker") as port:
            scenario = scenarios.default_without_2fa()
            async with rig.simulator(scenario, workdir / "sim", args.latency) as sim:
                await sim.control(
                    "POST", "/_sim/liveview", {"polling_interval": 15, "pad_kbps": args.kbps}
                )
                settings = {"LIVEVIEW_RTSP_PORT": "0", "LIVEVIEW_DAILY_SECONDS": "100000"}
                settings["LIVEVIEW_MAX_SECONDS"] = "600"
                with rig.bridge(sim, port, workdir / "bridge", scenario, **settings) as bridge:
                    async with rig.caller(port) as caller:
                        await caller.ready(len(CAMERAS))
                        await first_frame(caller, args.rounds)
                        await per_stream(caller, bridge, args.seconds)
                await budget(sim, port, workdir)
    print(f"load after: {rig.load()}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
