"""One poll of the account with blinkpy's public pieces, without its sleeping throttles:
the homescreen, blinkpy's device setup again when the account's devices changed, then
each sync module's network, new clips and cameras."""

from __future__ import annotations

import logging
import time
from typing import Any

from blinkpy import api
from blinkpy.auth import UnauthorizedError
from blinkpy.blinkpy import Blink

from blink_mqtt.account import actions, view
from blink_mqtt.errors import BlinkUnavailable

log = logging.getLogger(__name__)


async def poll(blink: Blink, listed: view.Listing) -> view.Listing:
    """Poll once; `listed` is the device listing of the previous poll, the new one is
    returned."""
    if not blink.available and not await blink.setup_post_verify():
        raise BlinkUnavailable("Blink did not send the account's devices")
    response = await api.request_homescreen(blink, force=True)
    if response is None:
        raise BlinkUnavailable("Blink did not answer")
    if response.status == 401:
        raise UnauthorizedError
    if response.status != 200:
        raise BlinkUnavailable(f"Blink answered HTTP {response.status}")
    await blink.validate_homescreen(response)
    now_listed = view.listed_devices(blink.homescreen)
    if now_listed != listed:
        await _set_up_devices_again(blink)
    cams = [(d.camera, d.camera.thumbnail, d.camera.image_from_cache) for d in view.devices(blink)]
    for sync in list(blink.sync.values()):
        await _poll_sync(sync)
    for cam, url_before, image_before in cams:
        actions.thumbnail_fetched(cam, url_before, image_before)  # else retried next poll
    blink.last_refresh = int(time.time())
    return now_listed


async def _set_up_devices_again(blink: Blink) -> None:
    """Devices joined, left or were renamed: blinkpy's setup, from this homescreen.
    On failure blinkpy keeps the devices it had."""
    known, blink.sync = blink.sync, type(blink.sync)()
    ok = False
    try:
        ok = await blink.setup_post_verify()
    finally:
        if not ok:
            blink.sync = known
    if not ok:
        raise BlinkUnavailable("Blink did not send the account's devices")
    log.info("The account's devices changed; now %d networks", len(blink.sync))


async def _poll_sync(sync: Any) -> None:
    """blinkpy's `sync.refresh()` without its USB manifest request, which costs a polled
    command per module per poll and, for an offline module, backs off for about 45 s
    while holding the account; sync-download asks for manifests itself."""
    if not await sync.get_network_info():
        return
    await sync.check_new_videos()
    for name, camera in sync.cameras.items():
        info = await sync.get_camera_info(camera.camera_id, unique_info=sync.get_unique_info(name))
        await camera.update(info, force_cache=False)
    sync.available = True
