"""The clip index's per-camera queries: same answers as a plain scan, and no scan."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from blink_mqtt.archive import index
from blink_mqtt.archive.index import ClipIndex, Entry

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# What newest_of_each answered before it stopped scanning: the reference.
_SCANNING = (
    "SELECT camera, MAX(recorded_at), path, size, source, source_key FROM clips GROUP BY camera"
)


def _entry(camera: str, minutes: int) -> Entry:
    return Entry(
        camera, T0 + timedelta(minutes=minutes), f"{camera}/{minutes}.mp4", 1, "cloud", "k"
    )


def _filled(tmp_path: Path, cameras: list[str], per_camera: int) -> ClipIndex:
    db = ClipIndex.open(tmp_path)
    for camera in cameras:
        for n in range(per_camera):
            db.put(_entry(camera, n), T0)
    return db


def _plan(db: ClipIndex, query: str, args: tuple[object, ...]) -> list[str]:
    return [row[3] for row in db._db.execute(f"EXPLAIN QUERY PLAN {query}", args)]


@pytest.mark.parametrize(
    ("query", "args"),
    [(index._NEWEST_EACH, ()), (index._NEWEST_OF, ("Cam 1", 10))],
    ids=["newest_of_each", "newest_of_one_camera"],
)
def test_per_camera_queries_seek_instead_of_scanning(
    tmp_path: Path, query: str, args: tuple[object, ...]
) -> None:
    db = _filled(tmp_path, [f"Cam {n}" for n in range(5)], 200)
    try:
        plan = _plan(db, query, args)
    finally:
        db.close()
    on_clips = [step for step in plan if " clips" in f" {step}"]
    assert on_clips, plan
    assert not [step for step in on_clips if step.startswith("SCAN")], plan
    # A WITHOUT ROWID table's primary key is its index: (camera, recorded_at).
    assert all(
        step.startswith("SEARCH clips USING ") and ("PRIMARY KEY" in step or "INDEX" in step)
        for step in on_clips
    ), plan
    assert "USE TEMP B-TREE" not in " ".join(plan), plan


@pytest.mark.parametrize("seed", range(5))
def test_newest_of_each_answers_as_the_scan(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    cameras = ["", "A", "a", "B b", "Zz", "Ä", "cam'1"][: rng.randint(0, 7)]
    db = ClipIndex.open(tmp_path)
    try:
        entries = (
            [_entry(rng.choice(cameras), rng.randint(0, 500)) for _ in range(60)] if cameras else []
        )
        for entry in entries:
            db.put(entry, T0)
        db.remove(rng.sample(entries, len(entries) // 3))
        expected = [Entry._from_row(row) for row in db._db.execute(_SCANNING)]
        assert db.newest_of_each() == expected
        assert [e.camera for e in expected] == sorted({e.camera for e in expected})
    finally:
        db.close()


def test_newest_of_each_on_an_empty_index(tmp_path: Path) -> None:
    db = ClipIndex.open(tmp_path)
    try:
        assert db.newest_of_each() == []
    finally:
        db.close()
