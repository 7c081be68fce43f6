"""The handlers of the requests that are not downloads: each takes the Context and its
validated request and returns its reply value (replies.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from blink_mqtt.context import Context
from blink_mqtt.errors import NotAuthenticated
from blink_mqtt.messages import (
    Arm,
    CameraArg,
    Disarm,
    Empty,
    MotionDetection,
    NamedSyncModules,
    TwoFactorCode,
)
from blink_mqtt.replies import (
    ArmReply,
    CameraImage,
    CameraNews,
    CamerasReply,
    HealthReply,
    LoginReply,
    MotionDetectionReply,
    RecordReply,
    RefreshReply,
    SnapReply,
    SnapshotEvent,
    StateChanged,
    TwoFactorReply,
)
from blink_mqtt.state import SyncState


async def cameras(ctx: Context, _: Empty) -> CamerasReply:
    state = ctx.account.state(ctx.archive.last_clips())
    return CamerasReply(state.cameras, state.syncs)


async def snap(ctx: Context, req: CameraArg) -> SnapReply:
    camera = ctx.account.camera(req.camera)
    outcome = await ctx.account.snap(camera)
    saved = await ctx.archive.save_snapshot(camera.name, outcome.image)
    ctx.hub.emit(CameraImage(camera, outcome.image))
    event = SnapshotEvent(camera.name, saved.path, outcome.taken_at, outcome.fresh)
    ctx.hub.emit(CameraNews(camera, event))
    ctx.hub.emit(StateChanged())
    url = ctx.archive.public_url(saved.path)
    return SnapReply(
        camera.name, saved.path, url, len(outcome.image), outcome.taken_at, outcome.fresh
    )


def _syncs(ctx: Context, req: NamedSyncModules) -> list[SyncState]:
    if req.every_sync_module:
        return list(ctx.account.state().syncs)
    return [ctx.account.sync_module(ref) for ref in req.sync_module]


async def _arm(ctx: Context, req: NamedSyncModules, armed: bool) -> ArmReply:
    result = {}
    for sync in _syncs(ctx, req):
        result[sync.name] = await ctx.account.set_armed(sync, armed)
    ctx.hub.emit(StateChanged())
    return ArmReply(result)


async def arm(ctx: Context, req: Arm) -> ArmReply:
    return await _arm(ctx, req, req.armed)


async def disarm(ctx: Context, req: Disarm) -> ArmReply:
    return await _arm(ctx, req, False)


async def motion_detection(ctx: Context, req: MotionDetection) -> MotionDetectionReply:
    camera = ctx.account.camera(req.camera)
    enabled = await ctx.account.set_motion_detection(camera, req.enabled)
    ctx.hub.emit(StateChanged())
    return MotionDetectionReply(camera.name, enabled)


async def record(ctx: Context, req: CameraArg) -> RecordReply:
    camera = ctx.account.camera(req.camera)
    await ctx.account.record(camera)
    return RecordReply(camera.name, datetime.now(UTC))


async def refresh(ctx: Context, _: Empty) -> RefreshReply:
    state = await ctx.hub.poll_now()
    return RefreshReply(state.taken_at, len(state.cameras))


async def two_factor(ctx: Context, req: TwoFactorCode) -> TwoFactorReply:
    status = await ctx.account.submit_2fa(req.code)
    await ctx.hub.logged_in()
    return TwoFactorReply(status.state)


async def login(ctx: Context, _: Empty) -> LoginReply:
    status = await ctx.account.start()
    if status.state == "ok":
        await ctx.hub.logged_in()
    elif status.state not in ("2fa_required",):
        raise NotAuthenticated(status.message)
    return LoginReply(status.state, status.message)


async def health(ctx: Context, _: Empty) -> HealthReply:
    return ctx.hub.health()
