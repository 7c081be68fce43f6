"""The three download requests: list clips through the account, archive them, report.

`archive_recent` is also what AUTO_DOWNLOAD runs; it returns the archive's own result.
The request handlers turn results into their reply (replies.DownloadReply).
"""

from __future__ import annotations

from datetime import UTC, datetime

from blink_mqtt.archive import DownloadResult, Failure
from blink_mqtt.archive.recent import CLOUD_OVERLAP
from blink_mqtt.archive.results import Archived
from blink_mqtt.clipref import CLOUD, ClipRef, usb
from blink_mqtt.context import Context
from blink_mqtt.errors import BlinkMqttError, UnknownSyncModule
from blink_mqtt.messages import Cameras, DownloadSince, SyncDownload
from blink_mqtt.replies import (
    CameraNews,
    ClipFailure,
    ClipSavedEvent,
    DownloadReply,
    ErrorInfo,
    Progress,
    SavedClip,
    StateChanged,
    SyncModuleFailure,
)
from blink_mqtt.state import CameraState, SyncState


def _cameras(ctx: Context, refs: list[str] | None) -> list[CameraState]:
    if refs:
        return [ctx.account.camera(ref) for ref in refs]
    return list(ctx.account.state().cameras)


def _only(clips: list[ClipRef], cameras: list[CameraState]) -> list[ClipRef]:
    names = {c.name for c in cameras}
    return [clip for clip in clips if clip.camera in names]


async def _archive(ctx: Context, clips: list[ClipRef], sort: bool | None) -> DownloadResult:
    """Download `clips`, publishing progress and a `clip_saved` event for each."""
    by_name = {c.name: c for c in ctx.account.state().cameras}

    async def on_progress(done: int, total: int, clip: ClipRef, path: str | None) -> None:
        ctx.hub.emit(Progress(ctx.request_id, ctx.command, done, total, clip.camera, path))

    async def on_saved(clip: ClipRef, path: str, size: int) -> None:
        if (camera := by_name.get(clip.camera)) is not None:
            event = ClipSavedEvent(
                clip.camera, clip.recorded_at, path, size, str(clip.source), clip.trigger
            )
            ctx.hub.emit(CameraNews(camera, event))

    result = await ctx.archive.download(
        clips, ctx.account.open_clip, sort=sort, on_progress=on_progress, on_saved=on_saved
    )
    ctx.hub.emit(StateChanged())
    return result


async def archive_recent(
    ctx: Context, cameras: list[CameraState], sort: bool | None
) -> tuple[DownloadResult, datetime]:
    """Cloud clips since download-recent last ran for these cameras (archive/recent.py)."""
    now = datetime.now(UTC)
    window = ctx.archive.recent_window(CLOUD, [c.name for c in cameras], now, CLOUD_OVERLAP)
    listed = await ctx.account.cloud_clips(window.list_since, strict=False)
    result = await _archive(ctx, [clip for clip in listed if window.wants(clip)], sort)
    ctx.archive.advance(window, result)
    return result, window.start


def reply(
    result: DownloadResult, since: datetime, modules: tuple[SyncModuleFailure, ...] = ()
) -> DownloadReply:
    clips = tuple(_failure(failure) for failure in result.failed)
    saved = tuple(_saved(entry) for entry in result.saved)
    return DownloadReply(result.downloaded, since, result.skipped, (*clips, *modules), saved)


def _failure(failure: Failure) -> ClipFailure:
    error = ErrorInfo(failure.code, failure.message)
    source = str(failure.source)
    return ClipFailure(failure.camera, failure.recorded_at, source, error, failure.trigger)


def _saved(entry: Archived) -> SavedClip:
    clip = entry.clip
    return SavedClip(
        *(clip.camera, clip.recorded_at, entry.path, entry.size, str(clip.source), clip.trigger)
    )


async def recent(ctx: Context, req: Cameras) -> DownloadReply:
    return reply(*await archive_recent(ctx, _cameras(ctx, req.camera), req.sort))


async def since(ctx: Context, req: DownloadSince) -> DownloadReply:
    """Cloud clips recorded since a given time."""
    cameras = _cameras(ctx, req.camera)
    clips = _only(await ctx.account.cloud_clips(req.since), cameras)
    return reply(await _archive(ctx, clips, req.sort), req.since)


def _usb_modules(ctx: Context, refs: list[str] | None) -> list[SyncState]:
    if refs:
        return [ctx.account.sync_module(ref) for ref in refs]
    return [s for s in ctx.account.state().syncs if s.local_storage]


async def sync_download(ctx: Context, req: SyncDownload) -> DownloadReply:
    """Clips from the USB storage of every (or the named) sync module; one failing module
    is reported in `failed` while the others proceed. Without `since`, each module's
    cameras resume from their download-recent cursors of that module."""
    cameras = _cameras(ctx, req.camera)
    modules = _usb_modules(ctx, req.sync_module)
    if not modules:
        raise UnknownSyncModule("no sync module of this account has local storage")
    if req.camera:  # only the modules of the cameras asked for
        modules = [s for s in modules if any(c.sync_module == s.name for c in cameras)]
    now = datetime.now(UTC)
    clips: list[ClipRef] = []
    windows, starts, failures = [], [], []
    for sync in modules:
        names = [c.name for c in cameras if c.sync_module == sync.name]
        window = ctx.archive.recent_window(usb(sync.name), names, now)
        start = req.since or window.start
        try:
            clips += _only(await ctx.account.usb_clips(sync, start), cameras)
        except BlinkMqttError as err:
            failures.append(SyncModuleFailure(sync.name, ErrorInfo(err.code, err.message)))
            continue
        windows.append(window)
        starts.append(start)
    result = await _archive(ctx, clips, req.sort)
    if req.since is None:
        for window in windows:
            ctx.archive.advance(window, result)
    return reply(result, req.since or min(starts, default=now), tuple(failures))
