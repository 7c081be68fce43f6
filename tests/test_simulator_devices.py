"""Unmodified blinkpy using the simulator: refresh, motion, snapshots, recording, arming."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from blinkpy import api

from blink_mqtt.mediafile import is_valid_jpeg, is_valid_mp4
from tests.sim_fixtures import load_homescreen, login, running, scenario


async def test_refresh_reports_motion_for_a_new_clip() -> None:
    async with running() as env:
        blink = await login(env)
        env.sim.add_clip("Front Door")
        assert await blink.refresh(force=True) is True
        front = blink.cameras["Front Door"]
        assert front.motion_detected is True
        assert blink.cameras["Backyard"].motion_detected is False
        assert is_valid_mp4(front.video_from_cache)
        assert front.clip.endswith(".mp4")


async def test_motion_is_not_reported_while_disarmed() -> None:
    async with running() as env:
        blink = await login(env)
        env.sim.add_clip("Backyard")
        home = blink.sync["Home"]
        await api.request_system_disarm(blink, home.network_id, force=True)
        await blink.refresh(force=True)
        assert blink.cameras["Backyard"].motion_detected is False


async def test_snap_then_new_image_on_next_refresh() -> None:
    async with running(scenario(pending_polls=1)) as env:
        blink = await login(env)
        front = blink.cameras["Front Door"]
        old_url, old_image = front.thumbnail, front.image_from_cache
        await front.snap_picture()
        statuses = [r.status for r in env.sim.request_log() if r.endpoint == "command_status"]
        assert statuses == [200, 200]  # pending once, then complete
        await blink.refresh(force=True)
        assert front.thumbnail != old_url
        assert front.image_from_cache != old_image
        assert is_valid_jpeg(front.image_from_cache)
        assert env.sim.snapshot().camera("Front Door").snapshots == 1


async def test_record_adds_a_cloud_clip_and_a_usb_clip() -> None:
    async with running() as env:
        blink = await login(env)
        before = env.sim.snapshot().camera("Front Door")
        await blink.cameras["Front Door"].record()
        page = await api.request_videos(blink, time=time.time() - 60, page=1)
        assert [item["device_name"] for item in page["media"]] == ["Front Door"]
        after = env.sim.snapshot().camera("Front Door")
        assert after.cloud_clips == before.cloud_clips + 1
        assert after.usb_clips == before.usb_clips + 1


async def test_record_delay_hides_the_clip_until_uploaded() -> None:
    async with running(scenario(record_delay_seconds=60)) as env:
        blink = await login(env)
        cam = blink.cameras["Backyard"]
        await api.request_new_video(blink, cam.network_id, cam.camera_id, force=True)
        page = await api.request_videos(blink, time=time.time() - 60, page=1)
        assert page["media"] == []


async def test_arm_and_disarm_show_after_refresh() -> None:
    async with running() as env:
        blink = await login(env)
        home = blink.sync["Home"]
        assert home.arm is True
        await api.request_system_disarm(blink, home.network_id, force=True)
        await home.refresh()
        assert home.arm is False
        assert env.sim.snapshot().network("Home").armed is False
        await api.request_system_arm(blink, home.network_id, force=True)
        await home.refresh()
        assert home.arm is True


async def _set_motion(blink: Any, names: list[str], enabled: bool) -> None:
    call = api.request_motion_detection_enable if enabled else api.request_motion_detection_disable
    for name in names:
        cam = blink.cameras[name]
        await call(blink, cam.network_id, cam.camera_id, camera_type=cam.camera_type, force=True)
    await load_homescreen(blink)
    for sync in blink.sync.values():
        await sync.refresh()


async def test_motion_detection_on_and_off_for_every_camera_kind() -> None:
    async with running() as env:
        blink = await login(env, owls=True)
        names = ["Front Door", "Garage", "Porch", "Kitchen"]  # default, owl, lotus, standalone owl
        await _set_motion(blink, names, enabled=False)
        assert [blink.cameras[n].motion_enabled for n in names] == [False] * 4
        assert not any(env.sim.snapshot().camera(n).enabled for n in names)
        assert blink.sync["Kitchen"].arm is False  # a standalone Mini arms via `enabled`
        endpoints = {r.endpoint for r in env.sim.request_log()}
        assert {"motion_disable", "owl_config"} & endpoints == {"motion_disable"}
        await _set_motion(blink, names, enabled=True)
        assert [blink.cameras[n].motion_enabled for n in names] == [True] * 4
        kitchen = blink.sync["Kitchen"]  # arming a standalone Mini's network flips `enabled`
        await api.request_system_disarm(blink, kitchen.network_id, force=True)
        assert env.sim.snapshot().camera("Kitchen").enabled is False
        await load_homescreen(blink)
        await kitchen.refresh()
        assert kitchen.arm is False


async def test_download_videos_writes_valid_mp4s(tmp_path: Path) -> None:
    async with running() as env:
        blink = await login(env)
        added = env.sim.add_clip("Porch", age_minutes=5, size=100_000)
        assert added.cloud_id is not None
        env.sim.delete_clip(added.cloud_id)
        await blink.download_videos(str(tmp_path), since="2000-01-01T00:00:00+00:00", delay=0)
        files = sorted(tmp_path.iterdir())
        assert len(files) == 30  # 6 clips x 5 cameras; the deleted one is skipped
        assert all(is_valid_mp4(path) for path in files)
        sizes = sorted({path.stat().st_size for path in files})
        assert sizes == [65536, 262144]
        pages = [r.query for r in env.sim.request_log() if r.endpoint == "media_changed"]
        assert [q.rsplit("=", 1)[1] for q in pages] == ["1", "2", "3"]
        assert "+0000" in pages[0]


async def test_media_changed_since_and_paging() -> None:
    async with running() as env:
        blink = await login(env)
        recent = await api.request_videos(blink, time=time.time() - 3600, page=1)
        names = [m["device_name"] for m in recent["media"]]
        assert names == ["Porch", "Garage", "Front Door", "Kitchen", "Backyard"]
        created = [m["created_at"] for m in recent["media"]]
        assert created == sorted(created, reverse=True)
        assert all(c.endswith("+00:00") for c in created)
        first = await api.request_videos(blink, time=0, page=1)
        second = await api.request_videos(blink, time=0, page=2)
        assert (len(first["media"]), len(second["media"])) == (25, 5)
        oldest = second["media"][-1]
        env.sim.delete_clip(oldest["id"])
        changed = await api.request_videos(blink, time=time.time() - 60, page=1)
        assert [(m["id"], m["deleted"]) for m in changed["media"]] == [(oldest["id"], True)]
