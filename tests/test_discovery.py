"""Discovery payloads against Home Assistant's own rules, our state payloads and requests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jinja2
import jinja2.sandbox
import pytest

from blink_mqtt import __version__, discovery, messages, strictjson
from blink_mqtt.discovery import (
    AUTH_STATES,
    BRIDGE_ENTITIES,
    CAMERA_ENTITIES,
    EVENT_TYPES,
    SYNC_ENTITIES,
    all_object_ids,
    discovery_messages,
    lost_entity_messages,
    removal_messages,
    sanitise,
)
from blink_mqtt.liveview.models import LiveView, LiveViewReply
from blink_mqtt.state import REPORTED_FIELDS, AccountState, CameraState, SyncState, changes
from blink_mqtt.topics import Topics
from tests import ha_rules
from tests.ha_rules import (
    component_errors,
    components,
    is_aware_time,
    is_number,
    message_errors,
    rule,
)

Render = Callable[[str, dict[str, Any]], str]

TOPICS = Topics()
SINCE = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)

FRONT = CameraState(
    name="Front Door",
    serial="G8T1ABCD1234",
    camera_id=4001,
    sync_module="Home",
    type="catalina",
    firmware="10.58",
    armed=True,
    motion_enabled=True,
    battery="ok",
    battery_voltage=159,
    temperature_c=21.5,
    wifi_strength=-56,
    last_record=SINCE,
    thumbnail_at=SINCE,
    last_clip="media/Front Door/x.mp4",
    slug="front_door",
    sync_serial="SM3001",
    network_id=77,
)
MINI = CameraState(
    name="Kitchen Mini",
    serial="MINI0001",
    camera_id=4002,
    sync_module=None,
    type="owl",
    slug="kitchen_mini",
)
DOORBELL = replace(
    FRONT,
    name="Porch",
    serial="DB0001",
    camera_id=4003,
    type="lotus",
    slug="porch",
    temperature_c=None,
)  # a doorbell reports no temperature
ODD = replace(
    MINI, name="Shed / #1", serial="AB 12/#+.x", camera_id=4004, type="hawk", slug="shed_1"
)
HOME = SyncState("Home", "SM3001", 77, armed=True, online=True, local_storage=True, slug="home")
CABIN = SyncState(
    "Cabin",
    "SM3002",
    78,
    armed=False,
    online=False,
    local_storage=False,
    firmware="4.4",
    slug="cabin",
)
SNAPSHOT = AccountState(cameras=(FRONT, MINI, DOORBELL, ODD), syncs=(HOME, CABIN))


def _camera_variants(camera: CameraState) -> list[CameraState]:
    """The states HA's templates must cope with: as is, flipped, and every optional None."""
    return [
        camera,
        replace(
            camera, battery="low", motion_detected=True, motion_enabled=not camera.motion_enabled
        ),
        replace(
            camera,
            firmware=None,
            battery=None,
            battery_voltage=None,
            temperature_c=None,
            wifi_strength=None,
            last_record=None,
            thumbnail_at=None,
            last_clip=None,
        ),
        replace(camera, last_record=SINCE.astimezone(timezone(timedelta(hours=-5)))),
    ]


def _as_json(payload: dict[str, Any]) -> dict[str, Any]:
    """What HA sees: the payload as the bridge publishes it, parsed back."""
    parsed: dict[str, Any] = json.loads(strictjson.dumps(payload))
    return parsed


def _state_samples(topics: Topics) -> dict[str, list[dict[str, Any]]]:
    """Topic -> the JSON payloads the bridge publishes on it."""
    samples: dict[str, list[dict[str, Any]]] = {
        topics.bridge_auth: [
            {"state": state, "message": "", "since": SINCE.isoformat()} for state in AUTH_STATES
        ]
    }
    for camera in SNAPSHOT.cameras:
        samples[topics.camera_state(camera.slug)] = [
            _as_json(c.payload()) for c in _camera_variants(camera)
        ]
        samples[topics.camera_event(camera.slug)] = [
            {"event_type": kind, "camera": camera.name} for kind in (*EVENT_TYPES, "doorbell")
        ]
        samples[topics.camera_liveview(camera.slug)] = [
            _as_json(
                LiveViewReply(
                    camera.name, state, None, None, None, None, 0, 12.5, 1787.5, None
                ).to_json()
            )
            for state in ("on", "off")
        ]
    for sync in SNAPSHOT.syncs:
        samples[topics.sync_state(sync.slug)] = [
            _as_json(s.payload()) for s in (sync, replace(sync, armed=not sync.armed))
        ]
    return samples


def _messages(topics: Topics = TOPICS) -> list[tuple[str, bytes]]:
    return discovery_messages(SNAPSHOT, topics, version="1.2.3")


def _all_components(topics: Topics = TOPICS) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(object id, component key, component as HA sees it) for every entity."""
    for topic, payload in _messages(topics):
        object_id = topic.split("/")[-2]
        for key, comp in components(json.loads(payload)).items():
            yield object_id, key, comp


@pytest.fixture(scope="module")
def render() -> Render:
    """Render a template the way HA's MQTT templates do: `value` and `value_json`.

    Undefined names fail (StrictUndefined) where HA would log and render empty.
    """
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)

    def _render(template: str, variables: dict[str, Any]) -> str:
        return str(env.from_string(template).render(**variables))

    return _render


# --- HA's rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "topics",
    [TOPICS, Topics(base="home/blink2", discovery_prefix="ha")],
    ids=["default", "custom"],
)
def test_every_message_follows_home_assistant_rules(topics: Topics) -> None:
    for topic, payload in discovery_messages(SNAPSHOT, topics, version="1.2.3"):
        assert message_errors(topic, payload, topics.discovery_prefix) == [], topic


def test_one_retained_config_per_device_on_valid_topics() -> None:
    topics = [topic for topic, _ in _messages()]
    object_ids = all_object_ids(SNAPSHOT, TOPICS)
    assert topics == [TOPICS.discovery(object_id) for object_id in object_ids]
    assert len(set(topics)) == 1 + len(SNAPSHOT.syncs) + len(SNAPSHOT.cameras)
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]+", object_id) for object_id in object_ids)


def test_unique_ids_are_unique_across_the_whole_set() -> None:
    unique_ids = [comp["unique_id"] for _, _, comp in _all_components()]
    assert len(unique_ids) == len(set(unique_ids))
    assert len(unique_ids) == (
        len(BRIDGE_ENTITIES)
        + len(SNAPSHOT.syncs) * len(SYNC_ENTITIES)
        + len(SNAPSHOT.cameras) * len(CAMERA_ENTITIES)
        - 1  # the doorbell has no temperature
        - (len(SNAPSHOT.cameras) - 1)  # and is the only camera with a Doorbell event
        - 2 * 3  # the Mini and ODD report no battery, temperature or Wi-Fi
    )


def test_two_bridges_on_one_broker_have_distinct_bridge_devices() -> None:
    first = discovery.bridge_device(Topics(base="blink"))
    second = discovery.bridge_device(Topics(base="home/blink"))
    assert first.object_id == "blink_bridge_blink"
    assert second.object_id == "blink_bridge_home_blink"
    assert first.info["identifiers"] != second.info["identifiers"]


def test_ids_come_from_serials_not_names() -> None:
    renamed = AccountState(cameras=(replace(FRONT, name="Garage", slug="garage"),), syncs=(HOME,))
    before = {k: c["unique_id"] for o, k, c in _all_components() if o == "blink_G8T1ABCD1234"}
    after = discovery_messages(renamed, TOPICS)
    config = json.loads(dict(after)[TOPICS.discovery("blink_G8T1ABCD1234")])
    assert {k: c["unique_id"] for k, c in config["components"].items()} == before
    assert before["temperature"] == "blink_G8T1ABCD1234_temperature"
    assert config["device"]["identifiers"] == ["blink_G8T1ABCD1234"]
    assert config["components"]["motion"]["state_topic"] == "blink/camera/garage/state"


def test_entities_per_device() -> None:
    by_device: dict[str, dict[str, str]] = {}
    for object_id, key, comp in _all_components():
        by_device.setdefault(object_id, {})[key] = comp["platform"]
    assert by_device["blink_G8T1ABCD1234"] == {
        "camera": "camera",
        "motion": "binary_sensor",
        "battery": "binary_sensor",
        "temperature": "sensor",
        "wifi": "sensor",
        "last_clip": "sensor",
        "motion_detection": "switch",
        "snap": "button",
        "record": "button",
        "liveview": "switch",
        "liveview_today": "sensor",
        "event": "event",
    }
    # an entity only for what the device reports and is: a Doorbell event for doorbells
    assert set(by_device["blink_DB0001"]) == set(by_device["blink_G8T1ABCD1234"]) - {
        "temperature"
    } | {"doorbell"}
    assert by_device["blink_DB0001"]["doorbell"] == "event"
    assert set(by_device["blink_MINI0001"]) == set(by_device["blink_G8T1ABCD1234"]) - {
        "battery",
        "temperature",
        "wifi",
    }
    assert by_device["blink_sync_SM3001"] == {
        "alarm": "alarm_control_panel",
        "online": "binary_sensor",
    }
    assert by_device["blink_bridge_blink"] == {
        "auth": "sensor",
        "two_factor_code": "text",
        "download_recent": "button",
    }


def test_entity_options_ha_needs() -> None:
    comps = {(o, k): c for o, k, c in _all_components()}
    cam = "blink_G8T1ABCD1234"
    assert comps[cam, "camera"]["topic"] == "blink/camera/front_door/image"
    assert comps[cam, "camera"]["name"] is None
    assert comps[cam, "camera"]["json_attributes_topic"] == "blink/camera/front_door/state"
    assert comps[cam, "battery"]["device_class"] == "battery"
    assert comps[cam, "temperature"]["unit_of_measurement"] == "°C"
    assert comps[cam, "wifi"]["entity_category"] == "diagnostic"
    assert comps[cam, "motion_detection"]["entity_category"] == "config"
    assert comps[cam, "event"]["event_types"] == [
        "motion",
        "snapshot",
        "clip_saved",
        "liveview_started",
        "liveview_ended",
    ]
    assert comps[cam, "liveview"]["state_topic"] == "blink/camera/front_door/liveview"
    assert comps[cam, "liveview_today"]["unit_of_measurement"] == "s"
    assert comps[cam, "event"]["state_topic"] == "blink/camera/front_door/event"
    alarm = comps["blink_sync_SM3001", "alarm"]
    assert alarm["supported_features"] == ["arm_away"]
    codes = ("code_arm_required", "code_disarm_required", "code_trigger_required")
    assert [alarm[option] for option in codes] == [False, False, False]
    assert comps["blink_sync_SM3001", "online"]["device_class"] == "connectivity"
    auth = comps["blink_bridge_blink", "auth"]
    assert (auth["device_class"], auth["options"]) == ("enum", list(AUTH_STATES))
    text = comps["blink_bridge_blink", "two_factor_code"]
    assert text["command_topic"] == "blink/request/2fa"
    assert text["mode"] == "text"
    for object_id, _, comp in _all_components():
        bridge = {"topic": "blink/bridge/state"}
        if object_id.startswith(("blink_sync_", "blink_bridge_")):
            assert comp["availability"] == [bridge]
        else:  # a camera is also unavailable while its state says it is offline
            assert comp["availability"][0] == bridge
            assert comp["availability"][1]["topic"].endswith("/state")
            assert comp["availability_mode"] == "all"


def test_device_blocks_and_origin() -> None:
    configs = {topic.split("/")[-2]: json.loads(p) for topic, p in _messages()}
    front = configs["blink_G8T1ABCD1234"]["device"]
    assert front == {
        "identifiers": ["blink_G8T1ABCD1234"],
        "name": "Front Door",
        "manufacturer": "Blink",
        "model": "Blink Outdoor",
        "model_id": "catalina",
        "serial_number": "G8T1ABCD1234",
        "sw_version": "10.58",
        "via_device": "blink_sync_SM3001",
    }
    mini = configs["blink_MINI0001"]["device"]
    assert (mini["model"], "via_device" in mini, "sw_version" in mini) == (
        "Blink Mini",
        False,
        False,
    )
    assert configs["blink_DB0001"]["device"]["model"] == "Blink Video Doorbell"
    assert configs["blink_AB_12_x"]["device"]["model"] == "hawk"
    assert configs["blink_sync_SM3002"]["device"]["sw_version"] == "4.4"
    assert HOME.serial in configs["blink_sync_SM3001"]["device"]["identifiers"][0]
    for config in configs.values():
        assert config["origin"] == {"name": "blink-mqtt", "sw_version": "1.2.3"}
    default = json.loads(discovery_messages(SNAPSHOT, TOPICS, support_url="https://x.test/b")[0][1])
    assert default["origin"] == {
        "name": "blink-mqtt",
        "sw_version": __version__,
        "support_url": "https://x.test/b",
    }


def test_camera_models() -> None:
    models = {t: discovery.CAMERA_MODELS.get(t, t) for t in ("sedona", "superior", "xyz")}
    assert models == {"sedona": "Blink Indoor", "superior": "Blink Wired Floodlight", "xyz": "xyz"}


def test_abbreviated_payloads_get_the_same_verdict() -> None:
    """HA expands abbreviations first; an abbreviated copy of our payload passes too."""
    short = {v: k for k, v in rule("abbreviations").items()}
    short_dev = {v: k for k, v in rule("device_abbreviations").items()}
    short_origin = {v: k for k, v in rule("origin_abbreviations").items()}
    for topic, raw in _messages():
        payload = json.loads(raw)
        payload["device"] = {short_dev.get(k, k): v for k, v in payload["device"].items()}
        payload["origin"] = {short_origin.get(k, k): v for k, v in payload["origin"].items()}
        payload["components"] = {
            key: {short.get(k, k): v for k, v in comp.items()}
            for key, comp in payload["components"].items()
        }
        abbreviated = {short.get(k, k): v for k, v in payload.items()}
        assert "cmps" in abbreviated
        assert message_errors(topic, json.dumps(abbreviated).encode(), "homeassistant") == []
        assert ha_rules.expand(abbreviated)["components"].keys() == payload["components"].keys()


# --- the checker bites ------------------------------------------------------------------


def _component(object_id: str, key: str) -> dict[str, Any]:
    return next(c for o, k, c in _all_components() if (o, k) == (object_id, key))


@pytest.mark.parametrize(
    ("object_id", "key", "change", "complaint"),
    [
        ("blink_G8T1ABCD1234", "temperature", {"unit_of_measurement": "V"}, "not valid with"),
        ("blink_G8T1ABCD1234", "temperature", {"state_class": "total_increasing"}, "impossible"),
        ("blink_G8T1ABCD1234", "last_clip", {"unit_of_measurement": "s"}, "not numeric"),
        ("blink_G8T1ABCD1234", "motion", {"entity_category": "config"}, "cannot have"),
        ("blink_G8T1ABCD1234", "motion", {"device_class": "temperature"}, "not a binary_sensor"),
        ("blink_G8T1ABCD1234", "motion_detection", {"command_topic": None}, "command_topic"),
        ("blink_G8T1ABCD1234", "snap", {"command_topic": "blink/request/+"}, "wildcard"),
        ("blink_G8T1ABCD1234", "wifi", {"unit_of_measure": "dBm"}, "unknown key"),
        ("blink_G8T1ABCD1234", "event", {"event_types": []}, "event_types"),
        ("blink_G8T1ABCD1234", "camera", {"unique_id": None}, "unique_id"),
        ("blink_sync_SM3001", "alarm", {"supported_features": ["arm_all"]}, "arm_all"),
        ("blink_sync_SM3001", "alarm", {"code_arm_required": "no"}, "boolean"),
        ("blink_bridge_blink", "two_factor_code", {"max": 300}, "<= 255"),
        ("blink_bridge_blink", "two_factor_code", {"mode": "secret"}, "mode"),
        ("blink_bridge_blink", "auth", {"state_class": "measurement"}, "options need"),
    ],
)
def test_the_rules_catch_what_ha_rejects(
    object_id: str, key: str, change: dict[str, Any], complaint: str
) -> None:
    comp = {**_component(object_id, key), **change}
    comp = {k: v for k, v in comp.items() if v is not None}
    errors = component_errors(comp)
    assert any(complaint in e for e in errors), errors


def test_the_rules_catch_bad_messages() -> None:
    topic, raw = _messages()[0]
    good = json.loads(raw)
    bad_topic = topic.replace("blink_bridge_blink", "blink.bridge")
    assert message_errors(bad_topic, raw, "homeassistant")
    assert message_errors(topic, json.dumps({**good, "qos_typo": 1}).encode(), "homeassistant")
    no_ids = {**good, "device": {"name": "x"}}
    assert message_errors(topic, json.dumps(no_ids).encode(), "homeassistant")
    assert message_errors(topic, b"{not json", "homeassistant")
    no_origin = {k: v for k, v in good.items() if k != "origin"}
    assert message_errors(topic, json.dumps(no_origin).encode(), "homeassistant")
    # a component reduced to its platform is a removal; its platform must still be known
    stub = {**good, "components": {**good["components"], "gone": {"p": "sensor"}}}
    assert message_errors(topic, json.dumps(stub).encode(), "homeassistant") == []
    odd = {**good, "components": {**good["components"], "gone": {"p": "toaster"}}}
    assert message_errors(topic, json.dumps(odd).encode(), "homeassistant")


# --- templates against our state payloads ------------------------------------------------

_FIELD = re.compile(r"value_json\.([A-Za-z_]\w*)")
_TEMPLATE_TOPIC = {
    "value_template": "state_topic",
    "json_attributes_template": "json_attributes_topic",
}


def test_template_fields_exist_in_the_state_payloads() -> None:
    samples = _state_samples(TOPICS)
    checked = 0
    for _, key, comp in _all_components():
        for option, topic_option in _TEMPLATE_TOPIC.items():
            fields = set(_FIELD.findall(comp.get(option, "")))
            for payload in samples.get(str(comp.get(topic_option)), [{}]) if fields else []:
                assert fields <= payload.keys(), (key, fields - payload.keys())
                checked += 1
    assert checked > 0


def _valid_state(comp: dict[str, Any], state: str) -> bool:
    """Whether HA would take `state` (a rendered value_template) for this entity."""
    none = rule("payload_none")
    platform, device_class = comp["platform"], comp.get("device_class")
    if platform == "text":
        spec = rule("text")
        size = (
            comp.get("min", spec["default_min"])
            <= len(state)
            <= comp.get("max", spec["default_max"])
        )
        return size and re.match(comp.get("pattern", ""), state) is not None
    if state == none:
        return True
    defaults = rule("payload_defaults").get(platform, {})
    on_off = (
        comp.get("payload_on", defaults.get("payload_on")),
        comp.get("payload_off", defaults.get("payload_off")),
    )
    sensor_kind = device_class if device_class in ("enum", "timestamp") else "numeric"
    accepted: dict[tuple[str, str], Callable[[], bool]] = {
        ("binary_sensor", ""): lambda: state in on_off,
        ("switch", ""): lambda: state in (comp.get("state_on"), comp.get("state_off")),
        ("alarm_control_panel", ""): lambda: state in rule("alarm_states"),
        ("sensor", "enum"): lambda: state in comp["options"],
        ("sensor", "timestamp"): lambda: is_aware_time(state),
        ("sensor", "numeric"): lambda: is_number(state),
    }
    return accepted[platform, sensor_kind if platform == "sensor" else ""]()


def test_value_templates_render_states_ha_accepts(render: Render) -> None:
    samples = _state_samples(TOPICS)
    rendered = 0
    for object_id, key, comp in _all_components():
        if "value_template" not in comp or comp["platform"] == "event":
            continue
        for payload in samples[comp["state_topic"]]:
            variables = {"value": json.dumps(payload), "value_json": payload}
            state = render(comp["value_template"], variables)
            assert _valid_state(comp, state), (object_id, key, state)
            rendered += 1
    assert rendered > 50


def test_templates_map_payload_values_to_the_right_states(render: Render) -> None:
    comps = {k: c for o, k, c in _all_components() if o == "blink_G8T1ABCD1234"}
    low = _as_json(replace(MINI, battery="low", temperature_c=-3.5, wifi_strength=-70).payload())
    unknown = _as_json(MINI.payload())  # a field gone before its entity is: rendered None

    def state(key: str, payload: dict[str, Any]) -> str:
        return render(comps[key]["value_template"], {"value_json": payload, "value": ""})

    assert [state(k, low) for k in ("battery", "temperature", "wifi")] == ["ON", "-3.5", "-70"]
    assert [state(k, unknown) for k in ("battery", "temperature", "wifi", "last_clip")] == [
        "None"
    ] * 4
    assert state("last_clip", _as_json(FRONT.payload())) == SINCE.isoformat()
    sync = {k: c for o, k, c in _all_components() if o == "blink_sync_SM3001"}
    armed = _as_json(HOME.payload())
    assert render(sync["alarm"]["value_template"], {"value_json": armed}) == "armed_away"
    assert render(sync["online"]["value_template"], {"value_json": armed}) == "ON"


def test_json_attributes_and_events_are_objects_ha_takes(render: Render) -> None:
    """Each event entity takes the events of its own types from the camera's event topic
    and renders every other one empty (which HA ignores without a warning)."""
    samples = _state_samples(TOPICS)
    taken: dict[str, set[str]] = {}
    for _, key, comp in _all_components():
        for payload in samples.get(str(comp.get("json_attributes_topic")), []):
            assert isinstance(payload, dict), key
        if comp["platform"] == "event":
            for event in samples[comp["state_topic"]]:
                value = json.dumps(event)
                rendered = render(comp["value_template"], {"value": value, "value_json": event})
                if rendered:
                    assert json.loads(rendered)["event_type"] in comp["event_types"]
                    taken.setdefault(key, set()).add(event["event_type"])
                else:
                    assert event["event_type"] not in comp["event_types"]
    assert taken == {"event": set(EVENT_TYPES), "doorbell": {"doorbell"}}


# --- commands are valid requests -----------------------------------------------------------

REQUEST_MODELS: dict[str, type[messages.Request]] = {
    "snap": messages.CameraArg,
    "record": messages.CameraArg,
    "motion-detection": messages.MotionDetection,
    "arm": messages.Arm,
    "2fa": messages.TwoFactorCode,
    "download-recent": messages.Cameras,
    "liveview": LiveView,
}


def _published(comp: dict[str, Any], render: Render) -> list[str]:
    """The payloads HA publishes for this entity (mqtt/<platform>.py, command paths)."""

    def through_template(value: str, **variables: Any) -> str:
        template = comp.get("command_template")
        return value if template is None else render(template, {"value": value, **variables})

    alarm_template = comp.get("command_template", rule("alarm_command_template_default"))
    actions = {"arm_away": "payload_arm_away", "arm_home": "payload_arm_home"}
    paths: dict[str, Callable[[], list[str]]] = {
        "switch": lambda: [through_template(comp[p]) for p in ("payload_on", "payload_off")],
        "button": lambda: [through_template(comp.get("payload_press", "PRESS"))],
        "text": lambda: [through_template(code) for code in ("123456", "a1-B2")],
        "alarm_control_panel": lambda: [
            render(alarm_template, {"action": comp[option], "code": None})
            for option in ["payload_disarm"] + [actions[f] for f in comp["supported_features"]]
        ],
    }
    return paths[comp["platform"]]()


def test_every_command_is_a_valid_request(render: Render) -> None:
    decoded: dict[tuple[str, str], list[messages.Request]] = {}
    for object_id, key, comp in _all_components():
        if "command_topic" not in comp:
            continue
        command = TOPICS.command_of(comp["command_topic"])
        assert command in REQUEST_MODELS, comp["command_topic"]
        decoded[object_id, key] = [
            messages.decode(REQUEST_MODELS[command], payload.encode())
            for payload in _published(comp, render)
        ]
    assert decoded["blink_G8T1ABCD1234", "motion_detection"] == [
        messages.MotionDetection(camera="G8T1ABCD1234", enabled=True),
        messages.MotionDetection(camera="G8T1ABCD1234", enabled=False),
    ]
    assert decoded["blink_AB_12_x", "snap"] == [messages.CameraArg(camera="AB 12/#+.x")]
    assert decoded["blink_DB0001", "record"] == [messages.CameraArg(camera="DB0001")]
    assert decoded["blink_DB0001", "liveview"] == [
        LiveView(camera="DB0001", enabled=True),
        LiveView(camera="DB0001", enabled=False),
    ]
    assert decoded["blink_sync_SM3002", "alarm"] == [
        messages.Arm(sync_module=["SM3002"], armed=False),
        messages.Arm(sync_module=["SM3002"], armed=True),
    ]
    assert decoded["blink_bridge_blink", "two_factor_code"] == [
        messages.TwoFactorCode(code="123456"),
        messages.TwoFactorCode(code="a1-B2"),
    ]
    assert decoded["blink_bridge_blink", "download_recent"] == [messages.Cameras()]


def test_what_the_text_entity_accepts_is_a_valid_code() -> None:
    text = _component("blink_bridge_blink", "two_factor_code")
    for code in ("123456", "0", "A" * text["max"], "ab-12"):
        assert re.match(text["pattern"], code)
        assert messages.decode(messages.TwoFactorCode, code.encode()).code == code
    for code in ("12 34", '{"code": 1}', "12;rm"):
        assert not re.match(text["pattern"], code)


# --- removal and sanitising ------------------------------------------------------------------


def test_a_camera_that_leaves_gets_an_empty_retained_config() -> None:
    new = AccountState(cameras=(FRONT, DOORBELL), syncs=(HOME,))
    assert removal_messages(SNAPSHOT, new, TOPICS) == [
        ("homeassistant/device/blink_sync_SM3002/config", b""),
        ("homeassistant/device/blink_MINI0001/config", b""),
        ("homeassistant/device/blink_AB_12_x/config", b""),
    ]


def test_nothing_is_removed_when_devices_stay_or_are_renamed() -> None:
    renamed = AccountState(cameras=tuple(replace(c, name=c.name + "!") for c in SNAPSHOT.cameras))
    assert removal_messages(SNAPSHOT, replace(renamed, syncs=SNAPSHOT.syncs), TOPICS) == []
    assert removal_messages(AccountState(), SNAPSHOT, TOPICS) == []
    assert [t for t, _ in removal_messages(SNAPSHOT, AccountState(), TOPICS)] == [
        TOPICS.discovery(o) for o in all_object_ids(SNAPSHOT, TOPICS)[1:]
    ]


def test_an_entity_comes_and_goes_with_its_field() -> None:
    """A field the device stops reporting: its component is sent as `{"platform": ...}`
    first (HA removes it), then the config without it; a field that comes: a config change."""
    lost = replace(FRONT, battery=None, wifi_strength=None)
    new = replace(SNAPSHOT, cameras=(lost, MINI, DOORBELL, ODD))
    assert changes(SNAPSHOT, new).devices_changed
    assert changes(new, SNAPSHOT).devices_changed
    assert not changes(
        SNAPSHOT, replace(SNAPSHOT, cameras=(replace(FRONT, battery="low"), MINI, DOORBELL, ODD))
    ).devices_changed
    assert removal_messages(SNAPSHOT, new, TOPICS) == []
    [(topic, payload)] = lost_entity_messages(SNAPSHOT, new, TOPICS)
    assert topic == "homeassistant/device/blink_G8T1ABCD1234/config"
    assert message_errors(topic, payload, TOPICS.discovery_prefix) == []
    comps = json.loads(payload)["components"]
    assert comps["battery"] == {"platform": "binary_sensor"}
    assert comps["wifi"] == {"platform": "sensor"}
    assert comps["temperature"]["unique_id"] == "blink_G8T1ABCD1234_temperature"
    final = json.loads(dict(discovery_messages(new, TOPICS))[topic])["components"]
    assert {"battery", "wifi"}.isdisjoint(final)
    assert lost_entity_messages(new, SNAPSHOT, TOPICS) == []  # coming back: just the new config


def test_every_reported_field_entity_reads_its_field() -> None:
    needs = {spec.key: spec.needs for spec in CAMERA_ENTITIES if spec.needs}
    assert needs == {"battery": "battery", "temperature": "temperature_c", "wifi": "wifi_strength"}
    assert set(needs.values()) == set(REPORTED_FIELDS)
    for spec in CAMERA_ENTITIES:
        if spec.needs:
            assert spec.needs in str(spec.options["value_template"])


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        ("G8T1ABCD1234", "G8T1ABCD1234"),
        ("AB 12/#+.x", "AB_12_x"),
        ("ab-CD_9", "ab-CD_9"),
        ("ümlaut", "mlaut"),
    ],
)
def test_sanitise_keeps_only_what_ha_allows_in_ids(serial: str, expected: str) -> None:
    assert sanitise(serial) == expected


def test_sanitise_never_returns_an_empty_id() -> None:
    ids = {sanitise(s) for s in ("", "///", "ü")}
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]+", i) for i in ids)
    assert len(ids) == 3
    assert re.fullmatch(r"blink_bridge_[a-zA-Z0-9_-]+", discovery.bridge_object_id(Topics("ü")))


def test_entity_tables_are_well_formed() -> None:
    for table in (CAMERA_ENTITIES, SYNC_ENTITIES, BRIDGE_ENTITIES):
        keys = [spec.key for spec in table]
        assert len(keys) == len(set(keys))
        assert all(re.fullmatch(r"[a-z0-9_]+", key) for key in keys)
        assert all(spec.platform in rule("platforms") for spec in table)


def test_an_offline_camera_is_unavailable() -> None:
    """HA renders the camera's availability template against its state payload."""
    from jinja2 import Environment

    config = json.loads(dict(_messages())["homeassistant/device/blink_G8T1ABCD1234/config"])
    item = config["availability"][1]
    assert item["topic"] == "blink/camera/front_door/state"
    template = Environment().from_string(item["value_template"])
    assert template.render(value_json={"online": True}) == "online"
    assert template.render(value_json={"online": False}) == "offline"
