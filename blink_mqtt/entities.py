"""The Home Assistant entity table: which entities each kind of device has (pure data).

One row per entity: its key (part of the unique_id), platform, name, static options,
which of the device's topics it reads or commands, and the request fields its command
carries. `discovery.py` turns rows into configs; adding an entity is adding a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from blink_mqtt.state import AUTH_STATES

ORIGIN_NAME: Final = "blink-mqtt"
MANUFACTURER: Final = "Blink"

CAMERA_MODELS: Final[Mapping[str, str]] = {
    "catalina": "Blink Outdoor",
    "owl": "Blink Mini",
    "lotus": "Blink Video Doorbell",
    "sedona": "Blink Indoor",
    "superior": "Blink Wired Floodlight",
}
"""Blink's camera `type` -> the product name shown as the device model; others stay raw."""

EVENT_TYPES: Final = ("motion", "snapshot", "clip_saved", "liveview_started", "liveview_ended")
"""What the camera's Activity event entity shows; the event topic also carries `doorbell`
(the Doorbell entity's) and may carry other types later: each entity passes only its own."""
DOORBELL_TYPES: Final = ("lotus", "doorbell")
"""Camera `type`s of doorbells: Blink's `lotus` (the Video Doorbell), or blinkpy's own
`doorbell` when Blink sent no type."""

Role = Literal["state", "image", "event", "auth", "liveview"]
"""Which of a device's topics an option points at (resolved per device)."""


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """One row of an entity table: everything about an entity that is not per device.

    `topics` maps option names to topic roles, `command` names the request the entity
    publishes to, and `payloads` maps payload options to request fields; the device's
    own argument (`{"camera": serial}` ...) is merged into each payload.
    """

    key: str
    platform: str
    name: str | None
    options: Mapping[str, object] = field(default_factory=dict)
    topics: Mapping[str, Role] = field(default_factory=dict)
    command: str | None = None
    payloads: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    needs: str | None = None
    """The state field the entity shows; the entity exists only while the device reports
    it (not None). One of `state.REPORTED_FIELDS`."""
    types: tuple[str, ...] = ()
    """The camera types that have the entity (empty: every camera)."""


def _on_off(field_name: str) -> str:
    return f"{{{{ 'ON' if value_json.{field_name} else 'OFF' }}}}"


def _only(event_types: tuple[str, ...]) -> str:
    """An event entity's template that passes its own event types and renders any other
    empty, which Home Assistant ignores (mqtt/event.py) instead of warning about it."""
    return f"{{{{ value if value_json.event_type in {list(event_types)} else '' }}}}"


CAMERA_ENTITIES: Final[tuple[EntitySpec, ...]] = (
    EntitySpec(
        "camera", "camera", None, topics={"topic": "image", "json_attributes_topic": "state"}
    ),
    EntitySpec(
        "motion",
        "binary_sensor",
        "Motion",
        {"device_class": "motion", "value_template": _on_off("motion_detected")},
        {"state_topic": "state"},
    ),
    EntitySpec(
        "battery",
        "binary_sensor",
        "Battery",
        {
            "device_class": "battery",
            "entity_category": "diagnostic",
            "value_template": "{{ 'None' if value_json.battery is none"
            " else ('ON' if value_json.battery == 'low' else 'OFF') }}",
        },
        {"state_topic": "state"},
        needs="battery",
    ),
    EntitySpec(
        "temperature",
        "sensor",
        "Temperature",
        {
            "device_class": "temperature",
            "unit_of_measurement": "°C",
            "state_class": "measurement",
            "suggested_display_precision": 1,
            "value_template": "{{ value_json.temperature_c }}",
        },
        {"state_topic": "state"},
        needs="temperature_c",
    ),
    EntitySpec(
        "wifi",
        "sensor",
        "Wi-Fi signal",
        {
            "device_class": "signal_strength",
            "unit_of_measurement": "dBm",
            "state_class": "measurement",
            "entity_category": "diagnostic",
            "value_template": "{{ value_json.wifi_strength }}",
        },
        {"state_topic": "state"},
        needs="wifi_strength",
    ),
    EntitySpec(
        "last_clip",
        "sensor",
        "Last clip",
        {"device_class": "timestamp", "value_template": "{{ value_json.last_record or 'None' }}"},
        {"state_topic": "state"},
    ),
    EntitySpec(
        "motion_detection",
        "switch",
        "Motion detection",
        {
            "entity_category": "config",
            "value_template": _on_off("motion_enabled"),
            "state_on": "ON",
            "state_off": "OFF",
        },
        {"state_topic": "state"},
        command="motion-detection",
        payloads={"payload_on": {"enabled": True}, "payload_off": {"enabled": False}},
    ),
    EntitySpec(
        "snap",
        "button",
        "Take snapshot",
        {"icon": "mdi:camera"},
        command="snap",
        payloads={"payload_press": {}},
    ),
    EntitySpec(
        "record",
        "button",
        "Record clip",
        {"icon": "mdi:video"},
        command="record",
        payloads={"payload_press": {}},
    ),
    EntitySpec(
        "liveview",
        "switch",
        "Live view",
        {
            "icon": "mdi:cctv",
            "value_template": "{{ 'ON' if value_json.state == 'on' else 'OFF' }}",
            "state_on": "ON",
            "state_off": "OFF",
        },
        {"state_topic": "liveview"},
        command="liveview",
        payloads={"payload_on": {"enabled": True}, "payload_off": {"enabled": False}},
    ),
    EntitySpec(
        "liveview_today",
        "sensor",
        "Live view today",
        {
            "device_class": "duration",
            "unit_of_measurement": "s",
            "state_class": "total",
            "icon": "mdi:timer-sand",
            "value_template": "{{ value_json.seconds_today }}",
        },
        {"state_topic": "liveview", "json_attributes_topic": "liveview"},
    ),
    EntitySpec(
        "event",
        "event",
        "Activity",
        {
            "device_class": "motion",
            "event_types": list(EVENT_TYPES),
            "value_template": _only(EVENT_TYPES),
        },
        {"state_topic": "event"},
    ),
    EntitySpec(
        "doorbell",
        "event",
        "Doorbell",
        {
            "device_class": "doorbell",
            "event_types": ["doorbell"],
            "value_template": _only(("doorbell",)),
        },
        {"state_topic": "event"},
        types=DOORBELL_TYPES,
    ),
)

SYNC_ENTITIES: Final[tuple[EntitySpec, ...]] = (
    EntitySpec(
        "alarm",
        "alarm_control_panel",
        None,
        {
            "supported_features": ["arm_away"],
            "code_arm_required": False,
            "code_disarm_required": False,
            "code_trigger_required": False,
            "value_template": "{{ 'armed_away' if value_json.armed else 'disarmed' }}",
        },
        {"state_topic": "state"},
        command="arm",
        payloads={"payload_arm_away": {"armed": True}, "payload_disarm": {"armed": False}},
    ),
    EntitySpec(
        "online",
        "binary_sensor",
        "Online",
        {
            "device_class": "connectivity",
            "entity_category": "diagnostic",
            "value_template": _on_off("online"),
        },
        {"state_topic": "state"},
    ),
)

BRIDGE_ENTITIES: Final[tuple[EntitySpec, ...]] = (
    EntitySpec(
        "auth",
        "sensor",
        "Auth state",
        {
            "device_class": "enum",
            "options": list(AUTH_STATES),
            "icon": "mdi:account-key",
            "value_template": "{{ value_json.state }}",
        },
        {"state_topic": "auth", "json_attributes_topic": "auth"},
    ),
    # The code is published as a plain string (a `2fa` request's main argument). The
    # state follows bridge/auth but always renders empty, so the field clears after
    # each login step and HA never keeps the code as the entity's state.
    EntitySpec(
        "two_factor_code",
        "text",
        "2FA code",
        {
            "mode": "text",
            "min": 0,
            "max": 16,
            "pattern": "^[0-9A-Za-z-]*$",
            "icon": "mdi:two-factor-authentication",
            "value_template": "{{ '' }}",
        },
        {"state_topic": "auth"},
        command="2fa",
    ),
    EntitySpec(
        "download_recent",
        "button",
        "Download recent clips",
        {"icon": "mdi:download"},
        command="download-recent",
        payloads={"payload_press": {}},
    ),
)
