"""Refreshes the access token before it expires, in the background.

Blink's access tokens last 4 hours (home-assistant/core#177746: `exp - iat` = 14400).
blinkpy refreshes one only inside a call, in its last minute; when that refresh fails
for a moment, the call fails and Home Assistant's integration goes offline every few
hours (home-assistant/core#177746). Here the keeper refreshes when REFRESH_AT of the
token's life has passed (after 3 h of 4), so a refresh that fails for now (5xx, 429, no
answer) is retried with back-off while the token still works: nothing the user sees
changes, only `health` and `bridge/info` show the failed refresh. Only a refresh token
that Blink refuses (account.core: `RefreshRefused`) ends the session and leads to a new
login. Every duration scales with the token's life (for 4-hour tokens: refresh after
3 h, retries from 30 s doubling to 10 min), so the time-scaled tests' tokens of a few
seconds behave as real ones do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from blink_mqtt.replies import TokenRefresh

log = logging.getLogger(__name__)

REFRESH_AT = 0.75
"""Share of the token's life after which the keeper refreshes it."""
RETRY_FIRST, RETRY_CAP = 1 / 480, 1 / 24
"""Back-off between failed refreshes, as shares of the token's life (30 s, 10 min)."""
RETRY_MIN = 0.5
"""Seconds: no two refreshes closer than this, whatever the token's life."""
DEFAULT_LIFE = 14400.0
"""A token's life when Blink did not say (blinkpy's own default is 3600; Blink says)."""


@dataclass(frozen=True, slots=True)
class TokenTimes:
    """When the access token in use expires (epoch seconds) and how long it lives."""

    expires: float
    life: float


class Refresher(Protocol):
    def token_times(self) -> TokenTimes | None:
        """The token in use, or None while not logged in."""

    async def refresh_token(self) -> None:
        """One refresh, reported to the keeper (`succeeded`, `failed_now`); a refused
        refresh token ends the session (`token_times()` is None afterwards)."""


def token_times(auth: Any) -> TokenTimes | None:
    """The expiry and life of an Auth's access token (None when it has no expiry)."""
    expires, life = auth.expiration_date, auth.expires_in
    if not isinstance(expires, int | float):
        return None
    ok_life = isinstance(life, int | float) and life > 0
    return TokenTimes(float(expires), float(life) if ok_life else DEFAULT_LIFE)


def due_in(times: TokenTimes, now: float) -> float:
    """Seconds until the token is to be refreshed (REFRESH_AT of its life)."""
    return times.expires - times.life * (1 - REFRESH_AT) - now


def retry_in(failures: int, life: float, retry_after: float | None = None) -> float:
    """Seconds before the next try after `failures` failed refreshes in a row."""
    pause = min(life * RETRY_FIRST * 2.0 ** min(failures - 1, 30), life * RETRY_CAP)
    return max(pause, retry_after or 0.0, RETRY_MIN)


class TokenKeeper:
    """The refresh schedule and the last refresh's outcome; `run` is the task."""

    def __init__(self, on_report: Callable[[], Awaitable[None]] | None = None) -> None:
        self._on_report = on_report
        self._wake = asyncio.Event()
        self._failures = 0
        self._retry_at: float | None = None
        self.last: TokenRefresh | None = None
        self.refreshes = 0
        self.failed = 0

    def listen(self, on_report: Callable[[], Awaitable[None]]) -> None:
        """Call `on_report` after each refresh outcome (the bridge republishes its info)."""
        self._on_report = on_report

    def restart(self) -> None:
        """A new login (or the session's end): the schedule starts from its token."""
        self._failures, self._retry_at = 0, None
        self._wake.set()

    def backing_off(self) -> bool:
        """Whether a failed refresh waits for its retry."""
        return self._retry_at is not None and time.monotonic() < self._retry_at

    async def succeeded(self) -> None:
        self._failures, self._retry_at = 0, None
        self.refreshes += 1
        self.last = TokenRefresh(datetime.now(UTC), True, None)
        self._wake.set()
        await self._report()

    async def failed_now(self, reason: str, life: float, retry_after: float | None) -> None:
        """A refresh failed for now (the keeper's or one a call made): retry later."""
        self._failures += 1
        self.failed += 1
        pause = retry_in(self._failures, life, retry_after)
        self._retry_at = time.monotonic() + pause
        self.last = TokenRefresh(datetime.now(UTC), False, reason)
        log.warning("Blink token refresh failed (%s); retrying in %.1f s", reason, pause)
        self._wake.set()
        await self._report()

    async def refused(self, reason: str) -> None:
        """Blink refused the refresh token: no retry (the session ends, a login follows)."""
        self._failures, self._retry_at = 0, None
        self.failed += 1
        self.last = TokenRefresh(datetime.now(UTC), False, reason)
        log.warning("Blink refused the refresh token (%s); a new login is needed", reason)
        await self._report()

    async def _report(self) -> None:
        if self._on_report is not None:
            await self._on_report()

    def wait_for(self, times: TokenTimes | None) -> float | None:
        """Seconds until the next refresh is due (None: not logged in)."""
        if times is None:
            return None
        if self._retry_at is not None:
            return self._retry_at - time.monotonic()
        return due_in(times, time.time())

    async def run(self, account: Refresher) -> None:
        """Refresh whenever due; sleeps otherwise (woken by logins and outcomes)."""
        while True:
            self._wake.clear()
            wait = self.wait_for(account.token_times())
            if wait is None or wait > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                continue
            outcomes = self.refreshes + self.failed
            await account.refresh_token()
            if self.refreshes + self.failed == outcomes and account.token_times() is not None:
                log.error("A token refresh reported no outcome; waiting before the next")
                await asyncio.sleep(RETRY_MIN)
