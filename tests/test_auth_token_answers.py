"""Whatever Blink's token endpoint answers to the start-up refresh (any status, any JSON
body), the bridge's Auth ends in one of its own outcomes: tokens with a usable expiry,
RefreshRefused, RefreshUnavailable, or blinkpy's LoginError (the full sign-in, which this
server does not offer). Served over real HTTP to the unmodified blinkpy request."""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from typing import Any

from aiohttp import web
from blinkpy.auth import LoginError
from hypothesis import given, settings
from hypothesis import strategies as st

from blink_mqtt.account.session import RequestCounter
from blink_mqtt.account.tokens import KeptAuth, RefreshRefused, RefreshUnavailable
from blink_mqtt.simulator import routed_session

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
BODIES = st.dictionaries(
    st.sampled_from(["access_token", "refresh_token", "expires_in", "token_type", "scope"]),
    VALUES,
)


async def refresh_against(status: int, body: Any) -> str:
    async def token(request: web.Request) -> web.Response:
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_post("/oauth/token", token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    counter = RequestCounter()
    session = routed_session(f"http://127.0.0.1:{port}", trace_configs=[counter.trace_config()])
    data = {
        "username": "a@example.com",
        "password": "p",
        "refresh_token": "RT-old",
        "hardware_id": str(uuid.uuid4()).upper(),
        "host": "u011.immedia-semi.com",
        "region_id": "u011",
        "account_id": 1,
    }
    saved: list[str | None] = []
    auth = KeptAuth(data, session, lambda a: saved.append(a.refresh_token), counter)
    try:
        await auth.startup()
    except RefreshRefused:
        return "refused"
    except RefreshUnavailable:
        return "unavailable"
    except LoginError:
        return "sign-in"
    finally:
        await session.close()
        await runner.cleanup()
    assert isinstance(auth.token, str)
    assert isinstance(auth.expires_in, int | float)
    assert auth.expires_in > 0
    assert math.isfinite(auth.expiration_date)
    assert saved[-1:] == [auth.refresh_token]  # the new pair was saved at once
    return "ok"


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([200, 400, 401, 406, 429, 500, 503]), BODIES)
def test_any_start_up_refresh_answer_ends_in_an_outcome_of_ours(
    status: int, body: dict[str, Any]
) -> None:
    outcome = asyncio.run(refresh_against(status, body))
    if status == 200 and body.get("access_token"):
        assert outcome == "ok"
    elif status in (400, 401):
        assert outcome == "sign-in"  # refused: the full sign-in follows
    else:
        assert outcome == "unavailable"
