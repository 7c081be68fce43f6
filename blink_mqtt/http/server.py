"""The HTTP server: builds the aiohttp application, binds, serves until stopped."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from blink_mqtt.errors import ConfigError
from blink_mqtt.http import api, compat, health, media, page
from blink_mqtt.http.door import Bridge, door_of
from blink_mqtt.http.security import Guard
from blink_mqtt.settings import check_http

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 3.0
"""Seconds open requests get to finish when the bridge stops."""
CLIENT_MAX_SIZE = 1024 * 1024


def application(bridge: Bridge) -> web.Application:
    """Every route of the bridge's HTTP face."""
    prefix = media.prefix(bridge.settings)
    guard = Guard(bridge.settings, lambda path: path == "/" or path.startswith(prefix))
    app = web.Application(middlewares=[guard.middleware], client_max_size=CLIENT_MAX_SIZE)
    health.add_routes(app, bridge)
    api.add_routes(app, bridge)
    page.add_routes(app, bridge)
    compat.add_routes(app, door_of(bridge))
    media.add_routes(app, bridge)  # last: its prefix is MEDIA_DIR's name
    return app


def _quiet_bad_requests(record: logging.LogRecord) -> bool:
    """aiohttp logs a request its parser refuses (already answered 400) as an ERROR with
    a traceback: anyone on the network could fill the log. One DEBUG line instead."""
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, HttpProcessingError):
        log.debug("Refused a malformed HTTP request: %s", type(error).__name__)
        return False
    return True


class HttpServer:
    """`start()` binds (a ConfigError when it cannot), `serve()` is the long-lived task,
    `stop()` closes the socket and waits briefly for open requests."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        settings = self._bridge.settings
        check_http(settings)
        server_log = logging.getLogger("aiohttp.server")
        if _quiet_bad_requests not in server_log.filters:
            server_log.addFilter(_quiet_bad_requests)
        runner = web.AppRunner(
            application(self._bridge), access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        await runner.setup()
        site = web.TCPSite(runner, settings.http_host, settings.http_port)
        try:
            await site.start()
        except OSError as err:
            await runner.cleanup()
            where = f"{settings.http_host}:{settings.http_port}"
            reason = err.strerror or str(err)
            raise ConfigError(f"HTTP_HOST/HTTP_PORT: cannot listen on {where}: {reason}") from None
        self._runner = runner
        log.info(
            "HTTP server on %s:%s (media at %s)",
            settings.http_host,
            settings.http_port,
            settings.public_base_url,
        )

    async def serve(self) -> None:
        """Runs for as long as the server does (aiohttp serves from its own tasks)."""
        await asyncio.Event().wait()

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
