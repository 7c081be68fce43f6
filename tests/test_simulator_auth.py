"""Unmodified blinkpy logging in to the simulator: OAuth, 2FA, saved credentials, tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from blinkpy import api
from blinkpy.auth import BlinkTwoFARequiredError, UnauthorizedError

from tests.sim_fixtures import CODE, login, new_blink, running, scenario


async def test_fresh_login_without_2fa_sets_up_every_camera() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = new_blink(env, owls=True)
        assert await blink.start() is True  # the suite's only unforced (throttled) homescreen
        assert sorted(blink.sync) == ["Cabin", "Home", "Kitchen"]
        assert sorted(blink.cameras) == ["Backyard", "Front Door", "Garage", "Kitchen", "Porch"]
        front, backyard = blink.cameras["Front Door"], blink.cameras["Backyard"]
        assert front.serial == "G8T1-4001-FRNT"
        assert front.battery == "ok"
        assert backyard.battery == "low"
        assert front.temperature_calibrated == 66
        assert blink.cameras["Porch"].camera_type == "doorbell"
        assert blink.cameras["Garage"].camera_type == "mini"
        assert blink.sync["Home"].local_storage is True
        assert blink.sync["Home"].arm is True
        assert blink.auth.client_id == "5001"
        counters = env.sim.counters()
        assert counters["full_logins"] == 1
        assert counters["twofa_ok"] == 0


async def test_login_with_2fa() -> None:
    async with running(scenario(twofa=True)) as env:
        blink = new_blink(env)
        with pytest.raises(BlinkTwoFARequiredError):
            await blink.start()
        assert await blink.send_2fa_code(CODE) is True
        assert blink.available is True
        assert env.sim.counters()["twofa_ok"] == 1
        assert env.sim.counters()["full_logins"] == 1


async def test_wrong_password_fails_start() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = new_blink(env, {"username": "demo@example.com", "password": "nope"})
        assert await blink.start() is False
        assert env.sim.counters()["signin_failures"] == 1
        assert env.sim.counters()["full_logins"] == 0


async def test_wrong_then_right_2fa_code_continues_the_same_session() -> None:
    async with running(scenario(twofa=True)) as env:
        blink = new_blink(env)
        with pytest.raises(BlinkTwoFARequiredError):
            await blink.start()
        assert await blink.send_2fa_code("000000") is False
        assert await blink.send_2fa_code(CODE) is True
        counters = env.sim.counters()
        assert (counters["twofa_failed"], counters["twofa_ok"]) == (1, 1)
        assert counters.requests["oauth_signin"] == 1


async def test_2fa_code_set_at_run_time() -> None:
    async with running(scenario(twofa=False)) as env:
        env.sim.set_two_factor(enabled=True, code="654321")
        blink = new_blink(env)
        with pytest.raises(BlinkTwoFARequiredError):
            await blink.start()
        assert await blink.send_2fa_code(CODE) is False
        assert await blink.send_2fa_code("654321") is True


async def test_restart_from_saved_credentials_needs_no_full_login(tmp_path: Path) -> None:
    async with running(scenario(twofa=True)) as env:
        first = await login(env)
        creds = tmp_path / "creds.json"
        await first.save(str(creds))
        saved = json.loads(creds.read_text())
        env.sim.reset_telemetry()

        second = new_blink(env, dict(saved))
        assert await second.start() is True
        counters = env.sim.counters()
        assert counters["full_logins"] == 0
        assert counters["startup_refreshes"] == 1
        assert counters["twofa_ok"] + counters["twofa_failed"] == 0
        assert "tier_info" not in counters.requests
        assert second.auth.refresh_token != saved["refresh_token"]

        stale = new_blink(env, dict(saved))  # refresh tokens rotate: the old file is stale
        with pytest.raises(BlinkTwoFARequiredError):
            await stale.start()
        assert env.sim.counters()["startup_refresh_failures"] == 1


async def test_expiring_token_is_refreshed_mid_session_with_callback() -> None:
    # expires_in=60: blinkpy refreshes whenever less than 60 s are left, i.e. before every call
    async with running(scenario(twofa=False, token_expiry=60)) as env:
        blink = await login(env)
        fired: list[str] = []
        blink.auth.callback = lambda: fired.append(blink.auth.token)
        env.sim.expire_tokens()
        env.sim.reset_telemetry()
        networks = await api.request_networks(blink)
        assert "2001" in networks["summary"]
        assert fired == [blink.auth.token]
        counters = env.sim.counters()
        assert counters["midsession_refreshes"] == 1
        assert counters["full_logins"] == 0
        assert [r.endpoint for r in env.sim.request_log()] == ["oauth_token", "networks"]


async def test_invalid_refresh_token_mid_session_raises_unauthorized() -> None:
    async with running(scenario(twofa=False, token_expiry=60)) as env:
        blink = await login(env)
        env.sim.expire_tokens(refresh_tokens=True)
        with pytest.raises(UnauthorizedError):
            await api.request_networks(blink)
        assert env.sim.counters()["midsession_refresh_failures"] == 1


async def test_revoked_access_token_gives_unauthorized_error() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        env.sim.expire_tokens()
        with pytest.raises(UnauthorizedError):
            await api.request_networks(blink)
