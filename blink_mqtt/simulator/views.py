"""JSON bodies of the device endpoints, built from the simulator state (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from blink_mqtt.simulator.commands import Command
from blink_mqtt.simulator.model import Camera, Network, SyncModule, World

JSON = dict[str, Any]
_BARS = {"ok": 3, "low": 1}


def iso(moment: datetime) -> str:
    """UTC timestamp with an explicit ``+00:00`` offset, no fractions."""
    return moment.replace(microsecond=0).isoformat()


def thumbnail_path(account_id: int, cam: Camera) -> str:
    return (
        f"/api/v3/media/accounts/{account_id}/networks/{cam.network_id}/{cam.type}/"
        f"{cam.id}/thumbnail/thumbnail.jpg?ts={cam.thumbnail_ts}&ext="
    )


def legacy_thumbnail_path(account_id: int, cam: Camera) -> str:
    """The old form, no extension (a real Mini's homescreen, fronzbot/blinkpy#290)."""
    return (
        f"/media/production/account/{account_id}/network/{cam.network_id}/{cam.type}/"
        f"{cam.id}/thumbnail/fw_{cam.fw_version}__{cam.thumbnail_ts}"
    )


def device_thumbnail(account_id: int, cam: Camera) -> str | None:
    """The homescreen ``thumbnail`` of a camera in its configured form."""
    if cam.thumbnail_form == "null":
        return None
    if cam.thumbnail_form == "legacy":
        return legacy_thumbnail_path(account_id, cam)
    return thumbnail_path(account_id, cam)


def _wifi_bars(cam: Camera) -> int | None:
    if cam.wifi_strength is None:
        return None
    return max(1, min(5, (cam.wifi_strength + 100) // 10))


def _present(**fields: Any) -> JSON:
    """Only the fields the device reports (a None field is left out)."""
    return {key: value for key, value in fields.items() if value is not None}


def _device(account_id: int, cam: Camera) -> JSON:
    return {
        "id": cam.id,
        "name": cam.name,
        "network_id": cam.network_id,
        "serial": cam.serial,
        "fw_version": cam.fw_version,
        "type": cam.type,
        "enabled": cam.enabled,
        "status": cam.status,
        **_present(
            battery=cam.battery,
            battery_voltage=cam.battery_voltage,
            wifi_strength=cam.wifi_strength,
            temperature=cam.temperature,
        ),
        "thumbnail": device_thumbnail(account_id, cam),
    }


def _homescreen_module(mod: SyncModule) -> JSON:
    return {
        "id": mod.id,
        "name": mod.name,
        "network_id": mod.network_id,
        "serial": mod.serial,
        "fw_version": mod.fw_version,
        "status": "online" if mod.online else "offline",
        "onboarded": True,
        "local_storage_enabled": mod.local_storage,
        "local_storage_compatible": True,
        "local_storage_status": "active" if mod.local_storage else "unavailable",
    }


def homescreen(world: World, account_id: int) -> JSON:
    cams = list(world.cameras.values())
    by_kind = {
        kind: [{**_device(account_id, c), "onboarded": True} for c in cams if c.kind == kind]
        for kind in ("default", "mini", "doorbell")
    }
    return {
        "account": {"id": account_id},
        "networks": [_homescreen_network(world, net) for net in world.networks.values()],
        "sync_modules": [_homescreen_module(m) for m in _modules(world)],
        "cameras": by_kind["default"],
        "owls": by_kind["mini"],
        "doorbells": by_kind["doorbell"],
    }


def _homescreen_network(world: World, net: Network) -> JSON:
    armed = world.network_armed(net)
    return {"id": net.id, "name": net.name, "armed": armed, "time_zone": net.time_zone}


def _modules(world: World) -> list[SyncModule]:
    return [net.sync_module for net in world.networks.values() if net.sync_module]


def networks(world: World) -> JSON:
    nets = world.networks.values()
    summary = {str(n.id): {"name": n.name, "onboarded": n.sync_module is not None} for n in nets}
    listing = [
        {
            "id": n.id,
            "name": n.name,
            "armed": world.network_armed(n),
            "onboarded": bool(n.sync_module),
        }
        for n in nets
    ]
    return {"summary": summary, "networks": listing}


def camera_usage(world: World) -> JSON:
    rows = []
    for mod in _modules(world):
        cams = [c for c in world.cameras_in(mod.network_id) if c.kind == "default"]
        listed = [
            {"id": c.id, "name": c.name, "usage": 12, "lv_seconds": 0, "clip_seconds": 12}
            for c in cams
        ]
        rows.append({"network_id": mod.network_id, "name": mod.name, "cameras": listed})
    return {"range_days": 7, "networks": rows}


def syncmodule(mod: SyncModule) -> JSON:
    status = "online" if mod.online else "offline"
    return {
        "syncmodule": {
            "id": mod.id,
            "network_id": mod.network_id,
            "name": mod.name,
            "serial": mod.serial,
            "fw_version": mod.fw_version,
            "status": status,
            "wifi_strength": 4,
        }
    }


def network_update(world: World, net: Network) -> JSON:
    return {
        "network": {
            "id": net.id,
            "name": net.name,
            "armed": world.network_armed(net),
            "sync_module_error": False,
            "camera_error": False,
            "busy": False,
            "lv_save": False,
        }
    }


def _battery_bars(cam: Camera) -> int | None:
    return None if cam.battery is None else _BARS.get(cam.battery, 2)


def _config_thumbnail(account_id: int, cam: Camera) -> int | str | None:
    """Camera config carries only the ``ts`` in the current form."""
    if cam.thumbnail_form == "current":
        return cam.thumbnail_ts
    return device_thumbnail(account_id, cam)


def camera_config(cam: Camera, now: datetime, account_id: int) -> JSON:
    signals = _present(
        lfr=5, wifi=_wifi_bars(cam), battery=_battery_bars(cam), temp=cam.temperature
    )
    config = {
        **_device(account_id, cam),
        "thumbnail": _config_thumbnail(account_id, cam),
        **_present(battery_state=cam.battery),
        "battery_check_time": iso(now),
        "signals": signals,
    }
    return {"camera": [config]}


def camera_signals(cam: Camera, now: datetime) -> JSON:
    temp = None if cam.temperature is None else cam.temperature - 2
    signals = _present(wifi=_wifi_bars(cam), battery=_battery_bars(cam), temp=temp)
    return {"lfr": 5, **signals, "updated_at": iso(now)}


def command_created(cmd: Command) -> JSON:
    return {
        "id": cmd.id,
        "network_id": cmd.network_id,
        "command": cmd.kind,
        "state": "new",
        "camera_id": cmd.camera_id,
        "created_at": iso(cmd.created_at),
    }


def _command_states(cmd: Command) -> list[JSON]:
    """A live-view command lists its own state (blinkpy/livestream.py ``poll``)."""
    if cmd.state_condition is None:
        return []
    return [{"id": cmd.id, "command": cmd.kind, "state_condition": cmd.state_condition}]


def command_status(cmd: Command, complete: bool) -> JSON:
    return {
        "complete": complete,
        "status": 0,
        "status_msg": "Command succeeded" if complete else "Command in progress",
        "status_code": 908,
        "commands": _command_states(cmd),
        "media_id": None,
    }
