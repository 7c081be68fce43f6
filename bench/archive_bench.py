"""Archiving clips: the bridge vs blinkpy's download_videos vs a fair raw-aiohttp limit.

    python -m bench.archive_bench [--cameras 4] [--clips 50] [--mb 5] [--latency 0.02]
                                  [--big-mb 500] [--concurrency N] [--repeat 3] [--quick]

Serves the Blink cloud simulator in its own process with CAMERAS x CLIPS clips of MB
MB each (plus a camera `Big` without clips) and LATENCY seconds added to every request,
then runs each contender in a fresh subprocess of its own, so that its wall time and
peak RSS are its alone:

* bridge:  `blink-mqtt run` in its own process with a private mosquitto (bench/rig.py),
           logged in; timed: one `download-since` request for every camera's clips, from
           the request to its answer. RSS is the bridge process's. DOWNLOAD_CONCURRENCY
           is left at the bridge's default unless --concurrency is given;
* blinkpy: Blink.download_videos(path, since=..., delay=0), unmodified;
* aiohttp: the fair raw limit: the same clip URLs (listed the same way) fetched by a
           plain aiohttp session, as many at a time as the bridge (its default
           DOWNLOAD_CONCURRENCY, read from the checkout's Settings, unless --concurrency),
           each written as the bridge's archive writes (its own code here, so that it
           stays put when the bridge changes): 256 KiB chunks gathered into 1 MiB writes
           done in a worker thread, a hidden temp file, then flush, fsync, rename and
           fsync of the folder (no MP4 check, no index, no latest/);
* big:     the bridge's `download-since` of one clip of BIG_MB MB (camera `Big`).

Timed: from listing the clips to the last one on disk (logins are not). Each contender
runs once per round, rounds interleaved; speed-ups are per round, then the median. Peak
RSS is VmHWM (reset just before the timed part for the bridge); growth is peak minus
VmRSS just before the timed part; "sim CPU" is the CPU time the simulator process used
meanwhile (logins included). Targets, at the bridge's default DOWNLOAD_CONCURRENCY:
bridge >= 3x faster than blinkpy, <= 1.3x the fair raw limit's time, < 30 MiB growth
for the big clip. Prints a table; exits 0 (the verdicts are in the table).

With 20 ms per request a 5 MB clip costs a sequential client (blinkpy) about 30 ms and
two-at-a-time fetching about 16 ms per clip even with the bodies discarded, so at a
concurrency of 2 the raw limit itself is under 2x blinkpy. `os.sync()` runs before each
contender so that none pays for the previous one's writeback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import aiohttp
from blinkpy import api
from blinkpy.auth import Auth
from blinkpy.blinkpy import Blink

from bench import rig
from bench.figures import Figure, table
from blink_mqtt.settings import Settings
from blink_mqtt.simulator import Scenario, default_scenario, load_scenario, routed_session
from blink_mqtt.simulator.scenario import CameraSpec, ClipSpec, NetworkSpec, TwoFactorSpec

SINCE = datetime(2020, 1, 1, tzinfo=UTC)
BIG_AT = datetime(2019, 6, 1, tzinfo=UTC)  # older than SINCE: only the big run wants it
BIG = "Big"
MB = 1 << 20
CHUNK = 256 * 1024
FLUSH_BYTES = 1 << 20
MIN_SPEEDUP, MAX_OVER_RAW, MAX_BIG_GROWTH_MIB = 3.0, 1.3, 30.0
KINDS = ("bridge", "blinkpy", "aiohttp")


# --- the parent: simulator, workers, table ---------------------------------------------


def _camera(n: int, clips: tuple[ClipSpec, ...], name: str | None = None) -> CameraSpec:
    return CameraSpec(
        id=4100 + n,
        name=name or f"Cam {n + 1}",
        serial=f"G8T1-{4100 + n}-BNCH",
        fw_version="10.74",
        clips=clips,
    )


def scenario(cameras: int, clips: int, size: int) -> Scenario:
    base = default_scenario()
    start = datetime.now(UTC).replace(microsecond=0)
    cams = tuple(
        _camera(
            n,
            tuple(
                ClipSpec(created_at=start - timedelta(minutes=7 * k + n), size=size)
                for k in range(clips)
            ),
        )
        for n in range(cameras)
    )
    home = base.networks[0].model_copy(update={"cameras": (*cams, _camera(99, (), BIG))})
    assert isinstance(home, NetworkSpec)
    return base.model_copy(update={"networks": (home,), "two_factor": TwoFactorSpec(enabled=False)})


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_worker(kind: str, sim: rig.Sim, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One contender in its own process; `sim_cpu` is what the simulator spent meanwhile."""
    out = workdir / kind
    out.mkdir(parents=True)
    argv = [sys.executable, "-m", "bench.archive_bench", "--worker", kind, "--url", sim.url]
    argv += ["--out", str(out), "--scenario", str(workdir.parent / "scenario.json")]
    if args.concurrency is not None:
        argv += ["--concurrency", str(args.concurrency)]
    os.sync()  # the previous contender's dirty pages are not this one's to write back
    cpu = cpu_seconds(sim.pid)
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=rig.child_env())
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["sim_cpu"] = cpu_seconds(sim.pid) - cpu
    result["load"] = rig.load()
    return result


def median(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall time (its RSS figures with it)."""
    ordered = sorted(results, key=lambda r: float(r["seconds"]))
    chosen = dict(ordered[len(ordered) // 2])
    chosen["all_seconds"] = [round(r["seconds"], 2) for r in results]
    return chosen


def runs_table(rows: dict[str, dict[str, Any]]) -> None:
    print(
        f"{'path':<9} {'clips':>5} {'MiB':>6} {'seconds':>8} {'MiB/s':>7} {'peak RSS':>9} "
        f"{'growth':>7} {'sim CPU':>8} {'load':>5}  runs (s)"
    )
    for kind, r in rows.items():
        mib = r["bytes"] / MB
        print(
            f"{kind:<9} {r['clips']:>5} {mib:>6.0f} {r['seconds']:>8.2f} "
            f"{mib / r['seconds']:>7.0f} {r['peak_kib'] / 1024:>8.1f}M "
            f"{(r['peak_kib'] - r['before_kib']) / 1024:>6.1f}M {r['sim_cpu']:>7.2f}s"
            f" {r['load']:>5}  {r.get('all_seconds', '')}"
        )


def target_figures(rounds: dict[str, list[dict[str, Any]]]) -> list[Figure]:
    def secs(kind: str) -> list[float]:
        return [float(r["seconds"]) for r in rounds[kind]]

    bridge, blinkpy, raw = secs("bridge"), secs("blinkpy"), secs("aiohttp")
    big = rounds["big"]
    load = rounds["bridge"][-1]["load"]
    return [
        Figure(
            "archive time, bridge vs blinkpy",
            "s",
            bridge,
            "blinkpy download_videos",
            blinkpy,
            load=load,
        ),
        Figure(
            "archive speed-up over blinkpy (per round)",
            "x",
            [b / a for a, b in zip(bridge, blinkpy, strict=True)],
            target=f">= {MIN_SPEEDUP:.0f}x",
            check=lambda v, _: v >= MIN_SPEEDUP,
            load=load,
        ),
        Figure(
            "archive time, bridge vs fair raw aiohttp",
            "s",
            bridge,
            "raw aiohttp, same concurrency",
            raw,
            f"<= {MAX_OVER_RAW}x raw",
            lambda v, y: v <= MAX_OVER_RAW * y,
            load,
        ),
        Figure(
            "big clip download: bridge RSS growth",
            "MiB",
            [(r["peak_kib"] - r["before_kib"]) / 1024 for r in big],
            target=f"< {MAX_BIG_GROWTH_MIB:.0f} MiB",
            check=lambda v, _: v < MAX_BIG_GROWTH_MIB,
            load=big[-1]["load"],
        ),
    ]


async def add_big_clip(sim: rig.Sim, size: int, n: int) -> int:
    """A new big clip of camera BIG; returns its cloud id."""
    created = (BIG_AT + timedelta(minutes=n)).isoformat()
    body = {"camera": BIG, "created_at": created, "size": size}
    added = await sim.control("POST", "/_sim/clips", body)
    return int(added["cloud_id"])


async def rounds_of(args: argparse.Namespace, workdir: Path) -> dict[str, list[dict[str, Any]]]:
    chosen = scenario(args.cameras, args.clips, args.mb * MB)
    (workdir / "scenario.json").write_text(chosen.model_dump_json())
    rounds: dict[str, list[dict[str, Any]]] = {kind: [] for kind in (*KINDS, "big")}
    async with rig.simulator(chosen, workdir / "sim", args.latency) as sim:
        for n in range(args.repeat):  # interleaved, so that load changes hit all alike
            for kind in KINDS:
                rounds[kind].append(run_worker(kind, sim, workdir / f"r{n}", args))
        for n in range(args.repeat):  # each big run finds only its own clip
            clip = await add_big_clip(sim, args.big_mb * MB, n)
            rounds["big"].append(run_worker("big", sim, workdir / f"big{n}", args))
            await sim.control("DELETE", f"/_sim/clips/cloud/{clip}?purge=true")
    return rounds


def main(args: argparse.Namespace) -> int:
    if args.quick:
        args.cameras, args.clips, args.mb, args.big_mb, args.repeat = 2, 10, 2, 50, 1
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as tmp:
        rounds = asyncio.run(rounds_of(args, Path(tmp)))
    default = Settings.model_fields["download_concurrency"].default
    concurrency = (
        f"DOWNLOAD_CONCURRENCY={args.concurrency}"
        if args.concurrency is not None
        else f"default DOWNLOAD_CONCURRENCY={default}"
    )
    print(
        f"{args.cameras} cameras x {args.clips} clips of {args.mb} MB, {args.latency * 1000:.0f}"
        f" ms per request, {concurrency} (bridge and raw aiohttp), big clip {args.big_mb} MB,"
        f" median of {args.repeat} round(s)"
    )
    runs_table({kind: median(results) for kind, results in rounds.items()})
    table("archive throughput and memory", target_figures(rounds))
    return 0


# --- the workers: one contender each, in its own process --------------------------------


def memory_kib() -> tuple[int, int]:
    """(VmHWM, VmRSS) of this process in KiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


async def timed(work: Callable[[], Awaitable[tuple[int, int]]]) -> dict[str, Any]:
    _, before = memory_kib()
    started = time.perf_counter()
    clips, size = await work()
    seconds = time.perf_counter() - started
    peak, _ = memory_kib()
    return {
        "clips": clips,
        "bytes": size,
        "seconds": seconds,
        "peak_kib": peak,
        "before_kib": before,
    }


def files_in(folder: Path) -> tuple[int, int]:
    found = [p for p in folder.rglob("*.mp4") if p.is_file() and "latest" not in p.parts]
    return len(found), sum(p.stat().st_size for p in found)


async def bridge_worker(args: argparse.Namespace, out: Path, big: bool) -> dict[str, Any]:
    chosen = load_scenario(args.scenario)
    names = [cam.name for net in chosen.networks for cam in net.cameras]
    settings = {} if args.concurrency is None else {"DOWNLOAD_CONCURRENCY": str(args.concurrency)}
    since = BIG_AT - timedelta(days=1) if big else SINCE
    cameras = [BIG] if big else [n for n in names if n != BIG]
    request = json.dumps({"since": since.isoformat(), "camera": cameras})
    with rig.mosquitto(out / "broker") as port:
        sim = rig.Sim(args.url, 0)
        with rig.bridge(sim, port, out, chosen, **settings) as bridge:
            async with rig.caller(port) as caller:
                await caller.ready(len(names))
                before = bridge.rss_kib()
                bridge.reset_peak()
                started = time.perf_counter()
                answer = await caller.ok("download-since", request, wait=900)
                seconds = time.perf_counter() - started
                peak = bridge.peak_kib()
    if answer.data.get("failed"):
        raise SystemExit(f"the bridge failed clips: {answer.data['failed']}")
    clips, size = files_in(out / "media")
    return {
        "clips": clips,
        "bytes": size,
        "seconds": seconds,
        "peak_kib": peak,
        "before_kib": before,
    }


async def logged_in_blink(session: aiohttp.ClientSession, chosen: Scenario) -> Blink:
    blink = Blink(session=session, refresh_rate=30, no_owls=True)
    login = {"username": chosen.account.email, "password": chosen.account.password}
    blink.auth = Auth(login, no_prompt=True, session=session)
    assert await blink.start()
    return blink


async def blinkpy_worker(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    async with routed_session(args.url) as session:
        blink = await logged_in_blink(session, load_scenario(args.scenario))

        async def work() -> tuple[int, int]:
            await blink.download_videos(str(out), since=SINCE.strftime("%Y/%m/%d %H:%M"), delay=0)
            return files_in(out)

        return await timed(work)


async def clip_urls(blink: Blink) -> list[str]:
    """Every clip since SINCE, listed as the bridge and blinkpy do (media/changed pages)."""
    urls: list[str] = []
    for page in range(1, 100):
        items = (await api.request_videos(blink, time=SINCE.timestamp(), page=page))["media"]
        if not items:
            return urls
        urls += [blink.urls.base_url + item["media"] for item in items if not item["deleted"]]
    return urls


def commit(stream: BinaryIO, temp: Path, dest: Path) -> None:
    """Flush, fsync, close, rename into place, fsync the folder (as the archive does)."""
    stream.flush()
    os.fsync(stream.fileno())
    stream.close()
    os.replace(temp, dest)
    folder = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


async def write_fsynced(response: aiohttp.ClientResponse, dest: Path) -> None:
    """The body in 1 MiB writes done in a worker thread, then `commit`."""
    temp = dest.with_name(f".{dest.name}.part")
    stream = await asyncio.to_thread(temp.open, "xb")
    pending = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK):
        pending += chunk
        if len(pending) >= FLUSH_BYTES:
            full, pending = pending, bytearray()
            await asyncio.to_thread(stream.write, full)
    if pending:
        await asyncio.to_thread(stream.write, pending)
    await asyncio.to_thread(commit, stream, temp, dest)


async def aiohttp_worker(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    concurrency = args.concurrency or Settings.model_fields["download_concurrency"].default
    async with routed_session(args.url) as session:
        blink = await logged_in_blink(session, load_scenario(args.scenario))
        slots = asyncio.Semaphore(concurrency)

        async def fetch(clip_url: str, n: int) -> None:
            async with slots, session.get(clip_url, headers=blink.auth.header) as response:
                response.raise_for_status()
                await write_fsynced(response, out / f"{n}.mp4")

        async def work() -> tuple[int, int]:
            urls = await clip_urls(blink)
            await asyncio.gather(*(fetch(u, n) for n, u in enumerate(urls)))
            return files_in(out)

        return await timed(work)


def worker(args: argparse.Namespace) -> int:
    out = Path(args.out)
    runs: dict[str, Callable[[], Coroutine[Any, Any, dict[str, Any]]]] = {
        "bridge": lambda: bridge_worker(args, out, big=False),
        "big": lambda: bridge_worker(args, out, big=True),
        "blinkpy": lambda: blinkpy_worker(args, out),
        "aiohttp": lambda: aiohttp_worker(args, out),
    }
    print(json.dumps(asyncio.run(runs[args.worker]())))
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--clips", type=int, default=50, help="clips per camera")
    parser.add_argument("--mb", type=int, default=5, help="size of each clip in MB")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--big-mb", type=int, default=500)
    parser.add_argument(
        "--concurrency", type=int, default=None, help="default: the bridge's own default"
    )
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are shown")
    parser.add_argument("--quick", action="store_true", help="2 x 10 clips of 2 MB, 1 round")
    parser.add_argument("--worker", choices=("bridge", "big", "blinkpy", "aiohttp"))
    parser.add_argument("--url")
    parser.add_argument("--out")
    parser.add_argument("--scenario")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    sys.exit(worker(arguments) if arguments.worker else main(arguments))
