"""`cameras` and `snap`, one at a time and 50 at once: the bridge vs direct blinkpy.

    python -m bench.concurrency_bench [--rounds 3] [--latency 0.02] [--quick]

mosquitto, the simulator (default scenario, 2FA off, LATENCY per Blink request) and
`blink-mqtt run` each run in their own process (bench/rig.py). The yardstick, "direct",
is unmodified blinkpy logged in to the same simulator from this process:

* `cameras` direct: every camera's attributes read from blinkpy's memory (the bridge
  answers from its last poll too);
* `snap` direct: what a blinkpy user does for a fresh picture of Front Door: the
  snapshot command with `force=True`, the camera's config re-read, `camera.update`
  (which fetches the new thumbnail).

Sequential: N requests one after another, each timed. Concurrent: bursts of 50 sent at
once (MQTT v5 requests with Response Topic and Correlation Data; direct: 50 coroutines
gathered), each timed from the start of its burst to its own answer; a `busy` answer
counts as such and its time is left out. `health` (answered without Blink) shows
what 50 concurrent MQTT round trips through the bridge cost at all. The simulator's
counters give the Blink snapshot commands per burst of 50 `snap` (1 when identical
requests share one run). Every figure is
the median over ROUNDS rounds of that round's p50 or p99. Targets: 50 concurrent
`cameras` p99 at most 25 ms over direct; 50 concurrent `snap` of one camera p99 at most
1.5x a single snap through the bridge (sequential p50), and no `busy` answer. Prints a
table; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blinkpy import api
from blinkpy.auth import Auth
from blinkpy.blinkpy import Blink

from bench import rig, scenarios
from bench.figures import Figure, p50, p99, table
from blink_mqtt.simulator import Scenario, routed_session

CAMERA = "Front Door"
BURST = 50
MAX_CAMERAS_OVERHEAD_MS = 25.0
MAX_SNAP_RATIO = 1.5
Call = Callable[[], Awaitable[Any]]


@dataclass(slots=True)
class Round:
    """p50/p99 per (operation, mode, path) of one round, and busy answers."""

    figures: dict[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)
    busy: int = 0
    snapshots_per_burst: float = 0.0


async def sequential(call: Call, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def burst(call: Callable[[], Awaitable[bool]], bursts: int) -> tuple[list[float], int]:
    """`bursts` times BURST calls at once; (ms of each answered call, refused calls).
    `call` returns False when it was refused (`busy`)."""
    samples, refused = [], 0
    for _ in range(bursts):
        start = time.perf_counter()

        async def timed(since: float) -> float | None:
            ok = await call()
            return (time.perf_counter() - since) * 1000 if ok else None

        for ms in await asyncio.gather(*(timed(start) for _ in range(BURST))):
            if ms is None:
                refused += 1
            else:
                samples.append(ms)
    return samples, refused


# --- direct blinkpy -----------------------------------------------------------------


async def direct_blink(url: str, chosen: Scenario) -> Blink:
    session = routed_session(url)
    blink = Blink(session=session, refresh_rate=30)
    login = {"username": chosen.account.email, "password": chosen.account.password}
    blink.auth = Auth(login, no_prompt=True, session=session)
    if not await blink.start():
        raise SystemExit("direct blinkpy could not log in to the simulator")
    return blink


def direct_cameras(blink: Blink) -> Call:
    async def cameras() -> list[dict[str, Any]]:
        return [dict(cam.attributes) for cam in blink.cameras.values()]

    return cameras


def direct_snap(blink: Blink) -> Call:
    cam = blink.cameras[CAMERA]

    async def snap() -> bytes:
        response = await api.request_new_image(
            blink, cam.network_id, cam.camera_id, camera_type=cam.camera_type, force=True
        )
        if not isinstance(response, dict) or "id" not in response:
            raise RuntimeError(f"snapshot refused: {response}")
        config = await cam.sync.get_camera_info(cam.camera_id)
        await cam.update(config, force_cache=False, expire_clips=False)
        if not cam.image_from_cache:
            raise RuntimeError("no image")
        return bytes(cam.image_from_cache)

    return snap


async def always_ok(call: Call) -> bool:
    await call()
    return True


# --- one round ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sizes:
    cameras: int  # sequential `cameras` requests
    snaps: int  # sequential `snap` requests
    bursts: int  # bursts of 50 per concurrent measurement


async def one_round(caller: rig.Caller, sim: rig.Sim, blink: Blink, sizes: Sizes) -> Round:
    result = Round()
    paths: dict[str, tuple[Call, Call]] = {
        "cameras": (lambda: caller.ok("cameras"), direct_cameras(blink)),
        "snap": (lambda: caller.ok("snap", CAMERA), direct_snap(blink)),
    }
    for operation, (bridge, direct) in paths.items():
        count = sizes.cameras if operation == "cameras" else sizes.snaps
        for path, call in (("bridge", bridge), ("direct", direct)):
            samples = await sequential(call, count)
            result.figures[operation, "sequential", path] = (p50(samples), p99(samples))

        async def via_bridge(op: str = operation) -> bool:
            answer = await caller.call(op, "" if op == "cameras" else CAMERA)
            if answer.status != "ok" and answer.code != "busy":
                raise RuntimeError(f"{op}: {answer}")
            return answer.status == "ok"

        before = (await sim.requests()).get("snap", 0)
        samples, refused = await burst(via_bridge, sizes.bursts)
        result.figures[operation, "concurrent", "bridge"] = (p50(samples), p99(samples))
        if operation == "snap":
            result.busy = refused
            taken = (await sim.requests()).get("snap", 0) - before
            result.snapshots_per_burst = taken / sizes.bursts
        samples, _ = await burst(lambda d=direct: always_ok(d), sizes.bursts)  # type: ignore[misc]
        result.figures[operation, "concurrent", "direct"] = (p50(samples), p99(samples))
    samples, _ = await burst(lambda: always_ok(lambda: caller.ok("health")), sizes.bursts)
    result.figures["health", "concurrent", "bridge"] = (p50(samples), p99(samples))
    return result


def figures(rounds: list[Round], bursts: int, load: str) -> list[Figure]:
    def of(op: str, mode: str, path: str, q: int) -> list[float]:
        return [r.figures[op, mode, path][q] for r in rounds]

    out = []
    for op in ("cameras", "snap"):
        for q, label in ((0, "p50"), (1, "p99")):
            out.append(
                Figure(
                    f"{op} sequential {label}",
                    "ms",
                    of(op, "sequential", "bridge", q),
                    f"direct blinkpy {label}",
                    of(op, "sequential", "direct", q),
                    load=load,
                )
            )
        out.append(
            Figure(
                f"{op} {BURST} concurrent p50",
                "ms",
                of(op, "concurrent", "bridge", 0),
                "direct blinkpy p50",
                of(op, "concurrent", "direct", 0),
                load=load,
            )
        )
    out.insert(
        3,
        Figure(
            f"cameras {BURST} concurrent p99",
            "ms",
            of("cameras", "concurrent", "bridge", 1),
            "direct blinkpy p99",
            of("cameras", "concurrent", "direct", 1),
            f"<= direct + {MAX_CAMERAS_OVERHEAD_MS:.0f} ms",
            lambda v, y: v <= y + MAX_CAMERAS_OVERHEAD_MS,
            load,
        ),
    )
    out.insert(
        4,
        Figure(
            f"health {BURST} concurrent p99 (MQTT floor)",
            "ms",
            of("health", "concurrent", "bridge", 1),
            load=load,
        ),
    )
    out += [
        Figure(
            f"snap {BURST} concurrent p99 (one camera)",
            "ms",
            of("snap", "concurrent", "bridge", 1),
            "single snap via bridge p50",
            of("snap", "sequential", "bridge", 0),
            f"<= {MAX_SNAP_RATIO}x single snap",
            lambda v, y: v <= MAX_SNAP_RATIO * y,
            load,
        ),
        Figure(
            f"snap {BURST} concurrent p99, direct blinkpy",
            "ms",
            of("snap", "concurrent", "direct", 1),
            "single snap direct p50",
            of("snap", "sequential", "direct", 0),
            load=load,
        ),
        Figure(
            f"snap {BURST} concurrent: Blink snapshots per burst",
            "req",
            [r.snapshots_per_burst for r in rounds],
            load=load,
        ),
        Figure(
            f"snap {BURST} concurrent: busy of {bursts * BURST}",
            "ans",
            [float(r.busy) for r in rounds],
            target="0",
            check=lambda v, _: v == 0,
            load=load,
        ),
    ]
    return out


async def run(args: argparse.Namespace) -> int:
    rounds = 1 if args.quick else args.rounds
    sizes = Sizes(20, 5, 1) if args.quick else Sizes(100, 20, 4)
    chosen = scenarios.default_without_2fa()
    cameras = sum(len(net.cameras) for net in chosen.networks)
    results, loads = [], []
    with tempfile.TemporaryDirectory(prefix="concurrency-bench-") as tmp:
        workdir = Path(tmp)
        with rig.mosquitto(workdir / "broker") as port:
            async with rig.simulator(chosen, workdir, args.latency) as sim:
                with rig.bridge(sim, port, workdir / "bridge", chosen):
                    async with rig.caller(port) as caller:
                        await caller.ready(cameras)
                        blink = await direct_blink(sim.url, chosen)
                        try:
                            await one_round(caller, sim, blink, Sizes(10, 3, 1))  # warm-up
                            for n in range(rounds):
                                results.append(await one_round(caller, sim, blink, sizes))
                                loads.append(rig.load())
                                print(f"round {n + 1}: load {loads[-1]}", flush=True)
                        finally:
                            await blink.auth.session.close()
    print(
        f"\nsimulator latency {args.latency * 1000:.0f} ms per Blink request; "
        f"{sizes.cameras} sequential cameras, {sizes.snaps} sequential snaps, "
        f"{sizes.bursts} bursts of {BURST} per round; median of {rounds} round(s); "
        f"load per round {', '.join(loads)}"
    )
    table("cameras and snap, sequential and concurrent", figures(results, sizes.bursts, loads[-1]))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--quick", action="store_true", help="1 short round")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
