"""The web page: bridge and auth state, 2FA form, cameras, archive, downloads."""

from __future__ import annotations

from aiohttp import web

from blink_mqtt.http.door import Bridge


def add_routes(app: web.Application, bridge: Bridge) -> None:
    """Filled in after the skeleton."""
