"""One request in, one response envelope out: decode, look up, run, wrap."""

from __future__ import annotations

import logging
from dataclasses import replace

from blink_mqtt.commands import COMMANDS, Context
from blink_mqtt.errors import BlinkMqttError, UnknownCommand
from blink_mqtt.messages import decode, error, ok, request_id

log = logging.getLogger(__name__)


def refuse(command: str, payload: bytes, err: BlinkMqttError) -> bytes:
    """An error response that still echoes the request's id when it has one."""
    return error(command, request_id(payload), err)


async def handle(ctx: Context, command: str, payload: bytes) -> bytes:
    """Never raises (except cancellation): every failure is an error envelope."""
    spec = COMMANDS.get(command)
    if spec is None:
        known = ", ".join(sorted(COMMANDS))
        return refuse(
            command, payload, UnknownCommand(f"Unknown command {command!r}; known: {known}")
        )
    rid = request_id(payload)
    try:
        request = decode(spec.model, payload)
        rid = request.id
        ctx = replace(ctx, request_id=rid, command=command)
        if spec.needs_login:
            await ctx.account.wait_ready()
        data = await spec.handler(ctx, request)
        response = ok(command, rid, data)  # a value JSON can't hold is a bug too
    except BlinkMqttError as err:
        log.info("Request %s failed: %s: %s", command, err.code, err.message)
        return error(command, rid, err)
    except Exception:
        log.exception("Request %s failed with a bug; the bridge keeps running", command)
        return error(command, rid, BlinkMqttError("internal error; see the bridge's log"))
    log.info("Request %s done", command)
    return response
