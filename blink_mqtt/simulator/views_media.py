"""JSON bodies of media/changed and the local storage manifest (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

from blink_mqtt.simulator.model import CloudClip, SyncModule, UsbClip, World
from blink_mqtt.simulator.scenario import SizeUnit
from blink_mqtt.simulator.views import JSON, iso

PAGE_SIZE = 25
_SINCE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def raw_query_param(raw_query: str, key: str) -> str | None:
    """A query value from the raw query string, keeping a literal ``+`` as ``+``."""
    for part in raw_query.split("&"):
        name, _, value = part.partition("=")
        if unquote(name) == key:
            return unquote(value)
    return None


def parse_since(value: str) -> datetime:
    """Parse blinkpy's ``2026-05-01T10:11:12+0000`` (or ISO 8601); naive means UTC."""
    text = value.strip().replace(" ", "+")
    try:
        moment = datetime.strptime(text, _SINCE_FORMAT)
    except ValueError:
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def clip_path(account_id: int, clip_id: int) -> str:
    return f"/api/v2/accounts/{account_id}/media/clip/{clip_id}.mp4"


def snapshot_item_path(world: World, account_id: int, clip: CloudClip) -> str:
    """A snapshot item's media: a JPEG under /api/v3 (the path shape is assumed)."""
    cam = world.cameras[clip.camera_id]
    return (
        f"/api/v3/media/accounts/{account_id}/networks/{cam.network_id}/{cam.type}/"
        f"{cam.id}/snapshot/{clip.id}.jpg"
    )


def media_item(world: World, account_id: int, clip: CloudClip) -> JSON:
    cam = world.cameras[clip.camera_id]
    net = world.networks[cam.network_id]
    snapshot = clip.kind == "snapshot"
    media = snapshot_item_path(world, account_id, clip) if snapshot else None
    return {
        "id": clip.id,
        "created_at": iso(clip.created_at),
        "updated_at": iso(clip.updated_at),
        "deleted": clip.deleted,
        "device": "camera",
        "device_id": cam.id,
        "device_name": cam.name,
        "network_id": net.id,
        "network_name": net.name,
        "type": "photo" if snapshot else "video",
        "source": clip.source,
        "watched": False,
        "partial": False,
        "size": clip.size,
        "thumbnail": f"/api/v2/accounts/{account_id}/media/thumb/{clip.id}",
        "media": media or clip_path(account_id, clip.id),
        "time_zone": net.time_zone,
    }


def media_page(
    world: World, account_id: int, since: datetime | None, page: int, now: datetime
) -> JSON:
    """Clips changed since ``since`` and already uploaded, newest first, 25 per page."""
    changed = [
        clip
        for clip in world.cloud.values()
        if clip.updated_at <= now and (since is None or clip.updated_at >= since)
    ]
    changed.sort(key=lambda clip: (clip.created_at, clip.id), reverse=True)
    start = (max(page, 1) - 1) * PAGE_SIZE
    items = [media_item(world, account_id, c) for c in changed[start : start + PAGE_SIZE]]
    return {"limit": PAGE_SIZE, "purge_id": 1, "refresh_count": 0, "media": items}


def manifest_camera_name(name: str) -> str:
    """Camera names in manifests have every run of non-word characters removed."""
    return re.sub(r"\W+", "", name)


def manifest_size(clip: UsbClip, unit: SizeUnit) -> str:
    """``size`` as a string; real manifests give values like "186" to "452", which
    look like KB (fronzbot/blinkpy tests/test_sync_module.py)."""
    return str(clip.size if unit == "bytes" else max(1, round(clip.size / 1024)))


def manifest(world: World, module: SyncModule, manifest_id: int, unit: SizeUnit = "bytes") -> JSON:
    clips = sorted(world.usb_clips_of(module), key=lambda clip: clip.created_at, reverse=True)
    items = [
        {
            "id": str(clip.id),
            "size": manifest_size(clip, unit),
            "camera_name": manifest_camera_name(world.cameras[clip.camera_id].name),
            "created_at": iso(clip.created_at),
        }
        for clip in clips
    ]
    return {"version": "1.0", "manifest_id": str(manifest_id), "clips": items}
