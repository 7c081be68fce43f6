"""The command table: name -> (request model, handler). A new command is one row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from blink_mqtt import downloads
from blink_mqtt.errors import NotAuthenticated
from blink_mqtt.messages import (
    Arm,
    CameraArg,
    Cameras,
    Disarm,
    DownloadSince,
    Empty,
    MotionDetection,
    NamedSyncModules,
    Request,
    SyncDownload,
    TwoFactorCode,
)
from blink_mqtt.state import CameraState, Snapshot, SyncState

if TYPE_CHECKING:
    from blink_mqtt.account import BlinkAccount
    from blink_mqtt.archive import MediaArchive
    from blink_mqtt.settings import Settings


class Hub(Protocol):
    """What handlers may ask of the running service (implemented in service.py)."""

    async def poll_now(self) -> Snapshot: ...
    def publish_state(self) -> None: ...
    def publish_image(self, camera: CameraState, image: bytes) -> None: ...
    def publish_event(self, camera: CameraState, event: dict[str, Any]) -> None: ...
    def publish_progress(self, progress: dict[str, Any]) -> None: ...
    def health(self) -> dict[str, Any]: ...
    async def logged_in(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Context:
    settings: Settings
    account: BlinkAccount
    archive: MediaArchive
    hub: Hub
    request_id: Any = None
    command: str = ""


Handler = Callable[[Context, Any], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Command:
    model: type[Request]
    handler: Handler
    needs_login: bool = True


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def cameras(ctx: Context, _: Empty) -> dict[str, Any]:
    snapshot = ctx.account.snapshot(ctx.archive.last_clips())
    return {
        "cameras": [c.payload() for c in snapshot.cameras],
        "sync_modules": [s.payload() for s in snapshot.syncs],
    }


async def snap(ctx: Context, req: CameraArg) -> dict[str, Any]:
    camera = ctx.account.camera(req.camera)
    outcome = await ctx.account.snap(camera)
    saved = await ctx.archive.save_snapshot(camera.name, outcome.image)
    ctx.hub.publish_image(camera, outcome.image)
    ctx.hub.publish_event(
        camera,
        {
            "event_type": "snapshot",
            "camera": camera.name,
            "path": saved.path,
            "taken_at": _iso(outcome.taken_at),
            "fresh": outcome.fresh,
        },
    )
    ctx.hub.publish_state()
    return {
        "camera": camera.name,
        "path": saved.path,
        "url": ctx.archive.public_url(saved.path),
        "bytes": len(outcome.image),
        "taken_at": _iso(outcome.taken_at),
        "fresh": outcome.fresh,
    }


def _syncs(ctx: Context, req: NamedSyncModules) -> list[SyncState]:
    if req.every_sync_module:
        return list(ctx.account.snapshot().syncs)
    return [ctx.account.sync_module(ref) for ref in req.sync_module]


async def _arm(ctx: Context, req: NamedSyncModules, armed: bool) -> dict[str, Any]:
    result = {}
    for sync in _syncs(ctx, req):
        result[sync.name] = await ctx.account.set_armed(sync, armed)
    ctx.hub.publish_state()
    return {"sync_modules": result}


async def arm(ctx: Context, req: Arm) -> dict[str, Any]:
    return await _arm(ctx, req, req.armed)


async def disarm(ctx: Context, req: Disarm) -> dict[str, Any]:
    return await _arm(ctx, req, False)


async def motion_detection(ctx: Context, req: MotionDetection) -> dict[str, Any]:
    camera = ctx.account.camera(req.camera)
    enabled = await ctx.account.set_motion_detection(camera, req.enabled)
    ctx.hub.publish_state()
    return {"camera": camera.name, "enabled": enabled}


async def record(ctx: Context, req: CameraArg) -> dict[str, Any]:
    camera = ctx.account.camera(req.camera)
    await ctx.account.record(camera)
    return {"camera": camera.name, "requested_at": datetime.now(UTC).isoformat()}


async def refresh(ctx: Context, _: Empty) -> dict[str, Any]:
    snapshot = await ctx.hub.poll_now()
    return {"refreshed_at": _iso(snapshot.taken_at), "cameras": len(snapshot.cameras)}


async def two_factor(ctx: Context, req: TwoFactorCode) -> dict[str, Any]:
    status = await ctx.account.submit_2fa(req.code)
    await ctx.hub.logged_in()
    return {"auth": status.state}


async def login(ctx: Context, _: Empty) -> dict[str, Any]:
    status = await ctx.account.start()
    if status.state == "ok":
        await ctx.hub.logged_in()
    elif status.state not in ("2fa_required",):
        raise NotAuthenticated(status.message)
    return {"auth": status.state, "message": status.message}


async def health(ctx: Context, _: Empty) -> dict[str, Any]:
    return ctx.hub.health()


COMMANDS: dict[str, Command] = {
    "cameras": Command(Empty, cameras),
    "get-camera-info": Command(Empty, cameras),
    "snap": Command(CameraArg, snap),
    "download-recent": Command(Cameras, downloads.recent),
    "download-since": Command(DownloadSince, downloads.since),
    "sync-download": Command(SyncDownload, downloads.usb),
    "arm": Command(Arm, arm),
    "disarm": Command(Disarm, disarm),
    "motion-detection": Command(MotionDetection, motion_detection),
    "record": Command(CameraArg, record),
    "refresh": Command(Empty, refresh),
    "2fa": Command(TwoFactorCode, two_factor, needs_login=False),
    "login": Command(Empty, login, needs_login=False),
    "health": Command(Empty, health, needs_login=False),
}
