"""The simulator over plain HTTP: virtual hosts, OAuth checks, control API, scenarios."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pydantic
import pytest
from aiohttp import ClientSession

from blink_mqtt.simulator import Simulator, default_scenario, load_scenario
from tests.sim_fixtures import (
    OAUTH,
    REST,
    SimEnv,
    access_token,
    authorize_query,
    code_exchange_form,
    oauth_code,
    pkce_pair,
    running,
    scenario,
)


async def _json(session: ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with session.request(method, url, json=body) as resp:
        assert resp.headers["Content-Type"] == "application/json"
        return resp.status, await resp.json()


async def _authed(env: SimEnv, path: str, method: str = "GET") -> tuple[int, Any]:
    token = await access_token(env.session)
    headers = {"Authorization": f"Bearer {token}"}
    async with env.session.request(method, REST + path, headers=headers) as resp:
        assert resp.headers["Content-Type"] == "application/json"
        return resp.status, await resp.json()


async def test_virtual_hosts_and_unknown_paths_answer_json_404() -> None:
    async with running(scenario(twofa=False)) as env:
        token = await access_token(env.session)
        headers = {"Authorization": f"Bearer {token}"}
        for url in (
            "https://rest-prod.immedia-semi.com/networks",  # right path, wrong host
            "https://rest-e002.immedia-semi.com/networks",
            f"{REST}/api/v1/users/tier_info",
            f"{REST}/no/such/path",
            f"{env.base_url}/networks",
        ):
            async with env.session.get(url, headers=headers) as resp:
                assert (resp.status, resp.headers["Content-Type"]) == (404, "application/json")
        async with env.session.get(f"{REST}/networks") as resp:
            assert resp.status == 401


async def test_oauth_rejects_bad_hardware_id_pkce_and_reused_codes() -> None:
    async with running(scenario(twofa=False)) as env:
        verifier, challenge = pkce_pair()
        hardware_id = str(uuid.uuid4()).upper()
        bad = authorize_query(challenge, "not-a-uuid")
        async with env.session.get(f"{OAUTH}/oauth/v2/authorize", params=bad) as resp:
            assert resp.status == 406
        code = await oauth_code(env.session, challenge, hardware_id)
        url = f"{OAUTH}/oauth/token"
        wrong = code_exchange_form(code, verifier + "x", hardware_id)
        async with env.session.post(url, data=wrong) as resp:
            assert resp.status == 400
        code = await oauth_code(env.session, challenge, hardware_id)
        form = code_exchange_form(code, verifier, hardware_id)
        async with env.session.post(url, data=form) as resp:
            assert resp.status == 200
        async with env.session.post(url, data=form) as resp:
            assert resp.status == 400  # codes are single use
        bad_hw = code_exchange_form(code, verifier, "nope")
        async with env.session.post(url, data=bad_hw) as resp:
            assert resp.status == 406


async def test_control_api_clips_state_and_counters() -> None:
    async with running() as env:
        base = env.base_url + "/_sim"
        status, added = await _json(env.session, "POST", f"{base}/clips", {"camera": "Garage"})
        assert status == 200
        assert added["usb_id"] is None
        _, state = await _json(env.session, "GET", f"{base}/state")
        garage = next(c for c in state["cameras"] if c["name"] == "Garage")
        assert garage["cloud_clips"] == 7
        status, _ = await _json(env.session, "DELETE", f"{base}/clips/cloud/{added['cloud_id']}")
        assert status == 200
        assert env.sim.snapshot().camera("Garage").cloud_clips == 6
        status, _ = await _json(env.session, "POST", f"{base}/clips", {"camera": 1})
        assert status == 404
        status, _ = await _json(
            env.session, "POST", f"{base}/clips", {"camera": "Porch", "storage": "usb"}
        )
        assert status == 409  # Cabin has no local storage
        status, _ = await _json(env.session, "POST", f"{base}/clips", {"cam": "Porch"})
        assert status == 400
        _, counters = await _json(env.session, "GET", f"{base}/counters")
        assert counters["full_logins"] == 0
        assert counters["requests"] == {}


async def test_control_api_faults_log_and_reset() -> None:
    async with running(scenario(twofa=False)) as env:
        base = env.base_url + "/_sim"
        spec = {"endpoint": "networks", "kind": "429", "count": 2}
        status, fault = await _json(env.session, "POST", f"{base}/faults", spec)
        assert (status, fault["kind"], fault["count"]) == (200, "429", 2)
        status, _ = await _json(env.session, "POST", f"{base}/faults", {"endpoint": "x"})
        assert status == 400
        status, body = await _authed(env, "/networks")
        assert (status, body["code"]) == (429, 429)
        _, listed = await _json(env.session, "GET", f"{base}/faults")
        assert [f["count"] for f in listed["faults"]] == [1]
        await _json(env.session, "DELETE", f"{base}/faults")
        assert env.sim.faults() == ()
        _, log = await _json(env.session, "GET", f"{base}/log")
        last = log["requests"][-1]
        assert (last["endpoint"], last["status"], last["fault"]) == ("networks", 429, "429")
        assert last["host"] == "rest-u011.immedia-semi.com"
        await _json(env.session, "POST", f"{base}/reset")
        assert env.sim.request_log() == []


async def test_control_api_switches() -> None:
    async with running() as env:
        base = env.base_url + "/_sim"
        await _json(env.session, "POST", f"{base}/2fa", {"enabled": False, "code": "999999"})
        assert (env.sim.state.oauth.twofa_enabled, env.sim.state.oauth.twofa_code) == (
            False,
            "999999",
        )
        await _json(env.session, "POST", f"{base}/sync_modules/Cabin", {"online": False})
        assert env.sim.snapshot().network("Cabin").sync_module_online is False
        status, _ = await _json(env.session, "POST", f"{base}/sync_modules/9", {"online": True})
        assert status == 404
        await _json(env.session, "POST", f"{base}/latency", {"seconds": 0.01})
        assert env.sim.state.options.latency_seconds == 0.01
        await _json(env.session, "POST", f"{base}/options", {"command_pending_polls": 3})
        assert env.sim.state.options.command_pending_polls == 3
        await _json(env.session, "POST", f"{base}/options", {"token_expiry_seconds": 120})
        assert env.sim.state.oauth.token_expiry_seconds == 120
        token = await access_token(env.session)
        await _json(env.session, "POST", f"{base}/tokens/expire", {})
        async with env.session.get(
            f"{REST}/networks", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            assert resp.status == 401


async def test_commands_poll_pending_then_complete() -> None:
    async with running(scenario(twofa=False, pending_polls=2)) as env:
        status, cmd = await _authed(env, "/network/2001/camera/4001/thumbnail", "POST")
        assert status == 200
        assert {"id", "network_id"} <= cmd.keys()
        token = await access_token(env.session)
        headers = {"Authorization": f"Bearer {token}"}
        seen = []
        for _ in range(3):
            url = f"{REST}/network/2001/command/{cmd['id']}"
            async with env.session.get(url, headers=headers) as resp:
                body = await resp.json()
                seen.append((body["complete"], body["status_code"]))
        assert seen == [(False, 908), (False, 908), (True, 908)]
        async with env.session.get(
            f"{REST}/network/2002/command/{cmd['id']}", headers=headers
        ) as r:
            assert r.status == 404


async def test_manifest_not_ready_has_no_clips_key_then_ready() -> None:
    async with running(scenario(twofa=False, manifest_not_ready_polls=1)) as env:
        path = "/api/v1/accounts/1001/networks/2001/sync_modules/3001/local_storage/manifest"
        _, request = await _authed(env, path + "/request", "POST")
        _, first = await _authed(env, f"{path}/request/{request['id']}")
        _, second = await _authed(env, f"{path}/request/{request['id']}")
        assert "clips" not in first
        names = {clip["camera_name"] for clip in second["clips"]}
        assert names == {"FrontDoor", "Backyard"}
        assert all(clip["created_at"].endswith("+00:00") for clip in second["clips"])


@pytest.mark.parametrize("since", ["2000-01-01T00:00:00+0000", "2000-01-01T00:00:00%2B0000"])
async def test_media_changed_keeps_the_unencoded_plus(since: str) -> None:
    async with running(scenario(twofa=False)) as env:
        status, page = await _authed(env, f"/api/v1/accounts/1001/media/changed?since={since}")
        assert status == 200
        assert len(page["media"]) == 25
        late = since.replace("2000", "2999")
        status, page = await _authed(env, f"/api/v1/accounts/1001/media/changed?since={late}")
        assert page["media"] == []


def test_scenario_files_load_and_validate(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    data = default_scenario().model_dump(mode="json")
    data["networks"][0]["cameras"][0]["clips"] = [
        {"created_at": "2026-05-01T10:11:12+02:00", "storage": "both", "size": 5000}
    ]
    path.write_text(json.dumps(data))
    sim = Simulator(load_scenario(path))
    clip = next(c for c in sim.state.world.cloud.values() if c.camera_id == 4001)
    assert clip.created_at.isoformat() == "2026-05-01T08:11:12+00:00"
    assert sim.snapshot().camera("Front Door").usb_clips == 1
    data["networks"][2]["cameras"][0]["type"] = "catalina"  # standalone must be owl/lotus
    path.write_text(json.dumps(data))
    with pytest.raises(pydantic.ValidationError):
        load_scenario(path)
