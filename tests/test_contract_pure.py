"""The pure parts of the MQTT contract: slugs, topics, payload forms, envelopes, diffs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blink_mqtt.errors import BlinkMqttError, InvalidJson, InvalidRequest
from blink_mqtt.messages import (
    MAX_PAYLOAD,
    Arm,
    CameraArg,
    Cameras,
    Disarm,
    DownloadSince,
    Empty,
    MotionDetection,
    Request,
    TwoFactorCode,
    decode,
    error,
    ok,
    read,
)
from blink_mqtt.state import AccountState, CameraState, RecentClip, SyncState, changes
from blink_mqtt.topics import Topics, assign_slugs, slugify


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Front Door", "front_door"),
        ("  Back--yard #2 ", "back_yard_2"),
        ("Über/Garage+#", "ber_garage"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@given(st.text())
def test_slugs_never_contain_topic_syntax(name: str) -> None:
    slug = slugify(name)
    assert not set(slug) & set("/+#\0 ")
    assert slug == slug.strip("_")


def test_colliding_and_empty_slugs_get_the_serial() -> None:
    slugs = assign_slugs(
        [("Front Door", "A1"), ("front-door", "B2"), ("日本", "C3"), ("Yard", "D4")]
    )
    assert slugs == {"A1": "front_door_a1", "B2": "front_door_b2", "C3": "c3", "D4": "yard"}


def test_topics_and_request_parsing() -> None:
    topics = Topics("home/blink", "ha")
    assert topics.camera_state("front_door") == "home/blink/camera/front_door/state"
    assert topics.discovery("blink_X") == "ha/device/blink_X/config"
    assert topics.command_of("home/blink/request/snap") == "snap"
    assert topics.command_of("home/blink/request/") == ""  # answered unknown_command
    assert topics.command_of("home/blink/response/snap") is None


def test_payload_forms() -> None:
    assert decode(CameraArg, b"Front Door").camera == "Front Door"
    assert decode(CameraArg, b'"Front Door"').camera == "Front Door"
    assert decode(CameraArg, b' {"camera": "Yard", "id": 7} ').id == 7
    assert decode(Cameras, b"").camera is None
    assert decode(Cameras, b'{"camera": ["A", "B"], "sort": false}').camera == ["A", "B"]
    assert decode(TwoFactorCode, b"123456\n").code.strip() == "123456"
    assert decode(Arm, b"Home").sync_module == ["Home"]
    assert decode(Arm, b"all").every_sync_module
    assert decode(Arm, b'{"sync_module": ["Home", "ALL"]}').every_sync_module
    assert not decode(Arm, b"Home").every_sync_module
    since = decode(DownloadSince, b"2025-07-02T05:36:54+00:00").since
    assert since == datetime(2025, 7, 2, 5, 36, 54, tzinfo=UTC)


@pytest.mark.parametrize(
    ("model", "payload", "error_type", "fragment"),
    [
        (CameraArg, b"{not json", InvalidJson, "not valid JSON"),
        (CameraArg, b"[1, 2", InvalidJson, "not valid JSON"),
        (CameraArg, b"[1]", InvalidRequest, "must be an object"),
        (CameraArg, b"\xff\xfe", InvalidRequest, "UTF-8"),
        (CameraArg, b"x" * (MAX_PAYLOAD + 1), InvalidRequest, "limit"),
        (CameraArg, b"{}", InvalidRequest, "'camera' is required"),
        (CameraArg, b'{"camera": "A", "cmaera": 1}', InvalidRequest, "unknown field 'cmaera'"),
        (MotionDetection, b'{"camera": "A", "enabled": "yes"}', InvalidRequest, "'enabled'"),
        (DownloadSince, b"yesterday", InvalidRequest, "'since'"),
        (DownloadSince, b"", InvalidRequest, "'since' is required"),
        (DownloadSince, b"9999-01-01T00:00:00Z", InvalidRequest, "between 1970"),
        (DownloadSince, b"0001-01-01T00:00:00", InvalidRequest, "between 1970"),
        (DownloadSince, b'{"since": 1e300}', InvalidRequest, "'since'"),
        (Arm, b"", InvalidRequest, '"all"'),
        (Disarm, b'{"sync_module": []}', InvalidRequest, '"all"'),
        (CameraArg, b'{"camera": NaN}', InvalidJson, "NaN"),
        (CameraArg, b'{"camera": "\\ud800"}', InvalidRequest, "surrogate"),
        (CameraArg, b"[" * 5000 + b"]" * 5000, InvalidJson, "deeply"),
        (CameraArg, b'{"camera": ' + b"[" * 40 + b"]" * 40 + b"}", InvalidRequest, "deeper"),
        (Empty, b"something", InvalidRequest, "takes no argument"),
    ],
)
def test_bad_payloads_raise_coded_errors(
    model: type[Request], payload: bytes, error_type: type[BlinkMqttError], fragment: str
) -> None:
    with pytest.raises(error_type) as caught:
        decode(model, payload)
    assert fragment in caught.value.message


def test_envelopes_echo_ids() -> None:
    assert json.loads(ok("snap", "42", {"a": 1})) == {
        "id": "42",
        "command": "snap",
        "status": "ok",
        "data": {"a": 1},
    }
    body = json.loads(error("snap", None, InvalidRequest("bad")))
    assert body == {
        "command": "snap",
        "status": "error",
        "error": {"code": "invalid_request", "message": "bad"},
    }
    assert read(b'{"id": 3, "camera": 1}').id == 3
    assert read(b"{broken").id is None


DOCUMENTED_CAMERA_FIELDS = frozenset(
    {
        "name",
        "serial",
        "camera_id",
        "sync_module",
        "type",
        "armed",
        "motion_enabled",
        "motion_detected",
        "battery",
        "battery_voltage",
        "temperature_c",
        "wifi_strength",
        "last_record",
        "thumbnail_at",
        "last_clip",
    }
)
"""The camera state fields of mqtt-api.md section 5."""


def _camera(**kw: object) -> CameraState:
    base: dict[str, object] = {
        "name": "Front Door",
        "serial": "S1",
        "camera_id": 1,
        "sync_module": "Home",
        "type": "catalina",
        "slug": "front_door",
    }
    return CameraState(**{**base, **kw})  # type: ignore[arg-type]


def test_changes_reports_only_differences() -> None:
    sync = SyncState("Home", "SM1", 2001, False, True, True, slug="home")
    old = AccountState((_camera(),), (sync,))
    same = changes(old, AccountState((_camera(),), (sync,)))
    assert not same.cameras
    assert not same.syncs
    assert not same.devices_changed
    moved = changes(old, AccountState((_camera(motion_detected=True, thumbnail="u2"),), ()))
    assert [c.serial for c in moved.motion] == ["S1"]
    assert [c.serial for c in moved.thumbnails] == ["S1"]
    assert moved.devices_changed


def test_camera_payload_has_every_documented_field() -> None:
    payload = _camera(last_record=datetime(2025, 1, 1, tzinfo=UTC)).payload()
    assert payload.keys() >= DOCUMENTED_CAMERA_FIELDS
    assert payload["last_record"] == "2025-01-01T00:00:00+00:00"
    assert payload["thumbnail"] is None  # blinkpy's Blink URL when there is one
    assert payload["recent_clips"] == []
    assert "slug" not in payload
    clips = (RecentClip("2025-01-01T00:00:00+00:00", "https://x/clip.mp4"),)
    assert _camera(recent_clips=clips).payload()["recent_clips"] == [
        {"time": "2025-01-01T00:00:00+00:00", "clip": "https://x/clip.mp4"}
    ]
