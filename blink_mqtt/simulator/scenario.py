"""Scenario files: the account, devices, clips and options a simulator starts from.

The format is documented in ``SCENARIO.md`` next to this module. Scenarios are JSON,
validated with pydantic; ``default_scenario()`` loads the built-in
``default_scenario.json``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Storage = Literal["cloud", "usb", "both"]
BatteryState = Literal["ok", "low"]
CameraStatus = Literal["online", "offline", "done"]
MediaSource = Literal["pir", "cv_motion", "liveview", "button_press"]
MediaKind = Literal["clip", "snapshot"]
ThumbnailForm = Literal["current", "null", "legacy"]
SizeUnit = Literal["bytes", "kb"]
Arm304 = Literal["never", "no_cameras_enabled", "always"]
STANDALONE_TYPES = frozenset({"owl", "lotus"})


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClipSpec(_Spec):
    """One recorded clip: when (relative or absolute), where it is stored, its size."""

    age_minutes: float | None = Field(default=None, ge=0)
    created_at: AwareDatetime | None = None
    storage: Storage = "cloud"
    size: int | None = Field(default=None, ge=0)
    source: MediaSource = "pir"
    kind: MediaKind = "clip"

    @model_validator(mode="after")
    def _one_time(self) -> Self:
        if (self.age_minutes is None) == (self.created_at is None):
            raise ValueError("give exactly one of age_minutes and created_at")
        if self.kind == "snapshot" and self.storage != "cloud":
            raise ValueError("snapshot items live in the cloud only")
        return self


class CameraSpec(_Spec):
    """A camera; ``type`` owl is a Mini, lotus a doorbell, anything else a default camera.

    ``None`` leaves a field out of every answer (real Minis report no battery,
    temperature or Wi-Fi; real doorbells no temperature). ``thumbnail`` is the form of
    the thumbnail field: ``current`` (``/api/v3/...&ext=``), ``null``, or ``legacy``
    (the old ``/media/production/...`` path without extension).
    """

    id: int
    name: str = Field(min_length=1)
    type: str = "catalina"
    serial: str
    fw_version: str
    temperature: int | None = 70
    wifi_strength: int | None = -55
    battery: BatteryState | None = "ok"
    battery_voltage: int | None = 160
    enabled: bool = True
    status: CameraStatus = "online"
    thumbnail: ThumbnailForm = "current"
    clips: tuple[ClipSpec, ...] = ()


class SyncModuleSpec(_Spec):
    id: int
    serial: str
    fw_version: str = "4.4.8"
    online: bool = True
    local_storage: bool = False


class NetworkSpec(_Spec):
    """A network. Without a sync module it holds exactly one standalone Mini or doorbell."""

    id: int
    name: str = Field(min_length=1)
    armed: bool = False
    time_zone: str = "UTC"
    sync_module: SyncModuleSpec | None = None
    cameras: tuple[CameraSpec, ...] = ()

    @model_validator(mode="after")
    def _standalone_shape(self) -> Self:
        if self.sync_module is not None:
            return self
        if len(self.cameras) != 1 or self.cameras[0].type not in STANDALONE_TYPES:
            raise ValueError(f"network {self.id} without a sync module needs one owl/lotus")
        return self


class AccountSpec(_Spec):
    id: int = 1001
    email: str = "demo@example.com"
    password: str = "demo-password"  # noqa: S105 - the documented demo account
    tier: str = Field(default="u011", pattern=r"^[a-z0-9]+$")
    client_id: int = 5001
    user_id: int = 6001


class TwoFactorSpec(_Spec):
    enabled: bool = True
    code: str = "123456"


class OptionsSpec(_Spec):
    """Server behaviour knobs (all can also be changed at run time)."""

    token_expiry_seconds: int = Field(default=14400, ge=1)
    rotate_refresh_tokens: bool = True
    refresh_fail_every: int = Field(default=0, ge=0)
    lockout_after_failures: int = Field(default=0, ge=0)
    lockout_seconds: float = Field(default=3600.0, ge=0)
    lockout_retry_after: bool = False
    command_pending_polls: int = Field(default=1, ge=0)
    one_command_per_network: bool = False
    arm_answer_304: Arm304 = "never"
    record_delay_seconds: float = Field(default=0.0, ge=0)
    default_clip_size: int = Field(default=65536, ge=0)
    manifest_not_ready_polls: int = Field(default=0, ge=0)
    usb_size_unit: SizeUnit = "bytes"
    clips_vanish_after_listing: bool = False


class Scenario(_Spec):
    account: AccountSpec = AccountSpec()
    two_factor: TwoFactorSpec = TwoFactorSpec()
    options: OptionsSpec = OptionsSpec()
    networks: tuple[NetworkSpec, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> Self:
        cameras = [cam for net in self.networks for cam in net.cameras]
        modules = [net.sync_module for net in self.networks if net.sync_module]
        for label, values in (
            ("network id", [net.id for net in self.networks]),
            ("network name", [net.name for net in self.networks]),
            ("camera id", [cam.id for cam in cameras]),
            ("camera name", [cam.name for cam in cameras]),
            ("sync module id", [mod.id for mod in modules]),
        ):
            if len(set(values)) != len(values):
                raise ValueError(f"duplicate {label}")
        return self


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario JSON file."""
    return Scenario.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))


def _packaged(name: str) -> Scenario:
    text = resources.files(__package__).joinpath(name).read_text("utf-8")
    return Scenario.model_validate(json.loads(text))


def default_scenario() -> Scenario:
    """The built-in scenario (``default_scenario.json`` shipped with the package)."""
    return _packaged("default_scenario.json")


def realistic_scenario() -> Scenario:
    """Devices shaped as real accounts record them (``realistic_scenario.json``)."""
    return _packaged("realistic_scenario.json")
