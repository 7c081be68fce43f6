"""The polls' memory of Blink's media listing (what each item means: clip_news.py)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from blinkpy.blinkpy import Blink

from blink_mqtt.account.clip_news import CameraNews, keep_newest, news
from blink_mqtt.account.media import changed_pages, cloud_ref, is_mp4_clip
from blink_mqtt.clipref import ClipRef

PAGE_SIZE = 25
"""Items per media/changed page (Blink's `limit`); a shorter page is the last."""
MAX_PAGES = 8
"""At most 200 changed items per poll; more wait for the next poll's listing."""
SLACK = 60.0
"""Seconds the listing reaches back before the previous one started (blinkpy reaches
back its `motion_interval`, one minute), for clocks that disagree."""


def clips_of(items: object) -> list[ClipRef]:
    """The clips of one media/changed page (deleted items, snapshots, junk dropped)."""
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and is_mp4_clip(item) and (ref := cloud_ref(item, None)):
            found.append(ref)
    return found


class ClipWatch:
    """The polls' memory of the media listing: where the next listing starts, the newest
    item seen per camera, and what the last poll found (`latest`).

    A poll's listing becomes the memory only once the poll has ended (`commit`): after a
    poll that failed on its way (and so published nothing), the next one finds the same
    news again."""

    def __init__(self) -> None:
        self._floor = datetime.now(UTC)
        self._since = time.time()
        self._known: dict[str, datetime] = {}
        self._pending: tuple[float, dict[str, datetime]] | None = None
        self.latest: Mapping[str, CameraNews] = {}

    def restart(self, seen: Iterable[ClipRef]) -> None:
        """After a login: `seen` is what it listed; newer items are news."""
        self._floor, self._since = datetime.now(UTC), time.time()
        self._known, self.latest, self._pending = {}, {}, None
        for clip in seen:
            keep_newest(self._known, clip)

    async def poll(self, blink: Blink) -> list[ClipRef]:
        """List what changed since the previous poll; update `latest`; the clips listed.
        When the listing fails, `latest` is empty and the next poll starts where this one
        did."""
        started, self.latest, self._pending = time.time(), {}, None
        found: list[ClipRef] = []
        since = self._since - SLACK
        async for items in changed_pages(blink, since, MAX_PAGES, "the new clips"):
            found.extend(clips_of(items))
            if len(items) < PAGE_SIZE:
                break
        self.latest, known = news(found, self._known, self._floor)
        self._pending = (started, known)
        return found

    def commit(self) -> None:
        """The poll has ended: the next listing starts where this one did."""
        if self._pending is not None:
            self._since, self._known = self._pending
            self._pending = None
