"""Smoke-test a running Blink cloud simulator with unmodified blinkpy.

Start the simulator first, then run this script::

    python -c "import asyncio; from blink_mqtt.simulator import run_standalone; \
asyncio.run(run_standalone('127.0.0.1', 8899, None))" &
    python bench/sim_smoke.py --url http://127.0.0.1:8899

It logs in with the default scenario's credentials and 2FA code, lists every camera,
snaps one and fetches the new image, downloads every cloud clip and one USB clip, and
checks that each is a valid JPEG / MP4. Exit status 0 when everything checked out.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from blinkpy.auth import Auth, BlinkTwoFARequiredError
from blinkpy.blinkpy import Blink

from blink_mqtt.mediafile import is_valid_jpeg, is_valid_mp4
from blink_mqtt.simulator import routed_session

EMAIL, PASSWORD, CODE = "demo@example.com", "demo-password", "123456"


class Checks:
    def __init__(self) -> None:
        self.failures = 0

    def report(self, ok: bool, message: str) -> None:
        self.failures += 0 if ok else 1
        print(f"  [{'ok' if ok else 'FAIL'}] {message}")


async def log_in(blink: Any) -> bool:
    try:
        ok = bool(await blink.start())
        print("login: no 2FA asked")
    except BlinkTwoFARequiredError:
        print(f"login: 2FA required, sending code {CODE}")
        ok = bool(await blink.send_2fa_code(CODE))
    return ok


def list_cameras(blink: Any, checks: Checks) -> None:
    print(f"sync modules / devices: {', '.join(sorted(blink.sync))}")
    for name, cam in sorted(blink.cameras.items()):
        print(
            f"camera {name!r}: type={cam.product_type} sync={cam.sync.name} serial={cam.serial}"
            f" fw={cam.version} battery={cam.battery} temp={cam.temperature}F"
            f" wifi={cam.wifi_strength} motion_enabled={cam.motion_enabled}"
        )
        image = cam.image_from_cache or b""
        checks.report(is_valid_jpeg(image), f"{name}: thumbnail is a JPEG ({len(image)} bytes)")


def _ts(url: str) -> str:
    return url.split("ts=", 1)[-1].split("&", 1)[0]


def check_files(folder: Path, checks: Checks) -> tuple[int, int]:
    files = sorted(folder.glob("*.mp4"))
    for path in files:
        checks.report(is_valid_mp4(path), f"{path.name} ({path.stat().st_size} bytes) is an MP4")
    return len(files), sum(path.stat().st_size for path in files)


async def snap(blink: Any, name: str, checks: Checks) -> None:
    cam = blink.cameras[name]
    old_url, old_image = cam.thumbnail, cam.image_from_cache
    started = time.monotonic()
    await cam.snap_picture()
    await cam.sync.refresh()  # re-reads the camera config: new thumbnail ts
    elapsed = time.monotonic() - started
    print(f"snap {name!r}: {elapsed:.1f} s, ts {_ts(old_url)} -> {_ts(cam.thumbnail)}")
    image = cam.image_from_cache or b""
    checks.report(cam.thumbnail != old_url, f"{name}: new thumbnail URL after snap")
    checks.report(image != old_image and is_valid_jpeg(image), f"{name}: new JPEG image")


async def download_cloud(blink: Any, folder: Path, checks: Checks) -> None:
    started = time.monotonic()
    await blink.download_videos(str(folder), since="2000-01-01T00:00:00+00:00", delay=0)
    elapsed = time.monotonic() - started
    count, total = check_files(folder, checks)
    print(f"cloud clips: {count} files, {total} bytes, downloaded in {elapsed:.2f} s")


async def download_usb(blink: Any, folder: Path, checks: Checks) -> None:
    home = blink.sync["Home"]
    await home.refresh()  # requests and reads the local storage manifest
    items = list(home._local_storage["manifest"])  # as blinkpy's demo app does
    print(f"USB manifest of {home.name!r}: {len(items)} clips")
    newest = items[-1]
    await newest.prepare_download(blink)
    target = folder / f"usb-{newest.id}.mp4"
    ok = await newest.download_video(blink, str(target))
    label = f"USB clip {newest.id} of {newest.name} is an MP4"
    checks.report(ok and is_valid_mp4(target), label)


async def main(url: str) -> int:
    checks = Checks()
    async with routed_session(url) as session:
        blink = Blink(session=session, refresh_rate=30)
        login = {"username": EMAIL, "password": PASSWORD}
        blink.auth = Auth(login, no_prompt=True, session=session)
        checks.report(await log_in(blink), f"logged in to {url} as {EMAIL}")
        list_cameras(blink, checks)
        await snap(blink, "Front Door", checks)
        with tempfile.TemporaryDirectory() as tmp:
            await download_cloud(blink, Path(tmp), checks)
            await download_usb(blink, Path(tmp), checks)
    print(f"done: {checks.failures} failure(s)")
    return 1 if checks.failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8899")
    sys.exit(asyncio.run(main(parser.parse_args().url)))
