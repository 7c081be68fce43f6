"""Frozen snapshots of the account's cameras and sync modules, and what changed (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Final

REPORTED_FIELDS: Final = ("battery", "temperature_c", "wifi_strength")
"""Camera fields a device may not report (a Mini has no battery, temperature or Wi-Fi, a
doorbell no temperature): `None` then, and the device gets no Home Assistant entity for it."""


@dataclass(frozen=True, slots=True)
class RecentClip:
    """One of blinkpy's `recent_clips`: Blink's time string and the clip's Blink URL."""

    time: str
    clip: str


@dataclass(frozen=True, slots=True)
class CameraState:
    """One camera as the state topic shows it; `slug` stays internal."""

    name: str
    serial: str
    camera_id: int
    sync_module: str | None
    type: str
    firmware: str | None = None
    online: bool = True
    armed: bool = False
    motion_enabled: bool = False
    motion_detected: bool = False
    battery: str | None = None
    battery_voltage: int | None = None
    temperature_c: float | None = None
    wifi_strength: int | None = None
    last_record: datetime | None = None
    thumbnail_at: datetime | None = None
    last_clip: str | None = None
    slug: str = field(default="", compare=True)
    sync_serial: str | None = None
    network_id: int | None = None
    thumbnail: str | None = field(default=None, repr=False)
    temperature_f: float | None = None
    temperature_calibrated: float | None = None
    battery_level: int | None = None
    sync_signal_strength: int | None = None
    clip_url: str | None = None
    recent_clips: tuple[RecentClip, ...] = ()
    """blinkpy's: clips of the last hour seen while motion was detected (Blink URLs)."""
    motion_at: datetime | None = field(default=None, compare=False)
    """The newest motion clip the last poll saw (the motion event's time), if any."""
    pressed_at: datetime | None = field(default=None, compare=False)
    """The doorbell press the last poll saw (a `button_press` clip), if any: an event, not
    part of the state topic."""

    def payload(self) -> dict[str, Any]:
        return _payload(self, internal={"slug", "motion_at", "pressed_at"})

    @property
    def motion_time(self) -> datetime | None:
        """When the motion shown happened: its clip's time, else the newest clip's."""
        return self.motion_at or self.last_record

    def reported(self) -> frozenset[str]:
        """Which of REPORTED_FIELDS the device reports (not None)."""
        return frozenset(f for f in REPORTED_FIELDS if getattr(self, f) is not None)


@dataclass(frozen=True, slots=True)
class SyncState:
    """One sync module as its state topic shows it."""

    name: str
    serial: str
    network_id: int
    armed: bool
    online: bool
    local_storage: bool
    firmware: str | None = None
    slug: str = ""

    def payload(self) -> dict[str, Any]:
        return _payload(self, internal={"slug"})


AUTH_STATES = (
    "logging_in",
    "ok",
    "2fa_required",
    "login_failed",
    "blocked",
    "locked_out",
    "unavailable",
)


@dataclass(frozen=True, slots=True)
class AuthStatus:
    """The login state published retained on `<base>/bridge/auth`."""

    state: str
    message: str
    since: datetime

    def payload(self) -> dict[str, Any]:
        return {"state": self.state, "message": self.message, "since": self.since.isoformat()}


@dataclass(frozen=True, slots=True)
class AccountState:
    """Everything one poll saw."""

    cameras: tuple[CameraState, ...] = ()
    syncs: tuple[SyncState, ...] = ()
    taken_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Changes:
    """What a new account state changed against the previous one."""

    cameras: tuple[CameraState, ...] = ()
    syncs: tuple[SyncState, ...] = ()
    motion: tuple[CameraState, ...] = ()
    thumbnails: tuple[CameraState, ...] = ()
    doorbell: tuple[CameraState, ...] = ()
    """Cameras with a doorbell press not seen before."""
    devices_changed: bool = False
    """A camera or sync module appeared, left, was renamed or reports other fields:
    discovery must follow."""


def _payload(obj: object, internal: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):  # type: ignore[arg-type]
        if f.name in internal:
            continue
        out[f.name] = _value(getattr(obj, f.name))
    return out


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, RecentClip):
        return {"time": value.time, "clip": value.clip}
    if isinstance(value, tuple):
        return [_value(item) for item in value]
    return value


def changes(old: AccountState, new: AccountState) -> Changes:
    """Compare two snapshots by value; devices are matched by serial."""
    old_cams = {c.serial: c for c in old.cameras}
    old_syncs = {s.serial: s for s in old.syncs}
    changed_cams = tuple(c for c in new.cameras if old_cams.get(c.serial) != c)
    return Changes(
        cameras=changed_cams,
        syncs=tuple(s for s in new.syncs if old_syncs.get(s.serial) != s),
        motion=tuple(c for c in changed_cams if _new_motion(old_cams.get(c.serial), c)),
        thumbnails=tuple(
            c
            for c in changed_cams
            if c.thumbnail and c.thumbnail != getattr(old_cams.get(c.serial), "thumbnail", None)
        ),
        doorbell=tuple(c for c in new.cameras if _new_press(old_cams.get(c.serial), c)),
        devices_changed=_identities(old) != _identities(new),
    )


def _new_motion(old: CameraState | None, new: CameraState) -> bool:
    """Motion that starts now, or goes on with a newer clip (two polls in a row with new
    clips are two motion events; `motion_detected` stays true across both)."""
    if not new.motion_detected:
        return False
    return old is None or not old.motion_detected or old.motion_time != new.motion_time


def _new_press(old: CameraState | None, new: CameraState) -> bool:
    return new.pressed_at is not None and (old is None or old.pressed_at != new.pressed_at)


def _identities(account: AccountState) -> set[tuple[str, ...]]:
    """What discovery depends on: which devices exist, their names, slugs, firmware and
    which fields they report (each has its entity only while reported)."""
    cams = {
        (
            "c",
            c.serial,
            c.name,
            c.slug,
            c.type,
            c.firmware or "",
            c.sync_serial or "",
            ",".join(sorted(c.reported())),
        )
        for c in account.cameras
    }
    syncs = {("s", s.serial, s.name, s.slug, s.firmware or "") for s in account.syncs}
    return cams | syncs
