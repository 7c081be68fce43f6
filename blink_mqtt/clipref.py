"""A clip the account found, and where it lives (pure): the vocabulary the account (which
lists and fetches clips) and the archive (which stores them) share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ClipSource:
    """Blink's cloud, or the USB storage of the sync module named `sync_module`.

    `str()` gives the form the wire and the clip index use: `cloud` or `usb:<name>`.
    """

    sync_module: str | None = None

    @property
    def is_usb(self) -> bool:
        return self.sync_module is not None

    def __str__(self) -> str:
        return "cloud" if self.sync_module is None else f"usb:{self.sync_module}"


CLOUD = ClipSource()


def usb(sync_module: str) -> ClipSource:
    return ClipSource(sync_module)


@dataclass(frozen=True, slots=True)
class ClipRef:
    """One clip the account found.

    `camera` is the name exactly as Blink shows it (it may contain anything);
    `recorded_at` must be timezone-aware; `key` is the source's own id (media id,
    manifest clip id); `size` is the size in bytes the source announced, when it
    announces one in bytes (Blink's listings do not: USB manifests list KB, the cloud
    none), and the archive then holds the body to it. `trigger` is what Blink's media
    item calls its `source` (`pir`, `cv_motion`, `liveview`, `button_press`, ...) when it
    says; the name differs because `source` here is where the clip is stored.
    """

    camera: str
    recorded_at: datetime
    source: ClipSource
    key: str
    size: int | None = None
    trigger: str | None = None

    def __post_init__(self) -> None:
        if self.recorded_at.utcoffset() is None:
            raise ValueError(f"recorded_at must be timezone-aware, got {self.recorded_at!r}")
