"""Logging in with blinkpy: saved refresh token first, full OAuth flow (maybe 2FA) second.

Outcomes are values, not exceptions, so the caller can publish them as auth states:
`Ready(blink)`, `NeedsCode(blink)` (blinkpy holds the OAuth state in memory),
`Rejected(message)` (bad credentials: never retried on its own), `Blocked(message)`
(Blink's front end refuses this client: never retried on its own), `LockedOut(wait)`
(too many attempts: one try after the wait) and `Unreachable(message)` (Blink
unreachable or broken: retried with back-off). Why a sign-in failed is read from the
sign-in host's last answer (answers.py), which blinkpy does not report.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from blinkpy import api
from blinkpy.auth import BlinkTwoFARequiredError, LoginError, TokenRefreshFailed
from blinkpy.blinkpy import Blink, BlinkSetupError

from blink_mqtt import redact
from blink_mqtt.account import credentials, faults
from blink_mqtt.account.answers import OAuthAnswer
from blink_mqtt.account.session import RequestCounter
from blink_mqtt.account.tokens import KeptAuth, RefreshUnavailable, TokensListener
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
    wait: float | None = None
    """Seconds Blink asked to wait (Retry-After), if it did."""


@dataclass(frozen=True, slots=True)
class Blocked:
    message: str


@dataclass(frozen=True, slots=True)
class LockedOut:
    wait: float | None
    """Seconds Blink asked to wait (Retry-After), if it said."""


@dataclass(frozen=True, slots=True)
class TokenRejected:
    """Blink answered 401 to the access token (only while trying a saved one)."""


LoginOutcome = Ready | NeedsCode | Rejected | Blocked | LockedOut | Unreachable
WRONG_CREDENTIALS = (
    "Blink rejected the e-mail or password: check BLINK_USERNAME and BLINK_PASSWORD, then "
    "restart or send a login request (the bridge does not retry by itself)"
)
LOCKED_OUT = (
    "Blink locked sign-ins to this account after too many attempts (HTTP 429; it may lock "
    "the Blink app too). The bridge tries once more at {when} ({said}) and refuses login "
    "requests until then; do not sign in elsewhere meanwhile"
)
BLOCKED = (
    "Blink's sign-in front end (Cloudflare) refused this client ({reason}). Retrying will "
    "not help and repeated sign-ins can lock the account for an hour: do not retry in a "
    "loop. Update blink-mqtt (Blink changes its sign-in often), then restart or send one "
    "login request; check that the Blink app can sign in from the same network"
)
JUST_ISSUED_REFUSED = "Blink refused the access token it had just issued"
REUSE_MARGIN = 600.0
"""A saved access token is used at start only while it has this many seconds left."""


def login_data(settings: Settings, use_saved: bool) -> dict[str, Any] | None:
    """What blinkpy's Auth starts from: the saved file (plus password) or the settings."""
    password = settings.blink_password.get_secret_value() if settings.blink_password else None
    path = settings.credentials_file
    saved = credentials.load(path, settings.blink_username) if use_saved else None
    if saved is not None:
        if not credentials.is_uuid(saved.get("hardware_id")):  # e.g. BlinkPy API's "Blinkpy"
            saved = {**saved, "hardware_id": credentials.hardware_id(path)}
        return {**saved, "password": password} if password else saved
    if settings.blink_username and password:
        device = credentials.hardware_id(path)
        return {"username": settings.blink_username, "password": password, "hardware_id": device}
    return None


def new_blink(
    settings: Settings,
    session: aiohttp.ClientSession,
    data: dict[str, Any],
    on_tokens: TokensListener,
    counter: RequestCounter,
) -> Blink:
    """A Blink whose Auth shares our session (routing!), never prompts (headless) and
    hands every new token pair to `on_tokens` the moment Blink issues it."""
    blink = Blink(session=session, refresh_rate=settings.refresh_interval)
    blink.auth = KeptAuth(data, session, on_tokens, counter)
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
    except RefreshUnavailable as err:
        return _refresh_failed(err)
    except (LoginError, TokenRefreshFailed):
        return _signin_failed(blink.auth.last_answer) or _finished(blink, ok=False)
    except Exception as err:
        return _unreachable(err, "login")
    return await _setup(blink)


def _signin_failed(answer: OAuthAnswer | None) -> LoginOutcome | None:
    """What the sign-in host's answer to the failed step means (None: wrong credentials,
    or no answer of its own to go by)."""
    if answer is None or answer.status in (401, 403):
        return None
    if answer.status == 406:
        return Blocked(BLOCKED.format(reason=answer.reason()))
    if answer.status == 429:
        return LockedOut(answer.retry_after)
    if answer.status == 400:  # e.g. empty_cookies: a fresh sign-in session may pass
        return Unreachable(f"Blink's sign-in refused the request ({answer.reason()})")
    if answer.status == 0 or answer.status >= 500:
        return Unreachable(f"Blink's sign-in is unreachable ({answer.reason()})")
    return None


def _refresh_failed(err: RefreshUnavailable) -> LoginOutcome:
    """The saved refresh token's refresh failed for now: it stays good, so no new login
    (and no 2FA code) but a later try; a 406 is Blink's front end refusing us."""
    answer = err.answer
    if answer is not None and answer.status == 406:
        return Blocked(BLOCKED.format(reason=answer.reason()))
    wait = answer.retry_after if answer is not None else None
    return Unreachable(f"Blink's token refresh failed ({err.reason})", wait)


async def send_code(blink: Blink, code: str) -> LoginOutcome | None:
    """Complete a pending 2FA login; None means the code was wrong (retry allowed)."""
    try:
        ok = await blink.auth.complete_2fa_login(code)
    except Exception as err:
        return _unreachable(err, "2FA verification")
    if not ok:
        if blink.auth.token is None:  # a wrong code (any other 4xx), unless Blink said more
            answer = blink.auth.last_answer
            known = answer is not None and (answer.status in (0, 406, 429) or answer.status >= 500)
            return _signin_failed(answer) if known else None
        return _finished(blink, ok=False)
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
        return Rejected(WRONG_CREDENTIALS)
    return Unreachable("logged in, but Blink did not send the account's devices")
