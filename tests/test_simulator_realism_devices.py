"""Devices, media and commands as real accounts show them, seen by unmodified blinkpy
(``realistic_scenario.json`` and the switches documented in SCENARIO.md)."""

from __future__ import annotations

import time
from typing import Any

from blinkpy import api

from blink_mqtt.mediafile import is_valid_jpeg
from blink_mqtt.simulator import realistic_scenario
from blink_mqtt.simulator.scenario import OptionsSpec
from tests.sim_fixtures import REST, ShiftedClock, login, running, scenario

DAY = 24 * 3600


def _realistic(**options: Any) -> Any:
    base = realistic_scenario()
    opts = base.options.model_dump() | {"command_pending_polls": 0} | options
    return base.model_copy(update={"options": OptionsSpec.model_validate(opts)})


async def _media(blink: Any) -> list[dict[str, Any]]:
    page = await api.request_videos(blink, time=time.time() - 2 * DAY, page=1)
    items: list[dict[str, Any]] = page["media"]
    return items


async def test_recorded_device_shapes_reach_blinkpy() -> None:
    async with running(_realistic()) as env:
        blink = await login(env, owls=True)
        cams = blink.cameras
        garage, porch, kitchen = cams["Garage"], cams["Porch"], cams["Kitchen"]
        for mini in (garage, kitchen):  # Minis report no battery, temperature or Wi-Fi
            assert (mini.battery, mini.temperature, mini.wifi_strength) == (None, None, None)
        assert (porch.temperature, porch.wifi_strength, porch.battery) == (None, None, "ok")
        assert cams["Backyard"].wifi_strength == -255
        assert cams["Backyard"].status == "offline"
        assert cams["Front Door"].status == "done"
        assert kitchen.thumbnail is None  # null thumbnail
        assert garage.thumbnail.startswith(REST + "/media/production/account/1001/")
        assert garage.thumbnail.endswith(".jpg")  # blinkpy appends it to the old form
        assert is_valid_jpeg(garage.image_from_cache)
        homescreen = await (await api.request_homescreen(blink, force=True)).json()
        zones = {net["name"]: net["time_zone"] for net in homescreen["networks"]}
        assert zones == {
            "Home": "America/New_York",
            "Cabin": "Europe/Berlin",
            "Kitchen": "Pacific/Auckland",
        }
        modules = {m["name"]: m["status"] for m in homescreen["sync_modules"]}
        assert modules == {"Home": "online", "Cabin": "offline"}
        owl = next(o for o in homescreen["owls"] if o["name"] == "Garage")
        assert {"battery", "temperature", "wifi_strength"}.isdisjoint(owl)


async def test_default_camera_config_without_optional_fields() -> None:
    async with running(_realistic()) as env:
        blink = await login(env)
        env.sim.state.world.camera("Front Door").temperature = None
        config = await api.request_camera_info(blink, 2001, 4001)
        camera = config["camera"][0]
        assert "temperature" not in camera
        assert "temp" not in camera["signals"]


async def test_every_media_item_has_a_source_and_snapshots_are_jpegs() -> None:
    async with running(_realistic()) as env:
        blink = await login(env)
        items = await _media(blink)
        assert {item["source"] for item in items} == {
            "pir",
            "cv_motion",
            "liveview",
            "button_press",
        }
        snaps = [item for item in items if item["type"] == "photo"]
        assert len(snaps) == 1
        assert snaps[0]["media"].startswith("/api/v3/media/accounts/1001/networks/2001/")
        async with env.session.get(REST + snaps[0]["media"], headers=blink.auth.header) as r:
            assert (r.status, r.content_type) == (200, "image/jpeg")
            assert is_valid_jpeg(await r.read())
        zones = {item["device_name"]: item["time_zone"] for item in items}
        assert zones["Porch"] == "Europe/Berlin"


async def test_clip_uploaded_minutes_late_is_listed_only_then() -> None:
    clock = ShiftedClock()
    async with running(scenario(), clock=clock) as env:
        blink = await login(env)
        added = env.sim.add_clip("Garage", source="cv_motion", upload_delay_seconds=300)
        ids = [item["id"] for item in await _media(blink)]
        assert added.cloud_id not in ids
        clock.advance(301)
        fresh = [item for item in await _media(blink) if item["id"] == added.cloud_id]
        assert fresh[0]["source"] == "cv_motion"
        assert fresh[0]["created_at"] < fresh[0]["updated_at"]


async def test_clips_vanish_between_listing_and_download() -> None:
    async with running(scenario(clips_vanish_after_listing=True)) as env:
        blink = await login(env)
        items = await _media(blink)
        assert items
        async with env.session.get(REST + items[0]["media"], headers=blink.auth.header) as r:
            assert (r.status, r.content_type) == (404, "application/json")
            assert (await r.json())["code"] == 404
        assert items[0]["id"] not in [item["id"] for item in await _media(blink)]


async def test_purged_clip_leaves_no_deleted_listing() -> None:
    async with running() as env:
        blink = await login(env)
        added = env.sim.add_clip("Front Door")
        url = f"{env.base_url}/_sim/clips/cloud/{added.cloud_id}?purge=true"
        async with env.session.delete(url) as resp:
            assert resp.status == 200
        assert added.cloud_id not in [item["id"] for item in await _media(blink)]


async def test_usb_manifest_sizes_in_kb() -> None:
    async with running(scenario(usb_size_unit="kb")) as env:
        blink = await login(env, owls=True)
        home = blink.sync["Home"]
        await home.refresh()
        sizes = sorted(item.size for item in home._local_storage["manifest"])
        assert sizes == ["256", "64", "64", "64"]  # 262144 and 65536 bytes


async def test_arm_answers_304_when_no_camera_is_enabled_and_still_works() -> None:
    async with running(scenario(arm_answer_304="no_cameras_enabled")) as env:
        blink = await login(env)
        env.sim.state.world.camera("Porch").enabled = False
        answer = await api.request_system_arm(blink, 2002, force=True)
        assert answer == {"message": "No Cameras Enabled for Motion", "code": 304}
        assert env.sim.snapshot().network("Cabin").armed is True
        assert "command_status" not in env.sim.counters().requests
        answer = await api.request_system_disarm(blink, 2001, force=True)  # cameras enabled
        assert "id" in answer
        env.sim.set_options(arm_answer_304="always")
        answer = await api.request_system_arm(blink, 2001, force=True)
        assert answer["code"] == 304
        assert env.sim.snapshot().network("Home").armed is True


async def test_busy_network_answers_409_and_changes_nothing() -> None:
    async with running() as env:
        blink = await login(env)
        async with env.session.post(
            env.base_url + "/_sim/networks/Home/busy", json={"busy": True}
        ) as resp:
            assert resp.status == 200
        answer = await api.request_new_image(blink, 2001, 4001, force=True)
        assert answer == {"message": "Sync module is busy, please try again", "code": 409}
        assert env.sim.snapshot().camera("Front Door").snapshots == 0
        env.sim.set_network_busy(2001, False)
        assert "id" in await api.request_new_image(blink, 2001, 4001, force=True)


async def test_one_command_at_a_time_per_network() -> None:
    chosen = scenario(pending_polls=1, one_command_per_network=True)
    async with running(chosen) as env:
        blink = await login(env)
        url = f"{REST}/network/2001/camera/4001/thumbnail"
        async with env.session.post(url, headers=blink.auth.header) as resp:
            first = await resp.json()  # not polled: still pending
        answer = await api.request_system_disarm(blink, 2001, force=True)
        assert answer["code"] == 409
        assert env.sim.snapshot().network("Home").armed is True
        other = await api.request_new_image(blink, 2002, 4004, camera_type="doorbell", force=True)
        assert "id" in other  # another network takes commands
        status = f"{REST}/network/2001/command/{first['id']}"
        async with env.session.get(status, headers=blink.auth.header) as resp:
            assert (await resp.json())["complete"] is False  # the last pending poll
        async with env.session.post(
            f"{REST}/api/v1/accounts/1001/networks/2001/state/disarm", headers=blink.auth.header
        ) as resp:
            assert "id" in await resp.json()


async def test_new_options_and_clip_fields_are_validated() -> None:
    async with running() as env:
        base = env.base_url + "/_sim"
        async with env.session.post(f"{base}/options", json={"usb_size_unit": "mb"}) as resp:
            assert resp.status == 400
        body = {"arm_answer_304": "always", "clips_vanish_after_listing": True}
        async with env.session.post(f"{base}/options", json=body) as resp:
            assert resp.status == 200
        assert env.sim.state.options.arm_answer_304 == "always"
        snap_on_usb = {"camera": "Front Door", "kind": "snapshot", "storage": "usb"}
        async with env.session.post(f"{base}/clips", json=snap_on_usb) as resp:
            assert resp.status == 400
        async with env.session.post(f"{base}/networks/Nowhere/busy", json={"busy": True}) as r:
            assert r.status == 404
