"""`POST /api/{command}`: the generic door. The body is the request payload (JSON object,
plain main argument, or empty), the answer is the MQTT response envelope, and the HTTP
status says the outcome."""

from __future__ import annotations

from aiohttp import web

from blink_mqtt.dispatch import Answer
from blink_mqtt.http.door import Bridge
from blink_mqtt.messages import read

STATUS = {
    "ok": 200,
    "invalid_json": 400,
    "invalid_request": 400,
    "unknown_command": 404,
    "unknown_camera": 404,
    "unknown_sync_module": 404,
    "not_authenticated": 503,
    "blink_unavailable": 502,
    "storage_error": 500,
    "busy": 503,
    "internal_error": 500,
}
"""HTTP status of each response code (README: HTTP)."""


def response(answer: Answer) -> web.Response:
    """The envelope as the body, its outcome as the status."""
    status = STATUS.get(answer.code, 500)
    headers = {"Cache-Control": "no-store"}
    if answer.code == "busy":
        headers["Retry-After"] = "5"
    return web.Response(
        body=answer.payload, status=status, content_type="application/json", headers=headers
    )


def add_routes(app: web.Application, bridge: Bridge) -> None:
    async def api(request: web.Request) -> web.Response:
        command = request.match_info["command"]
        body = await request.read()  # above client_max_size: 413; above MAX_PAYLOAD: refused
        return response(await bridge.call(command, read(body)))

    app.router.add_post("/api/{command}", api)
