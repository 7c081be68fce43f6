"""BlinkPy API's endpoints over real HTTP against a running bridge (`blink-mqtt run` as a
process, real broker, the simulator), compared with the answers BlinkPy API's own code
gave on the same scenario (tests/compat_support.py says what is compared).

Each scene is a fresh bridge, so that the downloads it compares start from the archive
BlinkPy API's did: BlinkPy API files a clip again for every camera name and folder it is
asked for, while the bridge archives each clip once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.bridge_env import AnyBroker, running_bridge
from tests.broker import free_port, wait_listening
from tests.compat_support import (
    DIFFERENT_STATUS,
    RECORD_TZ,
    Answer,
    check_camera_info,
    check_download,
    check_error,
    recorded_names,
    recording,
    replay,
    send,
)
from tests.sim_fixtures import CODE
from tests.test_bridge_process import bridge_process

TWIN = {"recent_no_body": "recent"}
"""A recording whose answer another request's must match (a POST without a body is `{}`
here; BlinkPy API refused it with 415)."""


@contextlib.asynccontextmanager
async def compat_bridge(broker: AnyBroker, base_topic: str, workdir: Path) -> AsyncIterator[str]:
    """A bridge process with HTTP on, in BlinkPy API's recording zone; yields its origin."""
    port = free_port()
    async with bridge_process(broker, base_topic, workdir, http_port=port, tz=RECORD_TZ):
        await asyncio.to_thread(wait_listening, "127.0.0.1", port)
        yield f"http://127.0.0.1:{port}"


async def compare(origin: str, name: str, workdir: Path) -> Answer:
    """Replay recording `name` and compare the bridge's answer with it."""
    recorded = recording(name)
    answer, since = await replay(origin, name)
    assert answer.status == DIFFERENT_STATUS.get(name, recorded["status"]), (name, answer)
    if answer.status >= 400:
        check_error(answer)
        return answer
    twin = recording(TWIN.get(name, name))
    assert answer.content_type == twin["content_type"], name
    if name == "get_camera_info":
        check_camera_info(answer.body, twin["body"])
    elif name == "snap":
        assert list(answer.body) == ["url"]
        theirs = twin["body"]["url"].split("/", 3)[3]  # the recorder's host and port differ
        assert answer.body["url"] == f"{origin}/{theirs}"
    elif name == "snap_image":
        assert answer.raw[:2] == b"\xff\xd8"
    else:
        check_download(answer.body, twin["body"], recorded["request"], since)
        for paths in answer.body["downloaded_clips"].values():
            assert all((workdir / path).is_file() for path in paths), paths
    return answer


SCENES = {
    "info_snap_usb_and_refusals": [
        "get_camera_info",
        "get_camera_info_post",
        "snap",
        "snap_image",
        "snap_missing_camera",
        "snap_unknown_camera",
        "snap_camera_list",
        "snap_not_json",
        "snap_bad_json",
        "snap_get",
        "recent_unknown_camera",
        "recent_bad_camera",
        "recent_array_body",
        "recent_get",
        "since_garbage",
        "unknown_path",
        # USB clips here, where no cloud download archived the same clips first
        "sync_since_sort",
        "recent_sync_sort",
    ],
    "all_recent_then_nothing_new": ["recent", "since_default"],
    "post_without_body": ["recent_no_body"],
    # four cameras, one form each: a name, a list, a local time in words (read in the
    # bridge's zone; read as UTC it would lie 5 hours later and find nothing), ISO 8601
    "named_cameras_and_free_form_times": ["recent_one", "recent_list", "since_local", "since_iso"],
    "sorted": ["recent_sort", "recent_sort_again", "since_sort"],
}
"""Recordings replayed in order on one fresh bridge each."""


def test_every_recording_is_replayed_once() -> None:
    replayed = [name for names in SCENES.values() for name in names]
    assert sorted(replayed) == recorded_names()


@pytest.mark.parametrize("scene", sorted(SCENES))
async def test_endpoints_answer_as_blinkpy_api_recorded(
    broker: AnyBroker, base_topic: str, tmp_path: Path, scene: str
) -> None:
    async with compat_bridge(broker, base_topic, tmp_path) as origin:
        for name in SCENES[scene]:
            await compare(origin, name, tmp_path)
    assert not (tmp_path / "media" / "Nope").exists()  # BlinkPy API made this folder


async def test_forms_blinkpy_api_did_not_read_the_same_way(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """`all` next to a name, a camera named by slug, and USB clips since a time: BlinkPy
    API ignored `since` on /download-sync-clips-since-and-sort and took every USB clip of
    the last TIMEDELTA_HOURS (Front Door has USB clips 20, 95 and 180 minutes old)."""
    async with compat_bridge(broker, base_topic, tmp_path) as origin:
        since = (datetime.now(UTC) - timedelta(minutes=60)).isoformat()
        usb = await send(
            origin,
            "POST",
            "/download-sync-clips-since-and-sort",
            json_body={"camera_name": "Front Door", "since": since},
        )
        assert usb.status == 200, usb
        assert len(usb.body["downloaded_clips"]["Front Door"]) == 1, usb.body
        assert usb.body["since"] == since
        mixed = await send(
            origin,
            "POST",
            "/download-recent-clips",
            json_body={"camera_name": ["all", "front_door", "Front Door"]},
        )
        assert mixed.status == 200, mixed
        clips = mixed.body["downloaded_clips"]
        assert sorted(clips) == ["Front Door", "all", "front_door"]  # sorted, as by Flask
        # ten cloud clips in the last 6 hours; Front Door's 20-minute one is archived
        # already (from USB): each clip is archived once, whatever its source
        assert len(clips["all"]) == 9
        front = [path for path in clips["all"] if path.startswith("media/Front Door/")]
        assert clips["front_door"] == clips["Front Door"] == front
        assert len(clips["Front Door"]) == 1


async def test_before_the_2fa_code_every_endpoint_answers_503_not_authenticated(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    """BlinkPy API answered 500 to a failed login; here each endpoint says why, and works
    once the code is in."""
    port = free_port()
    async with running_bridge(
        broker, base_topic, tmp_path, auto_2fa=False, http_port=port, tz=RECORD_TZ
    ) as env:
        origin = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_listening, "127.0.0.1", port)
        for method, path in [
            ("GET", "/get-camera-info"),
            ("POST", "/snap"),
            ("POST", "/download-recent-clips"),
            ("POST", "/download-clips-since-and-sort"),
            ("POST", "/download-sync-clips-since-and-sort"),
        ]:
            body = {"camera_name": "Front Door", "since": "2026-01-01"}
            answer = await send(origin, method, path, json_body=body if method == "POST" else None)
            assert answer.status == 503, (path, answer)
            check_error(answer)
            assert answer.body["error"]["code"] == "not_authenticated", answer
        assert (await env.exchange("2fa", CODE))["status"] == "ok"
        info = await send(origin, "GET", "/get-camera-info")
        assert info.status == 200, info
        assert len(info.body["cameras"]) == 5
