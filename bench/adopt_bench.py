"""The start-up scan of a BlinkPy API archive (archive/adopt.py) against its size.

    python -m bench.adopt_bench [--sizes 1000,10000,30000] [--rounds 3] [--quick]

For each N, a MEDIA_DIR laid out as BlinkPy API's sorted runs leave it: N small valid
MP4 clips (the simulator's 1 s asset) under `YYYY/MM/DD/` with slugged names and N
empty placeholders in `.idx/`. The figure is the wall time of `adopt.scan` (median of
ROUNDS, on a warm page cache: the bridge's first start reads a cold disk and is slower).
Target: 30,000 clips (more than a year of a busy camera) scanned in under 10 s.
Prints a table; exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from slugify import slugify

from blink_mqtt.archive import adopt
from blink_mqtt.simulator.media import base_mp4

TARGET_SIZE, TARGET_SECONDS = 30_000, 10.0


def build(root: Path, count: int) -> None:
    clip = base_mp4()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    (root / ".idx").mkdir(parents=True)
    for n in range(count):
        at = start + timedelta(minutes=17 * n)
        name = slugify(f"Camera {n % 5}-{at.isoformat()}") + ".mp4"
        folder = root / f"{at:%Y/%m/%d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(clip)
        (root / ".idx" / name).touch()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,30000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    rounds = 1 if args.quick else args.rounds
    print(f"{'clips':>8} {'scan s':>8} {'found':>7} {'load':>5} rounds")
    verdicts = []
    for size in sizes:
        root = Path(tempfile.mkdtemp(prefix="adopt-bench-"))
        try:
            build(root, size)
            times, found = [], 0
            for _ in range(rounds):
                began = time.perf_counter()
                found = len(adopt.scan(root))
                times.append(time.perf_counter() - began)
            median = statistics.median(times)
            print(f"{size:>8} {median:>8.2f} {found:>7} {os.getloadavg()[0]:>5.1f} {rounds}")
            if size == TARGET_SIZE:
                verdicts.append(median < TARGET_SECONDS)
        finally:
            shutil.rmtree(root)
    if verdicts:
        verdict = "met" if all(verdicts) else "MISSED"
        print(f"target: {TARGET_SIZE} clips in < {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
