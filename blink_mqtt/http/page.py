"""The web page's routes: `/` (views.py renders it), its forms under `/ui/`, the
state it refreshes (`/ui/status.json`), and its two static files."""

from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from collections import OrderedDict
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web

from blink_mqtt.archive.layout import safe_name
from blink_mqtt.dispatch import Answer
from blink_mqtt.http import listing, views
from blink_mqtt.http.door import Bridge, door_of
from blink_mqtt.state import CameraState

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {"page.css": "text/css", "page.js": "text/javascript"}
MAX_NOTES = 32
DONE = {
    "2fa": "2FA code accepted",
    "login": "Login started",
    "snap": "New snapshot taken",
    "download-recent": "Download finished",
}


class Notes:
    """One-line results of the forms, shown once after the redirect (kept by a random
    id, so that no text of the page comes from the URL)."""

    def __init__(self) -> None:
        self._notes: OrderedDict[str, str] = OrderedDict()

    def add(self, text: str) -> str:
        key = secrets.token_urlsafe(8)
        self._notes[key] = text
        while len(self._notes) > MAX_NOTES:
            self._notes.popitem(last=False)
        return key

    def take(self, key: str | None) -> str | None:
        return self._notes.pop(key, None) if key else None


def outcome(command: str, answer: Answer) -> str:
    """A line for a person: what the request did, or its error message."""
    try:
        envelope: dict[str, Any] = json.loads(answer.payload)
    except ValueError:
        envelope = {}
    if answer.code == "ok":
        data = envelope.get("data") or {}
        if command == "download-recent" and isinstance(data, dict):
            saved = data.get("downloaded_clips") or {}
            count = sum(len(v) for v in saved.values()) if isinstance(saved, dict) else 0
            return f"{DONE[command]}: {count} new clip(s)"
        return DONE.get(command, f"{command}: done")
    message = (envelope.get("error") or {}).get("message", answer.code)
    return f"{command} failed ({answer.code}): {message}"


def picture_url(bridge: Bridge, camera: CameraState) -> str | None:
    """The camera's newest picture: the one the bridge holds (as on its image topic),
    else the snapshot file; versioned so that a new picture is never a cached one."""
    image = bridge.camera_image(camera.serial)
    if image:
        return f"ui/camera/{quote(camera.serial, safe='')}.jpg?v={zlib.crc32(image):08x}"
    return snapshot_url(bridge, camera.name)


def snapshot_url(bridge: Bridge, camera: str) -> str | None:
    settings = bridge.settings
    path = settings.media_dir / safe_name(camera) / settings.last_image_filename
    try:
        version = path.stat().st_mtime_ns
    except OSError:
        return None
    media = settings.media_dir.absolute().name
    relative = f"{safe_name(camera)}/{settings.last_image_filename}"
    return f"{views.media_url(media, relative)}?v={version}"


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _archive(bridge: Bridge, camera: str | None, day: str | None) -> views.Archive:
    settings = bridge.settings
    root = settings.media_dir.absolute().resolve()
    zone = ZoneInfo(settings.tz) if settings.tz else None
    folders = listing.cameras(root)
    chosen = camera if camera in folders else None
    days = listing.by_date(listing.clips(root, chosen), zone) if chosen else {}
    wanted = _day(day)
    if chosen and wanted is None and days:
        wanted = next(iter(days))
    if wanted is not None:
        days = {d: c[: listing.MAX_CLIPS] if d == wanted else c for d, c in days.items()}
    return views.Archive(folders, chosen, days, wanted, root.name)


def add_routes(app: web.Application, bridge: Bridge) -> None:
    notes = Notes()
    door = door_of(bridge)

    def view(request: web.Request, archive: views.Archive) -> views.View:
        settings = bridge.settings
        state = bridge.account_state()
        return views.View(
            health=bridge.health(),
            auth=bridge.auth_status,
            cameras=[views.Snapshot(c, picture_url(bridge, c)) for c in state.cameras],
            downloads=bridge.activity.downloads(),
            archive=archive,
            note=notes.take(request.query.get("note")),
            zone=ZoneInfo(settings.tz) if settings.tz else None,
        )

    async def index(request: web.Request) -> web.Response:
        query = request.query
        archive = await asyncio.to_thread(_archive, bridge, query.get("camera"), query.get("date"))
        return web.Response(
            text=views.page(view(request, archive)),
            content_type="text/html",
            headers=PAGE_HEADERS,
        )

    async def status(request: web.Request) -> web.Response:
        current = view(request, views.Archive([], None, {}, None, ""))
        body = {
            "auth": current.auth.state,
            "auth_text": views.AUTH_WORDS.get(current.auth.state, current.auth.state),
            "auth_message": current.auth.message,
            "mqtt": current.health.mqtt,
            "blink_requests": current.health.blink_requests,
            "downloads_html": views.downloads_table(current),
        }
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    def form_action(command: str, section: str, *fields: str) -> Any:
        async def act(request: web.Request) -> web.Response:
            form = await request.post()
            body = {name: form[name] for name in fields if isinstance(form.get(name), str)}
            answer = await door(command, body or None)
            key = notes.add(outcome(command, answer))
            raise web.HTTPSeeOther(f"../?note={quote(key)}#{section}")

        return act

    async def static(request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        if name not in STATIC_TYPES:
            raise web.HTTPNotFound
        return web.FileResponse(
            STATIC / name,
            headers={"Content-Type": STATIC_TYPES[name], "Cache-Control": "no-cache"},
        )

    async def picture(request: web.Request) -> web.Response:
        image = bridge.camera_image(request.match_info["serial"])
        if not image:
            raise web.HTTPNotFound(text="no picture of this camera\n")
        headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
        return web.Response(body=image, content_type="image/jpeg", headers=headers)

    async def favicon(request: web.Request) -> web.Response:
        return web.Response(status=204, headers={"Cache-Control": "max-age=86400"})

    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/ui/camera/{serial}.jpg", picture)
    app.router.add_get("/ui/status.json", status)
    app.router.add_post("/ui/2fa", form_action("2fa", "bridge", "code"))
    app.router.add_post("/ui/login", form_action("login", "bridge"))
    app.router.add_post("/ui/snap", form_action("snap", "cameras", "camera"))
    app.router.add_post("/ui/download", form_action("download-recent", "downloads"))
    app.router.add_get("/ui/{name}", static)


PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; media-src 'self'; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
"""The page runs only its own script, cannot be framed (clickjacking the forms)."""
