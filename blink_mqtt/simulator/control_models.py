"""Request bodies of the control API (``/_sim/``), validated with pydantic."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from blink_mqtt.simulator.faults import FaultKind
from blink_mqtt.simulator.scenario import Arm304, MediaKind, MediaSource, SizeUnit, Storage


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddClip(_Request):
    """A new clip; time from ``created_at`` or an age (default: now)."""

    camera: int | str
    storage: Storage = "cloud"
    created_at: AwareDatetime | None = None
    age_minutes: float | None = Field(default=None, ge=0)
    age_seconds: float | None = Field(default=None, ge=0)
    size: int | None = Field(default=None, ge=0)
    source: MediaSource = "pir"
    kind: MediaKind = "clip"
    upload_delay_seconds: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _one_time(self) -> Self:
        given = [v for v in (self.created_at, self.age_minutes, self.age_seconds) if v is not None]
        if len(given) > 1:
            raise ValueError("give at most one of created_at, age_minutes, age_seconds")
        if self.kind == "snapshot" and self.storage != "cloud":
            raise ValueError("snapshot items live in the cloud only")
        return self


class TwoFactorUpdate(_Request):
    enabled: bool | None = None
    code: str | None = Field(default=None, min_length=1)


class ExpireTokens(_Request):
    refresh_tokens: bool = False


class SyncModuleUpdate(_Request):
    online: bool


class NetworkBusy(_Request):
    busy: bool


class LockOut(_Request):
    seconds: float | None = Field(default=None, ge=0)


class RefreshFailures(_Request):
    count: int = Field(default=1, ge=0)


class FaultSpec(_Request):
    endpoint: str = Field(min_length=1)
    kind: FaultKind
    count: int | None = Field(default=None, ge=1)
    path_contains: str | None = None
    seconds: float = Field(default=1.0, ge=0)


class Latency(_Request):
    seconds: float = Field(ge=0)


class OptionsUpdate(_Request):
    token_expiry_seconds: int | None = Field(default=None, ge=1)
    rotate_refresh_tokens: bool | None = None
    refresh_fail_every: int | None = Field(default=None, ge=0)
    lockout_after_failures: int | None = Field(default=None, ge=0)
    lockout_seconds: float | None = Field(default=None, ge=0)
    lockout_retry_after: bool | None = None
    command_pending_polls: int | None = Field(default=None, ge=0)
    one_command_per_network: bool | None = None
    arm_answer_304: Arm304 | None = None
    record_delay_seconds: float | None = Field(default=None, ge=0)
    default_clip_size: int | None = Field(default=None, ge=0)
    manifest_not_ready_polls: int | None = Field(default=None, ge=0)
    usb_size_unit: SizeUnit | None = None
    clips_vanish_after_listing: bool | None = None


ClipStorage = Literal["cloud", "usb"]
