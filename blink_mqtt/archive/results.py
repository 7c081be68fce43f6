"""What the archive takes and gives: a clip's body, the callbacks of a download, and
what a download achieved (domain results; replies.py turns them into messages).

The clip itself (ClipRef, ClipSource) lives in blink_mqtt/clipref.py, shared with the
account, which lists and fetches clips.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from blink_mqtt.clipref import ClipRef, ClipSource


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
    source: ClipSource
    code: str
    message: str
    trigger: str | None = None  # Blink's media `source` (ClipRef.trigger)


@dataclass(frozen=True, slots=True)
class Archived:
    """A clip downloaded by one call: the clip, its path as responses show it, its size."""

    clip: ClipRef
    path: str
    size: int


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """What one `MediaArchive.download` call achieved, per camera in recording order;
    `saved` holds the downloaded clips themselves, in recording order."""

    downloaded: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    failed: list[Failure] = field(default_factory=list)
    saved: list[Archived] = field(default_factory=list)
