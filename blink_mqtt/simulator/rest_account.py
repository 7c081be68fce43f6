"""Account-level REST endpoints: tier, homescreen, networks, sync modules, commands, arming."""

from __future__ import annotations

import logging

from aiohttp import web

from blink_mqtt.simulator import views
from blink_mqtt.simulator.responses import ApiError, json_response
from blink_mqtt.simulator.rest_common import (
    command_reply,
    exclusive,
    network_at,
    path_int,
    sim_state,
)
from blink_mqtt.simulator.routes import ACCOUNT, Route, VHost, rest

_LOGGER = logging.getLogger(__name__)


async def tier_info(request: web.Request) -> web.StreamResponse:
    account = sim_state(request).account
    return json_response({"tier": account.tier, "account_id": account.id})


async def homescreen(request: web.Request) -> web.StreamResponse:
    state = sim_state(request)
    headers = {"Client-Id": str(state.account.client_id), "User-Id": str(state.account.user_id)}
    return json_response(views.homescreen(state.world, state.account.id), headers=headers)


async def networks(request: web.Request) -> web.StreamResponse:
    return json_response(views.networks(sim_state(request).world))


async def camera_usage(request: web.Request) -> web.StreamResponse:
    return json_response(views.camera_usage(sim_state(request).world))


async def syncmodules(request: web.Request) -> web.StreamResponse:
    module = network_at(request).sync_module
    if module is None:
        raise ApiError(404, "Network has no sync module")
    return json_response(views.syncmodule(module))


async def network_update(request: web.Request) -> web.StreamResponse:
    return json_response(views.network_update(sim_state(request).world, network_at(request)))


async def command_status(request: web.Request) -> web.StreamResponse:
    state = sim_state(request)
    cmd = state.commands.find(path_int(request, "nid"), path_int(request, "command_id"))
    if cmd is None:
        raise ApiError(404, "Command not found")
    return json_response(views.command_status(cmd, cmd.poll()))


def _set_armed(request: web.Request, armed: bool) -> None:
    world = sim_state(request).world
    network = network_at(request)
    device = world.standalone_camera(network.id)
    if device is not None:
        device.enabled = armed
    else:
        network.armed = armed
    _LOGGER.info("Network %s %s", network.name, "armed" if armed else "disarmed")


NO_CAMERAS_ENABLED = {"message": "No Cameras Enabled for Motion", "code": 304}


def _answer_304(request: web.Request) -> bool:
    """Whether arm/disarm answers Blink's 304 body (it still works): fronzbot/blinkpy#213."""
    state = sim_state(request)
    mode = state.options.arm_answer_304
    if mode == "no_cameras_enabled":
        cameras = state.world.cameras_in(network_at(request).id)
        return not any(cam.enabled for cam in cameras)
    return mode == "always"


async def arm(request: web.Request) -> web.StreamResponse:
    _set_armed(request, True)
    if _answer_304(request):
        return json_response(NO_CAMERAS_ENABLED)
    return command_reply(request, "arm")


async def disarm(request: web.Request) -> web.StreamResponse:
    _set_armed(request, False)
    if _answer_304(request):
        return json_response(NO_CAMERAS_ENABLED)
    return command_reply(request, "disarm")


ROUTES = (
    Route("GET", "/api/v1/users/tier_info", "tier_info", tier_info, VHost.REST_PROD),
    rest("GET", "/api/v3/accounts/{aid}/homescreen", "homescreen", homescreen),
    rest("GET", "/networks", "networks", networks),
    rest("GET", "/api/v1/camera/usage", "camera_usage", camera_usage),
    rest("GET", "/network/{nid}/syncmodules", "syncmodules", syncmodules),
    rest("POST", "/network/{nid}/update", "network_update", network_update),
    rest("GET", "/network/{nid}/command/{command_id}", "command_status", command_status),
    rest("POST", ACCOUNT + "/state/arm", "arm", exclusive(arm)),
    rest("POST", ACCOUNT + "/state/disarm", "disarm", exclusive(disarm)),
)
