"""blinkpy's Auth, made to keep every token pair Blink hands out.

Blink rotates refresh tokens: a refresh returns a new pair and the old refresh token
stops working. A pair that lives only in memory dies with the process, and the next start
then needs a new 2FA code. So this Auth hands each new pair to `on_tokens` (which writes
the credentials file) as soon as blinkpy has read it, before any other Blink call, and a
cancellation (SIGTERM) that arrives while a token request is under way (one was sent and
its answer is not saved yet) gives the answer a moment to arrive and be saved instead of
dropping it.

It also tells a refresh token Blink refused (`RefreshRefused`: only a new login helps)
from a refresh that failed for now (`RefreshUnavailable`: 5xx, 429, no answer; the
refresh token stays good and the refresh is retried), which blinkpy reports alike
(`TokenRefreshFailed`); its start-up refresh would even answer a passing failure with a
full login, i.e. a new 2FA code. Refreshes are serialised: calls that find the token due
at once share one refresh (a second would present a refresh token the first rotated out).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from blinkpy import api
from blinkpy.auth import Auth, TokenRefreshFailed, UnauthorizedError
from blinkpy.helpers.constants import TIER_ENDPOINT

from blink_mqtt.account import faults
from blink_mqtt.account.answers import DEFINITIVE, OAuthAnswer
from blink_mqtt.account.session import RequestCounter

T = TypeVar("T")
TokensListener = Callable[[Auth], None]

TOKEN_GRACE = 2.0
"""How long a cancelled token request may still take to answer (and be saved); shutdown
must stay well under the 5 s a container manager waits before SIGKILL."""
INLINE_MARGIN, INLINE_SHARE = 60.0, 0.05
"""blinkpy refreshes a token inside a call when it has less than 60 s left; here the
margin is also at most 5 % of the token's life, so that the time-scaled tests' tokens of
a few seconds are refreshed by the keeper (keeper.py), as 4-hour tokens are."""


DEFAULT_EXPIRES_IN, MAX_LIFE = 3600, 10**8
"""A token answer without a usable `expires_in` counts as blinkpy counts it (an hour)."""


class RefreshRefused(TokenRefreshFailed):  # type: ignore[misc]
    """Blink refused the refresh token (400/401 from the token endpoint): only a new
    login (and maybe 2FA) gets a new one."""


class RefreshUnavailable(TokenRefreshFailed):  # type: ignore[misc]
    """The refresh failed for now (5xx, 429, 406, no answer): the refresh token is
    still good; try again later."""

    def __init__(self, reason: str, answer: OAuthAnswer | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.answer = answer
        """Blink's answer, when one came."""


class KeptAuth(Auth):  # type: ignore[misc]  # blinkpy has no type hints
    """An Auth (never prompting) that saves every new token pair at once."""

    token: str | None
    refresh_token: str | None
    expires_in: Any
    expiration_date: Any

    def __init__(
        self,
        data: dict[str, Any],
        session: aiohttp.ClientSession,
        on_tokens: TokensListener,
        counter: RequestCounter,
    ) -> None:
        """`counter`: the session's requests (token requests sent, the last answer of
        Blink's sign-in host)."""
        super().__init__(data, no_prompt=True, session=session)
        self._on_tokens = on_tokens
        self._counter = counter
        self._kept = (self.token, self.refresh_token)
        self._answered = counter.token_requests
        self._refreshing = asyncio.Lock()

    def _token_requests(self) -> int:
        return self._counter.token_requests

    @property
    def last_answer(self) -> OAuthAnswer | None:
        """The last answer of Blink's sign-in host (a sign-in step or a token request)."""
        return self._counter.last_oauth

    async def startup(self) -> None:
        """The saved refresh token's one refresh; the full OAuth flow only when there is
        none or Blink refused it (a passing failure raises RefreshUnavailable)."""
        await self._saving(self._startup())

    async def _startup(self) -> None:
        if self.refresh_token and self.hardware_id:
            self.validate_login()
            try:
                await self._startup_refresh()
                return
            except RefreshRefused:
                self.refresh_token = None  # dead: blinkpy's startup now signs in afresh
        await super().startup()

    async def _startup_refresh(self) -> None:
        """blinkpy's start-up refresh (`api.oauth_refresh_token`, as `Auth.startup`), told
        apart: refused or failed for now."""
        sent = self._token_requests()
        try:
            data = await api.oauth_refresh_token(self, self.refresh_token, self.hardware_id)
        except Exception as err:
            if not faults.is_blinks(err):
                raise
            raise RefreshUnavailable(f"no answer ({type(err).__name__})") from None
        if not isinstance(data, dict) or not data.get("access_token"):
            raise self._refresh_failure(sent)
        self.token = str(data["access_token"])
        fresh = data.get("refresh_token")
        self.refresh_token = str(fresh) if fresh else self.refresh_token
        life = data.get("expires_in")
        if not isinstance(life, int | float) or isinstance(life, bool) or not 0 < life < MAX_LIFE:
            life = DEFAULT_EXPIRES_IN
        self.expires_in = life
        self.expiration_date = time.time() + self.expires_in
        if not self.host or not self.region_id or not self.account_id:
            self.tier_info = await self.get_tier_info()
            self.extract_tier_info()

    def _refresh_failure(self, sent: int) -> TokenRefreshFailed:
        """Why the refresh just sent failed, from the token endpoint's answer."""
        answer = self._counter.last_oauth
        if self._token_requests() == sent or answer is None or not answer.is_token:
            return RefreshUnavailable("no token request went out")
        if answer.status in DEFINITIVE:
            return RefreshRefused(f"Blink refused the refresh token ({answer.reason()})")
        return RefreshUnavailable(answer.reason(), answer)

    def need_refresh(self) -> bool:
        """blinkpy's check before each call, with the margin scaled (INLINE_MARGIN)."""
        expires, life = self.expiration_date, self.expires_in
        if not isinstance(expires, int | float):
            return self.refresh_token is not None
        margin = INLINE_MARGIN
        if isinstance(life, int | float) and life > 0:
            margin = min(margin, life * INLINE_SHARE)
        return bool(expires - time.time() < margin)

    async def complete_2fa_login(self, twofa_code: str) -> bool:
        ok: bool = await self._saving(super().complete_2fa_login(twofa_code))
        return ok

    async def refresh_tokens(self, refresh: bool = False) -> bool:
        """A mid-session refresh: RefreshRefused or RefreshUnavailable when it fails, so
        that an UnauthorizedError always means that Blink rejected an access token. A
        refresh asked for while another runs is that one (once it is done)."""
        seen = self.token
        async with self._refreshing:
            if refresh and seen is not None and self.token != seen:
                return True
            sent = self._token_requests()
            try:
                ok: bool = await self._saving(super().refresh_tokens(refresh))
            except UnauthorizedError:
                raise RefreshRefused("Blink refused the refresh token (HTTP 401)") from None
            except (RefreshRefused, RefreshUnavailable):
                raise
            except TokenRefreshFailed:
                raise self._refresh_failure(sent) from None
            except Exception as err:
                if not faults.is_blinks(err):
                    raise
                raise RefreshUnavailable(f"no answer ({type(err).__name__})") from None
            return ok

    async def get_tier_info(self, tier_url: str = TIER_ENDPOINT) -> Any:
        """A fresh login asks for the tier right after its token exchange: save first."""
        self._keep()
        return await super().get_tier_info(tier_url)

    def _keep(self) -> None:
        pair = (self.token, self.refresh_token)
        if self.refresh_token and pair != self._kept:
            self._kept = pair
            self._on_tokens(self)

    async def _saving(self, call: Awaitable[T]) -> T:
        """Await a call that may get new tokens; save them however it ends. Cancelled, it
        still waits up to TOKEN_GRACE for the call, so that tokens Blink already rotated
        are not lost on the way out."""

        async def run() -> T:
            try:
                return await call
            finally:
                self._keep()
                self._answered = self._token_requests()

        task = asyncio.ensure_future(run())
        task.add_done_callback(_retrieve)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if self._token_requests() > self._answered:
                await asyncio.wait({task}, timeout=TOKEN_GRACE)
            raise


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark an outcome as seen: a call left behind by a cancellation reports to no one."""
    if not task.cancelled():
        task.exception()
