"""A frozen, JSON-ready view of the simulated devices, for test assertions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from blink_mqtt.simulator.model import World


@dataclass(frozen=True, slots=True)
class NetworkState:
    id: int
    name: str
    armed: bool
    sync_module_id: int | None
    sync_module_online: bool | None
    local_storage: bool


@dataclass(frozen=True, slots=True)
class SimCameraState:
    id: int
    name: str
    network_id: int
    type: str
    kind: str
    enabled: bool
    thumbnail_ts: int
    snapshots: int
    cloud_clips: int
    usb_clips: int


@dataclass(frozen=True, slots=True)
class SimSnapshot:
    networks: tuple[NetworkState, ...]
    cameras: tuple[SimCameraState, ...]

    def camera(self, ref: int | str) -> SimCameraState:
        return next(c for c in self.cameras if ref in (c.id, c.name))

    def network(self, ref: int | str) -> NetworkState:
        return next(n for n in self.networks if ref in (n.id, n.name))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def build_snapshot(world: World) -> SimSnapshot:
    networks = tuple(
        NetworkState(
            id=net.id,
            name=net.name,
            armed=world.network_armed(net),
            sync_module_id=net.sync_module.id if net.sync_module else None,
            sync_module_online=net.sync_module.online if net.sync_module else None,
            local_storage=bool(net.sync_module and net.sync_module.local_storage),
        )
        for net in world.networks.values()
    )
    cloud = [c.camera_id for c in world.cloud.values() if not c.deleted]
    usb = [c.camera_id for c in world.usb.values()]
    cameras = tuple(
        SimCameraState(
            id=cam.id,
            name=cam.name,
            network_id=cam.network_id,
            type=cam.type,
            kind=cam.kind,
            enabled=cam.enabled,
            thumbnail_ts=cam.thumbnail_ts,
            snapshots=cam.snapshots,
            cloud_clips=cloud.count(cam.id),
            usb_clips=usb.count(cam.id),
        )
        for cam in world.cameras.values()
    )
    return SimSnapshot(networks=networks, cameras=cameras)
