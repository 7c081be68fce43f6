"""Network commands in parallel never refresh the access token twice at once: Blink's
refresh tokens rotate, and one spent twice would end the session (account/core.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bridge_env import AnyBroker, running_bridge
from tests.queue_support import answers, code, send_all
from tests.sim_fixtures import scenario


@pytest.mark.parametrize(
    "token_expiry",
    [
        pytest.param(30, id="blinkpy-refreshes-in-every-request"),
        pytest.param(100, id="refreshed-before-each-command"),
    ],
)
async def test_commands_on_two_networks_with_a_token_about_to_expire(
    broker: AnyBroker, base_topic: str, tmp_path: Path, token_expiry: int
) -> None:
    chosen = scenario(token_expiry=token_expiry, rotate_refresh_tokens=True)
    async with running_bridge(broker, base_topic, tmp_path, chosen=chosen) as env:
        await env.settle()
        mark = env.probe.mark()
        before = env.sim.counters()
        for _ in range(2):
            sent = await send_all(
                env,
                "snap",
                [json.dumps({"camera": c}) for c in ("Front Door", "Porch", "Kitchen")],
            )
            got = await answers(env, sent)
            assert [code(a) for a in got] == ["ok"] * 3, got
        after = env.sim.counters()
        assert after["midsession_refreshes"] > before["midsession_refreshes"]  # it did refresh
        assert after["midsession_refresh_failures"] == before["midsession_refresh_failures"]
        assert after["full_logins"] == before["full_logins"]
        states = [m.json()["state"] for m in env.published(env.topics.bridge_auth, after=mark)]
        assert set(states) <= {"ok"}, states
