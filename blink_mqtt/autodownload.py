"""AUTO_DOWNLOAD: after each poll, archive the clips it brought, as `download-recent`
would (every camera, the default sort, the same cursors), one run at a time.

Each run lists the clips Blink changed since the cursors (one media/changed request,
which also sees late uploads that blinkpy's own "new clip" check misses) and downloads
those not archived yet; the first run after start catches up from the cursors, or
TIMEDELTA_HOURS back. Runs happen in their own task, so polls and requests never wait
for them; polls during a run ask for one more run after it. Progress and `clip_saved`
events are published as for a request, with `"command": "auto-download"`, `"id": null`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from blink_mqtt import downloads
from blink_mqtt.errors import BlinkMqttError

if TYPE_CHECKING:
    from blink_mqtt.context import Context

log = logging.getLogger(__name__)

COMMAND = "auto-download"


class AutoDownload:
    """Archives after each poll; one run at a time, a poll during a run asks for one more."""

    def __init__(
        self,
        context: Callable[[], Context],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._context, self._spawn = context, spawn
        self._wanted = self._running = False

    def after_poll(self) -> None:
        self._wanted = True
        if not self._running:
            self._running = True
            self._spawn(self._run())

    async def _run(self) -> None:
        try:
            while self._wanted:
                self._wanted = False
                await self._archive()
        finally:
            self._running = False

    async def _archive(self) -> None:
        ctx = self._context()
        try:
            result, _ = await downloads.archive_recent(ctx, list(ctx.account.state().cameras), None)
        except BlinkMqttError as err:
            log.warning("Auto-download failed: %s", err.message)
            return
        saved = sum(len(paths) for paths in result.downloaded.values())
        if saved or result.failed:
            log.info("Auto-download: %d clip(s) saved, %d failed", saved, len(result.failed))
