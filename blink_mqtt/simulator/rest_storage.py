"""Sync module local (USB) storage: manifest request/poll, clip upload, download, delete."""

from __future__ import annotations

import logging

from aiohttp import web

from blink_mqtt.simulator import media
from blink_mqtt.simulator.model import SyncModule, UsbClip
from blink_mqtt.simulator.responses import ApiError, BodyResponse, json_response
from blink_mqtt.simulator.rest_common import network_at, path_int, sim_state
from blink_mqtt.simulator.routes import STORAGE, rest
from blink_mqtt.simulator.views import command_created
from blink_mqtt.simulator.views_media import manifest

_LOGGER = logging.getLogger(__name__)
_OFFLINE_CODE = 2301


def _module(request: web.Request, *, online: bool = True) -> SyncModule:
    module = network_at(request).sync_module
    if module is None or module.id != path_int(request, "sid"):
        raise ApiError(404, "Sync module not found")
    if not module.local_storage:
        raise ApiError(409, "Local storage is not active", code=2302)
    if online and not module.online:
        raise ApiError(409, "Sync module is offline", code=_OFFLINE_CODE)
    return module


def _clip(request: web.Request, module: SyncModule) -> UsbClip:
    state = sim_state(request)
    if path_int(request, "mid") not in state.commands.manifest_ids(module.id):
        raise ApiError(404, "Manifest not found")
    clip = state.world.usb.get(path_int(request, "clip_id"))
    if clip is None or state.world.cameras[clip.camera_id].network_id != module.network_id:
        raise ApiError(404, "Clip not found")
    return clip


async def manifest_request(request: web.Request) -> web.StreamResponse:
    state = sim_state(request)
    module = _module(request)
    cmd = state.issue_command(module.network_id, "lv_relay")
    state.commands.request_manifest(cmd, module.id, state.options.manifest_not_ready_polls)
    return json_response({"id": cmd.id, "network_id": module.network_id})


async def manifest_get(request: web.Request) -> web.StreamResponse:
    state = sim_state(request)
    module = _module(request)
    found = state.commands.manifests.get(path_int(request, "rid"))
    if found is None or found.sync_module_id != module.id:
        raise ApiError(404, "Manifest request not found")
    if found.not_ready_polls > 0:
        found.not_ready_polls -= 1
        return json_response({"version": "1.0", "status": "processing"})
    unit = state.options.usb_size_unit
    return json_response(manifest(state.world, module, found.manifest_id, unit))


async def local_clip_request(request: web.Request) -> web.StreamResponse:
    """Ask the sync module to upload a clip; it can be downloaded from now on."""
    state = sim_state(request)
    module = _module(request)
    clip = _clip(request, module)
    state.world.mark_uploaded(clip.id)
    cmd = state.issue_command(module.network_id, "local_storage_clip", clip.camera_id)
    return json_response(command_created(cmd))


async def local_clip_download(request: web.Request) -> web.StreamResponse:
    module = _module(request, online=False)
    clip = _clip(request, module)
    if not clip.uploaded:
        raise ApiError(404, "Clip not uploaded yet; request it first")
    body = media.clip_body(f"blink-mqtt simulator usb clip {clip.id}", clip.size)
    return BodyResponse(body, content_type="video/mp4")


async def local_clip_delete(request: web.Request) -> web.StreamResponse:
    state = sim_state(request)
    module = _module(request)
    clip = _clip(request, module)
    del state.world.usb[clip.id]
    _LOGGER.info("Deleted USB clip %d from %s", clip.id, module.name)
    cmd = state.issue_command(module.network_id, "local_storage_delete", clip.camera_id)
    return json_response(command_created(cmd))


CLIP = STORAGE + "/manifest/{mid}/clip"
ROUTES = (
    rest("POST", STORAGE + "/manifest/request", "manifest_request", manifest_request),
    rest("GET", STORAGE + "/manifest/request/{rid}", "manifest_get", manifest_get),
    rest("POST", CLIP + "/request/{clip_id}", "local_clip_request", local_clip_request),
    rest("GET", CLIP + "/request/{clip_id}", "local_clip_download", local_clip_download),
    rest("POST", CLIP + "/delete/{clip_id}", "local_clip_delete", local_clip_delete),
)
