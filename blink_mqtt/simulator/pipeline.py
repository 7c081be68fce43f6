"""Request pipeline middlewares: log -> virtual host and endpoint -> faults -> auth.

Every Blink request gets an endpoint name (the route's, except that an owl config POST
is ``motion_enable``/``motion_disable`` by its body), is checked against its virtual
host, may get an injected fault, and must carry a valid Bearer token where Blink wants one.
"""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import web

from blink_mqtt.simulator.faults import Fault, SlowBody, TruncatedBody
from blink_mqtt.simulator.responses import (
    ApiError,
    BodyResponse,
    BytesBody,
    DroppedResponse,
    cloudflare_406,
    empty_cookies,
    error_response,
    html_response,
)
from blink_mqtt.simulator.routes import CONTROL_PREFIX, OAUTH_HOST, PROD_HOST, Handler, Route, VHost
from blink_mqtt.simulator.state import STATE_KEY
from blink_mqtt.simulator.telemetry import RequestRecord

ROUTES_KEY = web.AppKey("blink_simulator_routes", dict[web.AbstractRoute, Route])
_ENDPOINT = web.RequestKey("blink_simulator_endpoint", str)
_FAULT = web.RequestKey("blink_simulator_fault", str)
_HTML_500 = "<html><body><h1>500 Internal Server Error</h1></body></html>"


def endpoint_of(request: web.Request) -> str:
    name: str = request.get(_ENDPOINT, "unknown")
    return name


@web.middleware
async def log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    started = time.monotonic()
    status = 0
    try:
        response = await handler(request)
        status = 0 if request.get(_FAULT) == "drop" else response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        record = RequestRecord(
            method=request.method,
            host=request.host,
            path=request.path,
            query=request.rel_url.raw_query_string,
            status=status,
            endpoint=endpoint_of(request),
            time=started,
            fault=request.get(_FAULT),
        )
        request.app[STATE_KEY].telemetry.record(record)


def _host_matches(vhost: VHost, host: str, rest_host: str) -> bool:
    wanted = {VHost.OAUTH: OAUTH_HOST, VHost.REST_PROD: PROD_HOST, VHost.REST_TIER: rest_host}
    return vhost is VHost.ANY or wanted[vhost] == host.rsplit(":", 1)[0].lower()


async def _endpoint_name(request: web.Request, route: Route) -> str:
    if route.name != "owl_config" or request.method != "POST":
        return route.name
    try:
        enabled = json.loads(await request.read() or b"{}").get("enabled")
    except (ValueError, AttributeError):
        return route.name
    return {True: "motion_enable", False: "motion_disable"}.get(enabled, route.name)


@web.middleware
async def dispatch(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Name the endpoint, check the virtual host, and turn ApiError into JSON errors."""
    route = request.app[ROUTES_KEY].get(request.match_info.route)
    rest_host = request.app[STATE_KEY].rest_host
    if route is None or not _host_matches(route.vhost, request.host, rest_host):
        request[_ENDPOINT] = "not_found"
        return error_response(404, "Not found")
    request[_ENDPOINT] = await _endpoint_name(request, route)
    try:
        return await handler(request)
    except ApiError as error:
        return error.response()


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    # The whole request is in before any latency or delay: like a real cloud behind a load
    # balancer, the simulator carries it out even if its client goes away meanwhile.
    await request.read()
    if state.options.latency_seconds > 0:
        await asyncio.sleep(state.options.latency_seconds)
    fault = state.faults.take(endpoint_of(request), request.path)
    if fault is None:
        return await handler(request)
    request[_FAULT] = fault.kind
    return await _apply(fault, request, handler)


_CANNED = {
    "401": lambda: error_response(401, "Unauthorized Access", 101),
    "404": lambda: error_response(404, "Not found"),
    "429": lambda: error_response(429, "Too many requests, please slow down"),
    "500": lambda: html_response(_HTML_500, status=500),
    "invalid_json": lambda: BodyResponse(BytesBody(b'{"message": "cut sho')),
    "503": lambda: error_response(503, "Service temporarily unavailable"),
    "cloudflare_406": cloudflare_406,
    "empty_cookies": empty_cookies,
}


async def _apply(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    canned = _CANNED.get(fault.kind)
    if canned is not None:
        return canned()
    if fault.kind == "drop":
        return DroppedResponse()
    if fault.kind == "delay":
        await asyncio.sleep(fault.seconds)
        return await handler(request)
    response = await handler(request)
    if isinstance(response, BodyResponse):
        inner = response.body_source
        slow = fault.kind == "slow_body"
        response.body_source = SlowBody(inner, fault.seconds) if slow else TruncatedBody(inner)
    return response


@web.middleware
async def check_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.app[ROUTES_KEY].get(request.match_info.route)
    if route is None or not route.auth:
        return await handler(request)
    state = request.app[STATE_KEY]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not state.oauth.access_valid(token, state.epoch()):
        return error_response(401, "Unauthorized Access", 101)
    account = request.match_info.get("aid")
    if account is not None and account != str(state.account.id):
        return error_response(403, "Forbidden: not your account")
    return await handler(request)


MIDDLEWARES = (log_requests, dispatch, inject_faults, check_auth)
