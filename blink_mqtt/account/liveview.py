"""Blink's side of a live view through blinkpy's public pieces: the request (each camera
kind's endpoint, blinkpy's ``api.request_camera_liveview``), the auth header
(``BlinkLiveStream.get_auth_header``), the command polling and its ``done`` call.

blinkpy's own ``BlinkLiveStream.feed`` is not used: its ``recv`` takes a short read for
the end of the stream (fronzbot/blinkpy#1181, #1262) and its server stops when the last
client leaves; the relay (``liveview_relay``) reads whole packets instead.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from blinkpy import api
from blinkpy.auth import UnauthorizedError
from blinkpy.blinkpy import Blink
from blinkpy.livestream import BlinkLiveStream

from blink_mqtt.account import view
from blink_mqtt.errors import BlinkUnavailable, UnknownCamera
from blink_mqtt.state import CameraState

if TYPE_CHECKING:
    from blink_mqtt.account import BlinkAccount

RUNNING = ("new", "running")
"""Command states of a live view still going (blinkpy/livestream.py ``poll``)."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where and how to connect for one live view Blink granted."""

    host: str
    port: int
    auth_header: bytes
    command_id: int
    network_id: int
    polling_interval: float


def _device(blink: Blink, camera: CameraState) -> Any:
    for device in view.devices(blink):
        if view.serial_of(device) == camera.serial:
            return device.camera
    raise UnknownCamera(f"Camera {camera.name!r} is no longer on the account")


async def _request(blink: Blink, camera: CameraState) -> Upstream:
    cam = _device(blink, camera)
    response = await api.request_camera_liveview(
        blink, cam.sync.network_id, cam.camera_id, camera_type=cam.camera_type
    )
    if not isinstance(response, dict):
        raise BlinkUnavailable(f"{camera.name}: live view: no answer from Blink")
    if response.get("code") == 101 or response.get("message") == "Unauthorized Access":
        raise UnauthorizedError
    server = response.get("server")
    if not isinstance(server, str) or not server.startswith("immis://"):
        message = response.get("message") or "no immis:// server in Blink's answer"
        raise BlinkUnavailable(f"{camera.name}: live view refused by Blink: {message}")
    target = urllib.parse.urlparse(server)
    if not target.hostname or not target.port or not isinstance(response.get("command_id"), int):
        raise BlinkUnavailable(f"{camera.name}: live view: Blink's answer lacks a server")
    header = bytes(BlinkLiveStream(cam, response).get_auth_header())
    interval = response.get("polling_interval")
    return Upstream(
        host=target.hostname,
        port=target.port,
        auth_header=header,
        command_id=response["command_id"],
        network_id=int(cam.sync.network_id),
        polling_interval=float(interval) if isinstance(interval, int | float) else 15.0,
    )


async def request(account: BlinkAccount, camera: CameraState) -> Upstream:
    """Ask Blink for a live view of `camera`."""
    return await account.call(f"{camera.name}: live view", lambda b: _request(b, camera))


async def still_running(account: BlinkAccount, camera: CameraState, up: Upstream) -> bool:
    """Whether Blink still lists the live view's command as new or running."""

    async def status(blink: Blink) -> bool:
        answer = await api.request_command_status(blink, up.network_id, up.command_id)
        if not isinstance(answer, dict) or answer.get("status_code", 0) != 908:
            return False
        for command in answer.get("commands") or []:
            if isinstance(command, dict) and command.get("id") == up.command_id:
                return command.get("state_condition") in RUNNING
        return True

    return await account.call(f"{camera.name}: live view status", status)


async def finish(account: BlinkAccount, camera: CameraState, up: Upstream) -> None:
    """Tell Blink the live view is over (blinkpy does the same when its polling ends)."""

    async def done(blink: Blink) -> None:
        await api.request_command_done(blink, up.network_id, up.command_id)

    await account.call(f"{camera.name}: live view done", done)
