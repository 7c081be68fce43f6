"""`blink-mqtt liveview-pipe <camera>`: ask the running bridge for a live view over MQTT
and write its MPEG-TS to stdout until the session ends (go2rtc's `exec:` source; also
handy as `blink-mqtt liveview-pipe front_door | ffplay -`).

Exit 0 when the stream ended or the reader went away, 1 with one line on stderr when
the bridge refused (e.g. `liveview_budget_spent`) or did not answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from typing import Any, BinaryIO
from urllib.parse import urlparse

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from blink_mqtt import oneshot
from blink_mqtt.errors import UserFacingError
from blink_mqtt.settings import Settings
from blink_mqtt.topics import Topics

ANSWER_WAIT = 45.0
READ_SIZE = 64 * 1024


async def ask(settings: Settings, command: str, payload: dict[str, Any]) -> dict[str, Any]:
    """One request to the running bridge; its answer's envelope."""
    topics = Topics(settings.mqtt_base_topic, settings.ha_discovery_prefix)
    rid = f"{command}-{uuid.uuid4().hex[:12]}"
    async with oneshot.session(settings) as client:
        v5 = settings.mqtt_protocol == "5"
        reply = f"{topics.base}/response/{rid}" if v5 else topics.response(command)
        await client.subscribe(reply, qos=1)
        properties = None
        if v5:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.ResponseTopic = reply
        body = json.dumps({**payload, "id": rid})
        await client.publish(topics.request(command), body, qos=1, properties=properties)
        try:
            async with asyncio.timeout(ANSWER_WAIT):
                async for message in client.messages:
                    raw = message.payload
                    text = raw if isinstance(raw, bytes | bytearray) else str(raw).encode()
                    with contextlib.suppress(ValueError):
                        answer = json.loads(text)
                        if isinstance(answer, dict) and answer.get("id") == rid:
                            return answer
        except TimeoutError:
            raise UserFacingError(
                f"no answer from the bridge within {ANSWER_WAIT:.0f} s (is it running on "
                f"base topic {topics.base}?)"
            ) from None
    raise UserFacingError("the broker closed the connection")  # pragma: no cover


async def pipe(settings: Settings, camera: str, out: BinaryIO | None = None) -> int:
    answer = await ask(settings, "liveview", {"camera": camera})
    if answer.get("status") != "ok":
        error = answer.get("error") or {}
        raise UserFacingError(f"{error.get('code', 'error')}: {error.get('message', '')}")
    url = urlparse(str((answer.get("data") or {}).get("tcp_url") or ""))
    if not url.hostname or not url.port:
        raise UserFacingError("the bridge's answer has no tcp_url")
    sink = out or sys.stdout.buffer
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        while chunk := await reader.read(READ_SIZE):
            try:
                sink.write(chunk)
                sink.flush()
            except (BrokenPipeError, ValueError):
                return 0
    finally:
        writer.close()
    return 0
