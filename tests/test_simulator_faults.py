"""Injected faults, and what unmodified blinkpy or a plain aiohttp client sees."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest
from blinkpy import api
from blinkpy.auth import UnauthorizedError

from blink_mqtt.mediafile import is_valid_mp4
from tests.sim_fixtures import REST, SimEnv, login, running, scenario


async def _clip_url(env: SimEnv, size: int = 256 * 1024) -> str:
    added = env.sim.add_clip("Front Door", size=size)
    return f"{REST}/api/v2/accounts/1001/media/clip/{added.cloud_id}.mp4"


async def _get(env: SimEnv, blink: Any, url: str, timeout: aiohttp.ClientTimeout) -> bytes:
    async with env.session.get(url, headers=blink.auth.header, timeout=timeout) as resp:
        return await resp.read()


async def test_401_on_a_json_endpoint_raises_unauthorized() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        env.sim.add_fault("networks", "401")
        with pytest.raises(UnauthorizedError):
            await api.request_networks(blink)


async def test_404_becomes_none() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        env.sim.add_fault("networks", "404", count=1)
        assert await api.request_networks(blink) is None
        assert "summary" in await api.request_networks(blink)  # count=1: gone again


async def test_429_body_is_returned_as_if_successful() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        env.sim.add_fault("networks", "429")
        body = await api.request_networks(blink)
        assert body == {"message": "Too many requests, please slow down", "code": 429}


async def test_500_html_becomes_none() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        env.sim.add_fault("*", "500", path_contains="/networks")
        assert await api.request_networks(blink) is None
        assert (await api.request_syncmodule(blink, 2001))["syncmodule"]["id"] == 3001


async def test_invalid_json_becomes_none() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        env.sim.add_fault("camera_usage", "invalid_json")
        assert await api.request_camera_usage(blink) is None


async def test_delay_before_headers_times_out_a_short_timeout() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        env.sim.add_fault("networks", "delay", seconds=0.5, count=1)
        with pytest.raises(TimeoutError):
            await _get(env, blink, f"{REST}/networks", aiohttp.ClientTimeout(total=0.1))
        assert b"summary" in await _get(env, blink, f"{REST}/networks", aiohttp.ClientTimeout(5))


async def test_slow_body_sends_headers_at_once_and_dribbles_the_body() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        url = await _clip_url(env)
        env.sim.add_fault("clip", "slow_body", seconds=0.4, count=1)
        started = time.monotonic()
        async with env.session.get(url, headers=blink.auth.header) as resp:
            headers_after = time.monotonic() - started
            body = await resp.read()
        assert headers_after < 0.2
        assert time.monotonic() - started >= 0.3
        assert is_valid_mp4(body)
        env.sim.add_fault("clip", "slow_body", seconds=2, count=1)
        with pytest.raises(TimeoutError):
            await _get(env, blink, url, aiohttp.ClientTimeout(total=0.5))


async def test_truncate_cuts_the_body_short() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        url = await _clip_url(env)
        env.sim.add_fault("clip", "truncate", count=1)
        with pytest.raises(aiohttp.ClientPayloadError):
            await _get(env, blink, url, aiohttp.ClientTimeout(5))


async def test_drop_closes_the_connection_without_a_response() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        url = await _clip_url(env)
        env.sim.add_fault("clip", "drop")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await _get(env, blink, url, aiohttp.ClientTimeout(5))
        assert [r.status for r in env.sim.request_log() if r.endpoint == "clip"][-1] == 0


async def test_faults_on_homescreen_reach_blinkpy_raw() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        env.sim.add_fault("homescreen", "401", count=1)
        response = await api.request_homescreen(blink, force=True)
        await blink.validate_homescreen(response)
        assert blink.homescreen == {"message": "Unauthorized Access", "code": 101}
        assert [f.kind for f in env.sim.faults()] == []


async def test_latency_is_added_to_every_request() -> None:
    async with running(scenario(twofa=False)) as env:
        blink = await login(env)
        env.sim.set_latency(0.2)
        started = time.monotonic()
        assert await api.request_networks(blink) is not None
        assert time.monotonic() - started >= 0.2
