"""MediaArchive: the only code that writes media, the clip index and cursors to disk."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self
from zoneinfo import ZoneInfo

from blink_mqtt.archive import adopt, layout
from blink_mqtt.archive.batch import Downloader
from blink_mqtt.archive.index import ClipIndex
from blink_mqtt.archive.latest import delete_clips, refresh_latest
from blink_mqtt.archive.recent import RecentWindow
from blink_mqtt.archive.results import DownloadResult, Fetch, OnProgress, OnSaved, Saved
from blink_mqtt.archive.writer import remove_leftovers, settle, temp_path, write_atomic
from blink_mqtt.clipref import ClipRef, ClipSource
from blink_mqtt.errors import BlinkUnavailable, StorageError
from blink_mqtt.mediafile import is_valid_jpeg

if TYPE_CHECKING:
    from blink_mqtt.settings import Settings

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ArchiveConfig:
    """The settings the archive uses (see settings.py for their meaning)."""

    media_dir: Path
    data_dir: Path
    last_image_filename: str = "last_snap.jpg"
    timedelta_hours: float = 6
    recents_hours: float = 0
    recents_total: int = 20
    sort_clips: bool = True
    download_concurrency: int = 2
    retention_days: float = 0
    tz: tzinfo | None = None  # None: the system's local zone
    public_base_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ArchiveConfig:
        return cls(
            media_dir=settings.media_dir.absolute(),
            data_dir=settings.data_dir.absolute(),
            last_image_filename=settings.last_image_filename,
            timedelta_hours=settings.timedelta_hours,
            recents_hours=settings.recents_hours,
            recents_total=settings.recents_total,
            sort_clips=settings.sort_clips,
            download_concurrency=settings.download_concurrency,
            retention_days=settings.retention_days,
            tz=ZoneInfo(settings.tz) if settings.tz else None,
            public_base_url=settings.public_base_url,
        )


class MediaArchive:
    """Clips, snapshots, latest/, retention, the clip index and download cursors.

    Use as `async with MediaArchive(config) as archive:` (or `await archive.open()` ...
    `archive.close()`). Opening removes temp files a crash left and applies retention.
    """

    def __init__(self, config: ArchiveConfig, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self._media = config.media_dir.absolute()
        self._clock = clock
        self._index: ClipIndex | None = None
        self._downloader: Downloader | None = None
        self._upkeep = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaArchive:
        return cls(ArchiveConfig.from_settings(settings))

    async def open(self) -> None:
        """Check MEDIA_DIR, open the index, remove crash leftovers, apply retention."""
        await settle(self._ensure_media_dir)
        self._index = ClipIndex.open(self.config.data_dir)
        concurrency = self.config.download_concurrency
        self._downloader = Downloader(self._media, self._index, concurrency, self._clock)
        try:
            await settle(remove_leftovers, self._media)
            self._downloader.foreign = await settle(adopt.scan, self._media)
            await self._upkeep_after(sorted_run=False)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = self._downloader = None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def _db(self) -> ClipIndex:
        if self._index is None:
            raise RuntimeError("MediaArchive is not open")
        return self._index

    def _ensure_media_dir(self) -> None:
        """Raise StorageError unless MEDIA_DIR exists (or can be made) and is writable."""
        probe = temp_path(self._media / "probe")
        try:
            self._media.mkdir(parents=True, exist_ok=True)
            probe.touch(exist_ok=False)
            probe.unlink()
        except OSError as error:
            raise StorageError(f"MEDIA_DIR {self._media} is not writable: {error}") from error

    # --- paths -------------------------------------------------------------------------

    def public_path(self, relative: str) -> str:
        """A MEDIA_DIR-relative path as responses show it: `media/Front Door/...`."""
        return layout.public_path(self._media.name, relative)

    def public_url(self, path: str) -> str | None:
        """PUBLIC_BASE_URL joined with the URL-quoted `path` (as returned); None if unset."""
        return layout.public_url(self.config.public_base_url, path)

    def last_clips(self) -> dict[str, str | None]:
        """`latest_clip` of every camera with an archived clip, in one index query."""
        newest = {entry.camera: entry.path for entry in self._db.newest_of_each()}
        return {
            camera: self.public_path(path)
            if (self._media / path).is_file()
            else self.latest_clip(camera)
            for camera, path in newest.items()
        }

    def latest_clip(self, camera: str) -> str | None:
        """The path (as returned) of `camera`'s newest archived clip still on disk."""
        for entry in self._db.newest(camera=camera, limit=10):
            if (self._media / entry.path).is_file():
                return self.public_path(entry.path)
        return None

    # --- cursors -----------------------------------------------------------------------

    def recent_window(
        self,
        source: ClipSource,
        cameras: Collection[str],
        now: datetime | None = None,
        overlap: timedelta = timedelta(0),
    ) -> RecentWindow:
        """The download-recent run of `cameras` from `source` that starts now."""
        now = now or self._clock()
        return RecentWindow(
            source,
            {camera: self._db.cursor(str(source), camera) for camera in cameras},
            first_run=now - timedelta(hours=self.config.timedelta_hours),
            listed_until=now,
            overlap=overlap,
        )

    def advance(self, window: RecentWindow, result: DownloadResult) -> None:
        """Store the cursors `window` leaves after a run that achieved `result`."""
        self._db.set_cursors(str(window.source), window.advanced(result.failed))

    # --- writing -----------------------------------------------------------------------

    async def download(
        self,
        clips: Iterable[ClipRef],
        fetch: Fetch,
        *,
        sort: bool | None = None,
        on_progress: OnProgress | None = None,
        on_saved: OnSaved | None = None,
    ) -> DownloadResult:
        """Archive `clips` not archived yet, fetching each with `fetch`.

        A clip is archived when the index has its (camera, recording second) and the
        file is still on disk: a file the user deleted is downloaded again, and a valid
        MP4 already at the destination, or a BlinkPy API file of the clip anywhere in
        MEDIA_DIR (adopt.py), is adopted unfetched where it lies.
        `sort` (default SORT_CLIPS) picks the layout and refreshes latest/. Clips older
        than RETENTION_DAYS are ignored. Raises StorageError only when MEDIA_DIR is
        unusable; problems with single clips are in the result's `failed`.
        """
        sorted_run = self.config.sort_clips if sort is None else sort
        if self._downloader is None:
            raise RuntimeError("MediaArchive is not open")
        await settle(self._ensure_media_dir)
        result = await self._downloader.download(
            self._within_retention(clips),
            fetch,
            partial(self._place, sort=sorted_run),
            self.public_path,
            (on_progress, on_saved),
        )
        await self._upkeep_after(sorted_run=sorted_run)
        return result

    def _place(self, clip: ClipRef, *, sort: bool) -> str:
        return layout.clip_path(clip.camera, clip.recorded_at, sort=sort, tz=self.config.tz)

    async def save_snapshot(self, camera: str, jpeg: bytes) -> Saved:
        """Write `<media>/<Camera>/<LAST_IMAGE_FILENAME>` atomically."""
        if not is_valid_jpeg(jpeg):
            raise BlinkUnavailable(f"the snapshot of {camera} is not a JPEG image")
        relative = layout.snapshot_path(camera, self.config.last_image_filename)
        await settle(write_atomic, self._media / relative, jpeg)
        log.info("Saved the snapshot of %s (%d bytes)", camera, len(jpeg))
        return Saved(self.public_path(relative), len(jpeg))

    # --- upkeep: retention and latest/ -------------------------------------------------

    def _retention_cutoff(self) -> datetime | None:
        days = self.config.retention_days
        return self._clock() - timedelta(days=days) if days > 0 else None

    def _within_retention(self, clips: Iterable[ClipRef]) -> list[ClipRef]:
        clips = list(clips)
        cutoff = self._retention_cutoff()
        wanted = [clip for clip in clips if cutoff is None or clip.recorded_at >= cutoff]
        if len(wanted) < len(clips):
            log.info("Ignoring %d clip(s) older than RETENTION_DAYS", len(clips) - len(wanted))
        return wanted

    async def _upkeep_after(self, *, sorted_run: bool) -> None:
        """Apply retention, then refresh latest/ after a sorted run or a pruning."""
        async with self._upkeep:
            try:
                pruned = await self._prune()
                if sorted_run or (pruned and (self._media / layout.LATEST_DIR).is_dir()):
                    await settle(refresh_latest, self._media, self._latest_paths())
            except (OSError, StorageError) as error:
                log.warning("Archive upkeep (retention, latest/) failed: %s", error)

    async def _prune(self) -> int:
        cutoff = self._retention_cutoff()
        old = [] if cutoff is None else self._db.recorded_before(cutoff)
        if not old:
            return 0
        deleted = set(await settle(delete_clips, self._media, [entry.path for entry in old]))
        self._db.remove([entry for entry in old if entry.path in deleted])
        log.info("Retention: deleted %d clip(s) older than %s days", len(deleted), cutoff)
        return len(deleted)

    def _latest_paths(self) -> list[str]:
        """The clips latest/ must hold; index rows whose file is gone are forgotten."""
        while True:
            if self.config.recents_hours > 0:
                since = self._clock() - timedelta(hours=self.config.recents_hours)
                entries = self._db.recorded_since(since)
            else:
                entries = self._db.newest(limit=self.config.recents_total)
            missing = [entry for entry in entries if not (self._media / entry.path).is_file()]
            if not missing:
                return [entry.path for entry in entries]
            self._db.remove(missing)
