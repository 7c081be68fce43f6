"""Path lookups shared by the REST handlers (unknown ids become JSON 404s)."""

from __future__ import annotations

from aiohttp import web

from blink_mqtt.simulator.model import Camera, CameraKind, Network
from blink_mqtt.simulator.responses import ApiError, BodyResponse, json_response
from blink_mqtt.simulator.routes import Handler
from blink_mqtt.simulator.state import STATE_KEY, SimState
from blink_mqtt.simulator.views import command_created

BUSY_MESSAGE = "Sync module is busy, please try again"


def sim_state(request: web.Request) -> SimState:
    return request.app[STATE_KEY]


def path_int(request: web.Request, key: str) -> int:
    try:
        return int(request.match_info[key])
    except (KeyError, ValueError):
        raise ApiError(404, f"Invalid {key}") from None


def network_at(request: web.Request) -> Network:
    network = sim_state(request).world.networks.get(path_int(request, "nid"))
    if network is None:
        raise ApiError(404, "Network not found")
    return network


def camera_at(request: web.Request, kind: CameraKind | None = None) -> Camera:
    """The camera of path ``{nid}/{cid}``; with ``kind``, it must be of that kind."""
    world = sim_state(request).world
    cam = world.cameras.get(path_int(request, "cid"))
    if cam is None or cam.network_id != path_int(request, "nid"):
        raise ApiError(404, "Camera not found")
    if kind is not None and cam.kind != kind:
        raise ApiError(404, f"Camera {cam.id} is not a {kind} camera")
    return cam


def command_reply(request: web.Request, kind: str, camera: Camera | None = None) -> BodyResponse:
    """Issue a pollable command on the path's network and answer with its object."""
    state = sim_state(request)
    network_id = camera.network_id if camera else path_int(request, "nid")
    cmd = state.issue_command(network_id, kind, camera.id if camera else None)
    return json_response(command_created(cmd))


def exclusive(handler: Handler) -> Handler:
    """A command handler that first makes sure its network takes commands.

    A busy network (``Simulator.set_network_busy``), or with
    ``one_command_per_network`` one whose earlier command is still pending, answers 409
    and changes nothing. Blink users see "sync module busy" errors when commands
    overlap (colinbendell/homebridge-blink-for-home#14, fronzbot/blinkpy#138); the 409
    status is our assumption.
    """

    async def run(request: web.Request) -> web.StreamResponse:
        state = sim_state(request)
        network_id = path_int(request, "nid")
        pending = state.options.one_command_per_network and state.commands.pending_on(network_id)
        if network_id in state.busy_networks or pending:
            raise ApiError(409, BUSY_MESSAGE)
        return await handler(request)

    return run
