"""``api.oauth.blink.com``: authorize, sign-in page, sign-in, 2FA (blinkpy/api.py `oauth_*`)."""

from __future__ import annotations

import html
import json
import logging
import math

from aiohttp import web

from blink_mqtt.simulator.oauth_state import OAuthSession, is_uuid
from blink_mqtt.simulator.oauth_token import REDIRECT_URI, token
from blink_mqtt.simulator.responses import (
    ApiError,
    BodyResponse,
    CloudflareBlock,
    EmptyCookies,
    error_response,
    html_response,
    json_response,
    redirect,
)
from blink_mqtt.simulator.routes import OAUTH_HOST, Route, VHost
from blink_mqtt.simulator.state import STATE_KEY

_LOGGER = logging.getLogger(__name__)

COOKIE = "blink_oauth_session"
SIGNIN_URL = f"https://{OAUTH_HOST}/oauth/v2/signin"
AUTHORIZE_URL = f"https://{OAUTH_HOST}/oauth/v2/authorize"
_REQUIRED = {
    "client_id": "ios",
    "response_type": "code",
    "code_challenge_method": "S256",
    "redirect_uri": REDIRECT_URI,
}
_SIGNIN_PAGE = """<!DOCTYPE html>
<html><head><title>Blink sign in</title>
<script id="oauth-args" type="application/json">{args}</script></head>
<body><form method="post" action="/oauth/v2/signin"></form></body></html>
"""


def _session(request: web.Request) -> OAuthSession:
    """The cookie's sign-in session; without it, Blink's 400 ``empty_cookies``."""
    session = request.app[STATE_KEY].oauth.sessions.get(request.cookies.get(COOKIE, ""))
    if session is None:
        raise EmptyCookies
    return session


def _refuse_if_locked(request: web.Request) -> None:
    """429 for every sign-in while the account is locked out (see oauth_limits)."""
    state = request.app[STATE_KEY]
    limits, now = state.limits, state.epoch()
    if limits.locked(now):
        state.telemetry.count("signin_locked")
        left = math.ceil(limits.locked_until - now) if limits.lockout_retry_after else None
        raise TooManyAttempts(left)


class TooManyAttempts(ApiError):
    """429 during a lock-out, with ``Retry-After`` when the switch asks for it."""

    def __init__(self, retry_after: int | None) -> None:
        super().__init__(429, "Too many login attempts. Please try again later.")
        self.retry_after = retry_after

    def response(self) -> BodyResponse:
        headers = None if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        return json_response({"message": self.message, "code": 429}, 429, headers)


async def authorize(request: web.Request) -> web.StreamResponse:
    """Start a session (query given), or hand out the code of an authenticated one."""
    if "response_type" not in request.query:
        return _authorization_code(request)
    query = request.query
    for key, wanted in _REQUIRED.items():
        if query.get(key) != wanted:
            raise ApiError(400, f"Invalid or missing {key}")
    if not query.get("code_challenge"):
        raise ApiError(400, "Invalid or missing code_challenge")
    if not is_uuid(query.get("hardware_id")):
        raise CloudflareBlock("hardware_id refused")
    oauth = request.app[STATE_KEY].oauth
    session = oauth.new_session(query["code_challenge"], query["hardware_id"])
    response = redirect(SIGNIN_URL)
    response.set_cookie(COOKIE, session.id, secure=True, httponly=True, path="/")
    return response


def _authorization_code(request: web.Request) -> BodyResponse:
    session = _session(request)
    if not session.authenticated:
        return redirect(SIGNIN_URL)
    code = request.app[STATE_KEY].oauth.issue_code(session)
    return redirect(f"{REDIRECT_URI}?code={code}&state={session.csrf}")


async def signin_page(request: web.Request) -> web.StreamResponse:
    session = _session(request)
    args = html.escape(json.dumps({"csrf-token": session.csrf}), quote=False)
    return html_response(_SIGNIN_PAGE.format(args=args))


async def _checked_form(request: web.Request) -> tuple[OAuthSession, dict[str, str]]:
    session = _session(request)
    form = {key: str(value) for key, value in (await request.post()).items()}
    if form.get("csrf-token") != session.csrf:
        raise ApiError(403, "CSRF token mismatch")
    return session, form


async def signin(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    session, form = await _checked_form(request)
    _refuse_if_locked(request)
    account = state.account
    email_ok = form.get("username", "").casefold() == account.email.casefold()
    if not email_ok or form.get("password") != account.password:
        state.telemetry.count("signin_failures")
        state.limits.sign_in_failed(state.epoch())
        _LOGGER.info("Sign-in rejected for %s", form.get("username"))
        return error_response(401, "Invalid credentials")
    state.limits.sign_in_succeeded()
    if state.oauth.twofa_enabled:
        session.awaiting_2fa = True
        body = {"tsv_state": "required", "tsv_methods": ["email"], "next_time_in_secs": 60}
        return json_response(body, status=202)
    session.authenticated = True
    return redirect(AUTHORIZE_URL, status=303)


async def verify_2fa(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    session, form = await _checked_form(request)
    _refuse_if_locked(request)
    if not session.awaiting_2fa:
        raise ApiError(409, "No 2FA challenge pending")
    if form.get("2fa_code") != state.oauth.twofa_code:
        state.telemetry.count("twofa_failed")
        state.limits.sign_in_failed(state.epoch())
        return json_response({"status": "invalid-code", "message": "Invalid code"}, status=401)
    state.telemetry.count("twofa_ok")
    session.awaiting_2fa = False
    session.authenticated = True
    return json_response({"status": "auth-completed"}, status=201)


ROUTES = (
    Route("GET", "/oauth/v2/authorize", "oauth_authorize", authorize, VHost.OAUTH, auth=False),
    Route("GET", "/oauth/v2/signin", "oauth_signin_page", signin_page, VHost.OAUTH, auth=False),
    Route("POST", "/oauth/v2/signin", "oauth_signin", signin, VHost.OAUTH, auth=False),
    Route("POST", "/oauth/v2/2fa/verify", "oauth_2fa_verify", verify_2fa, VHost.OAUTH, auth=False),
    Route("POST", "/oauth/token", "oauth_token", token, VHost.OAUTH, auth=False),
)
