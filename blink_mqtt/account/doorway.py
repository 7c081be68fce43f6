"""The doorway to blinkpy: every call into it, in its turn, with blinkpy's errors as ours.

Every call into blinkpy takes its turn at one Gate (gate.py). The invariant:

* an account-wide step (`call(...)` without `network`: login, homescreen, a poll step,
  listings, clip URLs, every token refresh) runs alone: no other blinkpy call is in
  progress meanwhile;
* a command on one Blink network (`call(..., network=nid)`: snap, record, motion
  detection, arm/disarm, USB manifest and clip upload) runs one at a time on its network,
  in arrival order, and at the same time as commands on other networks;
* a network command starts with an access token valid for REFRESH_AHEAD seconds more, so
  that blinkpy, which refreshes a token about to expire inside any request, never
  refreshes it from two network commands at once (a rotating refresh token spent twice
  would end the session): a token about to expire is refreshed first as an account-wide
  step, and when even a fresh one would not last (tokens that short-lived exist only in
  tests) the command runs as an account-wide step; a rejected token (401) is refreshed
  as an account-wide step.

A 401 (Blink rejected the access token) costs one token refresh and one retry, not the
session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from typing import TypeVar

from blinkpy.auth import UnauthorizedError
from blinkpy.blinkpy import Blink

from blink_mqtt.account import faults, poll, view
from blink_mqtt.account.core import SESSION_ENDED, AccountBase
from blink_mqtt.account.tokens import RefreshRefused, RefreshUnavailable
from blink_mqtt.errors import BlinkMqttError, BlinkUnavailable, NotAuthenticated
from blink_mqtt.state import AccountState

log = logging.getLogger(__name__)

T = TypeVar("T")
REJECTIONS = 3
"""Tries of a call while Blink rejects its access token (each rejected token: one refresh)."""
VIEWS_KEPT = 4
"""Account states kept built, one per set of newest archived clips (device lookups use
none; `cameras` and state publishing the archive's)."""
REFRESH_AHEAD = 150.0
"""A network command starts with an access token valid at least this long (s): blinkpy
refreshes in a token's last 60 s, and a command takes at most COMMAND_TIMEOUT (60 s) and
a few short requests."""


class Doorway(AccountBase):
    """Account-wide steps and network commands through the Gate; the poll in steps."""

    async def call(
        self, what: str, body: Callable[[Blink], Awaitable[T]], *, network: int | None = None
    ) -> T:
        """`body(blink)` with the logged-in Blink in its turn; blinkpy errors become ours.

        Without `network` an account-wide step; with it, a command on that Blink network
        (module docstring). A 401 (Blink rejected the access token: expired or revoked on
        its side) costs one token refresh and a retry of `body` (a body makes several
        Blink calls; each that is rejected is retried, REJECTIONS tries in all). Only a
        failed refresh ends the session.
        """
        async with self._translated(what), self._changing():
            for _ in range(REJECTIONS):
                # tokens shorter-lived than REFRESH_AHEAD: blinkpy may refresh within the
                # command, so it runs alone
                shared = network is not None and await self._token_lasts()
                async with self._turn(network if shared else None):
                    blink = self._ready()
                    used = blink.auth.token
                    try:
                        return await body(blink)
                    except UnauthorizedError:
                        pass
                async with self._lock:
                    await self._renew(self._ready(), used, what)
            raise BlinkUnavailable(f"{what}: Blink rejected the access token {REJECTIONS} times")

    def _turn(self, network: int | None) -> AbstractAsyncContextManager[None]:
        return self._lock if network is None else self._lock.network(network)

    async def _token_lasts(self) -> bool:
        """Whether the access token outlasts a network command starting now; one about to
        expire is refreshed first, alone."""
        if not _expiring(self._ready()):
            return True
        async with self._lock:
            blink = self._ready()
            if not _expiring(blink):
                return True
            log.info("Refreshing the access token before a command")
            try:
                await self._refresh(blink)
            except RefreshUnavailable as err:  # a refused one ends the session: _translated
                await self._refresh_failed(err)
                if blink.auth.need_refresh():
                    raise BlinkUnavailable(
                        f"Blink's token refresh failed for now ({err.reason}); retrying"
                    ) from None
                log.warning("Refreshing the access token failed; it is still valid for now")
            return not _expiring(blink)

    async def _renew(self, blink: Blink, used: str | None, what: str) -> None:
        """Refresh the access token `used`, unless another call has done so already (every
        call that saw the same token rejected shares one refresh). Locked."""
        if blink.auth.token != used:
            return
        log.info("%s: Blink rejected the access token; refreshing it", what)
        await self._refresh(blink)

    @asynccontextmanager
    async def _changing(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            self._changes += 1

    @asynccontextmanager
    async def _translated(self, what: str) -> AsyncIterator[None]:
        """blinkpy's exceptions as ours; one that ends the session changes the auth state."""
        try:
            yield
        except BlinkMqttError:
            raise
        except RefreshUnavailable as err:  # the session goes on; the keeper retries
            await self._refresh_failed(err)
            raise BlinkUnavailable(
                f"{what}: Blink's token refresh failed for now ({err.reason}); retrying"
            ) from None
        except tuple(SESSION_ENDED) as err:
            reason = next(text for kind, text in SESSION_ENDED.items() if isinstance(err, kind))
            message = f"{reason}; logging in again"
            if isinstance(err, RefreshRefused):
                await self.keeper.refused(str(err))
            await self._session_ended(message)
            raise NotAuthenticated(message) from None
        except Exception as err:
            if not faults.is_blinks(err):
                raise  # a bug: the caller logs it with its traceback (internal_error)
            log.warning(
                "%s failed: %s",
                what,
                type(err).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            raise BlinkUnavailable(
                f"{what}: Blink did not answer properly ({type(err).__name__})"
            ) from None

    async def refresh(self) -> None:
        """One poll of the account in steps (poll.py), each its own call: a request
        waits for one step at most."""
        plan = await self.call("poll: devices", partial(poll.devices, listed=self._listed))
        self._listed = plan.listed
        try:
            self.note_clips(await self.call("poll: new clips", self._clips.poll))
        except BlinkUnavailable as err:  # the devices' states are still worth a poll
            log.warning("%s; the next poll lists the new clips again", err.message)
        for network in plan.networks:
            reached = partial(poll.network, name=network.name)
            if not await self.call(f"poll: {network.name}", reached):
                continue
            for camera in network.cameras:
                step = partial(poll.camera, network_name=network.name, name=camera)
                await self.call(f"poll: {camera}", step)
        self._clips.commit()

    def state(self, last_clips: dict[str, str | None] | None = None) -> AccountState:
        """The account as blinkpy last saw it, with each camera's newest archived clip from
        `last_clips` (none given: device lookups). The one built since the last change
        for the same clips is reused (blinkpy's objects change only in a call or a login,
        each of which bumps `_changes`)."""
        if self._blink is None:
            return AccountState()
        clips = tuple(sorted((last_clips or {}).items()))
        built = self._views.get(clips)
        if built is None or built[0] != self._changes:
            state = view.account_state(self._blink, dict(clips), self._seen, self._clips.latest)
            if len(self._views) >= VIEWS_KEPT:
                self._views.clear()
            built = self._views[clips] = (self._changes, state)
        return built[1]


def _expiring(blink: Blink) -> bool:
    """Whether blinkpy could refresh the access token during a command starting now."""
    expires = blink.auth.expiration_date
    if expires is None:
        return bool(blink.auth.need_refresh())
    return bool(expires - time.time() < REFRESH_AHEAD)
