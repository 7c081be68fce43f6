"""The three download commands: list clips through the account, archive them, report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from blink_mqtt.archive import ClipRef, DownloadResult
from blink_mqtt.errors import BlinkMqttError, UnknownSyncModule
from blink_mqtt.messages import Cameras, DownloadSince, SyncDownload
from blink_mqtt.state import CameraState, SyncState

if TYPE_CHECKING:
    from blink_mqtt.commands import Context

OVERLAP = timedelta(minutes=10)
"""download-recent lists this much before its cursor again: late uploads are not missed,
and what was already archived is only counted as skipped."""


def _cameras(ctx: Context, refs: list[str] | None) -> list[CameraState]:
    if refs:
        return [ctx.account.camera(ref) for ref in refs]
    return list(ctx.account.snapshot().cameras)


def _only(clips: list[ClipRef], cameras: list[CameraState]) -> list[ClipRef]:
    names = {c.name for c in cameras}
    return [clip for clip in clips if clip.camera in names]


def _reporter(ctx: Context) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Progress messages and `clip_saved` events for one request."""
    by_name = {c.name: c for c in ctx.account.snapshot().cameras}

    async def on_progress(done: int, total: int, clip: ClipRef, path: str | None) -> None:
        ctx.hub.publish_progress(
            {
                "id": ctx.request_id,
                "command": ctx.command,
                "done": done,
                "total": total,
                "camera": clip.camera,
                "path": path,
            }
        )

    async def on_saved(clip: ClipRef, path: str, size: int) -> None:
        camera = by_name.get(clip.camera)
        if camera is not None:
            ctx.hub.publish_event(
                camera,
                {
                    "event_type": "clip_saved",
                    "camera": clip.camera,
                    "recorded_at": clip.recorded_at.isoformat(),
                    "path": path,
                    "bytes": size,
                    "source": clip.source,
                },
            )

    return on_progress, on_saved


async def _archive(ctx: Context, clips: list[ClipRef], sort: bool | None) -> DownloadResult:
    on_progress, on_saved = _reporter(ctx)
    result = await ctx.archive.download(
        clips, ctx.account.open_clip, sort=sort, on_progress=on_progress, on_saved=on_saved
    )
    ctx.hub.publish_state()
    return result


async def recent(ctx: Context, req: Cameras) -> dict[str, Any]:
    """Cloud clips since this command last ran (first run: TIMEDELTA_HOURS back).

    A camera resuming from its cursor gets every clip Blink changed since then (less
    OVERLAP), however old its recording; on its first run, only clips recorded in the
    last TIMEDELTA_HOURS."""
    cameras = _cameras(ctx, req.camera)
    names = [c.name for c in cameras]
    now = datetime.now(UTC)
    since = ctx.archive.recent_since("cloud", names, now)
    resuming = {name for name in names if ctx.archive.cursor("cloud", name) is not None}
    first_run = now - timedelta(hours=ctx.settings.timedelta_hours)
    listed = await ctx.account.cloud_clips(since - OVERLAP if resuming else since, strict=False)
    clips = [
        clip
        for clip in _only(listed, cameras)
        if clip.camera in resuming or clip.recorded_at >= first_run
    ]
    result = await _archive(ctx, clips, req.sort)
    ctx.archive.advance("cloud", names, now, result)
    return result.to_data(since)


async def since(ctx: Context, req: DownloadSince) -> dict[str, Any]:
    """Cloud clips recorded since a given time."""
    cameras = _cameras(ctx, req.camera)
    clips = _only(await ctx.account.cloud_clips(req.since), cameras)
    return (await _archive(ctx, clips, req.sort)).to_data(req.since)


def _usb_modules(ctx: Context, refs: list[str] | None) -> list[SyncState]:
    if refs:
        return [ctx.account.sync_module(ref) for ref in refs]
    return [s for s in ctx.account.snapshot().syncs if s.local_storage]


async def usb(ctx: Context, req: SyncDownload) -> dict[str, Any]:
    """Clips from the USB storage of every (or the named) sync module; one failing module
    is reported in `failed` while the others proceed."""
    cameras = _cameras(ctx, req.camera)
    modules = _usb_modules(ctx, req.sync_module)
    if not modules:
        raise UnknownSyncModule("no sync module of this account has local storage")
    if req.camera:  # only the modules of the cameras asked for
        modules = [s for s in modules if any(c.sync_module == s.name for c in cameras)]
    now = datetime.now(UTC)
    clips: list[ClipRef] = []
    starts: dict[str, datetime] = {}
    module_failures: list[dict[str, Any]] = []
    for sync in modules:
        source = f"usb:{sync.name}"
        names = [c.name for c in cameras if c.sync_module == sync.name]
        starts[source] = req.since or ctx.archive.recent_since(source, names, now)
        try:
            clips += _only(await ctx.account.usb_clips(sync, starts[source]), cameras)
        except BlinkMqttError as err:
            module_failures.append(
                {"sync_module": sync.name, "error": {"code": err.code, "message": err.message}}
            )
            starts.pop(source)
    result = await _archive(ctx, clips, req.sort)
    if req.since is None:
        for source in starts:
            names = [c.name for c in cameras if f"usb:{c.sync_module}" == source]
            ctx.archive.advance(source, names, now, result)
    data = result.to_data(req.since or min(starts.values(), default=now))
    data["failed"] = [*data["failed"], *module_failures]
    return data
