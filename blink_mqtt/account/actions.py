"""Camera and sync-module commands through blinkpy's api functions.

blinkpy's own methods sleep through 5 s module-wide throttles and never re-read the
camera after a snapshot (so they return the old image). We call its api functions with
`force=True`, bound the command polling, and reload the camera afterwards.

Blink's answers as users meet them: an arm/disarm may come back as
`{"message": "No Cameras Enabled for Motion", "code": 304}` although it worked
(fronzbot/blinkpy#213): then the network state read back decides. A network that is
busy (a command pending on it, colinbendell/homebridge-blink-for-home#14,
fronzbot/blinkpy#138) answers 409: `command` raises BlinkBusy, and BlinkAccount sends
the command again after BUSY_WAITS.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from blinkpy import api
from blinkpy.auth import UnauthorizedError
from blinkpy.blinkpy import Blink

from blink_mqtt.account.view import BlinkDevice, thumbnail_time
from blink_mqtt.errors import BlinkBusy, BlinkUnavailable

log = logging.getLogger(__name__)

COMMAND_TIMEOUT = 60.0
"""blinkpy polls a command up to 120 times a second apart; we give up sooner."""
BUSY_WAITS = (1.0, 2.0, 4.0)
"""Pauses before a command Blink answered "busy" is sent again: 4 tries in about 7 s."""
BUSY_CODE = 409
NO_CAMERAS_ENABLED = 304
"""Blink's code in an arm/disarm answer that may well have worked (blinkpy#213)."""


@dataclass(frozen=True, slots=True)
class SnapOutcome:
    image: bytes
    taken_at: datetime
    fresh: bool


async def command(call: Awaitable[Any], what: str, *, accept_304: bool = False) -> dict[str, Any]:
    """Await a blinkpy command call; a missing or refused answer is BlinkUnavailable, a
    busy network BlinkBusy. With `accept_304`, Blink's 304 answer is returned as it is."""
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            response = await call
    except TimeoutError:
        raise BlinkUnavailable(
            f"{what}: Blink did not complete it in {COMMAND_TIMEOUT:.0f} s"
        ) from None
    if not isinstance(response, dict):
        raise BlinkUnavailable(f"{what}: no answer from Blink")
    if "id" not in response and ("message" in response or "code" in response):
        message = str(response.get("message", "error"))
        if accept_304 and response.get("code") == NO_CAMERAS_ENABLED:
            return response
        if response.get("code") == BUSY_CODE or "busy" in message.lower():
            raise BlinkBusy(f"{what}: Blink says the network is busy: {message}")
        raise BlinkUnavailable(f"{what}: Blink refused: {message}")
    return response


async def reload_camera(blink: Blink, device: BlinkDevice) -> None:
    """Re-read one camera's config (homescreen for minis and doorbells) and update it."""
    cam, sync = device.camera, device.sync
    if device.standalone or cam.camera_type in ("mini", "doorbell"):
        response = await api.request_homescreen(blink, force=True)
        if response is None:
            raise BlinkUnavailable(f"{cam.name}: Blink did not answer")
        if response.status == 401:
            raise UnauthorizedError
        await blink.validate_homescreen(response)
        config = (
            await sync.get_camera_info(cam.camera_id)
            if device.standalone
            else sync.get_unique_info(cam.name)
        )
    else:
        config = await sync.get_camera_info(cam.camera_id)
    if not config:
        raise BlinkUnavailable(f"{cam.name}: Blink sent no camera configuration")
    await cam.update(config, force_cache=False, expire_clips=False)


def thumbnail_fetched(cam: Any, url_before: str | None, image_before: bytes | None) -> bool:
    """Whether an update that moved the camera's thumbnail also fetched its image.

    blinkpy takes the new thumbnail URL even when fetching the image fails (non-200) and
    keeps the old image: then the old URL is put back, so the old image is not taken for
    the new one and the next update fetches it again.
    """
    if cam.thumbnail == url_before or cam.image_from_cache is not image_before:
        return True
    cam.thumbnail = url_before
    return False


async def snap(blink: Blink, device: BlinkDevice) -> SnapOutcome:
    cam = device.camera
    before, url_before = cam.image_from_cache, cam.thumbnail
    await command(
        api.request_new_image(
            blink, cam.network_id, cam.camera_id, camera_type=cam.camera_type, force=True
        ),
        f"{cam.name}: snapshot",
    )
    await reload_camera(blink, device)
    image = cam.image_from_cache
    if not image:
        raise BlinkUnavailable(f"{cam.name}: Blink sent no image")
    if not thumbnail_fetched(cam, url_before, before):
        raise BlinkUnavailable(f"{cam.name}: the snapshot was taken but Blink sent no image")
    taken_at = thumbnail_time(cam.thumbnail) or datetime.now(UTC)
    return SnapOutcome(bytes(image), taken_at, fresh=image != before)


async def set_motion_detection(blink: Blink, device: BlinkDevice, enabled: bool) -> bool:
    cam = device.camera
    call = api.request_motion_detection_enable if enabled else api.request_motion_detection_disable
    await command(
        call(blink, cam.network_id, cam.camera_id, camera_type=cam.camera_type, force=True),
        f"{cam.name}: motion detection",
    )
    await reload_camera(blink, device)
    return cam.motion_enabled is True


async def record(blink: Blink, device: BlinkDevice) -> None:
    cam = device.camera
    await command(
        api.request_new_video(
            blink, cam.network_id, cam.camera_id, camera_type=cam.camera_type, force=True
        ),
        f"{cam.name}: record",
    )


async def set_armed(blink: Blink, sync: Any, armed: bool) -> bool:
    """Arm or disarm; the network state read back afterwards is the answer. After Blink's
    304 answer it must be the state asked for, or the command failed."""
    call = api.request_system_arm if armed else api.request_system_disarm
    what = f"{sync.name}: {'arm' if armed else 'disarm'}"
    answer = await command(call(blink, sync.network_id, force=True), what, accept_304=True)
    if not await sync.get_network_info():
        raise BlinkUnavailable(f"{sync.name}: Blink did not report the new state")
    if answer.get("code") == NO_CAMERAS_ENABLED:
        if bool(sync.arm) != armed:
            state = "armed" if sync.arm else "disarmed"
            raise BlinkUnavailable(
                f"{what}: Blink answered {answer.get('message', '304')!r} and the network "
                f"is still {state}"
            )
        log.info("%s: Blink answered 304 (%s); the network state confirms it", what, answer)
    return bool(sync.arm)
