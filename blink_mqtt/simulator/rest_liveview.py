"""Live-view endpoints: the request for each camera kind as blinkpy 0.25.9 sends it
(``api._CAMERA_ACTION_PATTERNS``: v6 cameras, v2 owls and doorbells), the command's
``done`` call, and the control route for the switches.

The answer's shape is the one recorded in hunsalz/BlinkMonitorProtocol
``v5/accounts/liveview.md``. It carries ``command_id`` (no ``id``), so blinkpy's
``wait_for_command`` does not poll it; blinkpy's livestream polls it while streaming.
"""

from __future__ import annotations

import logging
import subprocess

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from blink_mqtt.simulator.liveview_book import LiveViewSwitches
from blink_mqtt.simulator.liveview_server import ImmisServer
from blink_mqtt.simulator.model import CameraKind
from blink_mqtt.simulator.responses import ApiError, json_response
from blink_mqtt.simulator.rest_common import camera_at, exclusive, path_int, sim_state
from blink_mqtt.simulator.routes import CONTROL_PREFIX, Handler, Route, VHost, rest
from blink_mqtt.simulator.state import STATE_KEY

_LOGGER = logging.getLogger(__name__)
SERVER_KEY = web.AppKey("blink_simulator_immis", ImmisServer)
LV_PENDING_POLLS = 1 << 30
"""A live-view command stays incomplete until its session ends."""


class LiveViewUpdate(BaseModel):
    """The body of ``POST /_sim/liveview`` (every key optional)."""

    model_config = ConfigDict(extra="forbid")
    max_seconds: float | None = Field(default=None, gt=0)
    drop_after_seconds: float | None = Field(default=None, ge=0)
    fragment_bytes: int | None = Field(default=None, ge=0)
    polling_interval: int | None = Field(default=None, ge=1)
    pad_kbps: int | None = Field(default=None, ge=0, le=100_000)
    save_clip: bool | None = None


def apply_update(switches: LiveViewSwitches, update: LiveViewUpdate) -> None:
    """Set the given keys; ``drop_after_seconds`` / ``fragment_bytes`` 0 turn them off."""
    for key, value in update.model_dump(exclude_none=True).items():
        off = key in ("drop_after_seconds", "fragment_bytes") and not value
        setattr(switches, key, None if off else value)


def install(app: web.Application) -> None:
    """Give the app its ``immis://`` server (started at the first live view)."""
    server = ImmisServer(app[STATE_KEY].liveview)
    app[SERVER_KEY] = server

    async def close(_: web.Application) -> None:
        await server.close()

    app.on_cleanup.append(close)


def _liveview(kind: CameraKind) -> Handler:
    async def liveview(request: web.Request) -> web.StreamResponse:
        cam = camera_at(request, kind)
        state = sim_state(request)
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        host = str(sockname[0]) if sockname else "127.0.0.1"
        try:
            address = await request.app[SERVER_KEY].ensure(host)
        except (OSError, subprocess.SubprocessError) as err:
            raise ApiError(503, f"live view needs openssl on the simulator's host: {err}") from None
        cmd = state.issue_command(cam.network_id, "lv_relay", cam.id)
        cmd.pending_polls = LV_PENDING_POLLS
        session = state.liveview.open(cam.id, cam.serial, cmd)
        client_id = state.account.client_id
        server = (
            f"immis://{address[0]}:{address[1]}/{session.conn_id}__IMDS_{cam.serial}"
            f"?client_id={client_id}"
        )
        _LOGGER.info("Live view %s of %s (command %d)", session.conn_id, cam.name, cmd.id)
        return json_response(
            {
                "command_id": cmd.id,
                "join_available": True,
                "join_state": "available",
                "server": server,
                "duration": None,
                "extended_duration": 5400,
                "continue_interval": 30,
                "continue_warning": 10,
                "polling_interval": state.liveview.switches.polling_interval,
                "submit_logs": True,
                "new_command": True,
                "media_id": None,
                "options": {},
                "liveview_token": session.conn_id,
            }
        )

    return liveview


async def command_done(request: web.Request) -> web.StreamResponse:
    """``POST /network/{nid}/command/{id}/done/``: the client ends a live view."""
    state = sim_state(request)
    cmd = state.commands.find(path_int(request, "nid"), path_int(request, "command_id"))
    if cmd is None:
        raise ApiError(404, "Command not found")
    session = state.liveview.by_command(cmd.id)
    if session is not None and session.end("done") and state.liveview.switches.save_clip:
        now = state.now()
        state.world.add_cloud_clip(
            session.camera_id, now, state.options.default_clip_size, now, source="liveview"
        )
    return json_response({"id": cmd.id, "message": "Command succeeded", "code": 902})


async def control_liveview(request: web.Request) -> web.StreamResponse:
    """``POST /_sim/liveview``: set switches; answers them and every session so far."""
    raw = await request.read()
    try:
        update = LiveViewUpdate.model_validate_json(raw or b"{}")
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    book = sim_state(request).liveview
    apply_update(book.switches, update)
    return json_response(
        {
            "switches": {
                "max_seconds": book.switches.max_seconds,
                "drop_after_seconds": book.switches.drop_after_seconds,
                "fragment_bytes": book.switches.fragment_bytes,
                "polling_interval": book.switches.polling_interval,
                "pad_kbps": book.switches.pad_kbps,
                "save_clip": book.switches.save_clip,
            },
            "sessions": [s.summary() for s in book.sessions.values()],
        }
    )


_V2 = "/api/v2/accounts/{aid}/networks/{nid}"
ROUTES = (
    rest(
        "POST",
        "/api/v6/accounts/{aid}/networks/{nid}/cameras/{cid}/liveview",
        "liveview",
        exclusive(_liveview("default")),
    ),
    rest("POST", _V2 + "/owls/{cid}/liveview", "liveview", exclusive(_liveview("mini"))),
    rest("POST", _V2 + "/doorbells/{cid}/liveview", "liveview", exclusive(_liveview("doorbell"))),
    rest("POST", "/network/{nid}/command/{command_id}/done/", "command_done", command_done),
    Route(
        "POST", CONTROL_PREFIX + "liveview", "control_liveview", control_liveview, VHost.ANY, False
    ),
)
