"""Media REST endpoints: media/changed, thumbnails (JPEG) and cloud clips (MP4, streamed)."""

from __future__ import annotations

from aiohttp import web

from blink_mqtt.simulator import media
from blink_mqtt.simulator.responses import ApiError, BodyResponse, BytesBody, json_response
from blink_mqtt.simulator.rest_common import path_int, sim_state
from blink_mqtt.simulator.routes import rest
from blink_mqtt.simulator.views_media import media_page, parse_since, raw_query_param

JPEG = "image/jpeg"
MP4 = "video/mp4"


async def media_changed(request: web.Request) -> web.StreamResponse:
    state = sim_state(request)
    raw = request.rel_url.raw_query_string
    since_text = raw_query_param(raw, "since")
    try:
        since = parse_since(since_text) if since_text else None
        page = int(raw_query_param(raw, "page") or "1")
    except ValueError:
        raise ApiError(400, "Invalid since or page") from None
    body = media_page(state.world, state.account.id, since, page, state.now())
    if state.options.clips_vanish_after_listing:  # retention strikes before the download
        for item in body["media"]:
            state.world.purge_cloud_clip(item["id"])
    return json_response(body)


def jpeg_response(data: bytes) -> BodyResponse:
    return BodyResponse(BytesBody(data), content_type=JPEG)


async def thumbnail(request: web.Request) -> web.StreamResponse:
    """The latest image of the camera, whatever ``ts`` (or old-form name) was asked for."""
    cam = sim_state(request).world.cameras.get(path_int(request, "cid"))
    if cam is None or cam.network_id != path_int(request, "nid"):
        raise ApiError(404, "Camera not found")
    return jpeg_response(media.snapshot_jpeg(cam.id, cam.snapshots))


async def snapshot_item(request: web.Request) -> web.StreamResponse:
    """The JPEG of a snapshot item of the media list (not an MP4)."""
    state = sim_state(request)
    found = state.world.cloud.get(path_int(request, "clip_id"))
    if found is None or found.deleted or found.kind != "snapshot":
        raise ApiError(404, "Media not found")
    return jpeg_response(media.jpeg_with_comment(f"blink-mqtt simulator snapshot {found.id}"))


async def media_thumb(request: web.Request) -> web.StreamResponse:
    clip = sim_state(request).world.cloud.get(path_int(request, "clip_id"))
    if clip is None or clip.deleted:
        raise ApiError(404, "Media not found")
    return jpeg_response(media.jpeg_with_comment(f"blink-mqtt simulator clip {clip.id}"))


async def clip(request: web.Request) -> web.StreamResponse:
    state = sim_state(request)
    found = state.world.cloud.get(path_int(request, "clip_id"))
    if found is None or found.deleted or found.updated_at > state.now():
        raise ApiError(404, "Media not found")
    if found.kind != "clip":
        raise ApiError(404, "Media not found")
    body = media.clip_body(f"blink-mqtt simulator cloud clip {found.id}", found.size)
    return BodyResponse(body, content_type=MP4)


MEDIA_V3 = "/api/v3/media/accounts/{aid}/networks/{nid}/{ptype}/{cid}"
THUMBNAIL = MEDIA_V3 + "/thumbnail/thumbnail.jpg"
LEGACY_THUMBNAIL = "/media/production/account/{aid}/network/{nid}/{ptype}/{cid}/thumbnail/{name}"
ROUTES = (
    rest("GET", "/api/v1/accounts/{aid}/media/changed", "media_changed", media_changed),
    rest("GET", THUMBNAIL, "thumbnail", thumbnail),
    rest("GET", LEGACY_THUMBNAIL, "thumbnail", thumbnail),
    rest("GET", MEDIA_V3 + "/snapshot/{clip_id}.jpg", "snapshot_item", snapshot_item),
    rest("GET", "/api/v2/accounts/{aid}/media/thumb/{clip_id}", "media_thumb", media_thumb),
    rest("GET", "/api/v2/accounts/{aid}/media/clip/{clip_id}.mp4", "clip", clip),
)
