"""Serving a simulator: in-process for tests (``serve``) or standalone (``run_standalone``)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from blink_mqtt.simulator.app import build_app
from blink_mqtt.simulator.core import Simulator
from blink_mqtt.simulator.scenario import load_scenario

_LOGGER = logging.getLogger(__name__)


@asynccontextmanager
async def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve ``sim`` until the block ends; yields its base URL ``http://HOST:PORT``."""
    runner = web.AppRunner(
        build_app(sim), access_log=None, handle_signals=False, shutdown_timeout=1
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        base_url = f"http://{host}:{site.port}"
        _LOGGER.info("Blink cloud simulator serving on %s", base_url)
        yield base_url
    finally:
        await runner.cleanup()


async def run_standalone(host: str, port: int, scenario_path: str | Path | None) -> None:
    """Serve a simulator (default scenario unless a file is given) until cancelled."""
    scenario = load_scenario(scenario_path) if scenario_path else None
    async with serve(Simulator(scenario), host, port) as base_url:
        sys.stdout.write(f"Blink cloud simulator listening on {base_url}\n")
        sys.stdout.flush()
        await asyncio.Event().wait()
