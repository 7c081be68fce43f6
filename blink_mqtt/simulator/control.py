"""The control API under ``/_sim/`` (any Host, no auth): JSON in, JSON out.

Each route mirrors a ``Simulator`` method; bodies are validated by ``control_models``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from blink_mqtt.simulator import control_models as cm
from blink_mqtt.simulator.responses import ApiError, json_response
from blink_mqtt.simulator.routes import Route, VHost

if TYPE_CHECKING:
    from blink_mqtt.simulator.core import Simulator

SIM_KEY: web.AppKey[Simulator] = web.AppKey("blink_simulator")
M = TypeVar("M", bound=BaseModel)
ControlHandler = Callable[["Simulator", web.Request], Awaitable[Any]]


async def _body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as error:
        raise ApiError(400, error.json(include_url=False)) from None


def _ok() -> dict[str, Any]:
    return {"ok": True}


async def add_clip(sim: Simulator, request: web.Request) -> Any:
    req = await _body(request, cm.AddClip)
    try:
        added = sim.add_clip(**req.model_dump())
    except KeyError:
        raise ApiError(404, f"Unknown camera {req.camera}") from None
    except ValueError as error:
        raise ApiError(409, str(error)) from None
    return {**dataclasses.asdict(added), "created_at": added.created_at.isoformat()}


async def delete_clip(sim: Simulator, request: web.Request) -> Any:
    storage = request.match_info["storage"]
    if storage not in ("cloud", "usb"):
        raise ApiError(404, "storage must be cloud or usb")
    purge = request.query.get("purge", "false") == "true"
    try:
        clip_id = int(request.match_info["clip_id"])
        sim.delete_clip(clip_id, "cloud" if storage == "cloud" else "usb", purge=purge)
    except (KeyError, ValueError):
        raise ApiError(404, "Unknown clip") from None
    return _ok()


async def two_factor(sim: Simulator, request: web.Request) -> Any:
    sim.set_two_factor(**(await _body(request, cm.TwoFactorUpdate)).model_dump())
    return _ok()


async def expire_tokens(sim: Simulator, request: web.Request) -> Any:
    sim.expire_tokens(**(await _body(request, cm.ExpireTokens)).model_dump())
    return _ok()


async def fail_refreshes(sim: Simulator, request: web.Request) -> Any:
    sim.fail_refreshes((await _body(request, cm.RefreshFailures)).count)
    return _ok()


async def lock_out(sim: Simulator, request: web.Request) -> Any:
    sim.lock_out((await _body(request, cm.LockOut)).seconds)
    return _ok()


async def unlock(sim: Simulator, request: web.Request) -> Any:
    sim.unlock()
    return _ok()


async def network_busy(sim: Simulator, request: web.Request) -> Any:
    req = await _body(request, cm.NetworkBusy)
    try:
        sim.set_network_busy(request.match_info["ref"], req.busy)
    except KeyError:
        raise ApiError(404, "Unknown network") from None
    return _ok()


async def sync_module(sim: Simulator, request: web.Request) -> Any:
    req = await _body(request, cm.SyncModuleUpdate)
    try:
        sim.set_sync_module_online(request.match_info["ref"], req.online)
    except KeyError:
        raise ApiError(404, "Unknown sync module") from None
    return _ok()


async def remove_sync_module(sim: Simulator, request: web.Request) -> Any:
    try:
        sim.remove_sync_module(request.match_info["ref"])
    except KeyError:
        raise ApiError(404, "Unknown sync module") from None
    return _ok()


async def remove_camera(sim: Simulator, request: web.Request) -> Any:
    try:
        sim.remove_camera(request.match_info["ref"])
    except KeyError:
        raise ApiError(404, "Unknown camera") from None
    return _ok()


async def add_fault(sim: Simulator, request: web.Request) -> Any:
    return dataclasses.asdict(sim.add_fault(**(await _body(request, cm.FaultSpec)).model_dump()))


async def list_faults(sim: Simulator, request: web.Request) -> Any:
    return {"faults": [dataclasses.asdict(fault) for fault in sim.faults()]}


async def clear_faults(sim: Simulator, request: web.Request) -> Any:
    sim.clear_faults()
    return _ok()


async def latency(sim: Simulator, request: web.Request) -> Any:
    sim.set_latency((await _body(request, cm.Latency)).seconds)
    return _ok()


async def options(sim: Simulator, request: web.Request) -> Any:
    sim.set_options(**(await _body(request, cm.OptionsUpdate)).model_dump(exclude_none=True))
    return _ok()


async def request_log(sim: Simulator, request: web.Request) -> Any:
    return {"requests": [record.to_json() for record in sim.request_log()]}


async def counters(sim: Simulator, request: web.Request) -> Any:
    return sim.counters().to_json()


async def reset(sim: Simulator, request: web.Request) -> Any:
    sim.reset_telemetry()
    return _ok()


async def snapshot(sim: Simulator, request: web.Request) -> Any:
    return sim.snapshot().to_json()


def _control(method: str, path: str, name: str, op: ControlHandler) -> Route:
    async def handler(request: web.Request) -> web.StreamResponse:
        return json_response(await op(request.app[SIM_KEY], request))

    return Route(method, "/_sim" + path, "control_" + name, handler, VHost.ANY, auth=False)


ROUTES = (
    _control("POST", "/clips", "add_clip", add_clip),
    _control("DELETE", "/clips/{storage}/{clip_id}", "delete_clip", delete_clip),
    _control("POST", "/2fa", "two_factor", two_factor),
    _control("POST", "/tokens/expire", "expire_tokens", expire_tokens),
    _control("POST", "/tokens/fail_refreshes", "fail_refreshes", fail_refreshes),
    _control("POST", "/lockout", "lock_out", lock_out),
    _control("DELETE", "/lockout", "unlock", unlock),
    _control("POST", "/networks/{ref}/busy", "network_busy", network_busy),
    _control("POST", "/sync_modules/{ref}", "sync_module", sync_module),
    _control("DELETE", "/sync_modules/{ref}", "remove_sync_module", remove_sync_module),
    _control("DELETE", "/cameras/{ref}", "remove_camera", remove_camera),
    _control("POST", "/faults", "add_fault", add_fault),
    _control("GET", "/faults", "list_faults", list_faults),
    _control("DELETE", "/faults", "clear_faults", clear_faults),
    _control("POST", "/latency", "latency", latency),
    _control("POST", "/options", "options", options),
    _control("GET", "/log", "request_log", request_log),
    _control("GET", "/counters", "counters", counters),
    _control("POST", "/reset", "reset", reset),
    _control("GET", "/state", "snapshot", snapshot),
)
