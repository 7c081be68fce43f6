"""Whatever body Blink's 404 for a clip carries, the download fails as `clip_gone` with a
short, printable message (the body is outside input; property test over real HTTP)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blink_mqtt.account.media import get_clip
from blink_mqtt.errors import ClipGone

JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(), st.lists(st.integers(), max_size=3)
)
BODIES = st.one_of(
    st.binary(max_size=2000),
    st.fixed_dictionaries({"message": JSON_VALUES, "code": JSON_VALUES}).map(
        lambda body: json.dumps(body).encode()
    ),
    st.text(max_size=500).map(lambda text: json.dumps({"message": text, "code": 404}).encode()),
)
CONTENT_TYPES = st.sampled_from(["application/json", "text/html", "application/octet-stream"])


async def answer_404(body: bytes, content_type: str) -> str:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=404, body=body, content_type=content_type)

    app = web.Application()
    app.router.add_get("/clip.mp4", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(ClipGone) as raised:
                await get_clip(session, f"http://127.0.0.1:{port}/clip.mp4", {}, False, 5.0)
        return raised.value.message
    finally:
        await runner.cleanup()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, content_type=CONTENT_TYPES)
def test_any_404_body_is_clip_gone_with_a_clean_message(body: bytes, content_type: str) -> None:
    message = asyncio.run(answer_404(body, content_type))
    assert message.startswith("Blink no longer has this clip (HTTP 404")
    assert len(message) < 320
    assert message.isprintable()
    message.encode("utf-8")  # no lone surrogates


def test_blinks_own_message_and_code_are_quoted() -> None:
    body: dict[str, Any] = {"message": "Media not found", "code": 1003}
    message = asyncio.run(answer_404(json.dumps(body).encode(), "application/json"))
    assert message == "Blink no longer has this clip (HTTP 404: Media not found (Blink code 1003))"
