"""Sync module local (USB) storage through unmodified blinkpy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blinkpy import api

from blink_mqtt.mediafile import is_valid_mp4
from tests.sim_fixtures import REST, login, running


async def _manifest_ids(blink: Any, sync: Any) -> set[int]:
    request = await api.request_local_storage_manifest(blink, sync.network_id, sync.sync_id)
    manifest = await api.get_local_storage_manifest(
        blink, sync.network_id, sync.sync_id, request["id"]
    )
    return {int(item["id"]) for item in manifest["clips"]}


async def test_local_storage_manifest_download_and_delete(tmp_path: Path) -> None:
    async with running() as env:
        blink = await login(env, owls=True)
        home = blink.sync["Home"]
        assert home.local_storage is True
        await home.refresh()
        assert home.local_storage_manifest_ready is True
        items = list(home._local_storage["manifest"])  # blinkpy's own demo app reads this set
        assert sorted(item.name for item in items) == ["Backyard"] + ["Front Door"] * 3
        newest = items[-1]
        await newest.prepare_download(blink)
        target = tmp_path / "usb.mp4"
        assert await newest.download_video(blink, str(target)) is True
        assert is_valid_mp4(target)
        assert await newest.delete_video(blink) is True
        assert newest.id not in await _manifest_ids(blink, home)
        assert len(await _manifest_ids(blink, home)) == 3


async def test_local_clip_is_404_until_its_upload_was_requested() -> None:
    async with running() as env:
        blink = await login(env, owls=True)
        home = blink.sync["Home"]
        await home.refresh()
        item = next(iter(home._local_storage["manifest"]))
        url = REST + item.url()
        async with env.session.get(url, headers=blink.auth.header) as resp:
            assert resp.status == 404
        await item.prepare_download(blink)
        async with env.session.get(url, headers=blink.auth.header) as resp:
            assert (resp.status, resp.content_type) == (200, "video/mp4")


async def test_new_usb_clip_is_prepared_and_reported_as_motion() -> None:
    async with running() as env:
        blink = await login(env, owls=True)
        added = env.sim.add_clip("Backyard", storage="usb")
        await blink.sync["Home"].refresh()
        assert blink.cameras["Backyard"].motion_detected is True
        uploads = [r.path for r in env.sim.request_log() if r.endpoint == "local_clip_request"]
        assert uploads
        assert uploads[0].endswith(f"/clip/request/{added.usb_id}")


async def test_offline_sync_module() -> None:
    async with running() as env:
        blink = await login(env)
        env.sim.set_sync_module_online("Home", False)
        sync = await api.request_syncmodule(blink, 2001)
        assert sync["syncmodule"]["status"] == "offline"
        url = f"{REST}/api/v1/accounts/1001/networks/2001/sync_modules/3001"
        url += "/local_storage/manifest/request"
        async with env.session.post(url, headers=blink.auth.header) as resp:
            assert resp.status == 409
            assert "id" not in await resp.json()
        homescreen = await api.request_homescreen(blink, force=True)
        modules = (await homescreen.json())["sync_modules"]
        assert [m["status"] for m in modules] == ["offline", "online"]
