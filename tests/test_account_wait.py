"""Requests that need Blink and arrive while the bridge logs in wait for the login (at
most 30 s) instead of failing; while Blink waits for a 2FA code they fail at once."""

from __future__ import annotations

import time
from pathlib import Path

from blink_mqtt.account.core import LOGIN_WAIT
from tests.bridge_env import AnyBroker, bridge_on, simulator
from tests.test_bridge_auth import failed, ok

HOLD = 1.5
"""Blink holds the login's home screen this long (the login is under way meanwhile)."""


async def test_a_request_during_the_login_waits_for_it(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        async with bridge_on(sim, url, broker, base_topic, tmp_path):
            pass  # the first login (2FA) saves credentials
        sim.add_fault("homescreen", "delay", count=1, seconds=HOLD)
        async with bridge_on(
            sim, url, broker, f"{base_topic}2", tmp_path, auto_2fa=False, wait_state=None
        ) as env:
            await env.probe.wait_for(env.topics.bridge_state, lambda m: m.payload == b"online")
            assert ok(await env.exchange("health"), "health")["auth"] == "logging_in"
            mark = env.probe.mark()
            data = ok(await env.exchange("cameras"), "cameras")
            assert len(data["cameras"]) == 5
            logged_in = await env.wait_auth("ok")
            assert logged_in.index > mark  # the login ended after the request was sent
            assert ok(await env.exchange("snap", "Kitchen"), "snap")["fresh"] is True


async def test_during_a_pending_2fa_requests_fail_at_once(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with (
        simulator() as (sim, url),
        bridge_on(
            sim, url, broker, base_topic, tmp_path, auto_2fa=False, wait_state="2fa_required"
        ) as env,
    ):
        started = time.monotonic()
        message = failed(await env.exchange("cameras"), "cameras", "not_authenticated")
        assert "2FA" in message
        assert time.monotonic() - started < LOGIN_WAIT / 3  # answered, not timed out
