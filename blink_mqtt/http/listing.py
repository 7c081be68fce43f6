"""The archive as the page browses it: camera folders, their dates, the clips of a date.

Read from MEDIA_DIR itself (not the index), so that every clip on disk shows, whatever
wrote it. A clip's date is its recording time from the file name
(`<Camera>-2025-07-02t05-36-54-00-00.mp4`, UTC, see archive/layout.py) in TZ; a file
named otherwise is dated by its modification time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path

from blink_mqtt.archive.layout import CLIP_SUFFIX, LATEST_DIR

_SLUG = re.compile(r"(\d{4})-(\d{2})-(\d{2})t(\d{2})-(\d{2})-(\d{2})-00-00\.mp4$")
MAX_CLIPS = 200
"""Clips shown for one date (the newest)."""


@dataclass(frozen=True, slots=True)
class Clip:
    relative: str
    """Path below MEDIA_DIR, with `/`."""
    recorded_at: datetime
    size: int


def cameras(root: Path) -> list[str]:
    """Folders of MEDIA_DIR that hold a camera's media (not latest/, not hidden)."""
    try:
        entries = sorted(root.iterdir(), key=lambda p: p.name.casefold())
    except OSError:
        return []
    return [
        entry.name
        for entry in entries
        if entry.is_dir()
        and not entry.is_symlink()
        and not entry.name.startswith(".")
        and entry.name != LATEST_DIR
    ]


def recorded_at(path: Path) -> datetime:
    found = _SLUG.search(path.name)
    if found:
        try:
            return datetime.strptime("".join(found.groups()), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def clips(root: Path, camera: str) -> list[Clip]:
    """Every clip of one camera folder, newest first (symlinks and hidden files skipped)."""
    folder = root / camera
    if camera not in cameras(root):
        return []
    found = []
    for path in folder.rglob(f"*{CLIP_SUFFIX}"):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or path.is_symlink():
            continue
        try:
            found.append(Clip(relative.as_posix(), recorded_at(path), path.stat().st_size))
        except OSError:
            continue
    return sorted(found, key=lambda clip: clip.recorded_at, reverse=True)


def by_date(found: list[Clip], zone: tzinfo | None) -> dict[date, list[Clip]]:
    """Clips grouped by their local date in `zone` (None: the system's), newest first."""
    days: dict[date, list[Clip]] = {}
    for clip in found:
        days.setdefault(clip.recorded_at.astimezone(zone).date(), []).append(clip)
    return days
