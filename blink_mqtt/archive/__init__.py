"""The clip archive: the only code that writes media, the clip index and cursors.

results.py        what a download takes and gives: ClipBody, Fetch, callbacks, results
recent.py         download-recent's cursor policy (pure)
layout.py         names and paths (pure)
writer.py         atomic streamed writes, leftover temp files
index.py          sqlite3 clip index and download cursors
batch.py          scheduling one download call; tally.py: its outcome and progress
latest.py         latest/ and retention on disk
adopt.py          BlinkPy API archives found in MEDIA_DIR at start
media_archive.py  MediaArchive, tying them together
"""

from blink_mqtt.archive.media_archive import ArchiveConfig, MediaArchive
from blink_mqtt.archive.results import (
    ClipBody,
    DownloadResult,
    Failure,
    Fetch,
    OnProgress,
    OnSaved,
    Saved,
)

__all__ = [
    "ArchiveConfig",
    "ClipBody",
    "ClipRef",
    "DownloadResult",
    "Failure",
    "Fetch",
    "MediaArchive",
    "OnProgress",
    "OnSaved",
    "Saved",
]
