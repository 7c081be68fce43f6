"""Faults in the middle of a batch: the clip fails alone, cleanly, and the rest completes.
(A cloud clip's 404 is `clip_gone`, not retried: tests/test_downloads_media.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from blink_mqtt.simulator import FaultKind
from tests.bridge_env import AnyBroker, running_bridge
from tests.downloads_support import (
    archive_files,
    assert_sound,
    cloud_clip_path,
    fetches,
    flat_path,
    leftovers,
    paths,
)

TIMEOUT = 60
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BATCH = [T0 + timedelta(minutes=n) for n in range(7)]  # Backyard's clips of that day
STALL = 1.0  # DOWNLOAD_TIMEOUT for these tests: seconds without data before a clip fails
FAULTS: dict[FaultKind, str] = {
    "500": "Blink answered HTTP 500",
    "truncate": "download interrupted",
    "drop": "download failed",
    "slow_body": "Blink stopped sending data",
}
TIMES = {"drop": 2}
"""aiohttp resends a GET whose connection was dropped once (RFC 9112 9.3.1), so a single
drop is invisible; two in a row fail the clip."""


@pytest.mark.parametrize("kind", list(FAULTS))
async def test_a_fault_in_the_middle_of_a_batch_fails_that_clip_alone(
    broker: AnyBroker, base_topic: str, tmp_path: Path, kind: FaultKind
) -> None:
    """Seven 1 MB clips (and six small ones), the fourth big one faulted once; a second
    run fetches only that one."""
    request = {"since": "2025-03-01T00:00:00Z", "camera": "Backyard", "sort": False}
    async with running_bridge(broker, base_topic, tmp_path, download_timeout=STALL) as env:
        added = [env.sim.add_clip("Backyard", created_at=at, size=1 << 20) for at in BATCH]
        target = cloud_clip_path(added[3].cloud_id)
        times = TIMES.get(kind, 1)
        env.sim.add_fault("clip", kind, count=times, path_contains=target, seconds=STALL * 40)
        first = await env.request("download-since", request, timeout=TIMEOUT)
        files_after_fault = archive_files(tmp_path)
        temp_after_fault = leftovers(tmp_path)
        second = await env.request("download-since", request, timeout=TIMEOUT)
        served = fetches(env.sim)
    victim = flat_path("Backyard", BATCH[3])
    data = first["data"]
    [failure] = data["failed"]
    assert failure["camera"] == "Backyard"
    assert datetime.fromisoformat(failure["recorded_at"]) == BATCH[3]
    assert failure["source"] == "cloud"
    assert failure["error"]["code"] == "blink_unavailable"
    assert FAULTS[kind] in failure["error"]["message"]
    expected = [flat_path("Backyard", at) for at in BATCH]
    assert len(paths(data)) == 6 + 6, "the camera's six other clips and six of ours"
    assert set(expected) - set(paths(data)) == {victim}
    assert victim not in files_after_fault
    assert temp_after_fault == []
    assert second["data"]["downloaded_clips"] == {"Backyard": [victim]}
    assert second["data"]["failed"] == []
    assert_sound(tmp_path, second["data"])
    assert all((tmp_path / p).stat().st_size == 1 << 20 for p in expected)
    assert sum(p.endswith(target) for p in served) == times + 1
    assert len(served) == len(set(served)) + times, "only the faulted clip was fetched again"
