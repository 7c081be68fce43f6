"""Reads blinkpy's live objects into our frozen state (no I/O)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from blinkpy.blinkpy import Blink
from blinkpy.sync_module import BlinkLotus, BlinkOwl

from blink_mqtt.account.clip_news import CameraNews
from blink_mqtt.state import AccountState, CameraState, RecentClip, SyncState
from blink_mqtt.topics import assign_slugs


@dataclass(frozen=True, slots=True)
class BlinkDevice:
    """A blinkpy camera with the sync module (real or standalone) it belongs to."""

    camera: Any
    sync: Any

    @property
    def standalone(self) -> bool:
        return is_standalone(self.sync)


def is_standalone(sync: Any) -> bool:
    """blinkpy models a mini or doorbell without a sync module as a pseudo sync module."""
    return isinstance(sync, BlinkOwl | BlinkLotus)


def devices(blink: Blink) -> list[BlinkDevice]:
    return [
        BlinkDevice(camera, sync)
        for sync in list(blink.sync.values())
        for camera in list(sync.cameras.values())
    ]


Listing = frozenset[tuple[str, str, str, str]]
LISTED_KINDS = ("sync_modules", "cameras", "owls", "doorbells")


def listed_devices(homescreen: object) -> Listing:
    """(kind, network id, id, name) of every device a homescreen lists.

    blinkpy builds its cameras and sync modules once, at setup, and never drops or adds
    one later; a change in this listing says its set is out of date.
    """
    if not isinstance(homescreen, dict):
        return frozenset()
    return frozenset(
        (kind, str(item.get("network_id")), str(item.get("id")), str(item.get("name")))
        for kind in LISTED_KINDS
        for item in homescreen.get(kind) or ()
        if isinstance(item, dict)
    )


def parse_time(value: object) -> datetime | None:
    """An ISO time from Blink, or None. Naive times are UTC (as Blink sends them)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def thumbnail_time(url: str | None) -> datetime | None:
    """The `ts` of a thumbnail URL as a time."""
    if not url:
        return None
    stamps = parse_qs(urlparse(url).query).get("ts")
    with contextlib.suppress(ValueError, OverflowError, OSError):
        if stamps:
            return datetime.fromtimestamp(int(stamps[0]), UTC)
    return None


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _number(value: object) -> float | None:
    """A finite number as Blink sent it (68 stays 68, not 68.0), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _float(value)
    return number if number is not None and math.isfinite(number) else None


NO_NEWS = CameraNews()

WIFI_PLACEHOLDER = -255
"""Blink's `wifi_strength` for a camera whose signal it has no reading of."""


def _wifi(value: object) -> int | None:
    strength = _int(value)
    return None if strength == WIFI_PLACEHOLDER else strength


def serial_of(device: BlinkDevice) -> str:
    """The camera's serial; blinkpy may lack one, so fall back to a stable id."""
    cam = device.camera
    return str(cam.serial or f"{cam.network_id}-{cam.camera_id}")


def _newest(*times: datetime | None) -> datetime | None:
    return max((t for t in times if t is not None), default=None)


def camera_state(
    device: BlinkDevice,
    slug: str,
    last_clip: str | None,
    seen: datetime | None = None,
    news: CameraNews = NO_NEWS,
) -> CameraState:
    """`seen`: the newest clip time a listing showed; `news`: what the last poll saw (a
    motion clip counts while the camera is armed, as in blinkpy's `check_new_videos`)."""
    cam, sync = device.camera, device.sync
    standalone = device.standalone
    armed = cam.motion_enabled if standalone else sync.arm
    return CameraState(
        name=str(cam.name),
        serial=serial_of(device),
        camera_id=_int(cam.camera_id) or 0,
        sync_module=None if standalone else str(sync.name),
        type=str(cam.product_type or cam.camera_type or "unknown"),
        firmware=cam.version,
        online=cam.status != "offline",
        armed=bool(armed),
        motion_enabled=cam.motion_enabled is True,
        motion_detected=bool(armed) and news.motion_at is not None,
        battery=cam.battery if isinstance(cam.battery, str) else None,
        battery_voltage=_int(cam.battery_voltage),
        temperature_c=_float(cam.temperature_c),
        wifi_strength=_wifi(cam.wifi_strength),
        last_record=_newest(parse_time(cam.last_record), seen),
        thumbnail_at=thumbnail_time(cam.thumbnail),
        last_clip=last_clip,
        slug=slug,
        sync_serial=None if standalone else sync.serial,
        network_id=_int(cam.network_id),
        thumbnail=cam.thumbnail,
        motion_at=news.motion_at,
        pressed_at=news.pressed_at,
        **_blinkpy_extras(cam),
    )


def _blinkpy_extras(cam: Any) -> dict[str, Any]:
    """What blinkpy's `camera.attributes` has beyond the rest (BlinkPy API's camera info
    shows them): Fahrenheit as Blink sends it, the calibrated reading of the camera's
    sensors endpoint, signal bars (`signals.battery`, `signals.lfr`) and its clip list."""
    clips = cam.recent_clips if isinstance(cam.recent_clips, list) else []
    return {
        "temperature_f": _number(cam.temperature),
        "temperature_calibrated": _number(cam.temperature_calibrated),
        "battery_level": _int(cam.battery_level),
        "sync_signal_strength": _int(cam.sync_signal_strength),
        "clip_url": cam.clip if isinstance(cam.clip, str) else None,
        "recent_clips": tuple(
            RecentClip(str(c["time"]), str(c["clip"]))
            for c in clips
            if isinstance(c, dict) and "time" in c and "clip" in c
        ),
    }


def _sync_online(sync: Any) -> bool:
    """blinkpy reads a sync module's status only when it sets the module up; the homescreen
    of every poll has the current one (`sync_modules[].status`, matched by id)."""
    homescreen = getattr(sync.blink, "homescreen", None)
    entries = homescreen.get("sync_modules") if isinstance(homescreen, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and sync.sync_id is not None and entry.get("id") == sync.sync_id:
            return entry.get("status") in ("online", "done")
    return sync.status in ("online", "done", True)


def sync_state(sync: Any, slug: str) -> SyncState:
    return SyncState(
        name=str(sync.name),
        serial=str(sync.serial or sync.network_id),
        network_id=_int(sync.network_id) or 0,
        armed=bool(sync.arm),
        online=_sync_online(sync),
        local_storage=bool(sync.local_storage),
        firmware=sync.version,
        slug=slug,
    )


def account_state(
    blink: Blink,
    last_clips: dict[str, str | None],
    seen: dict[str, datetime] | None = None,
    news: Mapping[str, CameraNews] | None = None,
) -> AccountState:
    """Everything blinkpy currently knows, as frozen state. `last_clips` (archived paths),
    `seen` (newest clip times the account listed itself) and `news` (what the last poll
    saw) map camera names."""
    seen, news = seen or {}, news or {}
    cams = devices(blink)
    syncs = [s for s in blink.sync.values() if not is_standalone(s)]
    camera_slugs = assign_slugs((d.camera.name, serial_of(d)) for d in cams)
    sync_slugs = assign_slugs((s.name, str(s.serial or s.network_id)) for s in syncs)
    return AccountState(
        cameras=tuple(
            camera_state(
                d,
                camera_slugs[serial_of(d)],
                last_clips.get(d.camera.name),
                seen.get(d.camera.name),
                news.get(d.camera.name, NO_NEWS),
            )
            for d in cams
        ),
        syncs=tuple(sync_state(s, sync_slugs[str(s.serial or s.network_id)]) for s in syncs),
        taken_at=datetime.now(UTC),
    )
