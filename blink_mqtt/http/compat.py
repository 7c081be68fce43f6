"""BlinkPy API's endpoints, for scripts and Home Assistant `rest_command`s written for it.

Each endpoint is one request through the door (the same command table as MQTT) with
BlinkPy API's methods, parameters and answer shapes (its `app/routes.py`; answers
recorded from its own code in tests/data/blinkpy_api/). Differences and the mapping:
README, "Coming from BlinkPy API".

    GET  /get-camera-info                       cameras
    POST /snap                                  snap
    POST /download-recent-clips[-and-sort]      download-recent
    POST /download-clips-since[-and-sort]       download-since (download-recent without since)
    POST /download-recent-sync-clips-and-sort   sync-download
    POST /download-sync-clips-since-and-sort    sync-download with since

Errors keep BlinkPy API's status where it chose one on purpose (400 for a bad
`camera_name` or a missing one, 415 for a body that is not JSON, 405 for a wrong
method); the body is the bridge's error envelope (JSON) instead of Flask's HTML page.
Errors of the request itself have the status `/api` gives their code (http/api.py:
404 unknown camera, 503 not logged in or busy, 502 Blink unavailable) where BlinkPy API
answered 500 to every failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from blink_mqtt.dispatch import Answer
from blink_mqtt.errors import UnknownCamera
from blink_mqtt.http import compat_params as params
from blink_mqtt.http.api import response as envelope_response
from blink_mqtt.http.compat_info import attributes
from blink_mqtt.http.compat_params import CameraNames, CompatError
from blink_mqtt.http.door import Door
from blink_mqtt.messages import MAX_PAYLOAD, error
from blink_mqtt.topics import assign_slugs


@dataclass(frozen=True, slots=True)
class Download:
    """One of the six download endpoints."""

    path: str
    sort: bool
    usb: bool
    takes_since: bool

    def command(self, since: datetime | None) -> str:
        """The bridge's command; without `since` the cloud ones are `download-recent`."""
        if self.usb:
            return "sync-download"
        return "download-since" if since else "download-recent"

    @property
    def named(self) -> str:
        """The command a refused request's envelope names: the endpoint's own."""
        if self.usb:
            return "sync-download"
        return "download-since" if self.takes_since else "download-recent"

    def body(self, cameras: list[str] | None, since: datetime | None) -> dict[str, Any]:
        """The command's payload for the resolved cameras (None: all)."""
        body: dict[str, Any] = {"sort": self.sort}
        if cameras is not None:
            body["camera"] = cameras
        if since is not None:
            body["since"] = since.isoformat()
        return body


DOWNLOADS = (
    Download("/download-recent-clips", sort=False, usb=False, takes_since=False),
    Download("/download-recent-clips-and-sort", sort=True, usb=False, takes_since=False),
    Download("/download-recent-sync-clips-and-sort", sort=True, usb=True, takes_since=False),
    Download("/download-clips-since", sort=False, usb=False, takes_since=True),
    Download("/download-clips-since-and-sort", sort=True, usb=False, takes_since=True),
    Download("/download-sync-clips-since-and-sort", sort=True, usb=True, takes_since=True),
)


class Refused(Exception):
    """The door answered an error: send its envelope as it is."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.code)
        self.answer = answer


def _json(body: dict[str, Any]) -> web.Response:
    """A JSON answer as Flask's `jsonify` writes it (keys sorted)."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False)
    return web.json_response(text=text, headers={"Cache-Control": "no-store"})


def _refusal(command: str, err: CompatError) -> web.Response:
    return web.Response(
        body=error(command, None, err.error),
        status=err.status,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def _call(door: Door, command: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """The `data` of the door's answer; Refused when it is an error."""
    answer = await door(command, body)
    if answer.code != "ok":
        raise Refused(answer)
    data: dict[str, Any] = json.loads(answer.payload)["data"]
    return data


async def _fields(request: web.Request) -> dict[str, Any]:
    raw = await request.content.read(MAX_PAYLOAD + 1)
    return params.body(raw, request.headers.get("Content-Type", ""))


def _match(cameras: list[dict[str, Any]], ref: str) -> str | None:
    """The camera `ref` names as the bridge reads names: exactly, in any case, by slug
    or by serial."""
    for camera in cameras:
        if camera["name"] == ref:
            return str(camera["name"])
    slugs = assign_slugs((c["name"], c["serial"]) for c in cameras)
    wanted = ref.strip().lower()
    for camera in cameras:
        if wanted in (camera["name"].lower(), slugs[camera["serial"]], camera["serial"].lower()):
            return str(camera["name"])
    return None


async def _resolve(door: Door, names: CameraNames) -> dict[str, str]:
    """Each named camera's name on the account; 404 before anything is downloaded when
    one is unknown (BlinkPy API answered 200 with an empty list and made a folder)."""
    if not names.named:
        return {}
    cameras: list[dict[str, Any]] = (await _call(door, "cameras", None))["cameras"]
    found: dict[str, str] = {}
    for ref in names.named:
        name = _match(cameras, ref)
        if name is None:
            known = ", ".join(c["name"] for c in cameras) or "none"
            raise CompatError(404, UnknownCamera(f"No camera named {ref!r}; known: {known}"))
        found[ref] = name
    return found


def _downloaded(names: CameraNames, found: dict[str, str], clips: dict[str, list[str]]) -> Any:
    """`downloaded_clips` keyed as asked: "all" holds every new clip, a camera its own."""
    every = sorted(path for paths in clips.values() for path in paths)
    return {ref: every if params.is_all(ref) else clips.get(found[ref], []) for ref in names.names}


def _download_handler(door: Door, spec: Download) -> Any:
    async def handle(request: web.Request) -> web.Response:
        try:
            fields = await _fields(request)
            names = params.camera_names(fields)
            text = params.since_text(fields) if spec.takes_since else None
            since = params.parse_since(text) if text is not None else None
            found = await _resolve(door, names)
            cameras = None if names.every else list(dict.fromkeys(found.values()))
            data = await _call(door, spec.command(since), spec.body(cameras, since))
        except CompatError as err:
            return _refusal(spec.named, err)
        except Refused as refused:
            return envelope_response(refused.answer)
        answer: dict[str, Any] = {
            "downloaded_clips": _downloaded(names, found, data["downloaded_clips"]),
            "since": text if text is not None else data["since"],
        }
        if data.get("failed"):
            answer["failed"] = data["failed"]
        return _json(answer)

    return handle


def add_routes(app: web.Application, door: Door) -> None:
    """BlinkPy API's endpoints; aiohttp answers 405 to other methods, as Flask does."""

    async def camera_info(request: web.Request) -> web.Response:
        try:
            data = await _call(door, "cameras", None)
        except Refused as refused:
            return envelope_response(refused.answer)
        return _json({"cameras": [attributes(camera) for camera in data["cameras"]]})

    async def snap(request: web.Request) -> web.Response:
        try:
            name = params.snap_camera(await _fields(request))
            data = await _call(door, "snap", {"camera": name})
        except CompatError as err:
            return _refusal("snap", err)
        except Refused as refused:
            return envelope_response(refused.answer)
        url = data.get("url") or f"{request.url.origin()}/{quote(data['path'], safe='/')}"
        return _json({"url": url})

    app.router.add_get("/get-camera-info", camera_info)
    app.router.add_post("/snap", snap)
    for spec in DOWNLOADS:
        app.router.add_post(spec.path, _download_handler(door, spec))
