"""Building the device state of a scenario (``build_world``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from blink_mqtt.simulator.model import Camera, Network, SyncModule, World
from blink_mqtt.simulator.scenario import CameraSpec, ClipSpec, NetworkSpec, Scenario


def build_world(scenario: Scenario, now: datetime) -> World:
    """Create the device state of ``scenario``, with relative clip times based on ``now``."""
    world = World()
    ts = int(now.timestamp())
    for net_spec in scenario.networks:
        world.networks[net_spec.id] = _network(net_spec)
        for cam_spec in net_spec.cameras:
            world.cameras[cam_spec.id] = _camera(cam_spec, net_spec.id, ts)
    for net_spec in scenario.networks:
        for cam_spec in net_spec.cameras:
            for clip in cam_spec.clips:
                _add_scenario_clip(world, cam_spec.id, clip, now, scenario)
    return world


def _network(spec: NetworkSpec) -> Network:
    mod = spec.sync_module
    module = None
    if mod is not None:
        module = SyncModule(
            id=mod.id,
            network_id=spec.id,
            name=spec.name,
            serial=mod.serial,
            fw_version=mod.fw_version,
            online=mod.online,
            local_storage=mod.local_storage,
        )
    return Network(
        id=spec.id,
        name=spec.name,
        armed=spec.armed,
        sync_module=module,
        time_zone=spec.time_zone,
    )


def _camera(spec: CameraSpec, network_id: int, thumbnail_ts: int) -> Camera:
    return Camera(
        id=spec.id,
        name=spec.name,
        type=spec.type,
        network_id=network_id,
        serial=spec.serial,
        fw_version=spec.fw_version,
        temperature=spec.temperature,
        wifi_strength=spec.wifi_strength,
        battery=spec.battery,
        battery_voltage=spec.battery_voltage,
        enabled=spec.enabled,
        status=spec.status,
        thumbnail_ts=thumbnail_ts,
        thumbnail_form=spec.thumbnail,
    )


def _add_scenario_clip(
    world: World, camera_id: int, spec: ClipSpec, now: datetime, scenario: Scenario
) -> None:
    if spec.created_at is not None:
        created = spec.created_at
    else:
        created = now - timedelta(minutes=spec.age_minutes or 0)
    created = created.astimezone(UTC).replace(microsecond=0)
    size = scenario.options.default_clip_size if spec.size is None else spec.size
    if spec.storage in ("cloud", "both"):
        world.add_cloud_clip(camera_id, created, size, source=spec.source, kind=spec.kind)
    if spec.storage in ("usb", "both"):
        world.add_usb_clip(camera_id, created, size)
