"""AccountBase: the login lifecycle and the access token (doorway.py: the calls).

blinkpy's failure modes become our errors (NotAuthenticated, BlinkUnavailable) and never
escape as blinkpy exceptions. A refresh that fails for now costs the call, not the
session (the keeper, keeper.py, retries it); only a refresh token that Blink refuses
ends the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

import aiohttp
from blinkpy.auth import Auth, BlinkTwoFARequiredError, TokenRefreshFailed, UnauthorizedError
from blinkpy.blinkpy import Blink

from blink_mqtt import redact
from blink_mqtt.account import credentials, faults, login, media, view
from blink_mqtt.account.clip_watch import ClipWatch
from blink_mqtt.account.gate import Gate
from blink_mqtt.account.keeper import DEFAULT_LIFE, TokenKeeper, TokenTimes, token_times
from blink_mqtt.account.session import RequestCounter, open_session
from blink_mqtt.account.tokens import RefreshRefused, RefreshUnavailable
from blink_mqtt.clipref import ClipRef
from blink_mqtt.errors import BlinkMqttError, BlinkUnavailable, InvalidRequest, NotAuthenticated
from blink_mqtt.settings import Settings
from blink_mqtt.state import AccountState, AuthStatus

log = logging.getLogger(__name__)

AuthListener = Callable[[AuthStatus], Awaitable[None]]
RETRY_FIRST, RETRY_CAP = 30.0, 900.0
LOGIN_WAIT = 30.0
"""How long a request that needs Blink waits for a login in progress."""
SEED_DAYS = 30
"""How far back the login looks for each camera's newest clip (one request)."""
LOCKOUT_DEFAULT = 3600.0
"""How long a lock-out (429) lasts when Blink does not say: about an hour
(home-assistant/core#107143; homebridge-blink-for-home#148: "try again in 60 minutes")."""
SESSION_ENDED = {
    UnauthorizedError: "Blink rejected the session",
    RefreshRefused: "Blink refused the refresh token; a new login is needed",
    TokenRefreshFailed: "Blink refused or did not answer the token refresh",
    BlinkTwoFARequiredError: "Blink asked for a new 2FA login",
}

WAITING = {
    "logging_in": "Blink login in progress",
    "2fa_required": "Blink is waiting for the 2FA code: send it with the 2fa command",
    "login_failed": "Blink login failed; fix the credentials or send the login command",
    "unavailable": "Blink is unreachable; retrying",
}
"""Why a request that needs Blink cannot run (`blocked` and `locked_out`: their state's
own message, which says what to do and until when)."""


class AccountBase:
    """Login lifecycle and the guarded doorway to blinkpy; commands live in BlinkAccount."""

    def __init__(self, settings: Settings, on_auth: AuthListener) -> None:
        self.settings = settings
        self._on_auth = on_auth
        self.counter = RequestCounter()
        self._session: aiohttp.ClientSession | None = None
        self._blink: Blink | None = None
        self._pending: Blink | None = None
        self._lock = Gate()
        """`async with self._lock`: an account-wide step; `self._lock.network(nid)`: a
        command on one network (module docstring)."""
        self._failures = 0
        self._seen: dict[str, datetime] = {}
        self._retry_at = 0.0
        self._lockouts = 0
        self.keeper = TokenKeeper()
        self._listed: view.Listing = frozenset()
        self._clips = ClipWatch()
        self.status = AuthStatus("logging_in", "starting", datetime.now(UTC))
        self._changes = 0
        """Bumped whenever what blinkpy holds may have changed (a call, a login)."""
        self._views: dict[tuple[tuple[str, str | None], ...], tuple[int, AccountState]] = {}
        self._settled = asyncio.Event()
        """Set while no login is in progress (`status` is not `logging_in`)."""

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = open_session(self.settings.blink_simulator_url, self.counter)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _set(self, state: str, message: str) -> None:
        self._changes += 1
        self.status = AuthStatus(state, message, datetime.now(UTC))
        if state == "logging_in":
            self._settled.clear()
        else:
            self._settled.set()
        log.info("Blink auth state: %s (%s)", state, message)
        await self._on_auth(self.status)

    async def start(self, use_saved: bool = True, *, reuse_token: bool = False) -> AuthStatus:
        """Log in: saved credentials (with `reuse_token`, their access token while it is
        valid; otherwise one token refresh) or the configured account. Refused (without
        asking Blink) while a lock-out lasts."""
        async with self._lock:
            if self.status.state == "locked_out" and time.monotonic() < self._retry_at:
                raise NotAuthenticated(self.status.message)
            await self._set("logging_in", "logging in to Blink")
            self._blink = self._pending = None
            self.keeper.restart()
            data = login.login_data(self.settings, use_saved)
            if data is None:
                await self._set(
                    "login_failed", "no Blink account configured (BLINK_USERNAME, BLINK_PASSWORD)"
                )
                return self.status
            blink = login.new_blink(self.settings, self.session, data, self._save, self.counter)
            await self._apply(await login.start(blink, reuse_token=reuse_token))
        return self.status

    async def submit_2fa(self, code: str) -> AuthStatus:
        async with self._lock:
            if self._pending is None or self.status.state != "2fa_required":
                raise InvalidRequest("no login is waiting for a 2FA code")
            outcome = await login.send_code(self._pending, code.strip())
            if outcome is None:
                raise InvalidRequest("Blink rejected the 2FA code; check it and send it again")
            await self._apply(outcome)
        if self.status.state != "ok":
            raise NotAuthenticated(self.status.message)
        return self.status

    async def _apply(self, outcome: login.LoginOutcome) -> None:
        match outcome:
            case login.Ready(blink):
                self._blink, self._pending, self._failures = blink, None, 0
                self._lockouts = 0
                self._listed = view.listed_devices(blink.homescreen)
                self._save(blink.auth)
                await self._seed_clip_times(blink)
                self.keeper.restart()
                await self._set("ok", "logged in")
            case login.NeedsCode(blink):
                self._pending = blink
                await self._set("2fa_required", WAITING["2fa_required"])
            case login.Rejected(message):
                await self._set("login_failed", message)
            case login.Blocked(message):
                await self._set("blocked", message)
            case login.LockedOut(wait):
                await self._locked_out(wait)
            case login.Unreachable(message, wait):
                self._failures += 1
                pause = max(min(RETRY_FIRST * 2 ** (self._failures - 1), RETRY_CAP), wait or 0)
                self._retry_at = time.monotonic() + pause
                await self._set("unavailable", f"{message}; retrying in {pause:.0f} s")

    async def _locked_out(self, wait: float | None) -> None:
        """Wait as long as Blink says (Retry-After) or about an hour, then try once. A
        second lock-out in a row waits at least the hour, whatever Blink says."""
        self._pending = None
        self._lockouts += 1
        pause = LOCKOUT_DEFAULT if wait is None else wait
        if self._lockouts > 1:
            pause = max(pause, LOCKOUT_DEFAULT)
        pause = max(pause, 1.0)
        self._retry_at = time.monotonic() + pause
        when = (datetime.now(UTC) + timedelta(seconds=pause)).replace(microsecond=0)
        said = "as Blink asked" if wait is not None else "Blink's usual lock-out"
        await self._set("locked_out", login.LOCKED_OUT.format(when=when.isoformat(), said=said))

    async def _seed_clip_times(self, blink: Blink) -> None:
        """Each camera's newest clip time, so `last_record` is known before a poll sees a
        new clip (blinkpy only reports clips recorded since its previous poll)."""
        found: list[ClipRef] = []
        try:
            found = await media.newest_clips(blink, SEED_DAYS)
            self.note_clips(found)
        except BlinkMqttError as err:
            log.info("Could not read the newest clips: %s", err.message)
        except Exception as err:  # optional at login: a bug here must not end it
            if not faults.is_blinks(err):
                log.exception("Reading the newest clips failed with a bug; carrying on")
            else:
                log.info("Could not read the newest clips: %s", type(err).__name__)
        self._clips.restart(found)

    def note_clips(self, found: Iterable[ClipRef]) -> None:
        """Remember the newest clip time per camera from any listing."""
        for clip in found:
            known = self._seen.get(clip.camera)
            if known is None or clip.recorded_at > known:
                self._seen[clip.camera] = clip.recorded_at
                self._changes += 1

    async def ensure(self) -> None:
        """Called before each poll: retry a login that failed for want of Blink, after
        back-off, or once at the end of a lock-out."""
        waiting = self.status.state in ("unavailable", "locked_out")
        if waiting and time.monotonic() >= self._retry_at:
            await self.start(reuse_token=True)

    def _save(self, auth: Auth) -> None:
        """Write the login of `auth` (the Blink in use or the one being set up)."""
        redact.register(auth.token, auth.refresh_token)
        try:
            credentials.save(self.settings.credentials_file, auth.login_attributes)
        except OSError as err:
            log.error(
                "Cannot save credentials to %s: %s", self.settings.credentials_file, err.strerror
            )

    async def wait_ready(self, timeout: float = LOGIN_WAIT) -> None:  # noqa: ASYNC109
        """Return once logged in. A login in progress is waited for, `timeout` s at most;
        a pending 2FA, a failed login or an unreachable Blink raise NotAuthenticated at once."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.status.state == "logging_in":
                    await self._settled.wait()
        self._ready()

    def _ready(self) -> Blink:
        """The logged-in Blink. While refreshes fail and the token is due (blinkpy would
        refresh it inside the call), the call waits for the keeper's next try instead:
        one token request per back-off step, however many calls."""
        if self._blink is None or self.status.state != "ok":
            state = self.status.state
            raise NotAuthenticated(WAITING.get(state, self.status.message))
        last = self.keeper.last
        if self.keeper.backing_off() and last is not None and self._blink.auth.need_refresh():
            raise BlinkUnavailable(
                f"Blink's token refresh failed ({last.reason}) and the token has expired; "
                "the bridge retries the refresh with back-off"
            )
        return self._blink

    async def _session_ended(self, message: str) -> None:
        self._blink, self._retry_at = None, 0.0
        self.keeper.restart()
        await self._set("unavailable", message)

    def token_times(self) -> TokenTimes | None:
        """The access token in use (for the keeper), None while not logged in."""
        if self._blink is None or self.status.state != "ok":
            return None
        return token_times(self._blink.auth)

    def token_expires_at(self) -> datetime | None:
        times = self.token_times()
        return None if times is None else datetime.fromtimestamp(round(times.expires), UTC)

    async def refresh_token(self) -> None:
        """The keeper's refresh: the session goes on when it fails for now; a refused
        refresh token ends it (and a new login follows at the next poll)."""
        async with self._lock:  # never while a login replaces the session
            blink = self._blink
            if blink is None or self.status.state != "ok":
                return
            try:
                await self._refresh(blink)
            except RefreshUnavailable as err:
                await self._refresh_failed(err)
                return
            except (RefreshRefused, BlinkTwoFARequiredError, UnauthorizedError) as err:
                reason = next(t for k, t in SESSION_ENDED.items() if isinstance(err, k))
                await self.keeper.refused(str(err) or reason)
                await self._session_ended(f"{reason}; logging in again")
                return
            except Exception as err:
                if not faults.is_blinks(err) and not isinstance(err, TokenRefreshFailed):
                    raise  # a bug: the keeper dies, and the service with it
                await self._refresh_failed(RefreshUnavailable(type(err).__name__))
                return

    async def _refresh(self, blink: Blink) -> None:
        """blinkpy's refresh of the access token, the keeper told of its success (every
        refresh goes through here: the keeper's, one before a network command, one after
        a 401). Locked. Raises RefreshUnavailable (failed for now) or RefreshRefused."""
        await blink.auth.refresh_tokens(refresh=True)
        self._changes += 1
        await self.keeper.succeeded()

    async def _refresh_failed(self, err: RefreshUnavailable) -> None:
        times = self.token_times()
        answer = err.answer
        await self.keeper.failed_now(
            err.reason,
            times.life if times is not None else DEFAULT_LIFE,
            answer.retry_after if answer is not None else None,
        )
