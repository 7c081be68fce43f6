"""Home Assistant MQTT discovery: the entity table and a pure builder (state -> messages).

Each device (the bridge, every sync module, every camera) gets one retained device-based
config on `<prefix>/device/<object_id>/config` listing its entities under `components`.
The tables in entities.py say which entities a device has; `discovery_messages` fills in the
per-device parts (topics, serials, names) and never branches on the entity kind.

Ids derive from serials, never from names: object id and device identifier
`blink_<serial>` (sync modules `blink_sync_<serial>`, the bridge `blink_bridge_<base>`),
unique_id `<object id>_<key>`. Options use HA's full key names (no abbreviations).
Topics and payloads: the README's MQTT reference; the HA rules checked: tests/ha_rules.json.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from blink_mqtt import __version__
from blink_mqtt.entities import (
    BRIDGE_ENTITIES,
    CAMERA_ENTITIES,
    CAMERA_MODELS,
    EVENT_TYPES,
    MANUFACTURER,
    ORIGIN_NAME,
    SYNC_ENTITIES,
    EntitySpec,
    Role,
)
from blink_mqtt.state import AUTH_STATES, AccountState, CameraState, SyncState
from blink_mqtt.topics import Topics, slugify

__all__ = [
    "AUTH_STATES",
    "BRIDGE_ENTITIES",
    "CAMERA_ENTITIES",
    "CAMERA_MODELS",
    "EVENT_TYPES",
    "SYNC_ENTITIES",
    "Device",
    "EntitySpec",
    "all_object_ids",
    "discovery_messages",
    "lost_entity_messages",
    "removal_messages",
    "sanitise",
]


@dataclass(frozen=True, slots=True)
class Device:
    """One HA device: its config topic id, device block, topics and entities."""

    object_id: str
    info: Mapping[str, object]
    topics: Mapping[Role, str]
    target: Mapping[str, object]
    """The request fields that name this device, e.g. `{"camera": "<serial>"}`."""
    entities: tuple[EntitySpec, ...]
    availability: tuple[Mapping[str, str], ...] = ()
    """Availability beside the bridge's own (all must say available)."""


CAMERA_ONLINE = "{{ 'online' if value_json.online else 'offline' }}"
"""A camera is available while its state says `online` (and the bridge is)."""

_NOT_ID = re.compile(r"[^a-zA-Z0-9_-]+")


def sanitise(text: str) -> str:
    """`G8T1 AB/CD` -> `G8T1_AB_CD`: only `[a-zA-Z0-9_-]`, never empty."""
    clean = _NOT_ID.sub("_", text).strip("_")
    return clean or hashlib.blake2s(text.encode(), digest_size=4).hexdigest()


def camera_object_id(serial: str) -> str:
    return f"blink_{sanitise(serial)}"


def sync_object_id(serial: str) -> str:
    return f"blink_sync_{sanitise(serial)}"


def bridge_object_id(topics: Topics) -> str:
    """Keyed by the base topic, so two bridges on one broker stay two devices."""
    return f"blink_bridge_{slugify(topics.base) or sanitise(topics.base)}"


def _present(values: Mapping[str, object]) -> dict[str, object]:
    """HA rejects None for string options: leave out what we do not know."""
    return {k: v for k, v in values.items() if v is not None and v != ""}


def camera_device(camera: CameraState, topics: Topics) -> Device:
    object_id = camera_object_id(camera.serial)
    via = sync_object_id(camera.sync_serial) if camera.sync_serial else None
    info = _present(
        {
            "identifiers": [object_id],
            "name": camera.name or camera.serial,
            "manufacturer": MANUFACTURER,
            "model": CAMERA_MODELS.get(camera.type, camera.type),
            "model_id": camera.type,
            "serial_number": camera.serial,
            "sw_version": camera.firmware,
            "via_device": via,
        }
    )
    slug = camera.slug or slugify(camera.name) or sanitise(camera.serial)
    roles: dict[Role, str] = {
        "state": topics.camera_state(slug),
        "image": topics.camera_image(slug),
        "event": topics.camera_event(slug),
        "liveview": topics.camera_liveview(slug),
    }
    online = {"topic": roles["state"], "value_template": CAMERA_ONLINE}
    entities = tuple(spec for spec in CAMERA_ENTITIES if reported(spec, camera))
    return Device(object_id, info, roles, {"camera": camera.serial}, entities, (online,))


def reported(spec: EntitySpec, camera: CameraState) -> bool:
    """A camera has an entity only for what it reports and what it is: no battery entity
    for a Mini, a doorbell entity for doorbells only."""
    if spec.types and camera.type not in spec.types:
        return False
    return spec.needs is None or getattr(camera, spec.needs) is not None


def sync_device(sync: SyncState, topics: Topics) -> Device:
    object_id = sync_object_id(sync.serial)
    info = _present(
        {
            "identifiers": [object_id],
            "name": sync.name or sync.serial,
            "manufacturer": MANUFACTURER,
            "model": "Sync Module",
            "serial_number": sync.serial,
            "sw_version": sync.firmware,
        }
    )
    slug = sync.slug or slugify(sync.name) or sanitise(sync.serial)
    roles: dict[Role, str] = {"state": topics.sync_state(slug)}
    return Device(object_id, info, roles, {"sync_module": sync.serial}, SYNC_ENTITIES)


def bridge_device(topics: Topics, version: str = __version__) -> Device:
    suffix = "" if topics.base == "blink" else f" ({topics.base})"
    info = {
        "identifiers": [bridge_object_id(topics)],
        "name": f"Blink MQTT bridge{suffix}",
        "manufacturer": ORIGIN_NAME,
        "model": "Blink MQTT bridge",
        "sw_version": version,
    }
    roles: dict[Role, str] = {"auth": topics.bridge_auth}
    return Device(bridge_object_id(topics), info, roles, {}, BRIDGE_ENTITIES)


def devices(account: AccountState, topics: Topics, version: str = __version__) -> list[Device]:
    """The bridge, then sync modules, then cameras: parents before their `via_device`."""
    return [
        bridge_device(topics, version),
        *(sync_device(sync, topics) for sync in account.syncs),
        *(camera_device(camera, topics) for camera in account.cameras),
    ]


def component(spec: EntitySpec, device: Device, topics: Topics) -> dict[str, object]:
    """One entry of `components`: static options plus this device's topics and payloads."""
    config: dict[str, object] = {
        "platform": spec.platform,
        "name": spec.name,
        "unique_id": f"{device.object_id}_{spec.key}",
        **spec.options,
        **{option: device.topics[role] for option, role in spec.topics.items()},
        **{
            option: json.dumps({**device.target, **fields})
            for option, fields in spec.payloads.items()
        },
    }
    if spec.command is not None:
        config["command_topic"] = topics.request(spec.command)
    return config


def device_config(
    device: Device, topics: Topics, version: str = __version__, support_url: str | None = None
) -> dict[str, object]:
    """The whole retained discovery payload of one device, as a dict."""
    return {
        "device": device.info,
        "origin": _present(
            {"name": ORIGIN_NAME, "sw_version": version, "support_url": support_url}
        ),
        "availability": [{"topic": topics.bridge_state}, *device.availability],
        **({"availability_mode": "all"} if device.availability else {}),
        "components": {spec.key: component(spec, device, topics) for spec in device.entities},
    }


def discovery_messages(
    account: AccountState,
    topics: Topics,
    *,
    version: str = __version__,
    support_url: str | None = None,
) -> list[tuple[str, bytes]]:
    """(topic, retained payload) for the bridge, every sync module and every camera."""
    return [
        (
            topics.discovery(device.object_id),
            json.dumps(
                device_config(device, topics, version, support_url), ensure_ascii=False
            ).encode(),
        )
        for device in devices(account, topics, version)
    ]


def all_object_ids(account: AccountState, topics: Topics) -> list[str]:
    """Object ids of every device that `discovery_messages` would announce."""
    return [device.object_id for device in devices(account, topics)]


def removal_messages(
    old: AccountState, new: AccountState, topics: Topics
) -> list[tuple[str, bytes]]:
    """Empty retained payloads for the devices in `old` that `new` no longer has."""
    kept = set(all_object_ids(new, topics))
    return [
        (topics.discovery(object_id), b"")
        for object_id in all_object_ids(old, topics)
        if object_id not in kept
    ]


def lost_entity_messages(
    old: AccountState, new: AccountState, topics: Topics
) -> list[tuple[str, bytes]]:
    """For each device of both that lost entities (it stopped reporting a field): its new
    config with each lost component reduced to `{"platform": ...}`, which HA takes as that
    component's removal. Sent once, not retained; the retained config without them
    (`discovery_messages`) must follow."""
    kept = {device.object_id: device for device in devices(new, topics)}
    out: list[tuple[str, bytes]] = []
    for device in devices(old, topics):
        now = kept.get(device.object_id)
        if now is None:
            continue
        keys = {spec.key for spec in now.entities}
        lost = {spec.key: {"platform": spec.platform} for spec in device.entities}
        lost = {key: stub for key, stub in lost.items() if key not in keys}
        if lost:
            kept_components = {spec.key: component(spec, now, topics) for spec in now.entities}
            config = {**device_config(now, topics), "components": kept_components | lost}
            payload = json.dumps(config, ensure_ascii=False).encode()
            out.append((topics.discovery(device.object_id), payload))
    return out
