"""A 401 means "refresh now": Blink rejecting the access token (expired or revoked on its
side) costs one token refresh, shared by every call that saw it, and one retry of each
call; requests are still answered ok and the auth state never leaves `ok`. A refresh that
fails for now costs the call only (the auth state stays `ok`). Refreshes are counted by
the simulator."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.bridge_env import BridgeEnv
from tests.test_bridge_auth import auth_states, failed, ok, saved_credentials


def refreshes(env: BridgeEnv) -> tuple[int, int]:
    counters = env.sim.counters()
    return counters["midsession_refreshes"], counters["midsession_refresh_failures"]


def rejected(env: BridgeEnv, after: int) -> int:
    """Blink requests answered 401 (an expired access token or an injected fault)."""
    return sum(1 for r in env.sim.request_log()[after:] if r.status == 401)


async def all_ok(env: BridgeEnv, *requests: tuple[str, str]) -> list[Any]:
    """Send the requests at once; every one is answered ok."""
    answers = await asyncio.gather(*(env.rr(command, payload) for command, payload in requests))
    pairs = zip(requests, answers, strict=True)
    return [ok(response, command) for (command, _), (response, _) in pairs]


async def test_expired_access_tokens_cost_one_shared_refresh(env: BridgeEnv) -> None:
    await env.settle()
    before, _ = saved_credentials(env)
    mark, start = env.probe.mark(), len(env.sim.request_log())
    env.sim.expire_tokens()  # Blink forgets every access token: each call is a 401
    snap, _, arm, _ = await all_ok(
        env,
        ("snap", "Front Door"),
        ("refresh", ""),
        ("arm", "Home"),
        ("motion-detection", '{"camera": "Garage", "enabled": true}'),
    )
    assert snap["fresh"] is True
    assert arm == {"sync_modules": {"Home": True}}
    assert refreshes(env) == (1, 0)  # one refresh for the one rejected token
    assert rejected(env, start) == 1  # the calls after it used the new token
    assert ok(await env.exchange("health"), "health")["auth"] == "ok"
    await env.barrier()
    assert auth_states(env, after=mark) == []  # the auth state never changed
    after, _ = saved_credentials(env)
    assert after["refresh_token"] != before["refresh_token"]  # the rotated one, saved


async def test_each_rejected_call_is_retried_once_after_one_refresh(env: BridgeEnv) -> None:
    await env.settle()
    mark, start = env.probe.mark(), len(env.sim.request_log())
    # Blink rejects one call of each kind, whatever the token (revocation, a glitch)
    for endpoint in ("snap", "homescreen", "media_changed", "arm"):
        env.sim.add_fault(endpoint, "401", count=1)
    # one after another: calls in flight together on one token share its refresh
    for command, payload in (("snap", "Porch"), ("refresh", ""), ("arm", "Cabin")):
        await all_ok(env, (command, payload))
    # (a poll's own clip fetches are blinkpy's; a download's are the bridge's)
    env.sim.add_fault("clip", "401", count=1)
    downloaded = ok(
        await env.exchange(
            "download-since", {"since": "2000-01-01T00:00:00+00:00", "camera": "Kitchen"}
        ),
        "download-since",
    )
    assert len(downloaded["downloaded_clips"]["Kitchen"]) == 6
    assert downloaded["failed"] == []
    assert not env.sim.faults()  # every fault was hit
    assert rejected(env, start) == 5
    assert refreshes(env) == (5, 0)  # one refresh per rejected token, no more
    await env.barrier()
    assert auth_states(env, after=mark) == []


async def test_a_failed_refresh_costs_the_call_not_the_session(env: BridgeEnv) -> None:
    await env.settle()
    signins = len(env.requests_to("oauth_signin"))
    mark = env.probe.mark()
    env.sim.add_fault("oauth_token", "500", count=1)  # the refresh fails once
    env.sim.expire_tokens()
    message = failed(await env.exchange("snap", "Front Door"), "snap", "blink_unavailable")
    assert "token refresh" in message
    assert "HTTP 500" in message
    health = ok(await env.exchange("health"), "health")
    assert health["auth"] == "ok"  # the refresh token is still good: the session goes on
    last = health["last_token_refresh"]
    assert (last["ok"], last["reason"]) == (False, "HTTP 500")
    assert refreshes(env) == (0, 0)  # (the failure was injected before Blink's handler)

    # the next call's 401 refreshes with the same, still valid refresh token
    assert ok(await env.exchange("snap", "Front Door"), "snap")["fresh"] is True
    assert refreshes(env) == (1, 0)
    assert ok(await env.exchange("health"), "health")["last_token_refresh"]["ok"] is True
    assert len(env.requests_to("oauth_signin")) == signins
    await env.barrier()
    assert auth_states(env, after=mark) == []  # `ok` throughout
