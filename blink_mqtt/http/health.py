"""`/healthz` (the `health` answer; 200 when MQTT is connected and auth is ok, 503
otherwise) and `/metrics`. Both read the bridge directly, without a request slot: a
health check still answers while requests are refused `busy`."""

from __future__ import annotations

from aiohttp import web

from blink_mqtt.http.door import Bridge
from blink_mqtt.http.metrics import CONTENT_TYPE
from blink_mqtt.messages import ok


def add_routes(app: web.Application, bridge: Bridge) -> None:
    async def healthz(request: web.Request) -> web.Response:
        health = bridge.health()
        healthy = health.mqtt == "connected" and health.auth == "ok"
        return web.Response(
            body=ok("health", None, health.to_json()),  # the envelope MQTT's `health` gets
            status=200 if healthy else 503,
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(
            body=bridge.metrics.exposition(),
            headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"},
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
