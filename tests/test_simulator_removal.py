"""Devices leaving the simulated account: control routes and what the Blink API then lists."""

from __future__ import annotations

from typing import Any

from tests.sim_fixtures import REST, access_token, running, scenario


async def _get(env: Any, token: str, path: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with env.session.get(REST + path, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_removed_camera_and_sync_module_leave_every_listing() -> None:
    async with running(scenario(twofa=False)) as env:
        token = await access_token(env.session)
        for path in ("cameras/Backyard", "sync_modules/Cabin", "cameras/4005"):
            async with env.session.delete(f"{env.base_url}/_sim/{path}") as resp:
                assert resp.status == 200, path
        for path in ("cameras/Backyard", "sync_modules/Nowhere"):
            async with env.session.delete(f"{env.base_url}/_sim/{path}") as resp:
                assert resp.status == 404, path
        _, home = await _get(env, token, "/api/v3/accounts/1001/homescreen")
        devices = [d["name"] for kind in ("cameras", "owls", "doorbells") for d in home[kind]]
        assert sorted(devices) == ["Front Door", "Garage"]
        assert [m["name"] for m in home["sync_modules"]] == ["Home"]
        _, nets = await _get(env, token, "/networks")
        assert set(nets["summary"]) == {"2001"}
        status, _ = await _get(env, token, "/network/2001/camera/4002/config")
        assert status == 404
        snap = env.sim.snapshot()
        assert [c.name for c in snap.cameras] == ["Front Door", "Garage"]
        assert [n.name for n in snap.networks] == ["Home"]
        _, media = await _get(
            env, token, "/api/v1/accounts/1001/media/changed?since=2000-01-01T00:00:00+0000&page=1"
        )
        assert {m["device_name"] for m in media["media"]} == {"Front Door", "Garage"}
