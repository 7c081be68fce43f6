"""MEDIA_DIR, read-only, under `/<MEDIA_DIR's name>/`: where every `url` points.

`url` is PUBLIC_BASE_URL + `media/Front Door/last_snap.jpg` (the path relative to
MEDIA_DIR's parent), so with PUBLIC_BASE_URL naming this server's root each `url` is a
file below. aiohttp's FileResponse answers Range (206, 416), If-None-Match /
If-Modified-Since (304) and sends ETag and Last-Modified. What is refused (404, the same
answer as a missing file, so nothing outside can be probed): `..`, `.` and hidden
components (temp files of downloads in progress), backslashes and NUL, directories (no
listings), anything that resolves outside MEDIA_DIR (symlinks included), and anything
but a regular file. MEDIA_DIR's name may not shadow another route (settings.check_http).
"""

from __future__ import annotations

import asyncio
from pathlib import Path, PurePosixPath

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter
from multidict import CIMultiDict, CIMultiDictProxy

from blink_mqtt.http.door import Bridge
from blink_mqtt.settings import Settings

TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
"""Served with their type; every other file as a download (application/octet-stream), so
nothing in MEDIA_DIR can run as a page of this server."""
CACHE = "private, max-age=60"
"""Browsers may reuse a file for a minute, then revalidate (ETag): snapshots change."""


def name(settings: Settings) -> str:
    return settings.media_dir.absolute().name


def prefix(settings: Settings) -> str:
    return f"/{name(settings)}/"


def locate(root: Path, tail: str) -> Path | None:
    """The regular file `tail` names inside `root` (resolved), or None."""
    if not tail or "\\" in tail or "\0" in tail:
        return None
    parts = PurePosixPath(tail).parts
    if any(part in {".", ".."} or part.startswith(".") for part in parts) or tail.startswith("/"):
        return None
    try:
        real = (root / tail).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not real.is_relative_to(root) or not real.is_file():
        return None
    return real


class _Plain(web.FileResponse):
    """FileResponse that never looks for a `.gz` or `.br` file next to the one asked for
    (it would send such a sibling unchecked, wherever it points): it prepares with the
    request minus Accept-Encoding."""

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        headers = CIMultiDict(request.headers)
        headers.popall(hdrs.ACCEPT_ENCODING, None)
        return await super().prepare(request.clone(headers=CIMultiDictProxy(headers)))


def add_routes(app: web.Application, bridge: Bridge) -> None:
    root_name = name(bridge.settings)

    async def serve(request: web.Request) -> web.StreamResponse:
        root = bridge.settings.media_dir.absolute().resolve()
        found = await asyncio.to_thread(locate, root, request.match_info["tail"])
        if found is None:
            raise web.HTTPNotFound(text="no such file\n")
        headers = {
            hdrs.CONTENT_TYPE: TYPES.get(found.suffix.lower(), "application/octet-stream"),
            hdrs.CACHE_CONTROL: CACHE,
            "X-Content-Type-Options": "nosniff",
        }
        if found.suffix.lower() not in TYPES:
            headers[hdrs.CONTENT_DISPOSITION] = "attachment"
        return _Plain(found, headers=headers)

    app.router.add_get(f"/{root_name}/{{tail:.*}}", serve)


def relative_file(settings: Settings, path: str) -> Path | None:
    """A path as responses show it (`media/...`) as a file inside MEDIA_DIR, or None."""
    root = settings.media_dir.absolute().resolve()
    head, _, tail = path.partition("/")
    if head != name(settings):
        return None
    return locate(root, tail)
