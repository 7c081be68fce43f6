"""Weeks of Blink tokens in seconds: the bridge stays `online` and `ok` and needs no new
2FA while its access tokens expire every few seconds, every third refresh fails for a
while (home-assistant/core#177746) and the account is locked out of sign-ins for a
(simulated) hour (home-assistant/core#107143).

Time is scaled through the token's life: Blink's 4-hour token lasts LIFE seconds here, and
every duration of the keeper scales with it (refresh after three quarters of the life,
retries from 1/480 of it; keeper.py), so one real second is SIM_HOURS_PER_SECOND hours.
The bridge polls twice per simulated hour and a client asks it for a poll at every token
refresh. The figures are printed (`pytest -s`): simulated hours, token refreshes, failed
refreshes, minutes offline, new 2FA prompts. `BLINK_MQTT_LONG=1` runs 10 minutes (600
simulated hours, 25 days) instead of 16 s. A long run (2026-11-30): 602 simulated hours,
184 token refreshes, 92 failed refreshes, 0 minutes offline, 0 new 2FA prompts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.bridge_env import AnyBroker, bridge_on, simulator
from tests.sim_fixtures import scenario
from tests.test_bridge_auth import auth_states

LONG = os.environ.get("BLINK_MQTT_LONG") == "1"
LIFE = 4
"""Seconds a token lasts here; Blink's last 4 hours."""
SIM_HOURS_PER_SECOND = 4 / LIFE
RUN = 600.0 if LONG else 16.0
"""Real seconds of the run."""
FAIL_EVERY = 3
"""Every third refresh grant fails for now (503)."""


@pytest.mark.timeout(RUN + 120)
async def test_tokens_expiring_failing_and_a_lock_out_never_take_the_bridge_offline(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    chosen = scenario(token_expiry=LIFE, lockout_retry_after=True)
    async with (
        simulator(chosen) as (sim, url),
        bridge_on(sim, url, broker, base_topic, tmp_path, refresh_interval=LIFE / 8) as env,
    ):
        await env.settle()
        sim.set_options(refresh_fail_every=FAIL_EVERY)
        mark, start = env.probe.mark(), len(sim.request_log())
        before = sim.counters()
        began = time.monotonic()
        after, seen, failed_polls, locked = mark, 0, 0, False
        while (elapsed := time.monotonic() - began) < RUN:
            if not locked and elapsed > RUN / 2:  # a lock-out of one simulated hour
                sim.lock_out(LIFE / 4)
                locked = True
            message = await env.probe.wait_for(
                env.topics.bridge_info,
                lambda m: m.json()["last_token_refresh"] is not None,
                after=after,
                timeout=2 * LIFE,  # a refresh (ok or failed) at least every token life
            )
            after, seen = message.index + 1, seen + 1
            answer = await env.exchange("refresh")
            failed_polls += answer["status"] != "ok"
        elapsed = time.monotonic() - began
        await env.barrier()

        counters = sim.counters()
        refreshes = counters["midsession_refreshes"] - before["midsession_refreshes"]
        failures = counters["refresh_transient_failures"] - before["refresh_transient_failures"]
        states = auth_states(env, after=mark)
        offline = env.published(env.topics.bridge_state, after=mark)
        cameras_down = [
            m
            for m in env.published(env.topics.camera_state("+"), after=mark)
            if not m.json()["online"]
        ]
        new_2fa = (
            states.count("2fa_required")
            + counters["twofa_ok"]
            - before["twofa_ok"]
            + len(env.requests_to("oauth_signin", after=start))
        )
        minutes_offline = 0.0 if not offline and not states else float("nan")
        print(
            f"\nlong run: {elapsed * SIM_HOURS_PER_SECOND:.0f} simulated hours "
            f"(a 4 h token = {LIFE} s; {elapsed:.0f} s), token refreshes {refreshes}, "
            f"failed refreshes {failures}, minutes offline {minutes_offline:.0f}, "
            f"new 2FA prompts {new_2fa}, failed polls {failed_polls}"
        )
        assert seen >= RUN / LIFE
        assert refreshes >= RUN / LIFE
        assert failures >= 1
        assert states == [], states  # auth `ok` throughout
        assert offline == [], [m.payload for m in offline]  # `online` throughout
        assert cameras_down == []  # so every entity stayed available
        assert new_2fa == 0
        assert failed_polls == 0
        assert not [r for r in sim.request_log()[start:] if r.status == 401]  # never expired
