"""BlinkPy API endpoints."""

from __future__ import annotations

from aiohttp import web

from blink_mqtt.http.door import Door


def add_routes(app: web.Application, door: Door) -> None:
    """BlinkPy API endpoints (filled in by branch issue13-compat)."""
