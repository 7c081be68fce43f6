"""The cost of a poll: Blink requests per poll, a snap that arrives mid-poll, RSS.

    python -m bench.poll_bench [--rounds 3] [--latency 0.02] [--big-mb 500] [--quick]

mosquitto, the simulator (LATENCY per Blink request) and `blink-mqtt run` each run in
their own process (bench/rig.py). A poll is a `refresh` request; it is timed from the
request to its answer. Measured, each the median of ROUNDS rounds:

* requests per poll at 5 / 20 / 50 cameras (networks of 10): the Blink requests the
  simulator logged between a telemetry reset and the `refresh` answer, in steady state
  (a first poll after login is not counted). Target: at most 60 at 50 cameras.
* snap mid-poll at 50 cameras: a `snap` of Cam 1 sent a quarter of an idle poll's
  duration after a `refresh`, timed to its answer; yardstick: the same `snap` on the
  idle bridge. Target: at most 1.5x.
* RSS during a poll that sees a new BIG_MB MB clip (5 cameras, a fresh bridge and
  simulator per round): peak growth (VmHWM reset before the poll, and VmRSS sampled
  every 5 ms, against VmRSS just before) and what is kept 0.5 s after the answer;
  yardstick: a poll that sees a new 64 KiB clip of another camera. Also the `clip`
  requests during the poll (a clip's bytes read by the poll). Target: no clip read,
  peak growth at most 8 MiB.

Prints a table per part; exits 0 (the verdicts are in the table).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench import rig, scenarios
from bench.figures import Figure, table

MIB = 1 << 20
SMALL_CLIP = 64 * 1024
MAX_REQUESTS_AT_50 = 60
MIDPOLL_MAX_RATIO = 1.5
MAX_GROWTH_MIB = 8.0
SAMPLE_EVERY = 0.005


@dataclass(frozen=True, slots=True)
class Setup:
    workdir: Path
    mqtt_port: int
    latency: float


@contextlib.asynccontextmanager
async def running(
    setup: Setup, cameras: int, name: str
) -> AsyncIterator[tuple[rig.Sim, rig.Bridge, rig.Caller]]:
    """A fresh simulator with `cameras` cameras and a bridge logged in to it."""
    chosen = scenarios.cameras(cameras)
    workdir = setup.workdir / name
    async with rig.simulator(chosen, workdir, setup.latency) as sim:
        with rig.bridge(sim, setup.mqtt_port, workdir, chosen) as bridge:
            async with rig.caller(setup.mqtt_port) as caller:
                await caller.ready(cameras)
                await caller.ok("refresh")  # the first poll after login is not steady
                yield sim, bridge, caller


async def requests_per_poll(
    sim: rig.Sim, caller: rig.Caller, rounds: int
) -> tuple[list[float], list[float], dict[str, int]]:
    counts, times, by_endpoint = [], [], {}
    for _ in range(rounds):
        await sim.reset()
        answer = await caller.ok("refresh")
        by_endpoint = await sim.requests()
        counts.append(float(sum(by_endpoint.values())))
        times.append(answer.ms)
    return counts, times, by_endpoint


async def snap_mid_poll(caller: rig.Caller, poll_ms: float, rounds: int) -> tuple[float, float]:
    """(median idle snap ms, median snap ms sent a quarter into a poll)."""
    camera = scenarios.camera_name(0)
    idle = [(await caller.ok("snap", camera)).ms for _ in range(rounds)]
    busy = []
    for _ in range(rounds):
        poll = asyncio.create_task(caller.ok("refresh"))
        await asyncio.sleep(poll_ms / 4000)
        busy.append((await caller.ok("snap", camera)).ms)
        await poll
    return statistics.median(idle), statistics.median(busy)


async def sampled_peak(bridge: rig.Bridge, work: asyncio.Task[rig.Answer]) -> int:
    """The highest VmRSS seen while `work` runs (KiB)."""
    peak = bridge.rss_kib()
    while not work.done():
        peak = max(peak, bridge.rss_kib())
        await asyncio.sleep(SAMPLE_EVERY)
    return peak


async def poll_seeing_clip(
    sim: rig.Sim, bridge: rig.Bridge, caller: rig.Caller, camera: str, size: int
) -> tuple[float, float, float]:
    """(peak growth MiB, kept MiB, clip requests) of a poll that sees a new clip."""
    await asyncio.sleep(1.1)  # clip times are whole seconds; the last poll's too
    await sim.add_clip(camera, size)
    await sim.reset()
    before = bridge.rss_kib()
    bridge.reset_peak()
    poll = asyncio.create_task(caller.ok("refresh", wait=300))
    sampled = await sampled_peak(bridge, poll)
    await poll
    peak = max(sampled, bridge.peak_kib())
    await asyncio.sleep(0.5)
    kept = bridge.rss_kib() - before
    clips = (await sim.requests()).get("clip", 0)
    return (peak - before) / 1024, kept / 1024, float(clips)


async def rss_rounds(setup: Setup, rounds: int, big_mb: int) -> list[Figure]:
    small: list[tuple[float, float, float]] = []
    big: list[tuple[float, float, float]] = []
    for n in range(rounds):
        async with running(setup, 5, f"rss-{n}") as (sim, bridge, caller):
            small.append(await poll_seeing_clip(sim, bridge, caller, "Cam 1", SMALL_CLIP))
            big.append(await poll_seeing_clip(sim, bridge, caller, "Cam 2", big_mb * MIB))
    yard = f"poll seeing a {SMALL_CLIP // 1024} KiB clip"
    return [
        Figure(
            f"RSS peak growth, poll sees {big_mb} MB clip",
            "MiB",
            [b[0] for b in big],
            yard,
            [s[0] for s in small],
            f"<= {MAX_GROWTH_MIB:.0f} MiB (no clip bytes read)",
            lambda v, _: v <= MAX_GROWTH_MIB,
            rig.load(),
        ),
        Figure(
            "RSS kept 0.5 s after that poll",
            "MiB",
            [b[1] for b in big],
            yard,
            [s[1] for s in small],
            "",
            None,
            rig.load(),
        ),
        Figure(
            "clip requests during that poll",
            "req",
            [b[2] for b in big],
            yard,
            [s[2] for s in small],
            "0",
            lambda v, _: v == 0,
            rig.load(),
        ),
    ]


async def poll_figures(setup: Setup, sizes: list[int], rounds: int) -> list[Figure]:
    figures = []
    for cameras in sizes:
        async with running(setup, cameras, f"poll-{cameras}") as (sim, _, caller):
            counts, times, by_endpoint = await requests_per_poll(sim, caller, rounds)
            last = dict(sorted(by_endpoint.items()))
            print(f"{cameras} cameras, requests of the last poll: {last}")
            at_most = cameras == max(sizes) == 50
            figures.append(
                Figure(
                    f"Blink requests per poll, {cameras} cameras",
                    "req",
                    counts,
                    target=f"<= {MAX_REQUESTS_AT_50}" if at_most else "",
                    check=(lambda v, _: v <= MAX_REQUESTS_AT_50) if at_most else None,
                    load=rig.load(),
                )
            )
            figures.append(Figure(f"poll time, {cameras} cameras", "ms", times, load=rig.load()))
            if cameras == max(sizes):
                poll_ms = statistics.median(times)
                figures.append(await midpoll_figure(caller, cameras, poll_ms, rounds))
    return figures


async def midpoll_figure(caller: rig.Caller, cameras: int, poll_ms: float, rounds: int) -> Figure:
    idle, busy = [], []
    for _ in range(rounds):
        i, b = await snap_mid_poll(caller, poll_ms, 3)
        idle.append(i)
        busy.append(b)
    return Figure(
        f"snap arriving mid-poll, {cameras} cameras",
        "ms",
        busy,
        "snap on the idle bridge",
        idle,
        f"<= {MIDPOLL_MAX_RATIO}x idle",
        lambda v, y: v <= MIDPOLL_MAX_RATIO * y,
        rig.load(),
    )


async def run(args: argparse.Namespace) -> int:
    sizes = [5, 50] if args.quick else [5, 20, 50]
    rounds = 1 if args.quick else args.rounds
    big_mb = 50 if args.quick else args.big_mb
    with tempfile.TemporaryDirectory(prefix="poll-bench-") as tmp:
        workdir = Path(tmp)
        with rig.mosquitto(workdir / "broker") as port:
            setup = Setup(workdir, port, args.latency)
            polls = await poll_figures(setup, sizes, rounds)
            memory = await rss_rounds(setup, rounds, big_mb)
    print(
        f"\nsimulator latency {args.latency * 1000:.0f} ms per Blink request; "
        f"median of {rounds} round(s); load = 1-min load average when measured"
    )
    table("requests per poll, poll time, snap mid-poll", polls)
    table("memory of the bridge during a poll that sees a new clip", memory)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--big-mb", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="1 round, 5 and 50 cameras, 50 MB")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
