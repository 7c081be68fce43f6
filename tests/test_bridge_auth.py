"""Login over MQTT: 2FA (wrong code, right code), saved credentials, token refresh, a bad
password without a retry storm, and the `login` request. Logins are counted in the
simulator (`counters()` and its request log), never inferred from timing."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from tests import secrets_guard
from tests.bridge_env import PROTOCOLS, AnyBroker, BridgeEnv, bridge_on, running_bridge, simulator
from tests.sim_fixtures import CODE, PASSWORD, scenario

OAUTH_STEPS = ("oauth_authorize", "oauth_signin_page", "oauth_signin", "oauth_2fa_verify")


def ok(response: dict[str, Any], command: str) -> Any:
    assert response["command"] == command, response
    assert response["status"] == "ok", response
    return response["data"]


def failed(response: dict[str, Any], command: str, code: str) -> str:
    assert response["command"] == command, response
    assert response["status"] == "error", response
    assert response["error"]["code"] == code, response
    message: str = response["error"]["message"]
    return message


def auth_states(env: BridgeEnv, after: int = 0) -> list[str]:
    return [m.json()["state"] for m in env.published(env.topics.bridge_auth, after=after)]


def saved_credentials(env: BridgeEnv) -> tuple[dict[str, Any], str]:
    path = env.settings.credentials_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert PASSWORD not in text
    data: dict[str, Any] = json.loads(text)
    assert "password" not in data
    assert data["refresh_token"]
    return data, text


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_2fa_over_mqtt_wrong_code_then_right_code(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int
) -> None:
    async with running_bridge(
        broker, base_topic, tmp_path, protocol=protocol, auto_2fa=False
    ) as env:
        waiting = await env.wait_auth("2fa_required")
        if protocol == 5:
            assert waiting.retain
        assert "2fa" in waiting.json()["message"]
        assert env.sim.counters()["full_logins"] == 0
        assert len(env.requests_to("oauth_signin")) == 1  # one code sent

        # nothing that needs Blink works yet; health does
        for command, payload in (("snap", "Front Door"), ("cameras", ""), ("arm", "Home")):
            message = failed(await env.exchange(command, payload), command, "not_authenticated")
            assert "2FA" in message
        assert ok(await env.exchange("health"), "health")["auth"] == "2fa_required"

        mark = env.probe.mark()
        message = failed(await env.exchange("2fa", "000000"), "2fa", "invalid_request")
        assert "2FA code" in message
        assert ok(await env.exchange("health"), "health")["auth"] == "2fa_required"
        assert set(auth_states(env, after=mark)) <= {"2fa_required"}
        counters = env.sim.counters()
        assert counters["twofa_failed"] == 1
        assert counters["full_logins"] == 0

        response = await env.exchange("2fa", {"code": f" {CODE} ", "id": 2})
        assert response["id"] == 2
        assert ok(response, "2fa") == {"auth": "ok"}
        await env.wait_auth("ok")
        counters = env.sim.counters()
        assert (counters["twofa_failed"], counters["twofa_ok"]) == (1, 1)
        assert counters["full_logins"] == 1
        # the right code finished the same login: no second sign-in, so no second code sent
        assert len(env.requests_to("oauth_signin")) == 1
        assert len(env.requests_to("oauth_2fa_verify")) == 2

        assert ok(await env.exchange("snap", "Front Door"), "snap")["fresh"] is True
        message = failed(await env.exchange("2fa", CODE), "2fa", "invalid_request")
        assert "no login is waiting" in message
        assert env.sim.counters()["twofa_ok"] == 1
        saved_credentials(env)


async def test_restart_from_saved_credentials_without_login_or_2fa(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        async with bridge_on(sim, url, broker, base_topic, tmp_path) as first:
            first_saved, first_text = saved_credentials(first)
        assert sim.counters()["full_logins"] == 1
        sim.reset_telemetry()

        # no auto 2FA: a bridge that needed a code would wait for it and never be "ok".
        # Run 0 restarts within the saved access token's life: it is used as it is (no
        # token request, nothing rotated). Before run 1 Blink revokes it: one refresh.
        for run in range(2):
            if run == 1:
                sim.expire_tokens()
            async with bridge_on(
                sim, url, broker, f"{base_topic}{run}", tmp_path, auto_2fa=False
            ) as again:
                counters = sim.counters()
                assert counters["full_logins"] == 0
                assert counters["startup_refreshes"] == run
                assert counters["startup_refresh_failures"] == 0
                assert counters["twofa_ok"] + counters["twofa_failed"] == 0
                assert not again.requests_to(*OAUTH_STEPS)
                # (the outbox sends only the newest of each retained topic: maybe just "ok")
                assert set(auth_states(again)) <= {"logging_in", "ok"}
                response = await again.exchange("snap", "Porch")
                assert ok(response, "snap")["fresh"] is True
                saved, text = saved_credentials(again)
                if run == 0:
                    assert saved["refresh_token"] == first_saved["refresh_token"]
                else:  # refresh tokens rotate: the file was rewritten with the new one
                    assert text != first_text
                    assert saved["refresh_token"] != first_saved["refresh_token"]
                first_text, first_saved = text, saved


async def test_token_expiry_mid_session_saves_refreshed_tokens(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    # tokens valid for 4 s: the bridge's keeper refreshes them after 3 s, in the background
    async with simulator(scenario(token_expiry=4)) as (sim, url):
        async with bridge_on(sim, url, broker, base_topic, tmp_path) as env:
            before, before_text = saved_credentials(env)
            start = len(sim.request_log())
            async with asyncio.timeout(20):
                await sim.wait_for_request(lambda r: r.endpoint == "oauth_token", after=start)
            await env.probe.wait_for(
                env.topics.bridge_info,
                lambda m: (m.json()["last_token_refresh"] or {}).get("ok") is True,
            )
            assert sim.counters()["midsession_refreshes"] >= 1
            assert sim.counters()["midsession_refresh_failures"] == 0
            after, after_text = saved_credentials(env)
            assert after_text != before_text
            assert after["refresh_token"] != before["refresh_token"]
            assert ok(await env.exchange("snap", "Kitchen"), "snap")["fresh"] is True
            assert ok(await env.exchange("health"), "health")["auth"] == "ok"
            final, _ = saved_credentials(env)
        # the file holds the live refresh token (the old ones were rotated out)
        logins = sim.counters()["full_logins"]
        async with bridge_on(sim, url, broker, f"{base_topic}2", tmp_path, auto_2fa=False) as again:
            assert sim.counters()["full_logins"] == logins
            assert sim.counters()["startup_refresh_failures"] == 0
            assert ok(await again.exchange("cameras"), "cameras")["cameras"]
        assert final["refresh_token"] != before["refresh_token"]


async def test_revoked_token_and_a_failed_refresh_keep_the_session(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(broker, base_topic, tmp_path, refresh_interval=0.2) as env:
        await env.settle()
        mark, start = env.probe.mark(), len(env.sim.request_log())
        logins = env.sim.counters()["full_logins"]
        env.sim.add_fault("oauth_token", "500", count=1)  # and the token refresh fails once
        env.sim.expire_tokens()  # access tokens only: Blink answers 401 from now on
        async with asyncio.timeout(20):  # a later poll's 401 refreshes again, and it works
            await env.sim.wait_for_request(
                lambda r: r.endpoint == "oauth_token" and r.status == 200, after=start
            )
        assert ok(await env.exchange("snap", "Front Door"), "snap")["fresh"] is True
        counters = env.sim.counters()
        assert (counters["full_logins"], counters["startup_refreshes"]) == (logins, 0)
        assert counters["midsession_refreshes"] == 1
        await env.barrier()
        assert auth_states(env, after=mark) == []  # `ok` throughout: no new login


async def no_auth_change(env: BridgeEnv, mark: int, seconds: float) -> None:
    """Assert that the bridge publishes no new auth state for `seconds` (an observation
    window: a retry would publish `logging_in`)."""
    with pytest.raises(TimeoutError):
        await env.probe.wait_for(env.topics.bridge_auth, after=mark, timeout=seconds)


async def test_bad_password_is_not_retried(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    wrong = "not-the-password-4711"
    secrets_guard.remember(wrong)
    async with running_bridge(
        broker,
        base_topic,
        tmp_path,
        wait_ready=False,
        blink_password=wrong,
        refresh_interval=0.5,
    ) as env:
        failure = await env.wait_auth("login_failed")
        assert "password" in failure.json()["message"]
        assert env.sim.counters()["signin_failures"] == 1
        assert len(env.requests_to("oauth_signin")) == 1

        mark = env.probe.mark()
        await no_auth_change(env, mark, seconds=2.0)  # four poll intervals
        assert len(env.requests_to("oauth_signin")) == 1
        assert env.sim.counters()["signin_failures"] == 1

        message = failed(await env.exchange("snap", "Front Door"), "snap", "not_authenticated")
        assert "login" in message
        assert ok(await env.exchange("health"), "health")["auth"] == "login_failed"

        # a `login` request tries once more (the password is still wrong)
        mark = env.probe.mark()
        failed(await env.exchange("login"), "login", "not_authenticated")
        assert auth_states(env, after=mark) == ["logging_in", "login_failed"]
        assert len(env.requests_to("oauth_signin")) == 2
        await no_auth_change(env, env.probe.mark(), seconds=1.0)
        assert len(env.requests_to("oauth_signin")) == 2
        saved = json.loads(env.settings.credentials_file.read_text())
        assert set(saved) == {"hardware_id"}  # no login to save: only the device id


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_login_request_after_a_failed_login(
    broker: AnyBroker, base_topic: str, tmp_path: Path, protocol: int
) -> None:
    async with simulator() as (sim, url):
        sim.add_fault("oauth_signin", "401", count=1)  # Blink refuses the first sign-in
        async with bridge_on(
            sim, url, broker, base_topic, tmp_path, protocol=protocol, wait_state="login_failed"
        ) as env:
            assert sim.counters()["full_logins"] == 0
            response = await env.exchange("login", {"id": "again"})
            assert response["id"] == "again"
            assert ok(response, "login")["auth"] == "2fa_required"
            assert ok(await env.exchange("2fa", CODE), "2fa") == {"auth": "ok"}
            await env.wait_auth("ok")
            assert sim.counters()["full_logins"] == 1
            assert ok(await env.exchange("snap", "Backyard"), "snap")["fresh"] is True

            # `login` while logged in starts again from the saved credentials: no 2FA
            data = ok(await env.exchange("login"), "login")
            assert data["auth"] == "ok"
            assert sim.counters()["full_logins"] == 1
            assert sim.counters()["startup_refreshes"] == 1
            assert ok(await env.exchange("snap", "Backyard"), "snap")["fresh"] is True
