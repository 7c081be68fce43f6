"""Request models, payload decoding and the response envelope (pure).

A request payload is a JSON object, a plain string (the command's main argument), or
empty (all defaults). `decode` turns the raw bytes into a validated request model or
raises the error whose code the response carries.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from blink_mqtt import strictjson
from blink_mqtt.errors import BlinkMqttError, InvalidJson, InvalidRequest

MAX_PAYLOAD = 64 * 1024
"""Largest request payload in bytes; larger ones are answered with invalid_request."""

RequestId = str | int | float | None
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
"""The range a `since` time must fall in."""
ALL = "all"
"""The word that names every sync module where naming none is refused."""


class Request(BaseModel):
    """Base of every request: an optional `id` (string or number) echoed in the response."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    main_arg: ClassVar[str | None] = None
    main_hint: ClassVar[str | None] = None
    """Said when a required main argument is missing."""

    id: StrictStr | StrictInt | StrictFloat | None = None


def _one_or_many(value: Any) -> Any:
    """`camera` may be a string or a list of strings; an empty list means all."""
    if isinstance(value, str):
        return [value]
    return value or None


class CameraArg(Request):
    main_arg: ClassVar[str | None] = "camera"
    camera: str = Field(min_length=1, max_length=256)


class Cameras(Request):
    """Commands taking one, many or (omitted) all cameras."""

    main_arg: ClassVar[str | None] = "camera"
    camera: list[str] | None = None
    sort: StrictBool | None = None

    _many = field_validator("camera", mode="before")(_one_or_many)


def _aware(value: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC; it must lie between 1970 and 2100."""
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not EARLIEST <= value < LATEST:
        raise ValueError("must be a time between 1970-01-01 and 2100-01-01")
    return value


class DownloadSince(Cameras):
    main_arg: ClassVar[str | None] = "since"
    since: datetime

    _since = field_validator("since")(_aware)


class SyncDownload(Cameras):
    main_arg: ClassVar[str | None] = "since"
    since: datetime | None = None
    sync_module: list[str] | None = None

    _since = field_validator("since")(_aware)
    _many_syncs = field_validator("sync_module", mode="before")(_one_or_many)


def _named(value: Any) -> Any:
    """`sync_module` for arm/disarm: a string or list; "all" means every sync module."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


class NamedSyncModules(Request):
    """Acting on every sync module must be asked for by name (`all`), never by default:
    an empty message (e.g. one that clears a retained topic) does nothing."""

    main_arg: ClassVar[str | None] = "sync_module"
    main_hint: ClassVar[str | None] = (
        'name the sync module (a name, slug or serial, or a list of them), or "all" for '
        "every sync module"
    )
    sync_module: list[str] = Field(min_length=1)

    _named = field_validator("sync_module", mode="before")(_named)

    @property
    def every_sync_module(self) -> bool:
        return any(ref.strip().lower() == ALL for ref in self.sync_module)


class Disarm(NamedSyncModules):
    pass


class Arm(NamedSyncModules):
    armed: StrictBool = True


class MotionDetection(CameraArg):
    enabled: StrictBool


class TwoFactorCode(Request):
    main_arg: ClassVar[str | None] = "code"
    code: str = Field(min_length=1, max_length=16, pattern=r"^\s*[0-9A-Za-z-]+\s*$")


class Empty(Request):
    """Commands without arguments."""


@dataclass(frozen=True, slots=True)
class RawRequest:
    """A payload read once: a JSON object's fields, a plain main argument, or nothing;
    or the problem that stops it from being read."""

    fields: dict[str, Any] | None = None
    text: str | None = None
    problem: BlinkMqttError | None = None

    @property
    def id(self) -> RequestId:
        """The `id` to echo: a string, an integer or a finite number, when there is one."""
        rid = self.fields.get("id") if self.fields is not None else None
        if isinstance(rid, bool) or not isinstance(rid, str | int | float):
            return None
        if isinstance(rid, str) and strictjson.has_surrogate(rid):
            return None
        if isinstance(rid, float) and not math.isfinite(rid):
            return None
        return rid


def read(payload: bytes) -> RawRequest:
    """Raw bytes -> what the request holds, without validation. Never raises; the size
    is checked before anything is parsed."""
    if len(payload) > MAX_PAYLOAD:
        return RawRequest(
            problem=InvalidRequest(f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD}")
        )
    try:
        text = payload.decode("utf-8-sig").strip()  # a leading BOM is not part of the JSON
    except UnicodeDecodeError:
        return RawRequest(problem=InvalidRequest("payload is not valid UTF-8"))
    if not text:
        return RawRequest()
    return _read_object(text) if text[0] in "{[" else _read_text(text)


def _read_object(text: str) -> RawRequest:
    try:
        value = strictjson.loads(text)
    except strictjson.Unreadable as err:
        return RawRequest(problem=InvalidJson(f"payload is not valid JSON: {err}"))
    if not isinstance(value, dict):
        return RawRequest(problem=InvalidRequest("a JSON payload must be an object"))
    why = strictjson.problem(value)
    return RawRequest(value, problem=InvalidRequest(f"payload: {why}") if why else None)


def _read_text(text: str) -> RawRequest:
    if text[0] == '"':  # a JSON string literal: unwrap it
        with contextlib.suppress(ValueError):
            text = str(strictjson.loads(text))
    if strictjson.has_surrogate(text):
        return RawRequest(problem=InvalidRequest("payload holds a lone UTF-16 surrogate escape"))
    return RawRequest(text=text)


def _fields(raw: RawRequest, main_arg: str | None) -> dict[str, Any]:
    if raw.problem is not None:
        raise raw.problem
    if raw.fields is not None:
        return raw.fields
    if raw.text is None:
        return {}
    if main_arg is None:
        raise InvalidRequest("this command takes no argument; send an empty payload or {}")
    return {main_arg: raw.text}


R = TypeVar("R", bound="Request")


def _field_error(model: type[Request], error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    if first["type"] == "extra_forbidden":
        return f"unknown field '{where}'"
    if first["loc"][:1] == ("id",):
        return "field 'id' must be a string or a number"
    if where == model.main_arg and model.main_hint and first["type"] in ("missing", "too_short"):
        return f"field '{where}' is required: {model.main_hint}"
    if first["type"] == "missing":
        return f"field '{where}' is required"
    return f"field '{where}': {first['msg']}"


def decode(model: type[R], payload: bytes | RawRequest) -> R:
    """Validate a payload as `model`; raises InvalidJson or InvalidRequest."""
    raw = read(payload) if isinstance(payload, bytes) else payload
    fields = _fields(raw, model.main_arg)
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise InvalidRequest(_field_error(model, error)) from None


def ok(command: str, rid: RequestId, data: Any) -> bytes:
    envelope: dict[str, Any] = {"command": command, "status": "ok", "data": data}
    return strictjson.dumps(_with_id(envelope, rid))


def error(command: str, rid: RequestId, err: BlinkMqttError) -> bytes:
    envelope: dict[str, Any] = {
        "command": command,
        "status": "error",
        "error": {"code": err.code, "message": err.message},
    }
    return strictjson.dumps(_with_id(envelope, rid))


def _with_id(envelope: dict[str, Any], rid: RequestId) -> dict[str, Any]:
    return envelope if rid is None else {"id": rid, **envelope}
