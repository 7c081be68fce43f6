"""What Home Assistant makes of the bridge's retained discovery configs, for the tests.

Reads the device configs a Probe received, expands them as HA's discovery does
(`ha_rules.components`), and does what HA's MQTT platforms do with them: render the
payload a button press, a switch toggle, an alarm action or a typed text publishes
(mqtt/button.py, switch.py, alarm_control_panel.py, text.py), and render a state
template against a state payload (`value`, `value_json`) into the state HA would show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jinja2.sandbox

from blink_mqtt.simulator import Simulator
from tests.bridge_env import BridgeEnv
from tests.ha_rules import components, is_aware_time, is_number, rule
from tests.probe import Probe, Received

_ENV = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)

CAMERA_KEYS = {
    "camera",
    "motion",
    "battery",
    "temperature",
    "wifi",
    "last_clip",
    "motion_detection",
    "snap",
    "record",
    "liveview",
    "liveview_today",
    "event",
}
SYNC_KEYS = {"alarm", "online"}
BRIDGE_KEYS = {"auth", "two_factor_code", "download_recent"}


def render(template: str, **variables: Any) -> str:
    return str(_ENV.from_string(template).render(**variables))


@dataclass(frozen=True, slots=True)
class Command:
    topic: str
    payload: str


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """One retained `<prefix>/device/<object id>/config` as HA reads it."""

    object_id: str
    raw: dict[str, Any]

    @classmethod
    def of(cls, message: Received) -> DeviceConfig:
        return cls(message.topic.split("/")[-2], message.json())

    @property
    def device(self) -> dict[str, Any]:
        device: dict[str, Any] = self.raw["device"]
        return device

    @property
    def components(self) -> dict[str, dict[str, Any]]:
        return components(self.raw)

    def unique_ids(self) -> set[str]:
        return {comp["unique_id"] for comp in self.components.values()}


def latest_configs(probe: Probe, prefix: str, *, after: int = 0) -> dict[str, DeviceConfig]:
    """object id -> the newest non-empty device config received (from index `after`)."""
    found: dict[str, DeviceConfig] = {}
    for message in probe.received[after:]:
        if _is_device_config(message.topic, prefix):
            object_id = message.topic.split("/")[-2]
            if message.payload:
                found[object_id] = DeviceConfig.of(message)
            else:
                found.pop(object_id, None)
    return found


def _is_device_config(topic: str, prefix: str) -> bool:
    parts = topic.split("/")
    return (
        topic.startswith(f"{prefix}/device/")
        and parts[-1] == "config"
        and len(parts) == len(prefix.split("/")) + 3
    )


def press(comp: dict[str, Any]) -> Command:
    """A button press (mqtt/button.py: command_template(payload_press))."""
    assert comp["platform"] == "button"
    return _through_template(comp, comp.get("payload_press", "PRESS"))


def switch(comp: dict[str, Any], on: bool) -> Command:
    """A switch turned on/off (mqtt/switch.py: command_template(payload_on|off))."""
    assert comp["platform"] == "switch"
    payload = comp.get("payload_on", "ON") if on else comp.get("payload_off", "OFF")
    return _through_template(comp, payload)


def type_text(comp: dict[str, Any], text: str) -> Command:
    """A value set on a text entity (mqtt/text.py: command_template(value))."""
    assert comp["platform"] == "text"
    return _through_template(comp, text)


def alarm(comp: dict[str, Any], action: str, code: str | None = None) -> Command:
    """An alarm panel action, e.g. `arm_away`, `disarm` (mqtt/alarm_control_panel.py:
    the command template renders with `action` = the configured payload and `code`)."""
    assert comp["platform"] == "alarm_control_panel"
    defaults = {"arm_away": "ARM_AWAY", "disarm": "DISARM"}
    payload = comp.get(f"payload_{action}", defaults[action])
    template = comp.get("command_template", rule("alarm_command_template_default"))
    return Command(comp["command_topic"], render(template, action=payload, code=code))


def _through_template(comp: dict[str, Any], value: str) -> Command:
    template = comp.get("command_template")
    payload = value if template is None else render(template, value=value)
    return Command(comp["command_topic"], payload)


def state_of(comp: dict[str, Any], payload: bytes) -> str:
    """The state HA derives from a message on the entity's state topic."""
    text = payload.decode()
    template = comp.get("value_template")
    if template is None:
        return text
    try:
        value_json = json.loads(text)
    except ValueError:
        value_json = None
    return render(template, value=text, value_json=value_json)


def is_valid_state(comp: dict[str, Any], state: str) -> bool:
    """Whether HA takes `state` for this entity (anything else it logs and ignores)."""
    platform, device_class = comp["platform"], comp.get("device_class")
    if platform == "text":
        size = comp.get("min", 0) <= len(state) <= comp.get("max", 255)
        return size and re.fullmatch(comp.get("pattern", ".*"), state) is not None
    if state == rule("payload_none"):
        return True
    if platform == "sensor":
        platform = f"sensor/{device_class if device_class in ('enum', 'timestamp') else ''}"
    accepted: dict[str, Callable[[], bool]] = {
        "binary_sensor": lambda: (
            state in (comp.get("payload_on", "ON"), comp.get("payload_off", "OFF"))
        ),
        "switch": lambda: state in (comp.get("state_on", "ON"), comp.get("state_off", "OFF")),
        "alarm_control_panel": lambda: state in rule("alarm_states"),
        "sensor/enum": lambda: state in comp["options"],
        "sensor/timestamp": lambda: is_aware_time(state),
        "sensor/": lambda: is_number(state),
    }
    return accepted[platform]()


def stateful(configs: Iterable[DeviceConfig]) -> list[tuple[str, str, dict[str, Any]]]:
    """(object id, key, component) of every entity whose state a template reads."""
    return [
        (config.object_id, key, comp)
        for config in configs
        for key, comp in config.components.items()
        if "state_topic" in comp and comp["platform"] != "event"
    ]


def account_devices(sim: Simulator) -> tuple[dict[str, str], dict[str, str]]:
    """(camera object id -> its sync module's object id or "", sync module object ids ->
    name) of the simulated account, as the Blink app shows it (serials, not our code)."""
    cameras: dict[str, str] = {}
    syncs: dict[str, str] = {}
    for net in sim.snapshot().networks:
        spec = next(n for n in sim.scenario.networks if n.id == net.id)
        sync_id = f"blink_sync_{spec.sync_module.serial}" if spec.sync_module else ""
        if sync_id:
            syncs[sync_id] = net.name
        for cam in sim.snapshot().cameras:
            if cam.network_id == net.id:
                serial = next(c.serial for c in spec.cameras if c.id == cam.id)
                cameras[f"blink_{serial}"] = sync_id
    return cameras, syncs


def config_topic(env: BridgeEnv, object_id: str) -> str:
    return f"{env.settings.ha_discovery_prefix}/device/{object_id}/config"


async def wait_configs(env: BridgeEnv, object_ids: set[str], after: int) -> dict[str, int]:
    """Wait for a non-empty retained config of every device; object id -> message index."""
    found: dict[str, int] = {}
    for object_id in sorted(object_ids):
        message = await env.probe.wait_for(
            config_topic(env, object_id), lambda m: bool(m.payload) and m.retain, after=after
        )
        found[object_id] = message.index
    return found
