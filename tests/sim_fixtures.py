"""Helpers for simulator tests: a served simulator with a routed session, blinkpy logins."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiohttp import ClientSession
from blinkpy import api
from blinkpy.auth import Auth, BlinkTwoFARequiredError
from blinkpy.blinkpy import Blink

from blink_mqtt.simulator import Scenario, Simulator, default_scenario, routed_session, serve
from blink_mqtt.simulator.scenario import OptionsSpec, TwoFactorSpec
from blink_mqtt.simulator.state import Clock, utc_now

EMAIL = "demo@example.com"
PASSWORD = "demo-password"
CODE = "123456"
OAUTH = "https://api.oauth.blink.com"
REST = "https://rest-u011.immedia-semi.com"


def scenario(
    *, twofa: bool = True, pending_polls: int = 0, token_expiry: int = 14400, **options: Any
) -> Scenario:
    """The default scenario with test-friendly options (no command polling by default)."""
    base = default_scenario()
    opts = base.options.model_dump() | options
    opts.update(command_pending_polls=pending_polls, token_expiry_seconds=token_expiry)
    return base.model_copy(
        update={
            "two_factor": TwoFactorSpec(enabled=twofa, code=CODE),
            "options": OptionsSpec.model_validate(opts),
        }
    )


@dataclass(frozen=True, slots=True)
class SimEnv:
    sim: Simulator
    base_url: str
    session: ClientSession


@asynccontextmanager
async def running(
    chosen: Scenario | None = None, *, clock: Clock = utc_now, **session_args: Any
) -> AsyncIterator[SimEnv]:
    """A simulator served on a free port and a session routed to it."""
    sim = Simulator(chosen if chosen is not None else scenario(), clock=clock)
    async with serve(sim) as base_url, routed_session(base_url, **session_args) as session:
        yield SimEnv(sim, base_url, session)


@dataclass(slots=True)
class ShiftedClock:
    """Real UTC time plus an offset that a test moves forward (no sleeping)."""

    offset: timedelta = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def new_blink(env: SimEnv, login_data: dict[str, Any] | None = None, *, owls: bool = False) -> Any:
    """A Blink using the routed session; ``owls=False`` skips the throttled homescreen."""
    blink = Blink(session=env.session, refresh_rate=30, no_owls=not owls)
    data = login_data if login_data is not None else {"username": EMAIL, "password": PASSWORD}
    blink.auth = Auth(data, no_prompt=True, session=env.session)
    return blink


async def login(env: SimEnv, *, owls: bool = False, code: str = CODE) -> Any:
    """A logged-in Blink (answering 2FA with ``code`` when asked).

    ``owls=True`` adds Minis, doorbells and local storage, which blinkpy takes from the
    homescreen. ``start()`` fetches it through a 5 s process-wide throttle, so this logs
    in without it and then does what ``refresh()`` does for an unavailable account:
    fetch the homescreen (with ``force=True``) and run ``setup_post_verify()``.
    """
    blink = new_blink(env)
    try:
        ok = await blink.start()
    except BlinkTwoFARequiredError:
        ok = await blink.send_2fa_code(code)
    assert ok is True
    if owls:
        await load_homescreen(blink)
        blink.no_owls = False
        assert await blink.setup_post_verify() is True
    return blink


async def load_homescreen(blink: Any) -> None:
    """``blink.get_homescreen()`` without its module-wide 5 s throttle."""
    response = await api.request_homescreen(blink, force=True)
    await blink.validate_homescreen(response)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_query(challenge: str, hardware_id: str) -> dict[str, str]:
    return {
        "app_brand": "blink",
        "client_id": "ios",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "hardware_id": hardware_id,
        "redirect_uri": "immedia-blink://applinks.blink.com/signin/callback",
        "response_type": "code",
        "scope": "client",
    }


async def oauth_code(session: ClientSession, challenge: str, hardware_id: str) -> str:
    """Run the browser part of the OAuth flow by hand (2FA off) and return the code."""
    query = authorize_query(challenge, hardware_id)
    async with session.get(f"{OAUTH}/oauth/v2/authorize", params=query) as resp:
        page = await resp.text()
    found = re.search(r'"csrf-token":\s*"([^"]+)"', page)
    assert found is not None
    csrf = found[1]
    form = {"username": EMAIL, "password": PASSWORD, "csrf-token": csrf}
    url = f"{OAUTH}/oauth/v2/signin"
    async with session.post(url, data=form, allow_redirects=False) as resp:
        assert resp.status == 303
    url = f"{OAUTH}/oauth/v2/authorize"
    async with session.get(url, allow_redirects=False) as resp:
        location = resp.headers["Location"]
    return parse_qs(urlparse(location).query)["code"][0]


def code_exchange_form(code: str, verifier: str, hardware_id: str) -> dict[str, str]:
    return {
        "app_brand": "blink",
        "client_id": "ios",
        "code": code,
        "code_verifier": verifier,
        "grant_type": "authorization_code",
        "hardware_id": hardware_id,
        "redirect_uri": "immedia-blink://applinks.blink.com/signin/callback",
        "scope": "client",
    }


async def access_token(session: ClientSession) -> str:
    """Log in by hand (2FA off) and return an access token."""
    verifier, challenge = pkce_pair()
    hardware_id = str(uuid.uuid4()).upper()
    code = await oauth_code(session, challenge, hardware_id)
    form = code_exchange_form(code, verifier, hardware_id)
    async with session.post(f"{OAUTH}/oauth/token", data=form) as resp:
        assert resp.status == 200
        token: str = (await resp.json())["access_token"]
    return token
