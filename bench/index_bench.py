"""`cameras` latency against the size of the clip index: 0, 10k and 100k archived clips.

    python -m bench.index_bench [--rounds 3] [--sizes 0,10000,100000] [--count 200]
                                [--latency 0.02] [--quick]

Before the bridge starts, DATA_DIR's clip index is filled with N synthetic clips of the
scenario's cameras (default scenario, 2FA off), one a minute back from now, spread
evenly over the cameras, through the archive's own index API
(`blink_mqtt.archive.index.ClipIndex.put`; paths from `archive.layout.clip_path`); the
10 newest files of each camera exist on disk (tiny), as `last_clip` looks for them.
The index is built once per N and copied for each round.

mosquitto, the simulator (LATENCY per Blink request) and `blink-mqtt run` each run in
their own process (bench/rig.py). Per round and N: a fresh bridge, COUNT sequential
`cameras` requests, p50 and p99. Each figure is the median over ROUNDS rounds; its
yardstick is the empty index of the same rounds. Target: p50 at 100k at most 2 ms over
the empty index. Prints a table; exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import rig, scenarios
from bench.figures import Figure, p50, p99, table
from blink_mqtt.archive.index import ClipIndex, Entry
from blink_mqtt.archive.layout import clip_path

MAX_OVER_EMPTY_MS = 2.0
ON_DISK_PER_CAMERA = 10


def fill_index(workdir: Path, cameras: list[str], count: int) -> None:
    """`count` clips in `workdir/data`'s index; the newest of each camera on disk."""
    data, media = workdir / "data", workdir / "media"
    media.mkdir(parents=True, exist_ok=True)
    newest = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
    index = ClipIndex.open(data)
    saved_at = datetime.now(UTC)
    try:
        for n in range(count):
            camera = cameras[n % len(cameras)]
            recorded = newest - timedelta(minutes=n)
            path = clip_path(camera, recorded, sort=True, tz=UTC)
            index.put(Entry(camera, recorded, path, 65536, "cloud", str(900000 + n)), saved_at)
            if n < ON_DISK_PER_CAMERA * len(cameras):
                (media / path).parent.mkdir(parents=True, exist_ok=True)
                (media / path).write_bytes(b"\0" * 16)
    finally:
        index.close()


async def measure(
    setup: tuple[rig.Sim, int], workdir: Path, cameras: int, count: int, *, indexed: int
) -> tuple[float, float]:
    sim, port = setup
    chosen = scenarios.default_without_2fa()
    with rig.bridge(sim, port, workdir, chosen):
        async with rig.caller(port) as caller:
            await caller.ready(cameras)
            listed = (await caller.ok("cameras")).data["cameras"]
            if indexed and not all(cam["last_clip"] for cam in listed):
                raise SystemExit(f"the bridge did not read the index in {workdir}: {listed}")
            for _ in range(20):  # warm-up
                await caller.ok("cameras")
            samples = [(await caller.ok("cameras")).ms for _ in range(count)]
    return p50(samples), p99(samples)


async def run(args: argparse.Namespace) -> int:
    sizes = [0, 10000] if args.quick else [int(s) for s in args.sizes.split(",")]
    rounds = 1 if args.quick else args.rounds
    count = 50 if args.quick else args.count
    chosen = scenarios.default_without_2fa()
    names = [cam.name for net in chosen.networks for cam in net.cameras]
    results: dict[int, list[tuple[float, float]]] = {n: [] for n in sizes}
    loads: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="index-bench-") as tmp:
        workdir = Path(tmp)
        for size in sizes:
            started = time.perf_counter()
            fill_index(workdir / f"template-{size}", names, size)
            print(f"index of {size} clips filled in {time.perf_counter() - started:.1f} s")
        with rig.mosquitto(workdir / "broker") as port:
            async with rig.simulator(chosen, workdir, args.latency) as sim:
                for n in range(rounds):  # interleaved, so that load changes hit all alike
                    for size in sizes:
                        here = workdir / f"round-{n}-{size}"
                        shutil.copytree(workdir / f"template-{size}", here)
                        result = await measure((sim, port), here, len(names), count, indexed=size)
                        results[size].append(result)
                        loads[size] = rig.load()
    empty = [r[0] for r in results[sizes[0]]]
    figures = []
    for size in sizes:
        at_most = size >= 100000 and sizes[0] == 0
        figures.append(
            Figure(
                f"cameras p50, {size} indexed clips",
                "ms",
                [r[0] for r in results[size]],
                f"cameras p50, {sizes[0]} clips",
                empty,
                f"<= empty + {MAX_OVER_EMPTY_MS:.0f} ms" if at_most else "",
                (lambda v, y: v <= y + MAX_OVER_EMPTY_MS) if at_most else None,
                loads[size],
            )
        )
        figures.append(
            Figure(
                f"cameras p99, {size} indexed clips",
                "ms",
                [r[1] for r in results[size]],
                f"cameras p99, {sizes[0]} clips",
                [r[1] for r in results[sizes[0]]],
                load=loads[size],
            )
        )
    print(
        f"\nsimulator latency {args.latency * 1000:.0f} ms per Blink request; {count} "
        f"sequential cameras per bridge; median of {rounds} round(s)"
    )
    table("cameras latency against the size of the clip index", figures)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="0,10000,100000", help="indexed clips, 0 first")
    parser.add_argument("--count", type=int, default=200, help="cameras requests per round")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--quick", action="store_true", help="1 round, 0 and 10k clips")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
