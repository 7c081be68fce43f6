"""What one download call achieved so far, its progress callbacks, and its result."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from blink_mqtt.archive.results import Archived, DownloadResult, Failure, OnProgress, OnSaved
from blink_mqtt.clipref import ClipRef

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClipOutcome:
    """How one clip ended: archived at `path` (MEDIA_DIR-relative), or failed."""

    path: str | None = None
    size: int = 0
    fetched: bool = False  # downloaded now, rather than found in the archive
    code: str = ""
    message: str = ""

    @classmethod
    def failed(cls, code: str, message: str) -> ClipOutcome:
        return cls(code=code, message=message)


class Tally:
    """Collects outcomes in arrival order and reports each through the callbacks."""

    def __init__(
        self,
        total: int,
        public: Callable[[str], str],
        on_progress: OnProgress | None,
        on_saved: OnSaved | None,
    ) -> None:
        self._total, self._done, self._public = total, 0, public
        self._on_progress, self._on_saved = on_progress, on_saved
        self._outcomes: list[tuple[ClipRef, ClipOutcome]] = []

    def skip(self, clip: ClipRef, path: str) -> None:
        """A clip found in the archive while planning: no progress is reported for it."""
        self._outcomes.append((clip, ClipOutcome(path=path)))

    def known_failure(self, clip: ClipRef, outcome: ClipOutcome) -> None:
        """A clip known to fail without a try (gone from Blink): no progress either."""
        self._outcomes.append((clip, outcome))

    async def add(self, clip: ClipRef, outcome: ClipOutcome) -> None:
        self._outcomes.append((clip, outcome))
        self._done += 1
        path = None if outcome.path is None else self._public(outcome.path)
        if path is not None and outcome.fetched and self._on_saved is not None:
            await _call(self._on_saved, clip, path, outcome.size)
        if self._on_progress is not None:
            await _call(self._on_progress, self._done, self._total, clip, path)

    def result(self) -> DownloadResult:
        result = DownloadResult()
        ordered = sorted(self._outcomes, key=lambda pair: pair[0].recorded_at)
        for clip, outcome in ordered:
            if outcome.path is None:
                result.failed.append(
                    Failure(
                        *(clip.camera, clip.recorded_at, clip.source),
                        *(outcome.code, outcome.message, clip.trigger),
                    )
                )
                continue
            target = result.downloaded if outcome.fetched else result.skipped
            target.setdefault(clip.camera, []).append(self._public(outcome.path))
            if outcome.fetched:
                result.saved.append(Archived(clip, self._public(outcome.path), outcome.size))
        return result


async def _call(callback: Callable[..., Awaitable[None]], *args: object) -> None:
    """Run a callback; its failure is logged, never propagated."""
    try:
        await callback(*args)
    except Exception:
        log.exception("Download callback %r failed; the download goes on", callback)
