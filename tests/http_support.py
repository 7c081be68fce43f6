"""The bridge with its HTTP server on, for the tests/test_http_*.py files: a real
Service (in this event loop) on a real broker against the simulator, and a real aiohttp
client talking to it over TCP."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
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
    *,
    client_auth: aiohttp.BasicAuth | None = None,
    **overrides: Any,
) -> AsyncIterator[HttpBridge]:
    port = free_port()
    async with (
        running_bridge(broker, base_topic, workdir, http_port=port, **overrides) as env,
        aiohttp.ClientSession(timeout=TIMEOUT, auth=client_auth) as client,
    ):
        if overrides.get("wait_ready", True):
            await env.settle()
        yield HttpBridge(env, f"http://127.0.0.1:{port}", client)
