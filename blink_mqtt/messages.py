"""Request models, payload decoding and the response envelope (pure).

A request payload is a JSON object, a plain string (the command's main argument), or
empty (all defaults). `decode` turns the raw bytes into a validated request model or
raises the error whose code the response carries.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from blink_mqtt.errors import BlinkMqttError, InvalidJson, InvalidRequest

MAX_PAYLOAD = 64 * 1024
"""Largest request payload in bytes; larger ones are answered with invalid_request."""

RequestId = str | int | float | None


class Request(BaseModel):
    """Base of every request: an optional `id` echoed in the response."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    main_arg: ClassVar[str | None] = None

    id: RequestId = None


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
    """A time without an offset is taken as UTC."""
    return value.replace(tzinfo=UTC) if value and not value.tzinfo else value


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


class Arm(Request):
    main_arg: ClassVar[str | None] = "sync_module"
    sync_module: list[str] | None = None
    armed: StrictBool = True

    _many = field_validator("sync_module", mode="before")(_one_or_many)


class Disarm(Request):
    main_arg: ClassVar[str | None] = "sync_module"
    sync_module: list[str] | None = None

    _many = field_validator("sync_module", mode="before")(_one_or_many)


class MotionDetection(CameraArg):
    enabled: StrictBool


class TwoFactorCode(Request):
    main_arg: ClassVar[str | None] = "code"
    code: str = Field(min_length=1, max_length=16, pattern=r"^\s*[0-9A-Za-z-]+\s*$")


class Empty(Request):
    """Commands without arguments."""


def _text(payload: bytes) -> str:
    if len(payload) > MAX_PAYLOAD:
        raise InvalidRequest(f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD}")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("payload is not valid UTF-8") from None


def parse_payload(payload: bytes, main_arg: str | None) -> dict[str, Any]:
    """Raw payload -> the fields of a request, before validation."""
    text = _text(payload).strip()
    if not text:
        return {}
    if text[0] in "{[":
        try:
            value = json.loads(text)
        except ValueError as err:
            raise InvalidJson(f"payload is not valid JSON: {err}") from None
        if not isinstance(value, dict):
            raise InvalidRequest("a JSON payload must be an object")
        return value
    if text[0] == '"':  # a JSON string literal: unwrap it
        with contextlib.suppress(ValueError):
            text = str(json.loads(text))
    if main_arg is None:
        raise InvalidRequest("this command takes no argument; send an empty payload or {}")
    return {main_arg: text}


R = TypeVar("R", bound="Request")


def _field_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    if first["type"] == "extra_forbidden":
        return f"unknown field '{where}'"
    if first["type"] == "missing":
        return f"field '{where}' is required"
    return f"field '{where}': {first['msg']}"


def request_id(payload: bytes) -> RequestId:
    """The `id` of a payload when it can be read, so even error responses echo it."""
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    rid = value.get("id") if isinstance(value, dict) else None
    return rid if isinstance(rid, str | int | float) and not isinstance(rid, bool) else None


def decode(model: type[R], payload: bytes) -> R:
    """Validate a payload as `model`; raises InvalidJson or InvalidRequest."""
    fields = parse_payload(payload, model.main_arg)
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise InvalidRequest(_field_error(error)) from None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=_jsonable, ensure_ascii=False).encode()


def ok(command: str, rid: RequestId, data: Any) -> bytes:
    envelope: dict[str, Any] = {"command": command, "status": "ok", "data": data}
    return dumps(_with_id(envelope, rid))


def error(command: str, rid: RequestId, err: BlinkMqttError) -> bytes:
    envelope: dict[str, Any] = {
        "command": command,
        "status": "error",
        "error": {"code": err.code, "message": err.message},
    }
    return dumps(_with_id(envelope, rid))


def _with_id(envelope: dict[str, Any], rid: RequestId) -> dict[str, Any]:
    return envelope if rid is None else {"id": rid, **envelope}
