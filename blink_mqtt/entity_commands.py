"""Per-device command topics with plain payloads, for scripts and Node-RED (pure).

`<base>/camera/<camera>/motion_detection/set` with `ON` / `OFF` is the request
`motion-detection {"camera": "<camera>", "enabled": "ON"}`, answered like any request on
`<base>/response/motion-detection` (or the MQTT v5 Response Topic). `ON`/`OFF` (any
case; also `true`/`false`, `1`/`0`) become booleans; anything else is passed on as it
came, so the request model refuses it with `invalid_request` naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from blink_mqtt.topics import Topics


@dataclass(frozen=True, slots=True)
class DeviceCommand:
    """One per-device topic: the request it becomes, and its payload field (None: the
    payload is ignored, e.g. a button press)."""

    command: str
    field: str | None
    doc: str


CAMERA_COMMANDS: Mapping[str, DeviceCommand] = {
    "motion_detection": DeviceCommand("motion-detection", "enabled", "`ON` / `OFF`"),
    "snap": DeviceCommand("snap", None, "any payload (e.g. `PRESS`): take a snapshot"),
    "record": DeviceCommand("record", None, "any payload: record a clip"),
    "liveview": DeviceCommand("liveview", "enabled", "`ON` (start) / `OFF` (stop)"),
}
SYNC_COMMANDS: Mapping[str, DeviceCommand] = {
    "armed": DeviceCommand("arm", "armed", "`ON` (arm) / `OFF` (disarm)"),
}
SWITCH = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}
TARGET = {"camera": "camera", "sync": "sync_module"}
"""The request field that names the device of each kind."""


def translate(topics: Topics, topic: str, payload: bytes) -> tuple[str, bytes] | None:
    """(command, JSON request payload) for a per-device command topic; None for others."""
    parsed = topics.device_command_of(topic)
    if parsed is None:
        return None
    kind, slug, name = parsed
    table = CAMERA_COMMANDS if kind == "camera" else SYNC_COMMANDS
    spec = table.get(name)
    if spec is None:
        return None
    request: dict[str, object] = {TARGET[kind]: slug}
    if spec.field is not None:
        text = payload.decode("utf-8", "replace").strip()
        request[spec.field] = SWITCH.get(text.lower(), text)
    return spec.command, json.dumps(request).encode()
