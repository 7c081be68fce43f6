"""``POST /oauth/token``: code exchange, iOS startup refresh, android mid-session refresh.

As blinkpy 0.25.9 sends them (`blinkpy/api.py`: `oauth_exchange_code_for_token`,
`oauth_refresh_token`, `request_login`). Grants are told apart by ``grant_type`` and ``client_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from blink_mqtt.simulator.oauth_state import TokenPair, is_uuid, pkce_matches
from blink_mqtt.simulator.responses import ApiError, CloudflareBlock, json_response
from blink_mqtt.simulator.state import STATE_KEY, SimState

_LOGGER = logging.getLogger(__name__)
REDIRECT_URI = "immedia-blink://applinks.blink.com/signin/callback"

Form = dict[str, str]
Grant = Callable[[SimState, Form, web.Request], TokenPair]


def _token_body(pair: TokenPair) -> dict[str, object]:
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "expires_in": pair.expires_in,
        "token_type": "Bearer",
        "scope": "client",
    }


def _require_uuid(value: str | None) -> str:
    """Cloudflare's 406 for a refused hardware_id (home-assistant/core PR #178396)."""
    if value is None or not is_uuid(value):
        raise CloudflareBlock("hardware_id refused")
    return value


def _transient_failure(state: SimState) -> None:
    """A refresh failing for a while although its token is fine (see oauth_limits)."""
    if state.limits.refresh_fails():
        state.telemetry.count("refresh_transient_failures")
        raise ApiError(503, "Service temporarily unavailable")


def _code_grant(state: SimState, form: Form, request: web.Request) -> TokenPair:
    if form.get("client_id") != "ios" or form.get("redirect_uri") != REDIRECT_URI:
        raise ApiError(400, "invalid_client")
    hardware_id = _require_uuid(form.get("hardware_id"))
    issued = state.oauth.take_code(form.get("code", ""))
    if issued is None or issued.hardware_id != hardware_id:
        raise ApiError(400, "invalid_grant: unknown or used code")
    if not pkce_matches(form.get("code_verifier", ""), issued.code_challenge):
        raise ApiError(400, "invalid_grant: PKCE verification failed")
    state.telemetry.count("full_logins")
    return state.oauth.issue_tokens(hardware_id, state.epoch())


def _ios_refresh(state: SimState, form: Form, request: web.Request) -> TokenPair:
    hardware_id = _require_uuid(form.get("hardware_id"))
    _transient_failure(state)
    pair = state.oauth.refresh_grant(form.get("refresh_token", ""), hardware_id, state.epoch())
    if pair is None:
        state.telemetry.count("startup_refresh_failures")
        raise ApiError(401, "invalid_grant: refresh token")
    state.telemetry.count("startup_refreshes")
    return pair


def _android_refresh(state: SimState, form: Form, request: web.Request) -> TokenPair:
    hardware_id = _require_uuid(request.headers.get("hardware_id"))
    _transient_failure(state)
    if form.get("username", "").casefold() != state.account.email.casefold():
        state.telemetry.count("midsession_refresh_failures")
        raise ApiError(401, "invalid_grant: username")
    pair = state.oauth.refresh_grant(form.get("refresh_token", ""), hardware_id, state.epoch())
    if pair is None:
        state.telemetry.count("midsession_refresh_failures")
        raise ApiError(401, "invalid_grant: refresh token")
    state.telemetry.count("midsession_refreshes")
    return pair


_GRANTS: dict[tuple[str, str], Grant] = {
    ("authorization_code", "ios"): _code_grant,
    ("refresh_token", "ios"): _ios_refresh,
    ("refresh_token", "android"): _android_refresh,
}


async def token(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    form = {key: str(value) for key, value in (await request.post()).items()}
    grant = _GRANTS.get((form.get("grant_type", ""), form.get("client_id", "")))
    if grant is None:
        raise ApiError(400, "unsupported_grant_type")
    pair = grant(state, form, request)
    _LOGGER.debug("Issued tokens for grant %s", form.get("grant_type"))
    return json_response(_token_body(pair))
