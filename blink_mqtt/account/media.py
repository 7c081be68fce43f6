"""Finding clips in the cloud and on sync-module USB storage, and opening them as streams.

blinkpy's download helpers (`Blink.download_videos`, `BlinkSyncModule` local storage)
hold whole clips in memory, save error bodies as .mp4 and block the loop; we only borrow
its URLs and headers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import string
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from blinkpy import api
from blinkpy.auth import UnauthorizedError
from blinkpy.blinkpy import Blink
from blinkpy.helpers.util import local_storage_clip_url_template

from blink_mqtt.account.actions import command
from blink_mqtt.account.view import parse_time
from blink_mqtt.clipref import CLOUD, ClipRef, usb
from blink_mqtt.errors import BlinkUnavailable, ClipGone

log = logging.getLogger(__name__)

MAX_PAGES = 200
"""media/changed pages of 25; 5000 clips is more than Blink keeps."""
MANIFEST_WAITS = (1.0, 2.0, 4.0, 8.0)
"""Pauses while a sync module builds its manifest: at most 15 s in all."""
UPLOAD_WAITS = (1.0, 2.0, 4.0, 8.0)
"""Pauses while a sync module uploads a clip: at most 15 s in all."""
CHUNK = 256 * 1024
NOT_CLIPS = frozenset({"photo", "image", "snapshot", "thumbnail"})
"""Media item `type`s that are pictures, not clips."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


async def cloud_clips(blink: Blink, since: datetime, *, strict: bool = True) -> list[ClipRef]:
    """Every non-deleted MP4 clip Blink changed since `since`, oldest first; `strict` also
    drops clips recorded before it (a late upload of an older clip). Other media items
    (snapshot items: JPEGs under /api/v3/...) are left out, never failed."""
    found: list[ClipRef] = []
    others = 0
    async for items in changed_pages(blink, since.timestamp(), MAX_PAGES, "the cloud clips"):
        clips = [item for item in items if is_mp4_clip(item)]
        others += len(items) - len(clips)
        found.extend(ref for item in clips if (ref := cloud_ref(item, since if strict else None)))
    if others:
        log.debug("Left out %d media item(s) that are not MP4 clips", others)
    return sorted(set(found), key=lambda ref: ref.recorded_at)


async def changed_pages(
    blink: Blink, since: float, pages: int, what: str
) -> AsyncIterator[list[Any]]:
    """The pages (at most `pages`) of media items Blink changed since `since` (epoch
    seconds), newest first; ends at an empty page or one that is not a list."""
    for page in range(1, pages + 1):
        response = await api.request_videos(blink, time=since, page=page)
        if not isinstance(response, dict) or "media" not in response:
            raise BlinkUnavailable(f"Blink did not list {what}")
        items = response["media"]
        if not isinstance(items, list) or not items:
            return
        yield items


def is_mp4_clip(item: Any) -> bool:
    """Whether a media item is an MP4 clip rather than a snapshot item (a JPEG under
    /api/v3/..., `type` "photo"). Only the clear signs of a picture count against it, so
    an unfamiliar `type` never costs a real clip. blinkpy's download_videos does not
    look and saves such a JPEG under a .mp4 name."""
    if not isinstance(item, dict):
        return False
    if str(item.get("type", "")).lower() in NOT_CLIPS:
        return False
    media = str(item.get("media") or "").split("?", 1)[0].lower()
    return not media.endswith(IMAGE_SUFFIXES)


async def newest_clips(blink: Blink, days: float) -> list[ClipRef]:
    """One media/changed page (newest first): enough to know each camera's last clip."""
    response = await api.request_videos(blink, time=time.time() - days * 86400, page=1)
    items = response.get("media") if isinstance(response, dict) else None
    return [ref for item in items or [] if is_mp4_clip(item) and (ref := cloud_ref(item, None))]


def cloud_ref(item: Any, since: datetime | None) -> ClipRef | None:
    """A listed media item as a clip; None for a deleted one or one without a media path,
    a camera name (both strings) or a readable recording time."""
    if not isinstance(item, dict) or item.get("deleted"):
        return None
    media, camera = item.get("media"), item.get("device_name")
    if not (isinstance(media, str) and media and isinstance(camera, str) and camera):
        return None
    recorded = parse_time(item.get("created_at"))
    if recorded is None or (since and recorded < since):
        return None
    trigger = item.get("source")
    trigger = trigger if isinstance(trigger, str) and trigger else None
    return ClipRef(camera, recorded, CLOUD, media, trigger=trigger)


async def request_manifest(blink: Blink, sync: Any) -> object:
    """Ask one sync module for a manifest of its USB storage; the request's id."""
    if not sync.local_storage:
        raise BlinkUnavailable(f"{sync.name}: local storage is not active")
    if sync.status != "online":
        raise BlinkUnavailable(f"{sync.name}: the sync module is offline")
    request = await command(
        api.request_local_storage_manifest(blink, sync.network_id, sync.sync_id),
        f"{sync.name}: manifest request",
    )
    if request.get("id") is None:
        raise BlinkUnavailable(f"{sync.name}: Blink did not accept the manifest request")
    return request["id"]


async def fetch_manifest(blink: Blink, sync: Any, request_id: object) -> dict[str, Any] | None:
    """The manifest once the sync module has built it, else None (ask again later)."""
    manifest = await api.get_local_storage_manifest(
        blink, sync.network_id, sync.sync_id, request_id
    )
    if isinstance(manifest, dict) and "clips" in manifest and "manifest_id" in manifest:
        return manifest
    return None


def manifest_clips(
    blink: Blink, sync: Any, manifest: dict[str, Any], since: datetime | None
) -> list[ClipRef]:
    """The manifest's clips of known cameras recorded since `since`, oldest first."""
    names = {re.sub(r"\W+", "", cam.name): cam.name for cam in sync.cameras.values()}
    template = string.Template(local_storage_clip_url_template())
    refs = []
    for item in manifest.get("clips") or []:
        recorded = parse_time(item.get("created_at")) if isinstance(item, dict) else None
        camera = names.get(str(item.get("camera_name"))) if recorded else None
        if camera is None or recorded is None or (since and recorded < since):
            continue
        path = template.substitute(
            account_id=blink.account_id,
            network_id=sync.network_id,
            sync_id=sync.sync_id,
            manifest_id=manifest["manifest_id"],
            clip_id=item.get("id"),
        )
        # The manifest's `size` is not a byte count: the one recorded real manifest
        # (fronzbot/blinkpy tests/test_sync_module.py) lists "186" to "452" for whole
        # clips, probably KB, and blinkpy itself never reads it. A clip is checked by its
        # own Content-Length and MP4 structure instead, so the size is not passed on.
        refs.append(ClipRef(camera, recorded, usb(sync.name), path))
    return sorted(refs, key=lambda ref: ref.recorded_at)


async def prepare_usb_clip(blink: Blink, clip: ClipRef) -> None:
    """Ask the sync module to upload a USB clip to the cloud (a polled command, waited
    for at most COMMAND_TIMEOUT); a refusal fails at once."""
    await command(_request_upload(blink, clip), f"{clip.camera}: USB upload")


async def _request_upload(blink: Blink, clip: ClipRef) -> Any:
    response = await api.http_post(blink, blink.urls.base_url + clip.key)
    if isinstance(response, dict) and "id" in response:
        await api.wait_for_command(blink, response)
    return response


@dataclass
class HttpClipBody:
    """A clip's HTTP response, streamed; network errors surface as BlinkUnavailable."""

    response: aiohttp.ClientResponse

    @property
    def content_type(self) -> str:
        return self.response.content_type

    @property
    def content_length(self) -> int | None:
        return self.response.content_length

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.response.content.iter_chunked(CHUNK):
                yield chunk
        except TimeoutError:
            raise BlinkUnavailable("download interrupted: Blink stopped sending data") from None
        except aiohttp.ClientError as err:
            raise BlinkUnavailable(f"download interrupted: {type(err).__name__}") from None


async def get_clip(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], usb: bool, stall: float
) -> aiohttp.ClientResponse:
    """GET a clip; USB clips answer 404/409 until uploaded, so those are retried briefly.
    A 401 (the access token was rejected) is UnauthorizedError, as from blinkpy; a cloud
    clip's 404 is ClipGone (deleted or expired since it was listed; Blink answers "not
    found" as a JSON body with its own code). Connecting, and then each wait for data,
    may take `stall` seconds at most."""
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=stall, sock_read=stall)
    for pause in (*(UPLOAD_WAITS if usb else ()), None):
        try:
            response = await session.get(url, headers=headers, timeout=timeout)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise BlinkUnavailable(f"download failed: {type(err).__name__}") from None
        if response.status == 200:
            return response
        if response.status == 404 and not usb:
            raise ClipGone(f"Blink no longer has this clip ({await _blink_error(response)})")
        response.release()
        if response.status == 401:
            raise UnauthorizedError
        if pause is None or response.status not in (404, 409):
            raise BlinkUnavailable(f"Blink answered HTTP {response.status}")
        await asyncio.sleep(pause)
    raise AssertionError("unreachable")


async def _blink_error(response: aiohttp.ClientResponse) -> str:
    """`HTTP 404` with Blink's own message and code when the body is its JSON error."""
    detail = f"HTTP {response.status}"
    try:
        body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        body = None
    finally:
        response.release()
    if isinstance(body, dict):
        message, code = body.get("message"), body.get("code")
        shown = "".join(char for char in str(message)[:200] if char.isprintable())
        if isinstance(message, str) and shown:
            detail += f": {shown}"
        if isinstance(code, int) and not isinstance(code, bool):
            detail += f" (Blink code {code})"
    return detail
