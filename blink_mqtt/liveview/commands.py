"""The `liveview` and `liveview-stop` request handlers."""

from __future__ import annotations

from blink_mqtt.context import Context
from blink_mqtt.liveview.models import LiveView, LiveViewReply, LiveViewStop


async def liveview(ctx: Context, req: LiveView) -> LiveViewReply:
    camera = ctx.account.camera(req.camera)
    if not req.enabled:
        return await ctx.hub.liveviews.stop(camera)
    return await ctx.hub.liveviews.start(camera, req.duration)


async def liveview_stop(ctx: Context, req: LiveViewStop) -> LiveViewReply:
    return await ctx.hub.liveviews.stop(ctx.account.camera(req.camera))
