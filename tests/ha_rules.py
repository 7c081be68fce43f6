"""Check MQTT discovery payloads against the rules Home Assistant applies.

The rules are data in `ha_rules.json`, each with the HA source file it was read from
(HA 2025.4.4 and 2026.2.3). This module only walks a payload the way HA's discovery
does (expand abbreviations, copy shared options into each component) and returns
the rule violations as readable strings; an empty list means HA would accept it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

RULES: dict[str, Any] = json.loads((Path(__file__).with_name("ha_rules.json")).read_text("utf-8"))


def rule(name: str) -> Any:
    return RULES[name]["value"]


def _expand_keys(config: Any, table: dict[str, str]) -> Any:
    if not isinstance(config, dict):
        return config
    return {table.get(key, key): value for key, value in config.items()}


def _expand_availability(config: dict[str, Any]) -> dict[str, Any]:
    items = config.get("availability")
    if isinstance(items, list):
        config["availability"] = [_expand_keys(item, rule("abbreviations")) for item in items]
    return config


def expand(payload: dict[str, Any]) -> dict[str, Any]:
    """Abbreviations replaced as mqtt/discovery.py `_replace_all_abbreviations` does."""
    root = _expand_availability(_expand_keys(payload, rule("abbreviations")))
    if "origin" in root:
        root["origin"] = _expand_keys(root["origin"], rule("origin_abbreviations"))
    if "device" in root:
        root["device"] = _expand_keys(root["device"], rule("device_abbreviations"))
    if isinstance(root.get("components"), dict):
        root["components"] = {
            key: _expand_availability(_expand_keys(comp, rule("abbreviations")))
            for key, comp in root["components"].items()
        }
    return root


def components(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each component as HA sees it: expanded, with the root's shared options merged in."""
    root = expand(payload)
    merged: dict[str, dict[str, Any]] = {}
    for key, comp in root["components"].items():
        shared = {o: root[o] for o in rule("shared_options") if o in root and o not in comp}
        merged[key] = {**comp, **shared}
    return merged


def topic_errors(topic: Any, *, publish: bool) -> list[str]:
    """mqtt/util.py valid_topic / valid_subscribe_topic / valid_publish_topic."""
    if not isinstance(topic, str) or not topic:
        return [f"topic {topic!r} is not a non-empty string"]
    errors = []
    if len(topic.encode()) > rule("topic_limits")["max_bytes"]:
        errors.append(f"topic {topic[:40]!r}... is too long")
    bad = [c for c in topic if _forbidden_in_topic(c)]
    if bad:
        errors.append(f"topic {topic!r} has control or non-characters {bad!r}")
    if publish and ("+" in topic or "#" in topic):
        errors.append(f"publish topic {topic!r} has a wildcard")
    if not publish and re.search(r"[^/]\+|\+[^/]|#.", topic):
        errors.append(f"subscribe topic {topic!r} misuses a wildcard")
    return errors


def _forbidden_in_topic(c: str) -> bool:
    control = c <= "\x1f" or "\x7f" <= c <= "\x9f"
    return control or "\ufdd0" <= c <= "\ufdef" or (ord(c) & 0xFFFF) in (0xFFFE, 0xFFFF)


def discovery_topic_errors(topic: str, prefix: str) -> list[str]:
    """mqtt/discovery.py TOPIC_MATCHER, applied to the topic after `<prefix>/`."""
    rest = topic.removeprefix(f"{prefix}/")
    match = re.match(rule("discovery_topic"), rest)
    if rest == topic or not match or match.end() != len(rest):
        return [f"discovery topic {topic!r} does not match HA's pattern"]
    if match["component"] != "device":
        return [f"discovery topic {topic!r} is not device-based"]
    return []


def _key_errors(
    where: str, config: dict[str, Any], required: list[str], allowed: list[str]
) -> list[str]:
    missing = [f"{where}: required key {k!r} missing" for k in required if k not in config]
    unknown = [f"{where}: unknown key {k!r}" for k in config if k not in allowed]
    return missing + unknown


def device_errors(device: Any) -> list[str]:
    if not isinstance(device, dict):
        return ["device is not an object"]
    keys = rule("device_keys")
    errors = _key_errors("device", device, keys["expected"], keys["allowed"])
    if not any(device.get(k) for k in keys["one_of"]):
        errors.append("device has neither identifiers nor connections")
    errors += [
        f"device.{k} must be a string, got {device[k]!r}"
        for k in keys["strings"]
        if k in device and not isinstance(device[k], str)
    ]
    if not all(isinstance(i, str) for i in device.get("identifiers", [])):
        errors.append("device identifiers must be strings")
    return errors


def origin_errors(origin: Any) -> list[str]:
    if not isinstance(origin, dict):
        return ["origin is not an object"]
    keys = rule("origin_keys")
    errors = _key_errors("origin", origin, keys["required"], keys["allowed"])
    return errors + [f"origin.{k} is not a string" for k, v in origin.items() if type(v) is not str]


def message_errors(topic: str, raw: bytes, prefix: str) -> list[str]:
    """Every rule one retained device-based discovery message breaks."""
    errors = discovery_topic_errors(topic, prefix)
    try:
        payload = json.loads(raw.decode("utf-8"))
    except ValueError as err:
        return [*errors, f"payload is not JSON: {err}"]
    if not isinstance(payload, dict):
        return [*errors, "payload is not a JSON object"]
    root = expand(payload)
    keys = rule("device_discovery_keys")
    errors += _key_errors("root", root, keys["required"], keys["allowed"])
    errors += device_errors(root.get("device")) + origin_errors(root.get("origin"))
    if not isinstance(root.get("components"), dict) or not root["components"]:
        return [*errors, "components must be a non-empty object"]
    removed = {key for key, comp in root["components"].items() if is_removal(comp)}
    for key, comp in components(payload).items():
        if key in removed:  # only its platform: HA removes the component
            if comp["platform"] not in rule("platforms"):
                errors.append(f"{key}: platform {comp['platform']!r} is not one we have rules for")
            continue
        errors += [f"{key}: {e}" for e in component_errors(comp)]
    return errors


def is_removal(component: Any) -> bool:
    """`{"platform": ...}` alone in a device config removes that component
    (shared/docs/ha-discovery.md section 2; HA's `_generate_device_config` sends it)."""
    return isinstance(component, dict) and set(component) == {"platform"}


def component_errors(config: dict[str, Any]) -> list[str]:
    """Rules for one component (expanded, shared options merged), by its platform."""
    platform = str(config.get("platform"))
    platforms = rule("platforms")
    if platform not in platforms:
        return [f"platform {platform!r} is not one we have rules for"]
    body = {k: v for k, v in config.items() if k != "platform"}
    spec = platforms[platform]
    errors = _key_errors(platform, body, spec["required"], spec["allowed"])
    if platform in rule("unique_id_platforms") and not isinstance(body.get("unique_id"), str):
        errors.append("unique_id is required (a string)")
    errors += _common(platform, body) + _device_class(platform, body)
    return errors + _PLATFORM_CHECKS.get(platform, _no_checks)(body)


def _common(platform: str, c: dict[str, Any]) -> list[str]:
    errors = []
    if "name" in c and c["name"] is not None and not isinstance(c["name"], str):
        errors.append("name must be a string or null")
    category = c.get("entity_category")
    if category is not None and category not in rule("entity_categories"):
        errors.append(f"entity_category {category!r} is not one of HA's")
    if category in rule("entity_category_forbidden").get(platform, []):
        errors.append(f"a {platform} cannot have entity_category {category!r}")
    for option in rule("subscribe_topic_options"):
        if option in c:
            errors += topic_errors(c[option], publish=False)
    for item in c.get("availability", []):
        errors += topic_errors(item.get("topic"), publish=False)
    for option in rule("publish_topic_options"):
        if option in c:
            errors += topic_errors(c[option], publish=True)
    return errors + _option_types(c)


def _option_types(c: dict[str, Any]) -> list[str]:
    errors = []
    for option in rule("non_negative_int_options"):
        if option in c and not (type(c[option]) is int and c[option] >= 0):
            errors.append(f"{option} must be an integer >= 0")
    for option in rule("boolean_options"):
        if option in c and type(c[option]) is not bool:
            errors.append(f"{option} must be a boolean")
    for option in rule("template_options"):
        if option in c and not isinstance(c[option], str):
            errors.append(f"{option} must be a template string")
    if "icon" in c and rule("icon") not in str(c["icon"]):
        errors.append("icon must look like 'mdi:name'")
    for option in rule("string_list_options"):
        if option in c and not (
            isinstance(c[option], list) and all(isinstance(v, str) for v in c[option])
        ):
            errors.append(f"{option} must be a list of strings")
    return errors


def _device_class(platform: str, c: dict[str, Any]) -> list[str]:
    classes = rule("device_classes")
    if c.get("device_class") is None:
        return []
    if platform not in classes:
        return [f"a {platform} takes no device_class"]
    if c["device_class"] not in classes[platform]:
        return [f"device_class {c['device_class']!r} is not a {platform} device class"]
    return []


def _sensor(c: dict[str, Any]) -> list[str]:
    errors = []
    device_class, unit, state_class = (
        c.get("device_class"),
        c.get("unit_of_measurement"),
        c.get("state_class"),
    )
    units = rule("sensor_device_class_units")
    if device_class in units and unit not in units[device_class]:
        errors.append(f"unit {unit!r} is not valid with device_class {device_class!r}")
    if device_class in rule("sensor_non_numeric_device_classes") and (unit or state_class):
        errors.append(f"device_class {device_class!r} is not numeric: no unit or state_class")
    if state_class is not None and state_class not in rule("sensor_state_classes"):
        errors.append(f"state_class {state_class!r} is not one of HA's")
    allowed_classes = rule("sensor_device_class_state_classes").get(device_class)
    if state_class and allowed_classes is not None and state_class not in allowed_classes:
        errors.append(f"state_class {state_class!r} is impossible with {device_class!r}")
    state_units = rule("sensor_state_class_units").get(state_class)
    if state_units is not None and unit not in state_units:
        errors.append(f"unit {unit!r} is not valid with state_class {state_class!r}")
    if "options" in c:
        if not c["options"]:
            errors.append("options must not be empty")
        if device_class != rule("sensor_options")["device_class"] or unit or state_class:
            errors.append("options need device_class enum and no unit or state_class")
    return errors


def _alarm(c: dict[str, Any]) -> list[str]:
    features = c.get("supported_features", rule("alarm_supported_features"))
    return [
        f"supported feature {f!r} is not one of HA's"
        for f in features
        if f not in rule("alarm_supported_features")
    ]


def _text(c: dict[str, Any]) -> list[str]:
    spec = rule("text")
    low, high = c.get("min", spec["default_min"]), c.get("max", spec["default_max"])
    errors = []
    if c.get("mode", "text") not in spec["modes"]:
        errors.append(f"text mode {c['mode']!r} is not one of {spec['modes']}")
    if isinstance(low, int) and isinstance(high, int):
        if low > high:
            errors.append("text min must be <= max")
        if high > spec["max_length"]:
            errors.append(f"text max must be <= {spec['max_length']}")
    if "pattern" in c:
        try:
            re.compile(c["pattern"])
        except (re.error, TypeError):
            errors.append(f"text pattern {c['pattern']!r} is not a regex")
    return errors


def _camera(c: dict[str, Any]) -> list[str]:
    if "image_encoding" not in c:
        return []
    if c["image_encoding"] not in rule("camera_image_encodings"):
        return [f"image_encoding {c['image_encoding']!r} is not supported"]
    return []


def _event(c: dict[str, Any]) -> list[str]:
    return [] if c.get("event_types") else ["event_types must list at least one type"]


def _no_checks(c: dict[str, Any]) -> list[str]:
    return []


_PLATFORM_CHECKS = {
    "sensor": _sensor,
    "alarm_control_panel": _alarm,
    "text": _text,
    "camera": _camera,
    "event": _event,
}


def is_number(text: str) -> bool:
    """A state HA's numeric sensors accept."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def is_aware_time(text: str) -> bool:
    """A state HA's timestamp sensors accept: ISO 8601 with an offset."""
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False
