"""Camera REST endpoints: config, signals, snapshot, record, motion detection on/off."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from blink_mqtt.simulator import views
from blink_mqtt.simulator.model import Camera, CameraKind
from blink_mqtt.simulator.responses import ApiError, json_response
from blink_mqtt.simulator.rest_common import camera_at, command_reply, exclusive, sim_state
from blink_mqtt.simulator.routes import CAMERA, DOORBELL, OWL, Handler, Route, rest

_LOGGER = logging.getLogger(__name__)


class OwlConfigBody(BaseModel):
    """The body of ``POST .../owls/{cid}/config`` (blinkpy sends ``{"enabled": bool}``)."""

    model_config = ConfigDict(extra="allow")
    enabled: bool | None = None


async def camera_config(request: web.Request) -> web.StreamResponse:
    cam = camera_at(request, "default")
    state = sim_state(request)
    return json_response(views.camera_config(cam, state.now(), state.account.id))


async def camera_signals(request: web.Request) -> web.StreamResponse:
    cam = camera_at(request, "default")
    return json_response(views.camera_signals(cam, sim_state(request).now()))


def take_snapshot(cam: Camera, now_ts: int) -> None:
    """A new image: bump the counter and move the thumbnail ``ts`` strictly forward."""
    cam.snapshots += 1
    cam.thumbnail_ts = max(now_ts, cam.thumbnail_ts + 1)


def _snap(kind: CameraKind) -> Handler:
    async def snap(request: web.Request) -> web.StreamResponse:
        cam = camera_at(request, kind)
        take_snapshot(cam, int(sim_state(request).epoch()))
        _LOGGER.info("Snapshot %d of camera %s", cam.snapshots, cam.name)
        return command_reply(request, "thumbnail", cam)

    return snap


def record_clip(request: web.Request, cam: Camera) -> None:
    """A new cloud clip (visible after the record delay), and a USB copy if storage is on."""
    state = sim_state(request)
    now = state.now()
    delay = timedelta(seconds=state.options.record_delay_seconds)
    size = state.options.default_clip_size
    state.world.add_cloud_clip(cam.id, now, size, visible_at=now + delay)
    module = state.world.module_of(cam)
    if module is not None and module.local_storage:
        state.world.add_usb_clip(cam.id, now, size)


def _record(kind: CameraKind) -> Handler:
    async def record(request: web.Request) -> web.StreamResponse:
        cam = camera_at(request, kind)
        record_clip(request, cam)
        _LOGGER.info("Recorded a clip on camera %s", cam.name)
        return command_reply(request, "clip", cam)

    return record


def _set_motion(kind: CameraKind, enabled: bool) -> Handler:
    async def set_motion(request: web.Request) -> web.StreamResponse:
        cam = camera_at(request, kind)
        cam.enabled = enabled
        _LOGGER.info("Motion detection %s on %s", "on" if enabled else "off", cam.name)
        return command_reply(request, "config_lfr", cam)

    return set_motion


async def owl_config_get(request: web.Request) -> web.StreamResponse:
    cam = camera_at(request, "mini")
    state = sim_state(request)
    return json_response(views.camera_config(cam, state.now(), state.account.id)["camera"][0])


async def owl_config(request: web.Request) -> web.StreamResponse:
    cam = camera_at(request, "mini")
    try:
        body = OwlConfigBody.model_validate_json(await request.read() or b"{}")
    except ValidationError as error:
        raise ApiError(400, f"Invalid config body: {error.error_count()} error(s)") from None
    if body.enabled is not None:
        cam.enabled = body.enabled
        _LOGGER.info("Motion detection %s on %s", "on" if cam.enabled else "off", cam.name)
    return command_reply(request, "config_lfr", cam)


ROUTES = (
    rest("GET", CAMERA + "/config", "camera_config", camera_config),
    rest("GET", CAMERA + "/signals", "camera_signals", camera_signals),
    rest("POST", CAMERA + "/thumbnail", "snap", exclusive(_snap("default"))),
    rest("POST", OWL + "/thumbnail", "snap", exclusive(_snap("mini"))),
    rest("POST", DOORBELL + "/thumbnail", "snap", exclusive(_snap("doorbell"))),
    rest("POST", CAMERA + "/clip", "record", exclusive(_record("default"))),
    rest("POST", OWL + "/clip", "record", exclusive(_record("mini"))),
    rest("POST", DOORBELL + "/clip", "record", exclusive(_record("doorbell"))),
    rest("POST", CAMERA + "/enable", "motion_enable", exclusive(_set_motion("default", True))),
    rest("POST", CAMERA + "/disable", "motion_disable", exclusive(_set_motion("default", False))),
    rest("POST", DOORBELL + "/enable", "motion_enable", exclusive(_set_motion("doorbell", True))),
    rest(
        "POST", DOORBELL + "/disable", "motion_disable", exclusive(_set_motion("doorbell", False))
    ),
    rest("GET", OWL + "/config", "owl_config", owl_config_get),
    Route("POST", OWL + "/config", "owl_config", exclusive(owl_config)),
)
