"""The steps of one poll, with blinkpy's public pieces and without its sleeping throttles.

A poll (AccountBase.refresh) runs each step as its own account call, so a request waits
for one step at most, never for a whole poll:

1. `devices`: the homescreen; blinkpy's device setup again when the account's devices
   changed. Returns the plan: each network and its cameras.
2. the clips changed since the previous poll (clip_news.py): one listing for the account.
3. `network` per sync module: its network's state (armed; a sync module error skips its
   cameras, as blinkpy does). A standalone Mini or doorbell needs no request.
4. `camera` per camera: its config (the homescreen's entry for Minis and doorbells, one
   request for other cameras) and its thumbnail when that moved (camera_update.py).

What blinkpy's `refresh()` does besides, the poll leaves out: the media listing per sync
module, each default camera's `signals`, the newest clip of each camera with motion, and
the USB manifest (a polled command per module; sync-download asks for it itself).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from blinkpy import api
from blinkpy.auth import UnauthorizedError
from blinkpy.blinkpy import Blink

from blink_mqtt.account import camera_update, view
from blink_mqtt.errors import BlinkUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Network:
    """A network to poll: blinkpy's name for its sync module and its cameras' names."""

    name: str
    cameras: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """What the homescreen step found: the device listing and the networks to poll."""

    listed: view.Listing
    networks: tuple[Network, ...]


async def devices(blink: Blink, listed: view.Listing) -> Plan:
    """The homescreen, and blinkpy's device setup again when the listing changed from
    `listed` (the previous poll's)."""
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
    networks = tuple(
        Network(str(name), tuple(str(cam) for cam in sync.cameras))
        for name, sync in list(blink.sync.items())
    )
    return Plan(now_listed, networks)


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


async def network(blink: Blink, name: str) -> bool:
    """The network's state; False when its cameras are not to be polled (gone, or a
    sync module error)."""
    sync = blink.sync.get(name)
    if sync is None or not await sync.get_network_info():
        return False
    sync.available = True
    return True


async def camera(blink: Blink, network_name: str, name: str) -> None:
    """One camera's config and thumbnail."""
    sync = blink.sync.get(network_name)
    cam: Any = sync.cameras.get(name) if sync is not None else None
    if cam is None:
        return
    config = await sync.get_camera_info(cam.camera_id, unique_info=sync.get_unique_info(name))
    if config:
        await camera_update.update(cam, config)
