"""BlinkPy API archives left in MEDIA_DIR: found at start, adopted when Blink lists them.

What BlinkPy API (estes-sj/BlinkPy-API, app/blink_service.py) writes with blinkpy
0.25.9, read from both sources:

* cloud clips come from blinkpy's `Blink.download_videos`, which names each file
  `slugify(f"{device_name}-{created_at}") + ".mp4"` (blinkpy.py
  `_format_filename_default`): lower case, every run of other characters one `-`, e.g.
  `front-door-2026-11-30t10-55-48-00-00.mp4` for "Front Door" at
  2026-11-30T10:55:48+00:00 (the offset's sign is lost; Blink gives UTC);
* USB clips are named `f"{item.name}_{item.created_at.isoformat().replace(':', '_')}.mp4"`
  (the camera's own name), e.g. `Front Door_2026-11-30T10_55_48+00_00.mp4`;
* where: `<media>/<name>/` unsorted, `<name>` being the camera asked for or `all`
  (the default); sorted runs download into `<media>/.idx/`, move each new file to
  `<media>/<name>/YYYY/MM/DD/` by its *download* day (no `<name>` folder for `all`:
  `<media>/YYYY/MM/DD/`), leave an empty placeholder of the same name in `.idx/` and a
  copy in `<media>/latest/`.

The scan keys every such file by (camera as written, recording second). A real file (a
valid MP4) is adopted where it lies: indexed, never moved or rewritten. A placeholder
whose clip is nowhere else (the user deleted it) still means "downloaded before": the
clip is skipped, never indexed. `latest/` is the bridge's and is not scanned.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from slugify import slugify

from blink_mqtt.archive.index import epoch
from blink_mqtt.archive.layout import LATEST_DIR
from blink_mqtt.mediafile import is_valid_mp4

log = logging.getLogger(__name__)

PLACEHOLDERS = ".idx"
_TIME = r"(?P<date>\d{4}-\d\d-\d\d)[tT](?P<h>\d\d)SEP(?P<m>\d\d)SEP(?P<s>\d\d)"
_SLUGGED = re.compile(
    r"^(?:(?P<camera>[a-z0-9]+(?:-[a-z0-9]+)*?)-)?"
    + _TIME.replace("SEP", "-")
    + r"(?:-(?P<frac>\d{1,6}))?(?P<tz>z|-00-00)?\.mp4$"
)
_NAMED = re.compile(
    r"(?s)^(?P<camera>.+)_"
    + _TIME.replace("SEP", "_")
    + r"(?:\.(?P<frac>\d{1,6}))?(?P<tz>[+-]\d\d_\d\d)?\.mp4$"
)

Key = tuple[str, int]  # (camera as the file name writes it, recording second)


@dataclass(frozen=True, slots=True)
class Found:
    """A BlinkPy API file: MEDIA_DIR-relative path; `placeholder` for an empty .idx one."""

    path: str
    placeholder: bool = False


def slugged_key(name: str) -> Key | None:
    """`front-door-2026-11-30t10-55-48-00-00.mp4` -> ("front-door", <that second>)."""
    found = _SLUGGED.match(name)
    if found is None:
        return None
    at = _moment(found, "+00:00")
    return None if at is None else (found["camera"] or "", epoch(at))


def named_key(name: str) -> Key | None:
    """`Front Door_2026-11-30T10_55_48+00_00.mp4` -> ("Front Door", <that second>)."""
    found = _NAMED.match(name)
    if found is None:
        return None
    tz = (found["tz"] or "+00:00").replace("_", ":")
    at = _moment(found, tz)
    return None if at is None else (found["camera"], epoch(at))


def _moment(found: re.Match[str], tz: str) -> datetime | None:
    text = f"{found['date']}T{found['h']}:{found['m']}:{found['s']}{tz}"
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None


class Foreign:
    """The BlinkPy API files found in MEDIA_DIR, looked up by camera and recording time."""

    def __init__(self, slugged: dict[Key, Found], named: dict[Key, Found]) -> None:
        self._slugged, self._named = slugged, named

    def __len__(self) -> int:
        return len(self._slugged) + len(self._named)

    def find(self, camera: str, recorded_at: datetime) -> Found | None:
        second = epoch(recorded_at)
        found = [self._slugged.get((slugify(camera), second)), self._named.get((camera, second))]
        files = [f for f in found if f is not None]
        return next((f for f in files if not f.placeholder), files[0] if files else None)


def scan(media_dir: Path) -> Foreign:
    """Every BlinkPy API clip file and placeholder under `media_dir` (blocking)."""
    slugged: dict[Key, Found] = {}
    named: dict[Key, Found] = {}
    for folder, dirs, files in os.walk(media_dir):
        here = Path(folder)
        relative = here.relative_to(media_dir)
        if relative == Path("."):
            dirs[:] = [d for d in dirs if d == PLACEHOLDERS or (d[0] != "." and d != LATEST_DIR)]
        else:
            dirs[:] = [d for d in dirs if d[0] != "."]
        for name in files:
            if name[0] == ".":  # temp files; BlinkPy API's names never start with a dot
                continue
            key = slugged_key(name)
            table = slugged
            if key is None:
                key, table = named_key(name), named
            if key is not None:
                _add(table, key, here / name, media_dir)
    found = len(slugged) + len(named)
    if found:
        log.info(
            "Found %d BlinkPy API clip(s) in %s; adopted as Blink lists them", found, media_dir
        )
    return Foreign(slugged, named)


def _add(table: dict[Key, Found], key: Key, path: Path, media_dir: Path) -> None:
    """Keep a valid MP4 over a placeholder; skip anything else (a half-written file, the
    JPEG of a snapshot item that blinkpy saved as .mp4)."""
    if table.get(key, Found("", placeholder=True)).placeholder is False:
        return
    try:
        empty = path.stat().st_size == 0
    except OSError:
        return
    relative = path.relative_to(media_dir).as_posix()
    if empty and path.parent.name == PLACEHOLDERS:
        table.setdefault(key, Found(relative, placeholder=True))
    elif not empty and is_valid_mp4(path):
        table[key] = Found(relative)
