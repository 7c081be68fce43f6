"""The token keeper: the access token is refreshed before it expires, in the background;
a refresh that fails for now is retried with back-off while the bridge stays `online`,
its auth state `ok` and every request works; `health` and `bridge/info` show the expiry
and the last refresh (never a token). And the bridge's hardware_id: one upper-case UUID,
saved before the first sign-in, the same at every start."""

from __future__ import annotations

import json
import stat
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from hypothesis import given
from hypothesis import strategies as st

from blink_mqtt.account.answers import MAX_RETRY_AFTER, retry_after_seconds
from blink_mqtt.account.keeper import RETRY_MIN
from tests.bridge_env import AnyBroker, BridgeEnv, bridge_on, simulator
from tests.probe import Received
from tests.sim_fixtures import PASSWORD, scenario
from tests.test_bridge_auth import auth_states, ok, saved_credentials

LIFE = 8
"""Token life of these tests (seconds): the keeper refreshes after 6 s."""


async def next_info(env: BridgeEnv, after: int, timeout: float = 20) -> Received:
    """The next `bridge/info` that reports a token refresh."""
    return await env.probe.wait_for(
        env.topics.bridge_info,
        lambda m: m.json()["last_token_refresh"] is not None,
        after=after,
        timeout=timeout,
    )


async def test_the_token_is_refreshed_before_it_expires_in_the_background(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with (
        simulator(scenario(token_expiry=LIFE)) as (sim, url),
        bridge_on(sim, url, broker, base_topic, tmp_path) as env,
    ):
        await env.settle()
        health = ok(await env.exchange("health"), "health")
        expires = datetime.fromisoformat(health["token_expires_at"])
        assert health["last_token_refresh"] is None
        assert timedelta(0) < expires - datetime.now(UTC) <= timedelta(seconds=LIFE + 1)
        before, _ = saved_credentials(env)
        mark, start = env.probe.mark(), len(sim.request_log())

        info = (await next_info(env, mark)).json()  # no poll, no request: the keeper
        refresh = info["last_token_refresh"]
        assert isinstance(refresh, dict)
        assert (refresh["ok"], refresh["reason"]) == (True, None)
        refreshed_at = datetime.fromisoformat(refresh["at"])
        left = (expires - refreshed_at).total_seconds()
        assert 0.5 < left <= LIFE / 4 + 1.0, left  # after 3/4 of its life, well before
        assert isinstance(info["token_expires_at"], str)
        assert datetime.fromisoformat(info["token_expires_at"]) > expires
        assert [r.endpoint for r in sim.request_log()[start:]] == ["oauth_token"]
        assert sim.counters()["midsession_refreshes"] == 1
        after, _ = saved_credentials(env)
        assert after["refresh_token"] != before["refresh_token"]  # the rotated one, saved
        assert not [r for r in sim.request_log() if r.status == 401]  # never expired
        text = json.dumps(info)
        assert after["refresh_token"] not in text
        assert after["token"] not in text


async def test_failed_refreshes_are_retried_with_back_off_and_the_bridge_stays_up(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with (
        simulator(scenario(token_expiry=LIFE)) as (sim, url),
        bridge_on(sim, url, broker, base_topic, tmp_path, refresh_interval=0.5) as env,
    ):
        await env.settle()
        mark = env.probe.mark()
        signins = len(env.requests_to("oauth_signin"))
        sim.fail_refreshes(3)  # the next three refreshes answer 503

        failures: list[str] = []
        after = mark
        while True:
            message = await next_info(env, after)
            after = message.index + 1
            refresh = message.json()["last_token_refresh"]
            assert isinstance(refresh, dict)
            if refresh["ok"]:
                break
            failures.append(str(refresh["reason"]))
        assert failures == ["HTTP 503"] * 3
        tokens = env.requests_to("oauth_token", after=0)
        assert [r.status for r in tokens[-4:]] == [503, 503, 503, 200]
        gaps = [b.time - a.time for a, b in zip(tokens[-4:-1], tokens[-3:], strict=True)]
        assert all(gap >= 0.45 for gap in gaps), gaps  # back-off, never a storm

        # meanwhile: `online`, `ok`, every poll and request worked
        assert ok(await env.exchange("cameras"), "cameras")["cameras"]
        await env.barrier()
        assert auth_states(env, after=mark) == []
        assert [m.payload for m in env.published(env.topics.bridge_state, after=mark)] == []
        assert not [r for r in sim.request_log() if r.status == 401]
        assert len(env.requests_to("oauth_signin")) == signins
        assert sim.counters()["refresh_transient_failures"] == 3


async def test_hardware_id_is_one_upper_case_uuid_kept_across_starts(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        # a first start with a wrong password: the id is saved before the sign-in
        async with bridge_on(
            sim,
            url,
            broker,
            base_topic,
            tmp_path,
            blink_password="wrong",
            wait_state="login_failed",
        ) as env:
            path = env.settings.credentials_file
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            saved = json.loads(path.read_text())
            hardware_id = saved["hardware_id"]
            assert hardware_id == str(uuid.UUID(hardware_id)).upper()
        # a second start signs in with the same id, and keeps it with the tokens
        async with bridge_on(sim, url, broker, f"{base_topic}2", tmp_path) as env:
            saved, _ = saved_credentials(env)
            assert saved["hardware_id"] == hardware_id
        ids = [
            parse_qs(r.query).get("hardware_id")
            for r in sim.request_log()
            if r.endpoint == "oauth_authorize" and "hardware_id" in r.query
        ]
        assert ids == [[hardware_id], [hardware_id]]
        # a third start refreshes the saved token, which Blink bound to that id
        sim.expire_tokens()
        async with bridge_on(sim, url, broker, f"{base_topic}3", tmp_path, auto_2fa=False) as env:
            assert sim.counters()["startup_refreshes"] == 1
            assert saved_credentials(env)[0]["hardware_id"] == hardware_id
        assert not [r for r in sim.request_log() if r.status == 406]  # never refused
        assert PASSWORD not in path.read_text()


async def test_a_saved_id_that_is_no_uuid_is_replaced_once(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        data = tmp_path / "data"
        data.mkdir()
        (data / "credentials.json").write_text(json.dumps({"hardware_id": "Blinkpy"}))
        async with bridge_on(sim, url, broker, base_topic, tmp_path) as env:
            first = saved_credentials(env)[0]["hardware_id"]
            assert first == str(uuid.UUID(first)).upper()
        assert not [r for r in sim.request_log() if r.status == 406]


@given(st.text(max_size=60))
def test_any_retry_after_header_is_read_safely(value: str) -> None:
    now = datetime.now(UTC)
    seconds = retry_after_seconds(value, now)
    assert seconds is None or 0.0 <= seconds <= MAX_RETRY_AFTER


def test_retry_after_in_seconds_and_as_a_date() -> None:
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Wed, 01 Jul 2026 13:00:00 GMT", now) == 3600.0
    assert retry_after_seconds("Wed, 01 Jul 2026 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("9" * 5000, now) == MAX_RETRY_AFTER
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


async def test_an_expired_token_whose_refreshes_fail_costs_one_request_per_retry(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """Refreshes fail past the token's expiry: requests and polls (five a second) are
    answered `blink_unavailable` without asking Blink; only the keeper's retries go out."""
    async with (
        simulator(scenario(token_expiry=LIFE)) as (sim, url),
        bridge_on(sim, url, broker, base_topic, tmp_path, refresh_interval=0.2) as env,
    ):
        await env.settle()
        expires = ok(await env.exchange("health"), "health")["token_expires_at"]
        mark = env.probe.mark()
        sim.fail_refreshes(10_000)  # the token endpoint answers 503 for good
        await env.probe.wait_for(
            env.topics.bridge_info,
            lambda m: (m.json()["last_token_refresh"] or {}).get("at", "") > expires,
            after=mark,
            timeout=20,
        )
        start, began = len(sim.request_log()), time.monotonic()
        for _ in range(10):
            response = await env.exchange("refresh")
            assert response["status"] == "error", response
            assert response["error"]["code"] == "blink_unavailable"
            assert "has expired" in response["error"]["message"]
        window = time.monotonic() - began
        tokens = env.requests_to("oauth_token", after=start)
        assert len(tokens) <= window / RETRY_MIN + 1, (len(tokens), window)
        assert not [r for r in sim.request_log()[start:] if r.endpoint != "oauth_token"]

        sim.fail_refreshes(0)  # Blink is back: the keeper's next try works
        await env.probe.wait_for(
            env.topics.bridge_info,
            lambda m: (m.json()["last_token_refresh"] or {}).get("ok") is True,
            after=env.probe.mark(),
            timeout=20,
        )
        assert ok(await env.exchange("refresh"), "refresh")["cameras"] == 5
        await env.barrier()
        assert auth_states(env, after=mark) == []
        assert env.published(env.topics.bridge_state, after=mark) == []
