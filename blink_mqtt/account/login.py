"""Logging in with blinkpy: saved refresh token first, full OAuth flow (maybe 2FA) second.

Outcomes are values, not exceptions, so the caller can publish them as auth states:
`Ready(blink)`, `NeedsCode(blink)` (blinkpy holds the OAuth state in memory),
`Rejected(message)` (bad credentials: never retried on its own) and
`Unreachable(message)` (Blink unreachable or broken: retried with back-off).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from blinkpy import api
from blinkpy.auth import BlinkTwoFARequiredError, LoginError, TokenRefreshFailed
from blinkpy.blinkpy import Blink, BlinkSetupError

from blink_mqtt import redact
from blink_mqtt.account import credentials, faults
from blink_mqtt.account.tokens import KeptAuth, TokensListener
from blink_mqtt.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ready:
    blink: Blink


@dataclass(frozen=True, slots=True)
class NeedsCode:
    blink: Blink


@dataclass(frozen=True, slots=True)
class Rejected:
    message: str


@dataclass(frozen=True, slots=True)
class Unreachable:
    message: str


@dataclass(frozen=True, slots=True)
class TokenRejected:
    """Blink answered 401 to the access token (only while trying a saved one)."""


LoginOutcome = Ready | NeedsCode | Rejected | Unreachable
JUST_ISSUED_REFUSED = "Blink refused the access token it had just issued"
REUSE_MARGIN = 600.0
"""A saved access token is used at start only while it has this many seconds left."""


def login_data(settings: Settings, use_saved: bool) -> dict[str, Any] | None:
    """What blinkpy's Auth starts from: the saved file (plus password) or the settings."""
    password = settings.blink_password.get_secret_value() if settings.blink_password else None
    saved = (
        credentials.load(settings.credentials_file, settings.blink_username) if use_saved else None
    )
    if saved is not None:
        return {**saved, "password": password} if password else saved
    if settings.blink_username and password:
        return {"username": settings.blink_username, "password": password}
    return None


def new_blink(
    settings: Settings,
    session: aiohttp.ClientSession,
    data: dict[str, Any],
    on_tokens: TokensListener,
    token_requests: Callable[[], int],
) -> Blink:
    """A Blink whose Auth shares our session (routing!), never prompts (headless) and
    hands every new token pair to `on_tokens` the moment Blink issues it."""
    blink = Blink(session=session, refresh_rate=settings.refresh_interval)
    blink.auth = KeptAuth(data, session, on_tokens, token_requests)
    redact.register(data.get("password"), data.get("token"), data.get("refresh_token"))
    return blink


def _reusable(auth: Any) -> bool:
    """A saved access token with time left, and what its requests need besides."""
    expires = auth.expiration_date
    return bool(
        auth.token
        and auth.refresh_token
        and auth.host
        and auth.region_id
        and isinstance(expires, int | float)
        and expires - time.time() > REUSE_MARGIN
    )


async def start(blink: Blink, *, reuse_token: bool = False) -> LoginOutcome:
    """blinkpy's `Blink.start()`, step by step, with the homescreen fetched `force=True`.

    `start()` itself fetches the homescreen through a module-wide 5 s throttle that
    *sleeps*; the same public steps without it log in just the same. With `reuse_token`,
    a saved access token that is still valid is used as it is: no token request, so no
    refresh token rotated at start (Blink's tokens last 4 h); if Blink refuses it, the
    saved refresh token is used as usual.
    """
    if reuse_token and _reusable(blink.auth):
        blink.auth.validate_login()
        outcome = await _setup(blink)
        if not isinstance(outcome, TokenRejected):
            return outcome
        log.info("Blink refused the saved access token; refreshing it")
    outcome = await _refreshed(blink)
    if isinstance(outcome, TokenRejected):
        return Unreachable(JUST_ISSUED_REFUSED)
    return outcome


async def _refreshed(blink: Blink) -> LoginOutcome | TokenRejected:
    """The saved refresh token's one refresh (or the full OAuth flow), then the setup."""
    try:
        await blink.auth.startup()
    except BlinkTwoFARequiredError:
        return NeedsCode(blink)
    except (LoginError, TokenRefreshFailed):
        return _finished(blink, ok=False)
    except Exception as err:
        return _unreachable(err, "login")
    return await _setup(blink)


async def send_code(blink: Blink, code: str) -> LoginOutcome | None:
    """Complete a pending 2FA login; None means the code was wrong (retry allowed)."""
    try:
        ok = await blink.auth.complete_2fa_login(code)
    except Exception as err:
        return _unreachable(err, "2FA verification")
    if not ok:
        return None if blink.auth.token is None else _finished(blink, ok=False)
    outcome = await _setup(blink)
    if isinstance(outcome, TokenRejected):
        return Unreachable(JUST_ISSUED_REFUSED)
    return outcome


async def _setup(blink: Blink) -> LoginOutcome | TokenRejected:
    """After the tokens: URLs, homescreen, networks, cameras (`setup_post_verify`)."""
    try:
        blink.setup_urls()
        response = await api.request_homescreen(blink, force=True)
        if response is not None and response.status == 401:
            return TokenRejected()
        if response is None or response.status != 200:
            return Unreachable("Blink did not send the account's home screen")
        await blink.validate_homescreen(response)
        blink.last_refresh = int(time.time() - blink.refresh_rate * 1.05)
        ok = await blink.setup_post_verify()
    except BlinkSetupError:
        ok = False
    except Exception as err:
        return _unreachable(err, "setup")
    return _finished(blink, ok=ok)


def _unreachable(err: Exception, step: str) -> Unreachable:
    """Blink's failure (network, or an answer blinkpy could not read) as an outcome;
    anything else is a bug of ours and is raised again."""
    if not faults.is_blinks(err):
        raise err
    if isinstance(err, faults.NETWORK):
        return Unreachable(f"Blink is unreachable ({type(err).__name__})")
    log.warning("Blink %s failed: %s", step, type(err).__name__)
    return Unreachable(f"Blink {step} failed ({type(err).__name__})")


def _finished(blink: Blink, *, ok: bool) -> LoginOutcome:
    redact.register(blink.auth.token, blink.auth.refresh_token)
    if ok:
        return Ready(blink)
    if blink.auth.token is None:
        return Rejected("Blink rejected the user name or password")
    return Unreachable("logged in, but Blink did not send the account's devices")
