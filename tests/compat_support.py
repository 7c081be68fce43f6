"""BlinkPy API's recorded answers (tests/data/blinkpy_api/, made by
bench/record_blinkpy_api.py) and replaying their requests at a running bridge over HTTP.

What is compared, and why the rest is not: the recordings come from BlinkPy API's code
on the same simulator scenario at another time, so clip times (in file names) and
`since` times differ; its snapshot `url` has its own host and port; its error bodies
are Flask's HTML pages where the bridge answers its JSON error envelope; and it logs in
afresh for every request, so blinkpy has not yet seen any clip (`last_record`, `video`
null, `recent_clips` empty) where the running bridge has.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from blink_mqtt.errors import ERROR_CODES

RECORDINGS = Path(__file__).parent / "data" / "blinkpy_api"
RECORD_TZ = "America/New_York"
"""The zone BlinkPy API ran in when recording (its docker-compose's TZ); the bridges of
these tests run in it too, so a `since` without an offset means the same time to both."""
TIMEOUT = aiohttp.ClientTimeout(total=120)

DIFFERENT_STATUS = {
    "snap_unknown_camera": 404,  # BlinkPy API: abort(404) hit a NameError (`_cleanup`): 500
    "snap_camera_list": 400,  # BlinkPy API: "unhashable type: 'list'": 500
    "recent_unknown_camera": 404,  # BlinkPy API: 200, an empty list and a folder for it
    "recent_no_body": 200,  # BlinkPy API: 415 for a POST without a body
    "recent_array_body": 400,  # BlinkPy API: AttributeError: 500
    "since_garbage": 400,  # BlinkPy API: dateutil's ParserError: 500
}
"""Where the bridge answers otherwise, on purpose (README: Coming from BlinkPy API)."""

SAME_VALUES = (
    "battery",
    "battery_level",
    "battery_voltage",
    "camera_id",
    "motion_enabled",
    "name",
    "serial",
    "sync_module",
    "sync_signal_strength",
    "temperature",
    "temperature_c",
    "temperature_calibrated",
    "type",
    "version",
    "wifi_strength",
)
"""Camera attributes that depend on the scenario only."""


def recording(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDINGS / f"{name}.json").read_text())
    return data


def recorded_names() -> list[str]:
    return sorted(p.stem for p in RECORDINGS.glob("*.json") if not p.stem.startswith("_"))


def since_text(replay: dict[str, Any], now: datetime) -> str:
    """The recorded `since` form, rebuilt for now (as the recorder built it)."""
    moment = now - timedelta(hours=replay["since_hours_ago"])
    if replay["since_format"] == "iso":
        return moment.astimezone(UTC).isoformat()
    return moment.astimezone(ZoneInfo(RECORD_TZ)).strftime(replay["since_format"])


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str
    body: Any
    raw: bytes


async def send(
    origin: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    content_type: str | None = None,
    json_body: Any = None,
) -> Answer:
    headers = {"Content-Type": content_type} if content_type else {}
    data = json.dumps(json_body).encode() if json_body is not None else body
    if json_body is not None:
        headers["Content-Type"] = "application/json"
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.request(method, origin + path, data=data, headers=headers) as response,
    ):
        raw = await response.read()
        ctype = response.content_type
        parsed = json.loads(raw) if ctype == "application/json" else None
        return Answer(response.status, ctype, parsed, raw)


async def replay(origin: str, name: str) -> tuple[Answer, str | None]:
    """The recorded request `name`, sent to the bridge at `origin`; with the `since` it
    sent when the recording's was rebuilt for now."""
    request = recording(name)["request"]
    json_body, since = request.get("json"), None
    if replay_hint := request.get("replay"):
        since = since_text(replay_hint, datetime.now(UTC))
        json_body = {**json_body, "since": since}
    elif isinstance(json_body, dict) and isinstance(json_body.get("since"), str):
        since = json_body["since"]
    raw = request.get("body")
    answer = await send(
        origin,
        request["method"],
        request["path"],
        body=raw.encode() if raw is not None else None,
        content_type=request.get("content_type"),
        json_body=json_body,
    )
    return answer, since


def check_error(answer: Answer) -> None:
    """A well-formed error: the bridge's JSON envelope with a known code (the router's own
    404/405 for unknown paths and methods are plain text)."""
    assert 400 <= answer.status < 500 or answer.status in (502, 503), answer
    if answer.status in (404, 405) and answer.content_type == "text/plain":
        return
    assert answer.content_type == "application/json", answer
    assert answer.body["status"] == "error", answer
    assert answer.body["error"]["code"] in ERROR_CODES, answer
    assert answer.body["error"]["message"], answer


def _url_path(url: str) -> str:
    return urlsplit(url).path


def check_camera_info(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert list(ours) == list(theirs) == ["cameras"]
    mine = {c["name"]: c for c in ours["cameras"]}
    recorded = {c["name"]: c for c in theirs["cameras"]}
    assert set(mine) == set(recorded)
    for name, camera in mine.items():
        expected = recorded[name]
        assert list(camera) == list(expected), name  # the same keys, in Flask's order
        for key in SAME_VALUES:
            assert camera[key] == expected[key], (name, key, camera[key], expected[key])
        assert str(camera["network_id"]) == str(expected["network_id"]), name
        assert _url_path(camera["thumbnail"]) == _url_path(expected["thumbnail"]), name
        assert camera["last_record"] is None or isinstance(camera["last_record"], str)
        assert camera["video"] is None or camera["video"].startswith("https://")
        assert isinstance(camera["recent_clips"], list)
        for clip in camera["recent_clips"]:
            assert set(clip) == {"time", "clip"}, clip


SORTED = re.compile(r"^media/[^/]+/\d{4}/\d{2}/\d{2}/[^/]+\.mp4$")
UNSORTED = re.compile(r"^media/[^/]+/[^/]+\.mp4$")


def check_download(
    ours: dict[str, Any], theirs: dict[str, Any], request: dict[str, Any], sent_since: str | None
) -> None:
    """The same keys, the same number of new clips under each, paths as BlinkPy API
    gives them (relative, under `media/`), sorted into date folders by the `-and-sort`
    endpoints; `since` echoed when given, else an ISO time."""
    assert sorted(ours) == sorted(theirs) == ["downloaded_clips", "since"]
    mine, recorded = ours["downloaded_clips"], theirs["downloaded_clips"]
    assert list(mine) == list(recorded)
    for key, paths in mine.items():
        assert len(paths) == len(recorded[key]), (key, paths, recorded[key])
        sort = "sort" in request["path"]
        assert all((SORTED if sort else UNSORTED).match(p) for p in paths), paths
    if sent_since is not None:
        assert ours["since"] == sent_since
    else:
        assert datetime.fromisoformat(ours["since"]).tzinfo is not None
