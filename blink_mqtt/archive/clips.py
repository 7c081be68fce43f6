"""The archive's vocabulary: a clip to fetch, its body, and what a download achieved.

These types are the seam between the account (the only blinkpy owner, which lists and
fetches clips) and the archive (the only code that writes them to disk).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ClipRef:
    """One clip the account found.

    `camera` is the name exactly as Blink shows it (it may contain anything);
    `recorded_at` must be timezone-aware; `source` is ``"cloud"`` or ``"usb:<sync>"``;
    `key` is the source's own id (media id, manifest clip id); `size` is the size the
    source announced, checked against the body when known.
    """

    camera: str
    recorded_at: datetime
    source: str
    key: str
    size: int | None = None

    def __post_init__(self) -> None:
        if self.recorded_at.utcoffset() is None:
            raise ValueError(f"recorded_at must be timezone-aware, got {self.recorded_at!r}")


class ClipBody(Protocol):
    """An open HTTP response body (e.g. an aiohttp response, wrapped by the account)."""

    @property
    def content_type(self) -> str: ...

    @property
    def content_length(self) -> int | None: ...

    def chunks(self) -> AsyncIterator[bytes]: ...


Fetch = Callable[[ClipRef], AbstractAsyncContextManager[ClipBody]]
"""Opens a clip's body; raises BlinkUnavailable on HTTP or network errors."""

OnProgress = Callable[[int, int, ClipRef, str | None], Awaitable[None]]
"""(done, total, clip, relative path or None when the clip failed)."""

OnSaved = Callable[[ClipRef, str, int], Awaitable[None]]
"""(clip, relative path, bytes written)."""


@dataclass(frozen=True, slots=True)
class Saved:
    """A file the archive wrote: its path relative to MEDIA_DIR's parent, and its size."""

    path: str
    size: int


@dataclass(frozen=True, slots=True)
class Failure:
    """A clip that could not be archived; `code` is an error code of errors.py."""

    camera: str
    recorded_at: datetime
    source: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """What one `MediaArchive.download` call achieved, per camera in recording order."""

    downloaded: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    failed: list[Failure] = field(default_factory=list)
