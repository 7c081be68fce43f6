"""The bridge with its HTTP server on, for the tests/test_http_*.py files: a real
Service (in this event loop) on a real broker against the simulator, and a real aiohttp
client talking to it over TCP."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from blink_mqtt.localbroker import free_port
from tests.bridge_env import AnyBroker, BridgeEnv, running_bridge

TIMEOUT = aiohttp.ClientTimeout(total=120)
FIRST_CAMERA = "Front Door"


@dataclass
class HttpBridge:
    env: BridgeEnv
    url: str
    """http://127.0.0.1:<port> (no trailing slash)."""
    client: aiohttp.ClientSession

    @property
    def media(self) -> Path:
        return self.env.settings.media_dir

    async def api(self, command: str, body: bytes | str = b"") -> tuple[int, dict[str, Any]]:
        """POST /api/<command>: (status, envelope)."""
        async with self.client.post(f"{self.url}/api/{command}", data=body) as answer:
            return answer.status, await answer.json()

    async def clips(self) -> list[str]:
        """Download every clip of the simulator (over MQTT); their paths as returned."""
        answer = await self.env.exchange("download-since", "2000-01-01T00:00:00+00:00", timeout=120)
        assert answer["status"] == "ok", answer
        return [p for paths in answer["data"]["downloaded_clips"].values() for p in paths]


@contextlib.asynccontextmanager
async def http_bridge(
    broker: AnyBroker,
    base_topic: str,
    workdir: Path,
    **overrides: Any,
) -> AsyncIterator[HttpBridge]:
    port = free_port()
    async with (
        running_bridge(broker, base_topic, workdir, http_port=port, **overrides) as env,
        aiohttp.ClientSession(timeout=TIMEOUT) as client,
    ):
        if overrides.get("wait_ready", True):
            await env.settle()
        with server_errors() as errors:
            yield HttpBridge(env, f"http://127.0.0.1:{port}", client)
        assert not errors, "the HTTP server failed on a request:\n" + "\n".join(errors)


@contextlib.contextmanager
def server_errors() -> Iterator[list[str]]:
    """What aiohttp's server logged as an unhandled exception meanwhile: a request that
    crashed its handler (the client only sees a 500 or a dropped connection)."""
    found: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(self.format(record))

    catch = Catch(logging.ERROR)
    logger = logging.getLogger("aiohttp.server")
    logger.addHandler(catch)
    try:
        yield found
    finally:
        logger.removeHandler(catch)
