"""MEDIA_DIR over HTTP: every `url` works, with Range, caching headers, the right types,
and nothing outside MEDIA_DIR (or hidden in it) can be reached."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from yarl import URL

from tests.bridge_env import AnyBroker
from tests.http_support import FIRST_CAMERA, HttpBridge, http_bridge

SECRET = b"outside MEDIA_DIR: must never be served"


@pytest.fixture
async def web(broker: AnyBroker, base_topic: str, tmp_path: Path) -> HttpBridge:  # type: ignore[misc]
    async with http_bridge(broker, base_topic, tmp_path) as bridge:
        yield bridge


def raw(bridge: HttpBridge, path: str) -> URL:
    """A URL sent exactly as written (no normalisation, no re-quoting)."""
    return URL(bridge.url + path, encoded=True)


async def test_the_url_of_a_snap_answer_returns_the_jpeg(web: HttpBridge) -> None:
    status, answer = await web.api("snap", FIRST_CAMERA)
    assert status == 200, answer
    url = answer["data"]["url"]
    assert url == f"{web.url}/media/{quote(FIRST_CAMERA)}/last_snap.jpg"
    async with web.client.get(url) as response:
        body = await response.read()
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "max-age" in response.headers["Cache-Control"]
        etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert body == (web.media / FIRST_CAMERA / "last_snap.jpg").read_bytes()
    assert body[:2] == b"\xff\xd8"
    async with web.client.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status == 304
    async with web.client.get(url, headers={"If-Modified-Since": modified}) as response:
        assert response.status == 304


async def test_range_requests_of_a_clip(web: HttpBridge) -> None:
    clip = (await web.clips())[0]
    data = (web.media.parent / clip).read_bytes()
    url = f"{web.url}/{quote(clip)}"
    async with web.client.get(url, headers={"Range": "bytes=0-99"}) as response:
        assert response.status == 206
        assert response.headers["Content-Type"] == "video/mp4"
        assert response.headers["Content-Range"] == f"bytes 0-99/{len(data)}"
        assert await response.read() == data[:100]
    async with web.client.get(url, headers={"Range": "bytes=1000-"}) as response:
        assert response.status == 206
        assert await response.read() == data[1000:]
    async with web.client.get(url, headers={"Range": "bytes=-10"}) as response:
        assert response.status == 206
        assert await response.read() == data[-10:]
    beyond = f"bytes={len(data)}-{len(data) + 10}"
    async with web.client.get(url, headers={"Range": beyond}) as response:
        assert response.status == 416
        assert response.headers["Content-Range"] == f"bytes */{len(data)}"
    async with web.client.get(url) as response:
        assert response.status == 200
        assert response.headers.get("Accept-Ranges") == "bytes"
        assert await response.read() == data


async def test_nothing_outside_media_dir_or_hidden_in_it_is_served(web: HttpBridge) -> None:
    await web.api("snap", FIRST_CAMERA)
    outside = web.media.parent / "outside.txt"
    outside.write_bytes(SECRET)
    (web.media / "escape.jpg").symlink_to(outside)
    (web.media / FIRST_CAMERA / "up").symlink_to(web.media.parent, target_is_directory=True)
    (web.media / ".hidden.jpg").write_bytes(b"hidden")
    snapshot = web.media / FIRST_CAMERA / "last_snap.jpg"
    # FileResponse would send a compressed sibling unchecked: it must be ignored
    Path(f"{snapshot}.gz").symlink_to(outside)
    attempts = [
        "/media/escape.jpg",
        f"/media/{quote(FIRST_CAMERA)}/up/outside.txt",
        "/media/../outside.txt",
        "/media/%2e%2e/outside.txt",
        "/media/%2E%2E/outside.txt",
        "/media/.%2e/outside.txt",
        "/media/%2e%2e%2foutside.txt",
        "/media/..%2Foutside.txt",
        "/media/..%5coutside.txt",
        "/media/..\\outside.txt",
        "/media/%252e%252e/outside.txt",
        "/media//" + str(outside).lstrip("/"),
        "/media/" + quote(str(outside), safe=""),
        "/media/.hidden.jpg",
        "/media/%00",
        "/media/",
        "/media",
        f"/media/{quote(FIRST_CAMERA)}/",
        f"/media/{quote(FIRST_CAMERA)}",
    ]
    for path in attempts:
        async with web.client.get(raw(web, path), allow_redirects=False) as response:
            body = await response.read()
            assert response.status in (400, 403, 404), (path, response.status)
            assert SECRET not in body, path
    headers = {"Accept-Encoding": "gzip, br"}
    async with web.client.get(
        f"{web.url}/media/{quote(FIRST_CAMERA)}/last_snap.jpg",
        headers=headers,
        auto_decompress=False,
    ) as response:
        assert response.status == 200
        assert "Content-Encoding" not in response.headers
        assert await response.read() == snapshot.read_bytes()


async def test_other_files_are_downloads_never_pages(web: HttpBridge) -> None:
    (web.media / "page.html").write_text("<script>alert(1)</script>")
    async with web.client.get(f"{web.url}/media/page.html") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Content-Disposition"] == "attachment"


async def test_media_is_read_only(web: HttpBridge) -> None:
    await web.api("snap", FIRST_CAMERA)
    target = web.media / FIRST_CAMERA / "last_snap.jpg"
    before = target.read_bytes()
    url = f"{web.url}/media/{quote(FIRST_CAMERA)}/last_snap.jpg"
    for method in ("PUT", "POST", "DELETE", "PATCH"):
        async with web.client.request(method, url, data=b"x") as response:
            assert response.status == 405, method
    assert target.read_bytes() == before
    assert os.listdir(web.media / FIRST_CAMERA) == ["last_snap.jpg"]
