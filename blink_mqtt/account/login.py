"""Logging in with blinkpy: saved refresh token first, full OAuth flow (maybe 2FA) second.

Outcomes are values, not exceptions, so the caller can publish them as auth states:
`Ready(blink)`, `NeedsCode(blink)` (blinkpy holds the OAuth state in memory),
`Rejected(message)` (bad credentials: never retried on its own) and
`Unreachable(message)` (Blink unreachable or broken: retried with back-off).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from blinkpy.auth import Auth, BlinkTwoFARequiredError
from blinkpy.blinkpy import Blink

from blink_mqtt import redact
from blink_mqtt.account import credentials
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


Outcome = Ready | NeedsCode | Rejected | Unreachable


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
    on_tokens: Callable[[], None],
) -> Blink:
    """A Blink whose Auth shares our session (routing!) and never prompts (headless)."""
    blink = Blink(session=session, refresh_rate=settings.refresh_interval)
    blink.auth = Auth(data, no_prompt=True, session=session, callback=on_tokens)
    redact.register(data.get("password"), data.get("token"), data.get("refresh_token"))
    return blink


async def start(blink: Blink) -> Outcome:
    """Run blinkpy's start(); turn every way it can end into an Outcome."""
    try:
        ok = await blink.start()
    except BlinkTwoFARequiredError:
        return NeedsCode(blink)
    except (aiohttp.ClientError, TimeoutError) as err:
        return Unreachable(f"Blink is unreachable ({type(err).__name__})")
    except Exception as err:  # blinkpy lets many errors escape start() (blink-cloud.md §10)
        log.warning("Blink login failed unexpectedly: %s", type(err).__name__)
        return Unreachable(f"Blink login failed ({type(err).__name__})")
    return _finished(blink, ok)


async def send_code(blink: Blink, code: str) -> Outcome | None:
    """Complete a pending 2FA login; None means the code was wrong (retry allowed)."""
    try:
        ok = await blink.send_2fa_code(code)
    except (aiohttp.ClientError, TimeoutError) as err:
        return Unreachable(f"Blink is unreachable ({type(err).__name__})")
    except Exception as err:
        log.warning("Blink 2FA completion failed unexpectedly: %s", type(err).__name__)
        return Unreachable(f"Blink login failed ({type(err).__name__})")
    if not ok and blink.auth.token is None:
        return None
    return _finished(blink, ok)


def _finished(blink: Blink, ok: bool) -> Outcome:
    redact.register(blink.auth.token, blink.auth.refresh_token)
    if ok:
        return Ready(blink)
    if blink.auth.token is None:
        return Rejected("Blink rejected the user name or password")
    return Unreachable("logged in, but Blink did not send the account's devices")
