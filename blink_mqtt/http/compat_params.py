"""BlinkPy API's parameter forms, read from outside input (pure).

BlinkPy API (github.com/estes-sj/BlinkPy-API, `app/routes.py`, `app/helpers.py`) reads a
JSON body with Flask's `request.get_json() or {}`, `camera_name` with
`normalize_camera_names` (a string, a list, or the default `"all"`) and passes `since`
to blinkpy's `download_videos`, which reads it with `dateutil.parser.parse(since,
fuzzy=True)` (blinkpy/blinkpy.py `get_videos_metadata`) and takes a time without an
offset as the machine's local time (`datetime.timestamp()`). Each function here accepts
what that code accepts and refuses, with a `CompatError`, what made it fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dateutil import parser as dateparser

from blink_mqtt import strictjson
from blink_mqtt.errors import BlinkMqttError, InvalidJson, InvalidRequest
from blink_mqtt.messages import EARLIEST, LATEST, MAX_PAYLOAD

ALL = "all"
MAX_NAME = 256
MAX_NAMES = 64
MAX_SINCE = 200
"""Longest `since` text read (dateutil's fuzzy parser is slow on long junk)."""


class CompatError(Exception):
    """A request BlinkPy API would also have refused: its HTTP status and our error."""

    def __init__(self, status: int, error: BlinkMqttError) -> None:
        super().__init__(error.message)
        self.status = status
        self.error = error


def _bad(message: str) -> CompatError:
    return CompatError(400, InvalidRequest(message))


def _is_json(content_type: str) -> bool:
    """Flask's `Request.is_json`: application/json or application/*+json."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The request's JSON object. An empty body is `{}` whatever its type (BlinkPy API
    answered 415 without a JSON content type); a falsy JSON value (`null`, `{}`, `[]`,
    `""`, `0`, `false`) is `{}` as in `get_json() or {}`."""
    if len(raw) > MAX_PAYLOAD:
        message = f"body is {len(raw)} bytes; the limit is {MAX_PAYLOAD}"
        raise CompatError(413, InvalidRequest(message))
    if not raw.strip():
        return {}
    if not _is_json(content_type):
        message = "send the parameters as JSON with Content-Type: application/json"
        raise CompatError(415, InvalidRequest(message))
    try:
        value = strictjson.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, strictjson.Unreadable) as err:
        raise CompatError(400, InvalidJson(f"body is not valid JSON: {err}")) from None
    if not value:
        return {}
    if not isinstance(value, dict):
        raise _bad("the body must be a JSON object")
    if why := strictjson.problem(value):
        raise _bad(f"body: {why}")
    return value


@dataclass(frozen=True, slots=True)
class CameraNames:
    """`camera_name` as given: the keys of `downloaded_clips`, in order, without repeats.
    `every` when one of them is "all" (any case)."""

    names: tuple[str, ...]

    @property
    def every(self) -> bool:
        return any(is_all(name) for name in self.names)

    @property
    def named(self) -> tuple[str, ...]:
        return tuple(name for name in self.names if not is_all(name))


def is_all(name: str) -> bool:
    return name.strip().lower() == ALL


def camera_names(fields: dict[str, Any]) -> CameraNames:
    """`camera_name`: a string, a list of strings, or absent (`"all"`)."""
    value = fields.get("camera_name", ALL)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _bad("'camera_name' must be a string or list of strings")
    if not value:
        raise _bad("'camera_name' is an empty list; name a camera, or \"all\"")
    if len(value) > MAX_NAMES:
        raise _bad(f"'camera_name' names {len(value)} cameras; the limit is {MAX_NAMES}")
    names: list[str] = []
    for name in value:
        if not isinstance(name, str):
            raise _bad("'camera_name' must be a string or list of strings")
        if not name.strip() or len(name) > MAX_NAME:
            raise _bad(f"'camera_name': a camera name has 1 to {MAX_NAME} characters")
        if name not in names:
            names.append(name)
    return CameraNames(tuple(names))


def snap_camera(fields: dict[str, Any]) -> str:
    """`/snap`'s `camera_name`: required, one camera."""
    if "camera_name" not in fields:
        raise _bad("Missing 'camera_name'")
    name = fields["camera_name"]
    if not isinstance(name, str):
        raise _bad("'camera_name' must be a string: /snap takes one camera")
    if not name.strip() or len(name) > MAX_NAME:
        raise _bad(f"'camera_name': a camera name has 1 to {MAX_NAME} characters")
    return name


def since_text(fields: dict[str, Any]) -> str | None:
    """`since` as given, or None when absent or empty (BlinkPy API's `data.get("since")
    or get_since_iso()`: then it is a `download-recent`)."""
    value = fields.get("since")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad("'since' must be a date and time as text, e.g. 2025-07-01T08:00:00+00:00")
    return value


def parse_since(text: str) -> datetime:
    """Free-form text as blinkpy reads it (dateutil, fuzzy): `2025-07-01 08:00`,
    `July 1 2025 8am`, ISO 8601 with or without offset. Without an offset it is local
    time (the bridge's TZ)."""
    if len(text) > MAX_SINCE:
        raise _bad(f"'since' is longer than {MAX_SINCE} characters")
    try:
        parsed = dateparser.parse(text, fuzzy=True)
        aware = parsed if parsed.tzinfo else parsed.astimezone()
        aware.utcoffset()
    except (ValueError, OverflowError, OSError, TypeError):
        raise _bad(f"cannot read 'since' {text[:64]!r} as a date and time") from None
    if not EARLIEST <= aware < LATEST:
        raise _bad("'since' must be a time between 1970-01-01 and 2100-01-01")
    return aware
