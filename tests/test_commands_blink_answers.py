"""Commands as Blink really answers them (issue 10): a 304 after arm/disarm that the
network state confirms, 409 "busy" answers retried with back-off then `blink_busy`."""

from __future__ import annotations

import asyncio
import json

from tests.bridge_env import BridgeEnv
from tests.queue_support import CABIN, HOME, answers, code, send_all


async def test_arm_and_disarm_answered_304_are_ok_with_the_state_read_back(
    env: BridgeEnv,
) -> None:
    await env.settle()
    env.sim.set_options(arm_answer_304="always")
    start = len(env.sim.request_log())
    disarmed = await env.exchange("disarm", "Home")
    assert disarmed["status"] == "ok", disarmed
    assert disarmed["data"]["sync_modules"] == {"Home": False}
    assert env.sim.snapshot().network("Home").armed is False
    armed = await env.exchange("arm", "Home")
    assert armed["status"] == "ok", armed
    assert armed["data"]["sync_modules"] == {"Home": True}
    assert env.sim.snapshot().network("Home").armed is True
    # Blink answered 304 both times, and no command was there to poll
    assert [r.status for r in env.requests_to("arm", "disarm", after=start)] == [200, 200]
    assert not env.requests_to("command_status", after=start)


async def test_a_busy_network_is_retried_until_blink_takes_the_command(env: BridgeEnv) -> None:
    await env.settle()
    before = env.sim.snapshot().camera("Front Door").snapshots
    start = len(env.sim.request_log())
    env.sim.set_network_busy(HOME, True)
    sent = await send_all(env, "snap", [json.dumps({"camera": "Front Door"})])
    async with asyncio.timeout(30):
        await env.sim.wait_for_request(
            lambda r: r.endpoint == "snap" and r.status == 409, after=start
        )
    env.sim.set_network_busy(HOME, False)
    [answer] = await answers(env, sent)
    assert code(answer) == "ok", answer
    statuses = [r.status for r in env.requests_to("snap", after=start)]
    assert statuses[0] == 409, statuses
    assert statuses[-1] == 200, statuses
    assert 2 <= len(statuses) <= 4, statuses
    assert env.sim.snapshot().camera("Front Door").snapshots == before + 1


async def test_a_network_that_stays_busy_fails_with_blink_busy_after_four_tries(
    env: BridgeEnv,
) -> None:
    await env.settle()
    start = len(env.sim.request_log())
    env.sim.set_network_busy(HOME, True)
    busy = await send_all(env, "snap", [json.dumps({"camera": "Front Door"})])
    other = await send_all(env, "snap", [json.dumps({"camera": "Porch"})])  # network CABIN
    [elsewhere] = await answers(env, other)
    assert code(elsewhere) == "ok", elsewhere  # another network is not held up
    [answer] = await answers(env, busy)
    assert code(answer) == "blink_busy", answer
    assert "busy" in answer["error"]["message"]
    assert "4 tries" in answer["error"]["message"]
    home = [r for r in env.requests_to("snap", after=start) if f"/network/{HOME}/" in r.path]
    assert [r.status for r in home] == [409] * 4
    cabin = [r for r in env.requests_to("snap", after=start) if f"/{CABIN}/" in r.path]
    assert [r.status for r in cabin] == [200]
    # the busy answer is not remembered: once Blink takes commands again, it works
    env.sim.set_network_busy(HOME, False)
    again = await env.exchange("snap", "Front Door")
    assert again["status"] == "ok", again
