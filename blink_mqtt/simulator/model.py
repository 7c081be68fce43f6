"""Mutable device state of the simulated account: networks, cameras and clips.

Devices change (arming, enabling, snapshots), so they are plain slotted dataclasses;
clips are frozen values replaced on change.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from blink_mqtt.simulator.scenario import MediaKind, MediaSource, ThumbnailForm

CameraKind = Literal["default", "mini", "doorbell"]
_KIND_BY_TYPE: dict[str, CameraKind] = {"owl": "mini", "lotus": "doorbell"}
FIRST_CLOUD_CLIP_ID = 90001
FIRST_USB_CLIP_ID = 7001


@dataclass(slots=True)
class SyncModule:
    id: int
    network_id: int
    name: str
    serial: str
    fw_version: str
    online: bool
    local_storage: bool


@dataclass(slots=True)
class Network:
    id: int
    name: str
    armed: bool
    sync_module: SyncModule | None
    time_zone: str = "UTC"


@dataclass(slots=True)
class Camera:
    id: int
    name: str
    type: str
    network_id: int
    serial: str
    fw_version: str
    temperature: int | None
    wifi_strength: int | None
    battery: str | None
    battery_voltage: int | None
    enabled: bool
    status: str
    thumbnail_ts: int
    thumbnail_form: ThumbnailForm = "current"
    snapshots: int = 0

    @property
    def kind(self) -> CameraKind:
        return _KIND_BY_TYPE.get(self.type, "default")


@dataclass(frozen=True, slots=True)
class CloudClip:
    """A clip in the cloud; it is listed once ``updated_at`` (upload done) has passed."""

    id: int
    camera_id: int
    created_at: datetime
    updated_at: datetime
    size: int
    deleted: bool = False
    source: MediaSource = "pir"
    kind: MediaKind = "clip"


@dataclass(frozen=True, slots=True)
class UsbClip:
    """A clip on a sync module's USB storage; downloadable once its upload was requested."""

    id: int
    camera_id: int
    created_at: datetime
    size: int
    uploaded: bool = False


@dataclass(slots=True)
class World:
    networks: dict[int, Network] = field(default_factory=dict)
    cameras: dict[int, Camera] = field(default_factory=dict)
    cloud: dict[int, CloudClip] = field(default_factory=dict)
    usb: dict[int, UsbClip] = field(default_factory=dict)
    _cloud_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(FIRST_CLOUD_CLIP_ID)
    )
    _usb_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(FIRST_USB_CLIP_ID)
    )

    def camera(self, ref: int | str) -> Camera:
        """A camera by id or (case-insensitive) name; KeyError if unknown."""
        if isinstance(ref, int) or ref.isdigit():
            return self.cameras[int(ref)]
        for cam in self.cameras.values():
            if cam.name.casefold() == ref.casefold():
                return cam
        raise KeyError(ref)

    def network(self, ref: int | str) -> Network:
        """A network by id or (case-insensitive) name; KeyError if unknown."""
        for net in self.networks.values():
            if str(ref).casefold() in (str(net.id), net.name.casefold()):
                return net
        raise KeyError(ref)

    def sync_module(self, ref: int | str) -> SyncModule:
        """A sync module by id, its network id, or name; KeyError if unknown."""
        for net in self.networks.values():
            mod = net.sync_module
            if mod is not None and str(ref).casefold() in _module_keys(mod):
                return mod
        raise KeyError(ref)

    def remove_camera(self, ref: int | str) -> Camera:
        """Take a camera and its clips off the account; a standalone device takes its
        network along. KeyError if unknown."""
        cam = self.camera(ref)
        del self.cameras[cam.id]
        self._drop_clips({cam.id})
        if self.networks[cam.network_id].sync_module is None:
            del self.networks[cam.network_id]
        return cam

    def remove_sync_module(self, ref: int | str) -> SyncModule:
        """Take a sync module off the account with its network, cameras and clips."""
        module = self.sync_module(ref)
        gone = {cam.id for cam in self.cameras_in(module.network_id)}
        for cam_id in gone:
            del self.cameras[cam_id]
        self._drop_clips(gone)
        del self.networks[module.network_id]
        return module

    def _drop_clips(self, camera_ids: set[int]) -> None:
        self.cloud = {k: c for k, c in self.cloud.items() if c.camera_id not in camera_ids}
        self.usb = {k: c for k, c in self.usb.items() if c.camera_id not in camera_ids}

    def module_of(self, camera: Camera) -> SyncModule | None:
        return self.networks[camera.network_id].sync_module

    def cameras_in(self, network_id: int) -> list[Camera]:
        return [cam for cam in self.cameras.values() if cam.network_id == network_id]

    def standalone_camera(self, network_id: int) -> Camera | None:
        """The Mini/doorbell that is a network of its own, if ``network_id`` is one."""
        net = self.networks.get(network_id)
        if net is None or net.sync_module is not None:
            return None
        return self.cameras_in(network_id)[0]

    def network_armed(self, network: Network) -> bool:
        """Armed state; a standalone device's network is 'armed' when the device is enabled."""
        device = self.standalone_camera(network.id)
        return device.enabled if device is not None else network.armed

    def add_cloud_clip(
        self,
        camera_id: int,
        created_at: datetime,
        size: int,
        visible_at: datetime | None = None,
        *,
        source: MediaSource = "pir",
        kind: MediaKind = "clip",
    ) -> CloudClip:
        """A cloud media item, listed in media/changed from ``visible_at`` (upload done)."""
        clip = CloudClip(
            id=next(self._cloud_ids),
            camera_id=camera_id,
            created_at=created_at,
            updated_at=max(created_at, visible_at or created_at),
            size=size,
            source=source,
            kind=kind,
        )
        self.cloud[clip.id] = clip
        return clip

    def add_usb_clip(self, camera_id: int, created_at: datetime, size: int) -> UsbClip:
        clip = UsbClip(
            id=next(self._usb_ids), camera_id=camera_id, created_at=created_at, size=size
        )
        self.usb[clip.id] = clip
        return clip

    def delete_cloud_clip(self, clip_id: int, now: datetime) -> None:
        clip = self.cloud[clip_id]
        self.cloud[clip_id] = dataclasses.replace(clip, deleted=True, updated_at=now)

    def purge_cloud_clip(self, clip_id: int) -> None:
        """Remove a cloud clip without a trace (retention): no ``deleted`` listing."""
        del self.cloud[clip_id]

    def mark_uploaded(self, clip_id: int) -> None:
        self.usb[clip_id] = dataclasses.replace(self.usb[clip_id], uploaded=True)

    def usb_clips_of(self, module: SyncModule) -> list[UsbClip]:
        return [
            clip
            for clip in self.usb.values()
            if self.cameras[clip.camera_id].network_id == module.network_id
        ]


def _module_keys(module: SyncModule) -> set[str]:
    return {str(module.id), str(module.network_id), module.name.casefold()}
