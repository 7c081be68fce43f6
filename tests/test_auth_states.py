"""Each way a real Blink sign-in goes wrong has its own auth state and advice (README
"Auth states"; sources in blink_mqtt/account/answers.py and SCENARIO.md): a refused
client (Cloudflare 406: `blocked`, never retried by itself), a lock-out (429:
`locked_out`, one try at the time Blink gives or after an hour; `login` requests refused
meanwhile), a sign-in that lost its cookie (400 `empty_cookies`: `unavailable`, back-off),
a start-up refresh that fails for now (`unavailable`, no new 2FA) and a refresh token
Blink refuses (a new login, 2FA). Sign-ins are counted in the simulator's log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from blink_mqtt.account.session import RequestCounter
from tests.bridge_env import AnyBroker, BridgeEnv, bridge_on, running_bridge, simulator
from tests.sim_fixtures import new_blink, running, scenario
from tests.test_bridge_auth import auth_states, failed, ok

POLL = 0.2
"""Poll interval of these bridges: a retry loop would show within a second."""
QUIET = 1.5
"""Observation window (seconds, over seven polls) in which no retry may happen."""


def signins(env: BridgeEnv) -> int:
    return len(env.requests_to("oauth_signin"))


async def no_auth_change(env: BridgeEnv, seconds: float) -> None:
    """No new auth state for `seconds` (a retry would publish `logging_in`)."""
    with pytest.raises(TimeoutError):
        await env.probe.wait_for(env.topics.bridge_auth, after=env.probe.mark(), timeout=seconds)


def retry_time(message: str) -> datetime:
    """The time a `locked_out` message names."""
    found = re.search(r"at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)", message)
    assert found is not None, message
    return datetime.fromisoformat(found.group(1))


async def test_cloudflare_406_is_blocked_and_never_retried_by_itself(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        sim.add_fault("oauth_signin", "cloudflare_406", count=1)
        async with bridge_on(
            sim, url, broker, base_topic, tmp_path, wait_state="blocked", refresh_interval=POLL
        ) as env:
            message = (await env.wait_auth("blocked")).json()["message"]
            assert "406" in message
            assert "Cloudflare" in message
            assert "do not retry in a loop" in message
            assert "Update blink-mqtt" in message
            await no_auth_change(env, QUIET)
            assert signins(env) == 1

            answer = failed(await env.exchange("snap", "Front Door"), "snap", "not_authenticated")
            assert "406" in answer
            assert ok(await env.exchange("health"), "health")["auth"] == "blocked"
            assert signins(env) == 1

            # the user's one `login` request tries again (Cloudflare lets it through now)
            assert ok(await env.exchange("login"), "login")["auth"] == "2fa_required"
            assert signins(env) == 2


async def test_lock_out_waits_for_retry_after_then_tries_exactly_once(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator(scenario(lockout_retry_after=True)) as (sim, url):
        sim.lock_out(4)  # e.g. the user's own failed attempts in the app a moment ago
        async with bridge_on(
            sim, url, broker, base_topic, tmp_path, wait_state="locked_out", refresh_interval=POLL
        ) as env:
            locked = (await env.wait_auth("locked_out")).json()
            message = locked["message"]
            assert "429" in message
            assert "as Blink asked" in message
            when = retry_time(message)
            assert timedelta(0) < when - datetime.now(UTC) <= timedelta(seconds=5)
            assert signins(env) == 1

            # a `login` request during the lock-out is refused without asking Blink
            refused = failed(await env.exchange("login"), "login", "not_authenticated")
            assert when.isoformat() in refused
            answer = failed(await env.exchange("cameras"), "cameras", "not_authenticated")
            assert "429" in answer
            assert signins(env) == 1

            # at the time Blink gave: one sign-in, which passes
            await env.wait_auth("2fa_required", timeout=20)
            assert ok(await env.exchange("2fa", "123456"), "2fa") == {"auth": "ok"}
            assert signins(env) == 2
            assert sim.counters()["signin_locked"] == 1
            assert datetime.now(UTC) >= when - timedelta(seconds=1)


async def test_lock_out_without_retry_after_waits_an_hour(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        sim.lock_out(30)
        async with bridge_on(
            sim, url, broker, base_topic, tmp_path, wait_state="locked_out", refresh_interval=POLL
        ) as env:
            message = (await env.wait_auth("locked_out")).json()["message"]
            assert "Blink's usual lock-out" in message
            wait = retry_time(message) - datetime.now(UTC)
            assert timedelta(minutes=59) < wait <= timedelta(minutes=60)
            await no_auth_change(env, QUIET)
            failed(await env.exchange("login"), "login", "not_authenticated")
            sim.unlock()  # even once Blink has lifted it: the bridge keeps its word
            await no_auth_change(env, QUIET)
            assert signins(env) == 1


async def test_wrong_password_says_check_the_credentials_and_counts_toward_no_retry(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with running_bridge(
        broker,
        base_topic,
        tmp_path,
        wait_ready=False,
        blink_password="wrong-password-for-test",
        refresh_interval=POLL,
    ) as env:
        message = (await env.wait_auth("login_failed")).json()["message"]
        assert "BLINK_USERNAME and BLINK_PASSWORD" in message
        assert "does not retry" in message
        await no_auth_change(env, QUIET)
        assert signins(env) == 1


async def test_empty_cookies_is_a_passing_failure_retried_after_back_off(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        sim.add_fault("oauth_signin", "empty_cookies", count=1)
        async with bridge_on(
            sim, url, broker, base_topic, tmp_path, wait_state="unavailable", refresh_interval=POLL
        ) as env:
            message = (await env.wait_auth("unavailable")).json()["message"]
            assert "HTTP 400" in message
            assert "retrying in 30 s" in message
            await no_auth_change(env, QUIET)  # the back-off, not the poll interval
            assert signins(env) == 1
            assert ok(await env.exchange("login"), "login")["auth"] == "2fa_required"


async def test_a_passing_failure_of_the_start_up_refresh_needs_no_new_2fa(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator(scenario(token_expiry=60)) as (sim, url):
        async with bridge_on(sim, url, broker, base_topic, tmp_path):
            pass  # the first login: one 2FA; the saved token is too short to reuse
        sim.fail_refreshes(1)  # the restart's refresh answers 503
        async with bridge_on(
            sim,
            url,
            broker,
            f"{base_topic}2",
            tmp_path,
            auto_2fa=False,
            wait_state="unavailable",
            refresh_interval=POLL,
        ) as env:
            message = (await env.wait_auth("unavailable")).json()["message"]
            assert "HTTP 503" in message
            # blinkpy alone would have signed in afresh here, sending a new 2FA code
            assert signins(env) == 1
            assert ok(await env.exchange("login"), "login")["auth"] == "ok"
            assert sim.counters()["twofa_ok"] == 1
            assert signins(env) == 1


async def test_a_refresh_token_blink_refuses_leads_to_a_new_login(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with (
        simulator(scenario(token_expiry=4)) as (sim, url),
        bridge_on(
            sim,
            url,
            broker,
            base_topic,
            tmp_path,
            auto_2fa=False,
            wait_state=None,
            refresh_interval=POLL,
        ) as env,
    ):
        await env.wait_auth("2fa_required")
        assert ok(await env.exchange("2fa", "123456"), "2fa") == {"auth": "ok"}
        mark = env.probe.mark()
        sim.expire_tokens(refresh_tokens=True)  # Blink revokes the session
        # the keeper's refresh (after 3 s) is refused: a new login, which needs 2FA
        waiting = await env.probe.wait_for(
            env.topics.bridge_auth,
            lambda m: m.json()["state"] == "2fa_required",
            after=mark,
            timeout=20,
        )
        states = auth_states(env, after=mark)
        assert states[0] == "unavailable", states
        ended = env.published(env.topics.bridge_auth, after=mark)[0].json()["message"]
        assert "refused the refresh token" in ended
        assert waiting.index > mark
        health = ok(await env.exchange("health"), "health")
        assert health["last_token_refresh"]["ok"] is False
        assert "401" in health["last_token_refresh"]["reason"]
        assert signins(env) == 2


async def test_the_simulator_says_how_long_a_lock_out_lasts_when_asked() -> None:
    """...and the bridge's trace of the sign-in host reads it (answers.py)."""
    counter = RequestCounter()
    chosen = scenario(twofa=False, lockout_retry_after=True)
    async with running(chosen, trace_configs=[counter.trace_config()]) as sim_env:
        sim_env.sim.lock_out(120)
        assert await new_blink(sim_env).start() is False
        answer = counter.last_oauth
        assert answer is not None
        assert (answer.path, answer.status) == ("/oauth/v2/signin", 429)
        assert answer.retry_after is not None
        assert 118 <= answer.retry_after <= 120
        sim_env.sim.set_options(lockout_retry_after=False)
        assert await new_blink(sim_env).start() is False
        answer = counter.last_oauth
        assert answer is not None
        assert (answer.status, answer.retry_after) == (429, None)


async def test_a_lock_out_at_the_2fa_step_is_answered_and_waited_out(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with (
        simulator() as (sim, url),
        bridge_on(
            sim, url, broker, base_topic, tmp_path, auto_2fa=False, wait_state="2fa_required"
        ) as env,
    ):
        sim.lock_out(60)  # e.g. wrong codes typed elsewhere
        message = failed(await env.exchange("2fa", "123456"), "2fa", "not_authenticated")
        assert "429" in message
        assert "tries once more at" in message
        assert (await env.wait_auth("locked_out")).json()["message"] == message
        refused = failed(await env.exchange("2fa", "123456"), "2fa", "invalid_request")
        assert "no login is waiting" in refused
        assert len(env.requests_to("oauth_2fa_verify")) == 1
        assert signins(env) == 1
