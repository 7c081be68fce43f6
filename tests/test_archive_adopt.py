"""BlinkPy API archives in MEDIA_DIR are adopted: not one of their clips is fetched again.

The archive is built as BlinkPy API builds it with blinkpy 0.25.9: its cloud files by
unmodified blinkpy's own `Blink.download_videos` from the simulator, its USB names by
blinkpy's `LocalStorageMediaItem`, and its sorting step (estes-sj/BlinkPy-API,
app/blink_service.py) redone here: files go to `YYYY/MM/DD` of their download day
(under `<camera>/` only when a camera was named), an empty placeholder stays in `.idx/`
and a copy goes to `latest/`.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from blinkpy.helpers.util import local_storage_clip_url_template
from blinkpy.sync_module import LocalStorageMediaItem
from hypothesis import given, settings
from hypothesis import strategies as st
from slugify import slugify

from blink_mqtt.archive.adopt import named_key, scan, slugged_key
from blink_mqtt.archive.index import epoch
from blink_mqtt.mediafile import is_valid_mp4
from blink_mqtt.simulator import Scenario
from tests.bridge_env import AnyBroker, running_bridge
from tests.downloads_support import CAMERAS, EVERYTHING, USB_AGES, at_age, paths, pinned
from tests.sim_fixtures import login, running

TIMEOUT = 90
IDX = ".idx"


def files(root: Path) -> dict[str, bytes]:
    """Every file under `root` except latest/ (the bridge's), by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] != "latest"
    }


def sort_like_blinkpy_api(media: Path, name: str) -> list[Path]:
    """What BlinkPy API does after a download into `.idx/`: each new file moves to
    `<media>/<name or nothing for all>/YYYY/MM/DD/` of its modification (download)
    day, an empty file of the same name stays in `.idx/`, a copy goes to `latest/`."""
    idx, moved = media / IDX, []
    for src in sorted(p for p in idx.iterdir() if p.stat().st_size > 0):
        day = datetime.fromtimestamp(src.stat().st_mtime)
        base = media / name if name != "all" else media
        folder = base / f"{day.year}" / f"{day.month:02d}" / f"{day.day:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        dst = folder / src.name
        src.rename(dst)
        (idx / src.name).touch()
        (media / "latest").mkdir(exist_ok=True)
        shutil.copy2(dst, media / "latest" / src.name)
        moved.append(dst)
    return moved


async def build_blinkpy_api_archive(chosen: Scenario, media: Path) -> None:
    """Front Door sorted under its name; Backyard sorted with `all` (no camera folder);
    Garage unsorted with `all` (`media/all/`); Porch unsorted under its name; Kitchen's
    sorted files deleted by the user (only `.idx/` placeholders left); Front Door's USB
    clips sorted with `all`."""
    (media / IDX).mkdir(parents=True)
    async with running(chosen) as env:
        blink = await login(env)
        for camera, folder, sort in (
            ("Front Door", "Front Door", True),
            ("Backyard", "all", True),
            ("Garage", "all", False),
            ("Porch", "Porch", False),
            ("Kitchen", "Kitchen", True),
        ):
            target = media / IDX if sort else media / folder
            target.mkdir(parents=True, exist_ok=True)
            await blink.download_videos(str(target), since=EVERYTHING, camera=camera, delay=0)
            if sort:
                moved = sort_like_blinkpy_api(media, folder)
                if camera == "Kitchen":
                    for path in moved:
                        path.unlink()
                        (media / "latest" / path.name).unlink()
    some_clip = next((media / "Porch").iterdir()).read_bytes()
    template = local_storage_clip_url_template()
    start = usb_start(chosen)
    for n, age in enumerate(USB_AGES["Front Door"]):
        created = at_age(age, start).isoformat()
        item = LocalStorageMediaItem(7001 + n, "Front Door", created, "300", "8001", template)
        name = f"{item.name}_{item.created_at.isoformat().replace(':', '_')}.mp4"
        (media / IDX / name).write_bytes(some_clip)
    sort_like_blinkpy_api(media, "all")


def usb_start(chosen: Scenario) -> datetime:
    """The start time `pinned` used: Front Door's newest USB clip is 20 minutes old."""
    [front] = [cam for net in chosen.networks for cam in net.cameras if cam.name == "Front Door"]
    times = [c.created_at for c in front.clips if c.storage != "cloud" and c.created_at]
    return max(times) + timedelta(minutes=min(USB_AGES["Front Door"]))


async def test_a_blinkpy_api_archive_is_adopted_and_nothing_is_downloaded_again(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    chosen = pinned()
    media = tmp_path / "media"
    await build_blinkpy_api_archive(chosen, media)
    before = files(media)
    assert sum(name.startswith(f"{IDX}/") for name in before) == 3 * 6 + 3
    async with running_bridge(
        broker, base_topic, tmp_path, chosen=chosen, timedelta_hours=48
    ) as env:
        since = await env.request("download-since", EVERYTHING, timeout=TIMEOUT)
        recent = await env.request("download-recent", timeout=TIMEOUT)
        usb = await env.request("sync-download", EVERYTHING, timeout=TIMEOUT)
        counters = env.sim.counters().requests
    # a restart: the adopted clips are in the index, the placeholders found again
    async with running_bridge(
        broker, f"{base_topic}-2", tmp_path, chosen=chosen, timedelta_hours=48
    ) as env:
        again = await env.request("download-since", EVERYTHING, timeout=TIMEOUT)
        counters_again = env.sim.counters().requests
    assert again["data"]["skipped"] == since["data"]["skipped"]
    assert counters_again.get("clip", 0) == 0
    for answer in (since, recent, usb, again):
        assert answer["status"] == "ok", answer
        assert answer["data"]["downloaded_clips"] == {}
        assert answer["data"]["failed"] == []
    assert counters.get("clip", 0) == 0, "no cloud clip was downloaded"
    assert counters.get("local_clip_download", 0) == 0, "no USB clip was downloaded"
    skipped = since["data"]["skipped"]
    assert sorted(skipped) == sorted(CAMERAS)
    assert all(len(found) == 6 for found in skipped.values())
    assert all(p.startswith("media/all/garage-") for p in skipped["Garage"])
    assert all(p.startswith("media/Porch/porch-") for p in skipped["Porch"])
    assert all(p.startswith("media/Front Door/20") for p in skipped["Front Door"])
    assert all(p.startswith("media/20") for p in skipped["Backyard"])
    assert all(p.startswith(f"media/{IDX}/kitchen-") for p in skipped["Kitchen"])
    assert recent["data"]["skipped"] == skipped
    usb_paths = paths(usb["data"], "skipped")
    assert len(usb_paths) == 4  # Front Door's three and Backyard's (its cloud copy)
    assert sum("/Front Door_" in p for p in usb_paths) == 1, "the USB-only clip"
    assert files(media) == before, "the user's files are neither moved nor rewritten"
    for path in paths(since["data"], "skipped"):
        if "/.idx/" not in path:
            assert is_valid_mp4(tmp_path / path), path


@settings(max_examples=200, deadline=None)
@given(
    camera=st.text(min_size=1, max_size=40),
    seconds=st.integers(min_value=0, max_value=4_000_000_000),
    fraction=st.sampled_from(["", ".5", ".123456"]),
)
def test_every_name_blinkpy_writes_reads_back(camera: str, seconds: int, fraction: str) -> None:
    at = datetime.fromtimestamp(seconds, UTC)
    created = at.isoformat().replace("+00:00", f"{fraction}+00:00")
    slugged = slugged_key(slugify(f"{camera}-{created}") + ".mp4")
    assert slugged == (slugify(camera), epoch(at))
    if "/" not in camera and "\x00" not in camera:
        usb = LocalStorageMediaItem(1, camera, created, "1", "1", "")
        name = f"{usb.name}_{usb.created_at.isoformat().replace(':', '_')}.mp4"
        assert named_key(name) == (camera, epoch(at))


@settings(max_examples=200, deadline=None)
@given(names=st.lists(st.text(min_size=1, max_size=60), max_size=8))
def test_scanning_any_file_names_never_fails(names: list[str]) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        for name in names:
            safe = name.replace("/", "_").replace("\x00", "_")
            if safe in (".", ".."):
                continue
            try:
                (root / safe).write_bytes(b"")
            except (OSError, ValueError):
                continue
        found = scan(root)
        assert len(found) == 0, "empty files outside .idx are never clips"
    finally:
        shutil.rmtree(root)
