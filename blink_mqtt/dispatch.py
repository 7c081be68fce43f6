"""One request in, one response envelope out: decode, look up, run, wrap."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from blink_mqtt.commands import COMMANDS, Context
from blink_mqtt.errors import BlinkMqttError, UnknownCommand
from blink_mqtt.messages import RawRequest, decode, error, ok

log = logging.getLogger(__name__)
MAX_COMMAND_IN_MESSAGE = 64


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


async def handle(ctx: Context, command: str, raw: RawRequest) -> Answer:
    """Never raises (except cancellation): every failure is an error envelope."""
    spec = COMMANDS.get(command)
    if spec is None:
        return refuse(command, raw, unknown(command))
    rid = raw.id
    try:
        request = decode(spec.model, raw)
        rid = request.id
        ctx = replace(ctx, request_id=rid, command=command)
        if spec.needs_login:
            ctx.account.require_login()
        data = await spec.handler(ctx, request)
        response = ok(command, rid, data)  # a value JSON can't hold is a bug too
    except BlinkMqttError as err:
        log.info("Request %s failed: %s: %s", command, err.code, err.message)
        return Answer(error(command, rid, err), err.code)
    except Exception:
        log.exception("Request %s failed with a bug; the bridge keeps running", command)
        bug = BlinkMqttError("internal error; see the bridge's log")
        return Answer(error(command, rid, bug), bug.code)
    log.info("Request %s done", command)
    return Answer(response, "ok")
