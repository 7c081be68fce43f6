"""blinkpy's Auth, made to keep every token pair Blink hands out.

Blink rotates refresh tokens: a refresh returns a new pair and the old refresh token
stops working. A pair that lives only in memory dies with the process, and the next start
then needs a new 2FA code. So this Auth hands each new pair to `on_tokens` (which writes
the credentials file) as soon as blinkpy has read it, before any other Blink call, and a
cancellation (SIGTERM) that arrives while a token request is under way (one was sent and
its answer is not saved yet) gives the answer a moment to arrive and be saved instead of
dropping it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from blinkpy.auth import Auth, TokenRefreshFailed, UnauthorizedError
from blinkpy.helpers.constants import TIER_ENDPOINT

T = TypeVar("T")
TokensListener = Callable[[Auth], None]

TOKEN_GRACE = 2.0
"""How long a cancelled token request may still take to answer (and be saved); shutdown
must stay well under the 5 s a container manager waits before SIGKILL."""


class KeptAuth(Auth):  # type: ignore[misc]  # blinkpy has no type hints
    """An Auth (never prompting) that saves every new token pair at once."""

    def __init__(
        self,
        data: dict[str, Any],
        session: aiohttp.ClientSession,
        on_tokens: TokensListener,
        token_requests: Callable[[], int],
    ) -> None:
        """`token_requests()`: how many token requests the session has sent so far."""
        super().__init__(data, no_prompt=True, session=session)
        self._on_tokens = on_tokens
        self._token_requests = token_requests
        self._kept = (self.token, self.refresh_token)
        self._answered = token_requests()

    async def startup(self) -> None:
        """The saved refresh token's one refresh (or the full OAuth flow)."""
        await self._saving(super().startup())

    async def complete_2fa_login(self, twofa_code: str) -> bool:
        ok: bool = await self._saving(super().complete_2fa_login(twofa_code))
        return ok

    async def refresh_tokens(self, refresh: bool = False) -> bool:
        """A mid-session refresh. A refused refresh token is TokenRefreshFailed, so that an
        UnauthorizedError always means that Blink rejected an access token."""
        try:
            ok: bool = await self._saving(super().refresh_tokens(refresh))
        except UnauthorizedError as err:
            raise TokenRefreshFailed("Blink refused the refresh token") from err
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
