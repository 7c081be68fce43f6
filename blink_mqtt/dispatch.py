"""The command table and the dispatcher: one request in, one response envelope out
(decode, look up, wait for login if needed, run, wrap).

A new command is one row here and one handler (commands.py or downloads.py).

Identical requests in flight share one run (coalesce.py) when their row has `share`:
the key function names what makes two requests the same. Shared: `cameras` /
`get-camera-info` and `refresh` (answers about the account as it is now), `snap` of one
camera (a picture taken while the request waited is the picture it asked for). Not
shared: commands that set a state (`arm`, `disarm`, `motion-detection`: a later request
must win over an earlier one with other arguments, so each runs in turn), `record` (each
makes a clip), downloads, and `login`, `2fa`, `health`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

from blink_mqtt import commands, downloads
from blink_mqtt.coalesce import Coalescer
from blink_mqtt.context import Context
from blink_mqtt.errors import BlinkMqttError, UnknownCommand
from blink_mqtt.liveview import commands as liveview
from blink_mqtt.liveview.models import LiveView, LiveViewReply, LiveViewStop
from blink_mqtt.messages import (
    Arm,
    CameraArg,
    Cameras,
    Disarm,
    DownloadSince,
    Empty,
    MotionDetection,
    RawRequest,
    Request,
    SyncDownload,
    TwoFactorCode,
    decode,
    error,
    ok,
)
from blink_mqtt.replies import (
    ArmReply,
    CamerasReply,
    DownloadReply,
    HealthReply,
    LoginReply,
    MotionDetectionReply,
    RecordReply,
    RefreshReply,
    Reply,
    SnapReply,
    TwoFactorReply,
)

log = logging.getLogger(__name__)
MAX_COMMAND_IN_MESSAGE = 64

Handler = Callable[[Context, Any], Awaitable[Reply]]
ShareKey = Callable[[Context, Any], Hashable]
"""What makes two requests of one command the same, for coalescing."""


def _everything(_: Context, __: Any) -> Hashable:
    return ()


def _the_camera(ctx: Context, req: CameraArg) -> Hashable:
    return ctx.account.camera(req.camera).serial


@dataclass(frozen=True, slots=True)
class Command:
    model: type[Request]
    handler: Handler
    reply: type[Reply]
    needs_login: bool = True
    share: ShareKey | None = None


COMMANDS: dict[str, Command] = {
    "cameras": Command(Empty, commands.cameras, CamerasReply, share=_everything),
    "get-camera-info": Command(Empty, commands.cameras, CamerasReply, share=_everything),
    "snap": Command(CameraArg, commands.snap, SnapReply, share=_the_camera),
    "download-recent": Command(Cameras, downloads.recent, DownloadReply),
    "download-since": Command(DownloadSince, downloads.since, DownloadReply),
    "sync-download": Command(SyncDownload, downloads.sync_download, DownloadReply),
    "arm": Command(Arm, commands.arm, ArmReply),
    "disarm": Command(Disarm, commands.disarm, ArmReply),
    "motion-detection": Command(MotionDetection, commands.motion_detection, MotionDetectionReply),
    "record": Command(CameraArg, commands.record, RecordReply),
    "refresh": Command(Empty, commands.refresh, RefreshReply, share=_everything),
    "2fa": Command(TwoFactorCode, commands.two_factor, TwoFactorReply, needs_login=False),
    "login": Command(Empty, commands.login, LoginReply, needs_login=False),
    "health": Command(Empty, commands.health, HealthReply, needs_login=False),
    "liveview": Command(LiveView, liveview.liveview, LiveViewReply),
    "liveview-stop": Command(LiveViewStop, liveview.liveview_stop, LiveViewReply),
}


@dataclass(frozen=True, slots=True)
class Answer:
    """A response envelope and its outcome: `ok` or the error code."""

    payload: bytes
    code: str


def refuse(command: str, raw: RawRequest, err: BlinkMqttError) -> Answer:
    """An error response that still echoes the request's id when it has one."""
    return Answer(error(command, raw.id, err), err.code)


def unknown(command: str) -> UnknownCommand:
    known = ", ".join(sorted(COMMANDS))
    if not command:
        return UnknownCommand(f"No command in the topic; known: {known}")
    shown = command[:MAX_COMMAND_IN_MESSAGE]
    return UnknownCommand(f"Unknown command {shown!r}; known: {known}")


async def handle(
    ctx: Context, command: str, raw: RawRequest, shared: Coalescer | None = None
) -> Answer:
    """Never raises (except cancellation): every failure is an error envelope; an
    exception that is not one of ours is a bug, logged with its traceback. With `shared`,
    requests of a command with `share` join an identical run in progress."""
    spec = COMMANDS.get(command)
    if spec is None:
        return refuse(command, raw, unknown(command))
    rid = raw.id
    try:
        request = decode(spec.model, raw)
        rid = request.id
        ctx = replace(ctx, request_id=rid, command=command)
        if spec.needs_login:
            await ctx.account.wait_ready()
        if shared is not None and spec.share is not None:
            key = (spec.handler, spec.share(ctx, request))
            reply = await shared.run(key, lambda: spec.handler(ctx, request))
        else:
            reply = await spec.handler(ctx, request)
        response = ok(command, rid, reply.to_json())
    except BlinkMqttError as err:
        log.info("Request %s failed: %s: %s", command, err.code, err.message)
        return Answer(error(command, rid, err), err.code)
    except Exception:
        log.exception("Request %s failed with a bug; the bridge keeps running", command)
        bug = BlinkMqttError("internal error; see the bridge's log")
        return Answer(error(command, rid, bug), bug.code)
    log.info("Request %s done", command)
    return Answer(response, "ok")
