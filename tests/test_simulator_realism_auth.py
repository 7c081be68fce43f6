"""Sign-in and token realism, seen by unmodified blinkpy: Cloudflare 406, empty_cookies,
lock-out, 4-hour tokens, transient refresh failures (sources in SCENARIO.md)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from aiohttp import DummyCookieJar
from blinkpy import api
from blinkpy.auth import BlinkTwoFARequiredError, TokenRefreshFailed

from tests.sim_fixtures import (
    EMAIL,
    OAUTH,
    PASSWORD,
    ShiftedClock,
    authorize_query,
    login,
    new_blink,
    pkce_pair,
    running,
    scenario,
)

AUTHORIZE = f"{OAUTH}/oauth/v2/authorize"


async def test_refused_hardware_id_gets_cloudflare_406_and_blinkpy_ids_pass() -> None:
    async with running(scenario(twofa=False)) as env:
        _, challenge = pkce_pair()
        query = authorize_query(challenge, "Home Assistant")
        async with env.session.get(AUTHORIZE, params=query) as resp:
            assert (resp.status, resp.content_type) == (406, "text/html")
            assert resp.headers["Server"] == "cloudflare"
        # blinkpy replaces a non-UUID hardware_id with an upper-case UUID: it logs in
        blink = new_blink(env, {"username": EMAIL, "password": PASSWORD, "hardware_id": "x"})
        assert await blink.start() is True
        assert blink.auth.hardware_id == blink.auth.hardware_id.upper()
        lower = str(uuid.uuid4())  # lower-case UUIDs pass (home-assistant/core PR #178396)
        data = {"username": EMAIL, "password": PASSWORD, "hardware_id": lower}
        assert await new_blink(env, data).start() is True


async def test_cloudflare_406_on_the_signin_post_fails_start() -> None:
    async with running(scenario(twofa=False)) as env:
        env.sim.add_fault("oauth_signin", "cloudflare_406", count=1)
        assert await new_blink(env).start() is False
        last = [r for r in env.sim.request_log() if r.endpoint == "oauth_signin"][-1]
        assert (last.status, last.fault) == (406, "cloudflare_406")
        assert await new_blink(env).start() is True


async def test_sign_in_without_cookies_gets_400_empty_cookies() -> None:
    async with running(scenario(twofa=False), cookie_jar=DummyCookieJar()) as env:
        assert await new_blink(env).start() is False
        async with env.session.get(f"{OAUTH}/oauth/v2/signin") as resp:
            assert resp.status == 400
            body = await resp.json()
        assert body == {
            "error": "bad_request",
            "error_cause": "empty_cookies",
            "error_description": "Empty Cookies.",
        }


async def test_injected_empty_cookies_fails_one_sign_in() -> None:
    async with running(scenario(twofa=False)) as env:
        env.sim.add_fault("oauth_signin", "empty_cookies", count=1)
        assert await new_blink(env).start() is False
        assert await new_blink(env).start() is True


async def test_repeated_failures_lock_out_even_correct_credentials() -> None:
    clock = ShiftedClock()
    chosen = scenario(twofa=False, lockout_after_failures=2, lockout_seconds=3600)
    async with running(chosen, clock=clock) as env:
        wrong = {"username": EMAIL, "password": "nope"}
        assert await new_blink(env, wrong).start() is False
        assert await new_blink(env, wrong).start() is False
        assert await new_blink(env).start() is False  # correct, but locked: 429
        statuses = [r.status for r in env.sim.request_log() if r.endpoint == "oauth_signin"]
        assert statuses == [401, 401, 429]
        assert env.sim.counters()["signin_locked"] == 1
        clock.advance(3599)
        assert await new_blink(env).start() is False
        clock.advance(2)
        assert await new_blink(env).start() is True


async def test_lock_out_and_unlock_by_control_api() -> None:
    async with running(scenario(twofa=True)) as env:
        base = env.base_url + "/_sim"
        async with env.session.post(f"{base}/lockout", json={"seconds": 60}) as resp:
            assert resp.status == 200
        assert await new_blink(env).start() is False
        async with env.session.delete(f"{base}/lockout") as resp:
            assert resp.status == 200
        blink = new_blink(env)
        with pytest.raises(BlinkTwoFARequiredError):
            await blink.start()
        env.sim.lock_out(60)  # the 2FA step is locked too
        assert await blink.send_2fa_code("123456") is False
        env.sim.unlock()
        assert await blink.send_2fa_code("123456") is True


async def test_access_tokens_last_four_hours_by_default() -> None:
    async with running(scenario(twofa=False, token_expiry=14400)) as env:
        blink = await login(env)
        assert blink.auth.expires_in == 14400


async def test_transient_refresh_failure_then_the_same_token_works() -> None:
    async with running(scenario(twofa=False, token_expiry=60)) as env:
        blink = await login(env)  # expires_in 60: blinkpy refreshes before every call
        token_before = blink.auth.refresh_token
        async with env.session.post(
            env.base_url + "/_sim/tokens/fail_refreshes", json={"count": 1}
        ) as resp:
            assert resp.status == 200
        with pytest.raises(TokenRefreshFailed):
            await api.request_networks(blink)
        assert blink.auth.refresh_token == token_before
        networks = await api.request_networks(blink)
        assert "2001" in networks["summary"]
        assert env.sim.counters()["refresh_transient_failures"] == 1


async def test_every_nth_refresh_fails() -> None:
    async with running(scenario(twofa=False, token_expiry=60)) as env:
        blink = await login(env)
        env.sim.set_options(refresh_fail_every=2)
        outcomes = []
        for _ in range(4):
            try:
                await api.request_networks(blink)
                outcomes.append("ok")
            except TokenRefreshFailed:
                outcomes.append("failed")
        assert outcomes in (["ok", "failed"] * 2, ["failed", "ok"] * 2)


async def test_transient_startup_refresh_failure_falls_back_to_2fa(tmp_path: Path) -> None:
    async with running(scenario(twofa=True)) as env:
        first = await login(env)
        creds = tmp_path / "creds.json"
        await first.save(str(creds))
        env.sim.fail_refreshes(1)
        again = new_blink(env, json.loads(creds.read_text()))
        with pytest.raises(BlinkTwoFARequiredError):  # blinkpy gives up the saved token
            await again.start()
        assert env.sim.counters()["refresh_transient_failures"] == 1
