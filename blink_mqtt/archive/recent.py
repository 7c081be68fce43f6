"""download-recent's cursors as one policy (pure): where a run starts listing, which of
the listed clips it takes, and where each camera's cursor stands after it.

A cursor is kept per (source, camera). A camera without one (its first run) takes the
clips recorded in the last TIMEDELTA_HOURS; a camera with one takes every clip listed
since it, however old its recording (Blink lists late uploads by when they changed).
Listing starts `overlap` before the earliest cursor so that nothing uploaded late is
missed; what was archived already only counts as skipped. After the run each cursor
moves to the end of the listing, but never past that camera's earliest failed clip,
except one Blink no longer has (`clip_gone`): that one would fail forever.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from blink_mqtt.archive.results import Failure
from blink_mqtt.clipref import ClipRef, ClipSource
from blink_mqtt.errors import ClipGone

CLOUD_OVERLAP = timedelta(minutes=10)
"""How far before its cursors a cloud download-recent lists again (late uploads)."""


@dataclass(frozen=True, slots=True)
class RecentWindow:
    """One download-recent run of `cameras` from `source`."""

    source: ClipSource
    cursors: dict[str, datetime | None]
    first_run: datetime
    listed_until: datetime
    overlap: timedelta = timedelta(0)

    @property
    def start(self) -> datetime:
        """The earliest point any camera resumes from (reported as `since`)."""
        return min((c or self.first_run for c in self.cursors.values()), default=self.first_run)

    @property
    def list_since(self) -> datetime:
        """Where listing starts: `start`, less the overlap when a camera resumes."""
        resuming = any(cursor is not None for cursor in self.cursors.values())
        return self.start - self.overlap if resuming else self.start

    def wants(self, clip: ClipRef) -> bool:
        if clip.camera not in self.cursors:
            return False
        return self.cursors[clip.camera] is not None or clip.recorded_at >= self.first_run

    def advanced(self, failed: Iterable[Failure]) -> dict[str, datetime]:
        """Every camera's cursor after the run."""
        cursors = dict.fromkeys(self.cursors, self.listed_until)
        for failure in failed:
            if failure.code == ClipGone.code:
                continue
            if failure.source == self.source and failure.camera in cursors:
                cursors[failure.camera] = min(cursors[failure.camera], failure.recorded_at)
        return cursors
