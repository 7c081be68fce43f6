"""Tokens are never lost: `blink-mqtt run` killed (SIGKILL) or stopped (SIGTERM) at many
points of start-up and of mid-session token refreshes starts again without a new 2FA.

The simulator rotates refresh tokens strictly (the old one dies the moment the new one is
issued) and applies its latency before it handles a request, so a token request it has
received is carried out even when its client is killed meanwhile. A SIGKILL between Blink
receiving a token request and the bridge saving the answer therefore loses the session,
whatever the client does (how the real Blink treats a refresh token that was rotated but
never used is unknown). Such kills are counted apart; every other kill must never cost a
new 2FA, and neither may any SIGTERM (it waits for an outstanding token answer).

`BLINK_MQTT_LONG=1` runs many more kills; the figures are printed (`pytest -s`) with the
random seed, which `BLINK_MQTT_SEED` sets.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from blink_mqtt.account.login import REUSE_MARGIN
from blink_mqtt.simulator import Simulator
from blink_mqtt.simulator.telemetry import RequestRecord
from tests import secrets_guard
from tests.bridge_env import (
    AnyBroker,
    BridgeEnv,
    bridge_log,
    bridge_on,
    bridge_settings,
    simulator,
    spawn_bridge,
    stop_process,
    wait_exit,
)
from tests.probe import Probe
from tests.sim_fixtures import CODE, PASSWORD
from tests.test_bridge_auth import failed, ok

LATENCY = 0.05
"""Added by the simulator to every Blink request: start-up has ~20 requests in flight."""
LONG = os.environ.get("BLINK_MQTT_LONG") == "1"
ROUNDS = 100 if LONG else 5
"""Kills per phase (start-up, token refresh)."""
START_TIMEOUT = 30.0
SHORT_TOKENS = 2
"""expires_in of the refresh phase: the bridge's token keeper refreshes every 1.5 s (after
three quarters of a token's life), so kills fall among mid-session refreshes."""
START_TOKENS = int(REUSE_MARGIN)
"""Too short for a start to reuse the saved access token: every start refreshes it (a
start within a token's life sends no token request at all, so no kill can lose it)."""


@dataclass(frozen=True, slots=True)
class Kill:
    signum: signal.Signals
    spawned: float
    at: float


@dataclass
class Tally:
    kills: list[Kill] = field(default_factory=list)
    new_2fa: list[Kill] = field(default_factory=list)
    pending: Kill | None = None
    """The last kill that may have touched the tokens, until a start judges it."""
    dead: bool = False
    """The saved refresh token is dead: the next start needs the 2FA code."""
    spawns: list[float] = field(default_factory=list)

    def spawn(self, env: BridgeEnv, workdir: Path) -> subprocess.Popen[bytes]:
        self.spawns.append(time.monotonic())
        return spawn_bridge(env.settings, workdir)

    def judge(self, first: RequestRecord) -> None:
        """A start's first token request (the saved refresh token's refresh) judges the
        kill before it: refused, blinkpy falls back to the full login and a new 2FA."""
        if first.status != 200:
            assert self.pending is not None, "a refresh token died without a kill"
            self.new_2fa.append(self.pending)
            self.dead = True
        self.pending = None


def in_token_window(sim: Simulator, kill: Kill, spawns: list[float]) -> bool:
    """Whether the last request Blink received from the killed process was a token request.
    The bridge saves each token answer before it makes any other Blink call, so after any
    later request its file holds the live refresh token; only here may a SIGKILL lose it.
    (A request written just before the kill reaches the simulator, which runs in this
    event loop, a moment later; nothing else arrives before the next process starts.)"""
    until = min((t for t in spawns if t > kill.at), default=float("inf"))
    mine = [r for r in sim.request_log() if kill.spawned <= r.time < until]
    last: RequestRecord | None = max(mine, key=lambda r: r.time, default=None)
    return last is not None and last.endpoint == "oauth_token"


async def nth_request(sim: Simulator, spawned: float, start: int, n: int) -> None:
    """Wait until the process spawned at `spawned` has had `n` requests answered."""
    index = start - 1
    for _ in range(n):
        index, _ = await sim.wait_for_request(lambda r: r.time >= spawned, after=index + 1)


async def answer_2fa(env: BridgeEnv, mark: int) -> None:
    await env.probe.wait_for(
        env.topics.bridge_auth,
        lambda m: m.json()["state"] == "2fa_required",
        after=mark,
        timeout=START_TIMEOUT,
    )
    response = await env.exchange("2fa", CODE)
    assert response["status"] == "ok", response


async def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    assert await wait_exit(process, 10) == 0


async def log_in_again(env: BridgeEnv, workdir: Path, tally: Tally) -> None:
    """A start that needs the 2FA code: answer it, then stop."""
    mark = env.probe.mark()
    process = tally.spawn(env, workdir)
    try:
        await answer_2fa(env, mark)
        await stop(process)
    finally:
        stop_process(process)
    tally.dead = False


async def one_round(
    env: BridgeEnv,
    workdir: Path,
    tally: Tally,
    rng: random.Random,
    signum: signal.Signals,
    *,
    clock: bool,
) -> None:
    """Start the bridge and kill it (`signum`): with `clock`, at a random time after the
    start (anywhere in start-up, its token refresh included), else after a random number
    of Blink requests plus a random part of the next one."""
    if tally.dead:
        await log_in_again(env, workdir, tally)
    sim, mark, start = env.sim, env.probe.mark(), len(env.sim.request_log())
    process = tally.spawn(env, workdir)
    spawned = tally.spawns[-1]

    def first_token(r: RequestRecord) -> bool:
        return r.endpoint == "oauth_token" and r.time >= spawned

    try:
        if clock:
            await asyncio.sleep(rng.uniform(0.2, 1.5))  # the experiment's random point
        else:
            async with asyncio.timeout(START_TIMEOUT):
                tally.judge((await sim.wait_for_request(first_token, after=start))[1])
                if tally.dead:
                    await answer_2fa(env, mark)
                    await stop(process)
                    tally.dead = False
                    return
                await nth_request(sim, spawned, start, rng.randint(1, 24))
            await asyncio.sleep(rng.uniform(0, LATENCY))  # a random point of the next request
        kill = Kill(signum, spawned, time.monotonic())
        process.send_signal(signum)
        status = await wait_exit(process, 10)
        # (a SIGTERM before the bridge installed its handler, early in the boot, and
        # before any Blink call, ends the process the default way)
        assert status in ((0, -signal.SIGTERM) if signum == signal.SIGTERM else (-signal.SIGKILL,))
    finally:
        stop_process(process)
    tally.kills.append(kill)
    if clock:  # its refresh, if it sent one before the kill (Blink carries it out anyway)
        try:
            async with asyncio.timeout(LATENCY + 2.0):
                _, first = await sim.wait_for_request(first_token, after=start)
        except TimeoutError:
            return  # killed before it touched the tokens: the previous kill stays pending
        tally.judge(first)
        if tally.dead:
            return  # the tokens were already lost before this start
    tally.pending = kill


async def final_start(env: BridgeEnv, workdir: Path, tally: Tally) -> None:
    """A start that judges the last kill, logs in (2FA if it must) and stops."""
    if tally.dead:
        await log_in_again(env, workdir, tally)
    mark, start = env.probe.mark(), len(env.sim.request_log())
    process = tally.spawn(env, workdir)
    spawned = tally.spawns[-1]
    try:
        async with asyncio.timeout(START_TIMEOUT):
            _, first = await env.sim.wait_for_request(
                lambda r: r.endpoint == "oauth_token" and r.time >= spawned, after=start
            )
        tally.judge(first)
        if tally.dead:
            await answer_2fa(env, mark)
        await env.probe.wait_for(
            env.topics.bridge_auth,
            lambda m: m.json()["state"] == "ok",
            after=mark,
            timeout=START_TIMEOUT,
        )
        await stop(process)
    finally:
        stop_process(process)


async def test_kills_during_start_up_and_token_refresh_cost_a_2fa_only_mid_token_request(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("BLINK_MQTT_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    async with simulator() as (sim, url):
        sim.set_latency(LATENCY)
        sim.set_options(token_expiry_seconds=START_TOKENS)
        settings = bridge_settings(broker, base_topic, tmp_path, url, refresh_interval=0.5)
        async with Probe(broker.host, broker.port, [f"{base_topic}/#"]) as probe:
            env = BridgeEnv(sim, url, settings, probe)
            first = spawn_bridge(settings, tmp_path)  # the first login ever: one 2FA
            try:
                await answer_2fa(env, 0)
                await stop(first)
            finally:
                stop_process(first)
            assert len(env.requests_to("oauth_signin")) == 1

            tally, phases = Tally(), {}
            for phase, expiry in (("start-up", START_TOKENS), ("token refresh", SHORT_TOKENS)):
                sim.set_options(token_expiry_seconds=expiry)
                before = len(tally.kills)
                for n in range(ROUNDS):
                    signum = signal.SIGTERM if n % 3 == 2 else signal.SIGKILL
                    await one_round(env, tmp_path, tally, rng, signum, clock=n % 2 == 0)
                phases[phase] = tally.kills[before:]
            await final_start(env, tmp_path, tally)

        windows = [k for k in tally.kills if in_token_window(sim, k, tally.spawns)]
        for phase, kills in phases.items():
            lost = [k for k in tally.new_2fa if k in kills]
            print(
                f"\n{phase}: {len(kills)} kills "
                f"({sum(k.signum == signal.SIGTERM for k in kills)} SIGTERM), "
                f"{len([k for k in kills if k in windows])} during a token request, "
                f"new 2FA needed after {len(lost)} "
                f"({sum(k.signum == signal.SIGTERM for k in lost)} SIGTERM) [seed {seed}]"
            )
        assert all(k.signum == signal.SIGKILL for k in tally.new_2fa), "a SIGTERM lost the tokens"
        outside = [k for k in tally.new_2fa if k not in windows]
        assert not outside, "tokens lost outside a token request: " + "; ".join(
            f"{r.endpoint} {r.status} at {r.time - k.at:+.3f} s"
            for k in outside
            for r in sim.request_log()
            if k.spawned <= r.time < k.at + 1
        )
        # a code entered for the first login and after each loss, none otherwise (a start
        # killed while the tokens were lost may have had a code sent, too)
        assert len(env.requests_to("oauth_2fa_verify")) == 1 + len(tally.new_2fa)
        assert len(tally.kills) >= 2 * ROUNDS - len(tally.new_2fa)

    secrets_guard.remember(PASSWORD, *sim.issued_tokens())
    log = bridge_log(tmp_path)
    assert not secrets_guard.leaks([], extra_text=log)
    assert "Traceback" not in log, log[-3000:]


async def test_a_failed_homescreen_during_a_re_login_needs_no_new_2fa(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with simulator() as (sim, url):
        async with bridge_on(sim, url, broker, base_topic, tmp_path) as env:
            await env.settle()
            before = json.loads(env.settings.credentials_file.read_text())
            # a re-login whose refresh succeeds (Blink rotates the refresh token) and
            # whose next step fails
            sim.add_fault("homescreen", "500", count=1)
            message = failed(await env.exchange("login"), "login", "not_authenticated")
            assert "home screen" in message
            assert ok(await env.exchange("health"), "health")["auth"] == "unavailable"
            rotated = json.loads(env.settings.credentials_file.read_text())
            assert rotated["refresh_token"] != before["refresh_token"]

            assert ok(await env.exchange("login"), "login")["auth"] == "ok"
            counters = sim.counters()
            assert (counters["startup_refreshes"], counters["startup_refresh_failures"]) == (2, 0)
            assert len(env.requests_to("oauth_signin")) == 1  # the first login's, no other
            assert ok(await env.exchange("snap", "Garage"), "snap")["fresh"] is True

        # and a restart from the file needs no 2FA either
        async with bridge_on(sim, url, broker, f"{base_topic}2", tmp_path, auto_2fa=False) as again:
            assert ok(await again.exchange("cameras"), "cameras")["cameras"]
        assert len(again.requests_to("oauth_signin")) == 1
        assert sim.counters()["startup_refresh_failures"] == 0


async def test_sigterm_while_blink_holds_the_token_refresh_keeps_its_answer(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """The one moment a SIGKILL cannot be survived (Blink got the refresh request, its
    answer is on the way), a SIGTERM is: the bridge waits for the answer and saves it."""
    hold = 1.0
    async with simulator() as (sim, url):
        sim.set_options(token_expiry_seconds=START_TOKENS)  # the restart refreshes
        settings = bridge_settings(broker, base_topic, tmp_path, url)
        async with Probe(broker.host, broker.port, [f"{base_topic}/#"]) as probe:
            env = BridgeEnv(sim, url, settings, probe)
            process = spawn_bridge(settings, tmp_path)
            try:
                await answer_2fa(env, 0)  # the first login
                await stop(process)
                sim.add_fault("oauth_token", "delay", count=1, seconds=hold)
                mark, start = probe.mark(), len(sim.request_log())
                process = spawn_bridge(settings, tmp_path)
                await env.probe.wait_for(
                    env.topics.bridge_state, lambda m: m.payload == b"online", after=mark
                )
                assert ok(await env.exchange("health"), "health")["auth"] == "logging_in"
                killed_at = time.monotonic()
                await stop(process)
                stopped_in = time.monotonic() - killed_at
                _, refresh = await sim.wait_for_request(
                    lambda r: r.endpoint == "oauth_token", after=start
                )
                assert refresh.time < killed_at < refresh.time + hold  # it was under way
                assert refresh.status == 200
                assert stopped_in < 5.0

                mark = probe.mark()
                process = spawn_bridge(settings, tmp_path)  # starts from the saved answer
                await probe.wait_for(
                    env.topics.bridge_auth,
                    lambda m: m.json()["state"] == "ok",
                    after=mark,
                    timeout=START_TIMEOUT,
                )
                await stop(process)
            finally:
                stop_process(process)
        assert len(env.requests_to("oauth_signin")) == 1
        assert sim.counters()["startup_refresh_failures"] == 0
