"""Generated garbage paths and headers at the media route of the running bridge, over a
raw TCP socket (no client library tidies anything up): every request gets one
well-formed HTTP answer with an expected status, only bytes of files inside MEDIA_DIR
ever come back, and the server never logs an unhandled exception (checked by
http_bridge)."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from tests import secrets_guard
from tests.bridge_env import AnyBroker
from tests.http_support import FIRST_CAMERA, http_bridge

EXAMPLES = int(os.environ.get("BLINK_MQTT_HTTP_FUZZ_EXAMPLES", "150"))
SECRET = b"SECRET-OUTSIDE-MEDIA-DIR"
STATUSES = {200, 206, 304, 400, 403, 404, 405, 412, 413, 414, 416, 431}

pieces = st.sampled_from(
    [
        "..",
        ".",
        "%2e",
        "%2E",
        "%2f",
        "%2F",
        "%5c",
        "\\",
        "/",
        "//",
        "%00",
        "%",
        "%%",
        "%252e",
        "media",
        FIRST_CAMERA.replace(" ", "%20"),
        "last_snap.jpg",
        "escape.jpg",
        "up",
        "outside.txt",
        ".hidden",
        "%C0%AE",
        "\u00e9",
        "~",
        ";",
        "?",
        "#",
        "*",
        "a" * 300,
    ]
)
SNAPSHOT = "/media/" + FIRST_CAMERA.replace(" ", "%20") + "/last_snap.jpg"
paths = st.one_of(
    st.lists(pieces, max_size=10).map(lambda parts: "/media/" + "".join(parts)),
    st.sampled_from([SNAPSHOT, SNAPSHOT + ".gz", SNAPSHOT.replace("%20", " ")]),
)
header_values = st.one_of(
    st.sampled_from(
        [
            "bytes=0-99",
            "bytes=-5",
            "bytes=5-",
            "bytes=99-0",
            "bytes=0-0,5-9",
            "bytes=99999999999-",
            "bytes=-0",
            "items=0-1",
            "bytes=",
            "gzip, br",
            "*",
            '"x"',
            'W/"1"',
            "Mon, 01 Jan 1990 00:00:00 GMT",
            "garbage",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)
headers = st.dictionaries(
    st.sampled_from(
        [
            "Range",
            "If-Range",
            "If-None-Match",
            "If-Modified-Since",
            "If-Match",
            "Accept-Encoding",
            "If-Unmodified-Since",
            "Origin",
            "Sec-Fetch-Site",
        ]
    ),
    header_values,
    max_size=4,
)
methods = st.sampled_from(["GET", "HEAD", "GET", "POST", "OPTIONS"])


def ask(port: int, method: str, path: str, extra: dict[str, str]) -> tuple[int, bytes]:
    """One request on its own connection; (status, everything after the status line)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in extra.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    status_line, _, rest = answer.partition(b"\r\n")
    version, code, *_ = status_line.split(b" ")
    assert version in (b"HTTP/1.0", b"HTTP/1.1"), answer[:200]  # 1.0: the parser refused
    return int(code), rest


async def test_garbage_at_the_media_route_never_escapes_or_crashes(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    async with http_bridge(broker, base_topic, tmp_path) as web:
        status, _ = await web.api("snap", FIRST_CAMERA)
        assert status == 200
        outside = web.media.parent / "outside.txt"
        outside.write_bytes(SECRET * 10)
        (web.media / "escape.jpg").symlink_to(outside)
        (web.media / FIRST_CAMERA / "up").symlink_to(web.media.parent, target_is_directory=True)
        (web.media / ".hidden").write_bytes(SECRET)
        Path(f"{web.media / FIRST_CAMERA / 'last_snap.jpg'}.gz").symlink_to(outside)
        port = int(web.url.rsplit(":", 1)[1])
        seen: dict[int, int] = {}

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(method=methods, path=paths, extra=headers)
        def one(method: str, path: str, extra: dict[str, str]) -> None:
            status, rest = ask(port, method, path, extra)
            seen[status] = seen.get(status, 0) + 1
            assert status in STATUSES, (method, path, extra, status, rest[:300])
            assert SECRET not in rest, (method, path, extra)

        await asyncio.to_thread(one)
        assert seen.get(200, 0) + seen.get(206, 0) > 0, seen  # real files were asked for too
        # the bridge still serves after all that
        status, answer = await web.api("health")
        assert status == 200, answer
    print(f"\nhttp fuzz: statuses {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= EXAMPLES


USER, PASSWORD, TOKEN = "fuzz-user", "fuzz-pw-71c0e2", "fuzz-token-93ab4d"
GOOD = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
credentials = st.one_of(
    st.sampled_from([
        GOOD, f"Bearer {TOKEN}", "Basic", "Basic ", "Bearer", "Bearer  ", "Basic ===",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(f"{USER}:{PASSWORD}x".encode()).decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(), f"bearer {TOKEN}x",
        "Digest x", GOOD.lower(), GOOD + " extra", f"Bearer {TOKEN[:-1]}",
    ]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
)  # fmt: skip
routes = st.sampled_from([
    ("GET", "/"), ("GET", "/ui/status.json"), ("POST", "/ui/snap"), ("POST", "/ui/2fa"),
    ("POST", "/api/health"), ("GET", "/media/x.jpg"), ("GET", "/ui/camera/nope.jpg"),
    ("GET", "/ui/page.js"), ("POST", "/api/nope"), ("GET", "/healthz"),
])  # fmt: skip
guard_headers = st.dictionaries(
    st.sampled_from(["Origin", "Sec-Fetch-Site", "Host", "Content-Type"]),
    st.sampled_from(["null", "http://evil.example", "cross-site", "same-origin", "none",
                     "same-site", "", "127.0.0.1", "localhost:1", "x" * 200, "[::1",
                     "http://[x]", "[x]:1", "http://[::1", "localhost:99999", "::1",
                     "application/x-www-form-urlencoded"]),
    max_size=3,
)  # fmt: skip


async def test_garbage_credentials_and_origins_never_get_in(
    broker: AnyBroker, base_topic: str, tmp_path: Path
) -> None:
    secrets_guard.remember(PASSWORD, TOKEN)
    async with http_bridge(
        broker,
        base_topic,
        tmp_path,
        http_username=USER,
        http_password=SecretStr(PASSWORD),
        http_token=SecretStr(TOKEN),
    ) as web:
        (web.media / "x.jpg").write_bytes(b"\xff\xd8")
        port = int(web.url.rsplit(":", 1)[1])
        seen: dict[int, int] = {}

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(route=routes, authorization=credentials, extra=guard_headers)
        def one(route: tuple[str, str], authorization: str, extra: dict[str, str]) -> None:
            method, path = route
            status, rest = ask(port, method, path, {"Authorization": authorization, **extra})
            seen[status] = seen.get(status, 0) + 1
            assert status < 500, (route, authorization, extra, rest[:300])
            valid = authorization in (GOOD, f"Bearer {TOKEN}")
            if status < 400 and path != "/healthz":
                assert valid, (route, authorization, extra, status)
            if not valid and path != "/healthz":
                assert status == 401 or (status == 400 and "Host" in extra), (route, status)
            assert PASSWORD.encode() not in rest
            assert TOKEN.encode() not in rest

        await asyncio.to_thread(one)
    print(f"\nhttp guard fuzz: statuses {dict(sorted(seen.items()))}")
