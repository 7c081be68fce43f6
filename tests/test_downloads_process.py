"""The real `blink-mqtt run` process: SIGKILL in the middle of a large clip, and the peak
memory of a 500 MB clip (measured on the bridge process alone)."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from blink_mqtt.mediafile import is_valid_mp4
from blink_mqtt.simulator import Simulator
from tests.bridge_env import (
    AnyBroker,
    bridge_log,
    bridge_settings,
    simulator,
    spawn_bridge,
    stop_process,
    wait_exit,
)
from tests.downloads_support import (
    archive_files,
    cloud_clip_path,
    fetches,
    flat_path,
    leftovers,
    paths,
)
from tests.probe import Probe
from tests.sim_fixtures import scenario

MB = 1 << 20
T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
SINCE = "2025-05-01T00:00:00Z"


@contextlib.asynccontextmanager
async def bridge_process(
    sim_url: str, broker: AnyBroker, base_topic: str, workdir: Path, probe: Probe
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """`blink-mqtt run` logged in to the simulator; killed if the test leaves it running."""
    settings = bridge_settings(broker, base_topic, workdir, sim_url, refresh_interval=3600)
    mark = probe.mark()
    process = spawn_bridge(settings, workdir)
    try:
        await probe.wait_for(
            f"{base_topic}/bridge/auth", lambda m: m.json()["state"] == "ok", after=mark, timeout=30
        )
        yield process
    finally:
        stop_process(process)


async def request(probe: Probe, base_topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    return await probe.request(base_topic, "download-since", json.dumps(payload), timeout=120)


def peak_and_current_kib(pid: int) -> tuple[int, int]:
    """VmHWM (peak resident set) and VmRSS of a process, in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


def add_batch(sim: Simulator, big_mb: int) -> tuple[list[datetime], int | None]:
    """A big Front Door clip (the oldest, so it starts first) and four small ones."""
    times = [T0 + timedelta(minutes=n) for n in range(5)]
    big = sim.add_clip("Front Door", created_at=times[0], size=big_mb * MB)
    for at in times[1:]:
        sim.add_clip("Front Door", created_at=at, size=300_000)
    return times, big.cloud_id


async def test_sigkill_during_a_large_clip_then_the_next_run_completes_the_set(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    request_body = {"since": SINCE, "camera": "Front Door", "sort": False}
    async with (
        simulator(scenario(twofa=False)) as (sim, url),
        Probe(broker.host, broker.port, [f"{base_topic}/#"]) as probe,
    ):
        times, big_id = add_batch(sim, 200)
        big = cloud_clip_path(big_id)
        sim.add_fault("clip", "slow_body", count=1, path_contains=big, seconds=60)
        async with bridge_process(url, broker, base_topic, tmp_path, probe) as first:
            mark = probe.mark()
            await probe.publish(f"{base_topic}/request/download-since", json.dumps(request_body))
            total = 6 + len(times)  # the camera's six scenario clips and ours
            await probe.wait_for(  # every clip but the big one is saved; it is mid-way
                f"{base_topic}/bridge/progress",
                lambda m: m.json()["done"] == total - 1,
                after=mark,
                timeout=60,
            )
            [partial] = leftovers(tmp_path)
            first.send_signal(signal.SIGKILL)
            assert await wait_exit(first, 10) == -signal.SIGKILL
        big_path = flat_path("Front Door", times[0])
        assert not (tmp_path / big_path).exists()
        assert Path(partial).name.startswith(f".{Path(big_path).name}.part-")
        assert 0 < Path(partial).stat().st_size < 200 * MB
        killed_with = archive_files(tmp_path)
        assert len(killed_with) == total - 1
        assert all(is_valid_mp4(tmp_path / p) for p in killed_with)
        sim.clear_faults()
        async with bridge_process(url, broker, base_topic, tmp_path, probe) as second:
            assert leftovers(tmp_path) == [], "removed at start"
            response = await request(probe, base_topic, request_body)
            second.send_signal(signal.SIGTERM)
            assert await wait_exit(second, 20) == 0, bridge_log(tmp_path)
        served = fetches(sim)
    data = response["data"]
    assert data["downloaded_clips"] == {"Front Door": [big_path]}
    assert paths(data, "skipped") == killed_with
    assert data["failed"] == []
    assert archive_files(tmp_path) == sorted([*killed_with, big_path])
    assert (tmp_path / big_path).stat().st_size == 200 * MB
    assert is_valid_mp4(tmp_path / big_path)
    assert leftovers(tmp_path) == []
    assert sum(p.endswith(big) for p in served) == 2
    assert len(served) == len(set(served)) + 1, "only the killed clip was fetched again"


async def test_a_500_mb_clip_in_bounded_memory(
    broker: AnyBroker, base_topic: str, tmp_path: Path, record_property: Any
) -> None:
    size = 500 * MB
    async with (
        simulator(scenario(twofa=False)) as (sim, url),
        Probe(broker.host, broker.port, [f"{base_topic}/#"]) as probe,
    ):
        sim.add_clip("Kitchen", created_at=T0, size=size)
        async with bridge_process(url, broker, base_topic, tmp_path, probe) as process:
            _, before = peak_and_current_kib(process.pid)
            response = await request(probe, base_topic, {"since": SINCE, "camera": "Kitchen"})
            peak, _ = peak_and_current_kib(process.pid)
            process.send_signal(signal.SIGTERM)
            assert await wait_exit(process, 20) == 0, bridge_log(tmp_path)
    growth_mib = (peak - before) / 1024
    record_property("rss_growth_mib", round(growth_mib, 1))
    print(f"500 MB clip: bridge RSS {before / 1024:.1f} MiB before, peak {peak / 1024:.1f} MiB")
    saved = response["data"]["downloaded_clips"]["Kitchen"]
    big = tmp_path / saved[0]  # the oldest
    assert big.stat().st_size == size
    assert is_valid_mp4(big)
    assert growth_mib < 100, f"peak RSS grew by {growth_mib:.1f} MiB"
