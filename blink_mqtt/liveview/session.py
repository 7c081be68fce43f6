"""One live view from start to end: the relay from Blink, the local TCP server, the time
limit, Blink's command polling, and the viewers; whichever ends first names the reason."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from blink_mqtt.account import BlinkAccount
from blink_mqtt.account import liveview as blink_liveview
from blink_mqtt.account.liveview import Upstream
from blink_mqtt.account.liveview_relay import StreamEnded, relay
from blink_mqtt.errors import BlinkMqttError
from blink_mqtt.liveview.fanout import Fanout
from blink_mqtt.state import CameraState

log = logging.getLogger(__name__)

CONNECT_GRACE = 30.0
"""A session no client has joined ends after this long (reason `no_viewers`)."""
LEAVE_GRACE = 5.0
"""A session whose last client left ends after this long, unless one comes back."""


@dataclass(eq=False)
class Session:
    camera: CameraState
    upstream: Upstream
    fanout: Fanout
    tcp_url: str
    limit: float
    limit_reason: str
    started: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    reason: str | None = None
    ended: float | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the session is over and Blink was told."""
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _viewers: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ends_at(self) -> datetime:
        return self.started_at + timedelta(seconds=self.limit)

    @property
    def elapsed(self) -> float:
        """Seconds streamed: until the end, never more than the limit (the budget's
        measure)."""
        end = self.ended if self.ended is not None else time.monotonic()
        return min(end - self.started, self.limit)

    def stop(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self._stop.set()

    def viewers_changed(self) -> None:
        self._viewers.set()

    async def run(self, account: BlinkAccount) -> str:
        """Stream until something ends the session; returns why. Tells Blink it is done."""
        parts = {
            asyncio.create_task(self._relay(account)),
            asyncio.create_task(self._timer()),
            asyncio.create_task(self._watch_viewers()),
            asyncio.create_task(self._poll(account)),
            asyncio.create_task(self._stopped()),
        }
        try:
            done, _ = await asyncio.wait(parts, return_when=asyncio.FIRST_COMPLETED)
            self.ended = time.monotonic()
            for task in done:
                if not task.cancelled() and task.exception() is None and self.reason is None:
                    self.reason = task.result()
                elif not task.cancelled() and task.exception() is not None:
                    log.error(
                        "%s: live view failed with a bug",
                        self.camera.name,
                        exc_info=task.exception(),
                    )
                    self.reason = self.reason or "error"
        except asyncio.CancelledError:
            self.ended = self.ended or time.monotonic()
            self.reason = self.reason or "shutdown"
            raise
        finally:
            for task in parts:
                task.cancel()
            for task in parts:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.fanout.close()
            await asyncio.shield(self._finish(account))
        return self.reason or "error"

    async def _finish(self, account: BlinkAccount) -> None:
        try:
            async with asyncio.timeout(15):
                await blink_liveview.finish(account, self.camera, self.upstream)
        except (BlinkMqttError, TimeoutError) as err:
            log.info("%s: could not tell Blink the live view ended: %s", self.camera.name, err)

    async def _relay(self, account: BlinkAccount) -> str:
        """The stream until it ends. A close without an error is Blink's end only if
        Blink's command says so; otherwise the connection was lost (a TLS connection
        cut without its close looks the same to the reader)."""
        try:
            await relay(self.upstream, self.fanout.feed)
        except StreamEnded as end:
            log.info("%s: live view stream ended: %s", self.camera.name, end.detail)
            if end.reason == "blink_ended" and await self._blink_still_running(account):
                return "connection_lost"
            return end.reason
        return "blink_ended"  # pragma: no cover - relay only ends by raising

    async def _blink_still_running(self, account: BlinkAccount) -> bool:
        try:
            return await blink_liveview.still_running(account, self.camera, self.upstream)
        except BlinkMqttError:
            return False

    async def _timer(self) -> str:
        await asyncio.sleep(self.limit)
        return self.limit_reason

    async def _stopped(self) -> str:
        await self._stop.wait()
        return self.reason or "stopped"

    async def _watch_viewers(self) -> str:
        grace = CONNECT_GRACE
        while True:
            self._viewers.clear()
            if self.fanout.count:
                await self._viewers.wait()
                grace = LEAVE_GRACE
                continue
            try:
                async with asyncio.timeout(grace):
                    await self._viewers.wait()
            except TimeoutError:
                return "no_viewers"

    async def _poll(self, account: BlinkAccount) -> str:
        """Blink's command for the live view, every `polling_interval` (as blinkpy)."""
        while True:
            await asyncio.sleep(max(1.0, self.upstream.polling_interval))
            try:
                running = await blink_liveview.still_running(account, self.camera, self.upstream)
            except BlinkMqttError as err:
                log.info("%s: live view status unknown: %s", self.camera.name, err.message)
                continue
            if not running:
                return "blink_ended"
