"""Everything the bridge says, as typed values (pure): the `data` of each response,
camera events, download progress and the bridge's info.

Each value is a frozen dataclass whose fields are exactly the JSON object's keys, in
order; `to_json()` turns it into that object (times as ISO 8601, nested values as their
own objects). Handlers return these values, the dispatcher wraps them in the envelope,
and the README's payload tables are checked against these fields, one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any, ClassVar

from blink_mqtt.state import CameraState, SyncState


def _json(value: Any) -> Any:
    if isinstance(value, Reply):
        return value.to_json()
    if isinstance(value, CameraState | SyncState):
        return value.payload()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


class Reply:
    """Base of every value the bridge sends as a JSON object."""

    event_type: ClassVar[str | None] = None
    """For camera events: the `event_type` that leads the object."""

    def to_json(self) -> dict[str, Any]:
        assert is_dataclass(self)
        body = {f.name: _json(getattr(self, f.name)) for f in fields(self)}
        return body if self.event_type is None else {"event_type": self.event_type, **body}

    @classmethod
    def keys(cls) -> list[str]:
        """The object's keys, in order (what the README documents)."""
        assert is_dataclass(cls)
        lead = [] if cls.event_type is None else ["event_type"]
        return [*lead, *(f.name for f in fields(cls))]


# -- response data -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CamerasReply(Reply):
    cameras: tuple[CameraState, ...]
    sync_modules: tuple[SyncState, ...]


@dataclass(frozen=True, slots=True)
class SnapReply(Reply):
    camera: str
    path: str
    url: str | None
    bytes: int
    taken_at: datetime | None
    fresh: bool


@dataclass(frozen=True, slots=True)
class ErrorInfo(Reply):
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ClipFailure(Reply):
    """A clip that could not be archived."""

    camera: str
    recorded_at: datetime
    source: str
    error: ErrorInfo
    trigger: str | None  # Blink's media `source`: pir, cv_motion, liveview, button_press


@dataclass(frozen=True, slots=True)
class SyncModuleFailure(Reply):
    """A sync module whose USB clips could not be listed."""

    sync_module: str
    error: ErrorInfo


@dataclass(frozen=True, slots=True)
class SavedClip(Reply):
    """A clip a download saved (the entries of `saved`)."""

    camera: str
    recorded_at: datetime
    path: str
    bytes: int
    source: str
    trigger: str | None


@dataclass(frozen=True, slots=True)
class DownloadReply(Reply):
    downloaded_clips: dict[str, list[str]]
    since: datetime
    skipped: dict[str, list[str]]
    failed: tuple[ClipFailure | SyncModuleFailure, ...]
    saved: tuple[SavedClip, ...] = ()


@dataclass(frozen=True, slots=True)
class ArmReply(Reply):
    sync_modules: dict[str, bool]


@dataclass(frozen=True, slots=True)
class MotionDetectionReply(Reply):
    camera: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class RecordReply(Reply):
    camera: str
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class RefreshReply(Reply):
    refreshed_at: datetime | None
    cameras: int


@dataclass(frozen=True, slots=True)
class TwoFactorReply(Reply):
    auth: str


@dataclass(frozen=True, slots=True)
class LoginReply(Reply):
    auth: str
    message: str


@dataclass(frozen=True, slots=True)
class TokenRefresh(Reply):
    """The outcome of the last refresh of the access token (never the token)."""

    at: datetime
    ok: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class HealthReply(Reply):
    uptime_s: float
    mqtt: str
    auth: str
    last_refresh: datetime | None
    blink_requests: int
    requests_in_flight: int
    token_expires_at: datetime | None
    last_token_refresh: TokenRefresh | None


# -- events and progress ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MotionEvent(Reply):
    event_type: ClassVar[str | None] = "motion"
    camera: str
    recorded_at: datetime | None


@dataclass(frozen=True, slots=True)
class SnapshotEvent(Reply):
    event_type: ClassVar[str | None] = "snapshot"
    camera: str
    path: str
    taken_at: datetime | None
    fresh: bool


@dataclass(frozen=True, slots=True)
class ClipSavedEvent(Reply):
    event_type: ClassVar[str | None] = "clip_saved"
    camera: str
    recorded_at: datetime
    path: str
    bytes: int
    source: str
    trigger: str | None = None


@dataclass(frozen=True, slots=True)
class DoorbellEvent(Reply):
    event_type: ClassVar[str | None] = "doorbell"
    camera: str
    pressed_at: datetime


CameraEvent = MotionEvent | SnapshotEvent | ClipSavedEvent | DoorbellEvent


@dataclass(frozen=True, slots=True)
class Progress(Reply):
    """One clip of a download done (saved, skipped or failed: `path` None)."""

    id: str | int | float | None
    command: str
    done: int
    total: int
    camera: str
    path: str | None


@dataclass(frozen=True, slots=True)
class CameraNews:
    """An event on a camera's event topic."""

    camera: CameraState
    event: CameraEvent


@dataclass(frozen=True, slots=True)
class CameraImage:
    """A new JPEG for a camera's retained image topic."""

    camera: CameraState
    image: bytes


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The account's state changed: publish what differs from what was published."""


Emitted = CameraNews | CameraImage | Progress | StateChanged
"""What a handler may ask the bridge to publish while it runs."""


# -- the bridge ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BridgeConfig(Reply):
    base_topic: str
    mqtt_protocol: str
    ha_discovery: bool
    ha_discovery_prefix: str
    refresh_interval: float
    media_dir: str
    sort_clips: bool
    auto_download: bool
    download_concurrency: int
    retention_days: float
    simulator: bool


@dataclass(frozen=True, slots=True)
class BridgeInfo(Reply):
    version: str
    blinkpy_version: str
    schema: int
    cameras: list[str]
    sync_modules: list[str]
    config: BridgeConfig
    token_expires_at: datetime | None = None
    last_token_refresh: TokenRefresh | None = None
