"""The clip index and the download cursors: one sqlite3 file in DATA_DIR.

A clip is identified by (camera name, recording time in whole UTC seconds), whatever
its source and source id: the cloud and USB copies of one clip, or a clip whose USB id
changed after a sync-module reboot, are one row.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from blink_mqtt.errors import StorageError

FILE_NAME = "archive.sqlite3"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS clips (
    camera      TEXT    NOT NULL,  -- the name exactly as Blink shows it
    recorded_at INTEGER NOT NULL,  -- Unix time of the recording, whole seconds
    path        TEXT    NOT NULL,  -- relative to MEDIA_DIR, '/'-separated
    size        INTEGER NOT NULL,  -- bytes
    source      TEXT    NOT NULL,  -- 'cloud' or 'usb:<sync module>' it came from
    source_key  TEXT    NOT NULL,  -- the source's id of the clip
    saved_at    INTEGER NOT NULL,  -- Unix time it was archived
    PRIMARY KEY (camera, recorded_at)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS clips_by_time ON clips (recorded_at);
CREATE TABLE IF NOT EXISTS cursors (
    source TEXT    NOT NULL,  -- 'cloud' or 'usb:<sync module>'
    camera TEXT    NOT NULL,
    since  INTEGER NOT NULL,  -- Unix time the next download-recent starts at
    PRIMARY KEY (source, camera)
) WITHOUT ROWID;
"""
_GET = (
    "SELECT camera, recorded_at, path, size, source, source_key FROM clips"
    " WHERE camera = ? AND recorded_at = ?"
)
_PUT = (
    "INSERT OR REPLACE INTO clips"
    " (camera, recorded_at, path, size, source, source_key, saved_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_NEWEST = (
    "SELECT camera, recorded_at, path, size, source, source_key FROM clips"
    " ORDER BY recorded_at DESC LIMIT ?"
)
_NEWEST_OF = (
    "SELECT camera, recorded_at, path, size, source, source_key FROM clips"
    " WHERE camera = ? ORDER BY recorded_at DESC LIMIT ?"
)
# The newest clip of each camera without reading every row: the cameras are found by
# skipping along the primary key (camera, recorded_at), one seek per camera, and each
# camera's newest row by one more seek; cost grows with the cameras, not the clips.
_NEWEST_EACH = (
    "WITH RECURSIVE cams(camera) AS ("
    " SELECT MIN(camera) FROM clips"
    " UNION ALL"
    " SELECT (SELECT MIN(camera) FROM clips WHERE camera > cams.camera) FROM cams"
    " WHERE cams.camera IS NOT NULL)"
    " SELECT clips.camera, recorded_at, path, size, source, source_key FROM cams, clips"
    " WHERE clips.camera = cams.camera"
    " AND recorded_at = (SELECT MAX(recorded_at) FROM clips WHERE camera = cams.camera)"
)
_SINCE = (
    "SELECT camera, recorded_at, path, size, source, source_key FROM clips"
    " WHERE recorded_at >= ? ORDER BY recorded_at DESC"
)
_BEFORE = (
    "SELECT camera, recorded_at, path, size, source, source_key FROM clips"
    " WHERE recorded_at < ? ORDER BY recorded_at"
)


def epoch(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class Entry:
    """One archived clip."""

    camera: str
    recorded_at: datetime  # UTC, whole seconds
    path: str  # relative to MEDIA_DIR
    size: int
    source: str
    key: str

    @classmethod
    def _from_row(cls, row: tuple[str, int, str, int, str, str]) -> Entry:
        camera, seconds, path, size, source, key = row
        return cls(camera, moment(seconds), path, size, source, key)


def _values(entry: Entry) -> tuple[object, ...]:
    return (entry.camera, epoch(entry.recorded_at), entry.path, entry.size, entry.source, entry.key)


@contextlib.contextmanager
def _storage(what: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        raise StorageError(f"clip index: cannot {what}: {error}") from error


class ClipIndex:
    """Archived clips and cursors; used from the event loop thread only."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, data_dir: Path) -> ClipIndex:
        with _storage("open"):
            try:
                data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StorageError(f"cannot create DATA_DIR {data_dir}: {error}") from error
            db = sqlite3.connect(data_dir / FILE_NAME, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                db.executescript(SCHEMA)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        return cls(db)

    def close(self) -> None:
        self._db.close()

    def get(self, camera: str, recorded_at: datetime) -> Entry | None:
        with _storage("read"):
            row = self._db.execute(_GET, (camera, epoch(recorded_at))).fetchone()
        return None if row is None else Entry._from_row(row)

    def put(self, entry: Entry, saved_at: datetime) -> None:
        with _storage("record a clip"), self._db:
            self._db.execute(_PUT, (*_values(entry), epoch(saved_at)))

    def remove(self, entries: list[Entry]) -> None:
        with _storage("remove clips"), self._db:
            self._db.executemany(
                "DELETE FROM clips WHERE camera = ? AND recorded_at = ?",
                [(entry.camera, epoch(entry.recorded_at)) for entry in entries],
            )

    def _select(self, query: str, args: tuple[object, ...]) -> list[Entry]:
        with _storage("read"):
            rows = self._db.execute(query, args).fetchall()
        return [Entry._from_row(row) for row in rows]

    def newest(self, *, camera: str | None = None, limit: int = -1) -> list[Entry]:
        """Clips newest first, of one camera or of all; `limit` < 0 means all."""
        if camera is None:
            return self._select(_NEWEST, (limit,))
        return self._select(_NEWEST_OF, (camera, limit))

    def newest_of_each(self) -> list[Entry]:
        """The newest clip of every camera."""
        return self._select(_NEWEST_EACH, ())

    def recorded_since(self, start: datetime) -> list[Entry]:
        """Clips recorded at or after `start`, newest first."""
        return self._select(_SINCE, (epoch(start),))

    def recorded_before(self, end: datetime) -> list[Entry]:
        """Clips recorded before `end`, oldest first."""
        return self._select(_BEFORE, (epoch(end),))

    def cursor(self, source: str, camera: str) -> datetime | None:
        with _storage("read a cursor"):
            row = self._db.execute(
                "SELECT since FROM cursors WHERE source = ? AND camera = ?", (source, camera)
            ).fetchone()
        return None if row is None else moment(row[0])

    def set_cursors(self, source: str, cursors: dict[str, datetime]) -> None:
        with _storage("save a cursor"), self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO cursors (source, camera, since) VALUES (?, ?, ?)",
                [(source, camera, epoch(since)) for camera, since in cursors.items()],
            )
