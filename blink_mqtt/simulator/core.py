"""``Simulator``: the state of one emulated Blink cloud plus its control operations.

Every control operation is a plain method here, mirrored over HTTP under ``/_sim/``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from blink_mqtt.simulator import control_models as cm
from blink_mqtt.simulator.faults import Fault, FaultKind
from blink_mqtt.simulator.rest_liveview import LiveViewUpdate, apply_update
from blink_mqtt.simulator.scenario import (
    MediaKind,
    MediaSource,
    Scenario,
    Storage,
    default_scenario,
)
from blink_mqtt.simulator.snapshot import SimSnapshot, build_snapshot
from blink_mqtt.simulator.state import Clock, SimState, utc_now
from blink_mqtt.simulator.telemetry import Counters, RequestRecord

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AddedClip:
    cloud_id: int | None
    usb_id: int | None
    created_at: datetime


class Simulator:
    """An emulated Blink cloud; `app.build_app` serves it, the methods steer it in tests."""

    def __init__(self, scenario: Scenario | None = None, *, clock: Clock = utc_now) -> None:
        self.scenario = scenario if scenario is not None else default_scenario()
        self.state = SimState(self.scenario, clock)

    def add_clip(
        self,
        camera: int | str,
        *,
        storage: Storage = "cloud",
        created_at: datetime | None = None,
        age_minutes: float | None = None,
        age_seconds: float | None = None,
        size: int | None = None,
        source: MediaSource = "pir",
        kind: MediaKind = "clip",
        upload_delay_seconds: float = 0.0,
    ) -> AddedClip:
        """A new clip (or snapshot item) for ``camera`` (id or name) in the cloud, on
        USB, or both. ``upload_delay_seconds``: the cloud item is listed only then."""
        req = cm.AddClip(
            camera=camera,
            storage=storage,
            created_at=created_at,
            age_minutes=age_minutes,
            age_seconds=age_seconds,
            size=size,
            source=source,
            kind=kind,
            upload_delay_seconds=upload_delay_seconds,
        )
        return self._add_clip(req)

    def _add_clip(self, req: cm.AddClip) -> AddedClip:
        world, now = self.state.world, self.state.now()
        cam = world.camera(req.camera)
        age = timedelta(minutes=req.age_minutes or 0, seconds=req.age_seconds or 0)
        created = (req.created_at or now - age).replace(microsecond=0)
        size = self.state.options.default_clip_size if req.size is None else req.size
        module = world.module_of(cam)
        if req.storage != "cloud" and (module is None or not module.local_storage):
            raise ValueError(f"camera {cam.name} has no active local storage")
        visible = now + timedelta(seconds=req.upload_delay_seconds)
        cloud = None
        if req.storage != "usb":
            cloud = world.add_cloud_clip(
                cam.id, created, size, visible, source=req.source, kind=req.kind
            )
        usb = world.add_usb_clip(cam.id, created, size) if req.storage != "cloud" else None
        _LOGGER.info("Added %s clip for %s at %s", req.storage, cam.name, created.isoformat())
        return AddedClip(cloud.id if cloud else None, usb.id if usb else None, created)

    def delete_clip(
        self, clip_id: int, storage: cm.ClipStorage = "cloud", *, purge: bool = False
    ) -> None:
        """Delete a cloud clip (listed as ``deleted`` from now on; with ``purge`` gone
        without a trace, as retention does) or remove a USB clip."""
        if storage == "usb":
            del self.state.world.usb[clip_id]
        elif purge:
            self.state.world.purge_cloud_clip(clip_id)
        else:
            self.state.world.delete_cloud_clip(clip_id, self.state.now())

    def set_two_factor(self, *, enabled: bool | None = None, code: str | None = None) -> None:
        req = cm.TwoFactorUpdate(enabled=enabled, code=code)
        if req.enabled is not None:
            self.state.oauth.twofa_enabled = req.enabled
        if req.code is not None:
            self.state.oauth.twofa_code = req.code

    def expire_tokens(self, *, refresh_tokens: bool = False) -> None:
        """Invalidate every access token (and every refresh token if asked)."""
        self.state.oauth.expire(refresh_tokens=refresh_tokens)

    def fail_refreshes(self, count: int = 1) -> None:
        """The next ``count`` refresh grants answer 503; the refresh token stays valid."""
        self.state.limits.pending_refresh_failures = cm.RefreshFailures(count=count).count

    def lock_out(self, seconds: float | None = None) -> None:
        """Lock sign-ins now (429) for ``seconds`` (default: option ``lockout_seconds``)."""
        limits = self.state.limits
        limits.lock(self.state.epoch(), limits.lockout_seconds if seconds is None else seconds)

    def unlock(self) -> None:
        self.state.limits.unlock()

    def set_network_busy(self, network: int | str, busy: bool) -> None:
        """A busy network (id or name) answers every command with 409."""
        net_id = self.state.world.network(network).id
        if busy:
            self.state.busy_networks.add(net_id)
        else:
            self.state.busy_networks.discard(net_id)

    def set_sync_module_online(self, sync_module: int | str, online: bool) -> None:
        """Sync module by id, network id or name."""
        self.state.world.sync_module(sync_module).online = online

    def remove_camera(self, camera: int | str) -> None:
        """The camera (id or name) leaves the account, with its clips."""
        cam = self.state.world.remove_camera(camera)
        _LOGGER.info("Removed camera %s", cam.name)

    def remove_sync_module(self, sync_module: int | str) -> None:
        """The sync module (id, network id or name) leaves the account with its network
        and every camera in it."""
        module = self.state.world.remove_sync_module(sync_module)
        _LOGGER.info("Removed sync module %s", module.name)

    def add_fault(
        self,
        endpoint: str,
        kind: FaultKind,
        *,
        count: int | None = None,
        path_contains: str | None = None,
        seconds: float = 1.0,
    ) -> Fault:
        spec = cm.FaultSpec(
            endpoint=endpoint, kind=kind, count=count, path_contains=path_contains, seconds=seconds
        )
        return self.state.faults.add(**spec.model_dump())

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def faults(self) -> tuple[Fault, ...]:
        return tuple(self.state.faults.faults)

    def set_latency(self, seconds: float) -> None:
        self.state.options.latency_seconds = cm.Latency(seconds=seconds).seconds

    def set_options(self, **changes: Any) -> None:
        """Change run-time options (see ``control_models.OptionsUpdate``)."""
        req = cm.OptionsUpdate.model_validate(changes)
        state = self.state
        for key, value in req.model_dump(exclude_none=True).items():
            target = next(t for t in (state.oauth, state.limits, state.options) if hasattr(t, key))
            setattr(target, key, value)

    def set_liveview(self, **changes: Any) -> None:
        """Live-view switches (``rest_liveview.LiveViewUpdate``; SCENARIO.md "Live view")."""
        apply_update(self.state.liveview.switches, LiveViewUpdate.model_validate(changes))

    def liveview_sessions(self) -> list[dict[str, Any]]:
        """Every live-view session so far: counts of packets each way, why it ended."""
        return [s.summary() for s in self.state.liveview.sessions.values()]

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token this simulator ever issued."""
        return list(self.state.oauth.issued)

    def request_log(self) -> list[RequestRecord]:
        return list(self.state.telemetry.log)

    async def wait_for_request(
        self,
        predicate: Callable[[RequestRecord], bool],
        *,
        after: int = 0,
    ) -> tuple[int, RequestRecord]:
        """The first request log entry from index `after` on that satisfies `predicate`,
        with its index, as soon as it is logged (in-process use: tests that act at a
        given point of a client's conversation with Blink; bound it with asyncio.timeout)."""
        return await self.state.telemetry.wait_for(predicate, after)

    def counters(self) -> Counters:
        return self.state.telemetry.counters()

    def reset_telemetry(self) -> None:
        """Clear the request log and all counters."""
        self.state.telemetry.reset()

    def snapshot(self) -> SimSnapshot:
        return build_snapshot(self.state.world)
