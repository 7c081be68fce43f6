"""BlinkAccount: the only code that imports blinkpy (login, state, commands, clips)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from blinkpy.auth import UnauthorizedError
from blinkpy.blinkpy import Blink

from blink_mqtt.account import actions, media, view
from blink_mqtt.account.actions import SnapOutcome
from blink_mqtt.account.core import AuthListener
from blink_mqtt.account.doorway import Doorway
from blink_mqtt.clipref import ClipRef
from blink_mqtt.errors import (
    BlinkBusy,
    BlinkMqttError,
    BlinkUnavailable,
    UnknownCamera,
    UnknownSyncModule,
)
from blink_mqtt.state import CameraState, SyncState

__all__ = ["AuthListener", "BlinkAccount", "SnapOutcome"]

log = logging.getLogger(__name__)
T = TypeVar("T", CameraState, SyncState)
R = TypeVar("R")


def _find(items: tuple[T, ...], ref: str, what: str, error: type[BlinkMqttError]) -> T:
    """The item named `ref` by name (any case), slug or serial; else `error` listing names."""
    wanted = ref.strip().lower()
    for item in items:
        if wanted in (item.name.lower(), item.slug, item.serial.lower()):
            return item
    known = ", ".join(item.name for item in items) or "none"
    raise error(f"No {what} named {ref!r}; known: {known}")


class BlinkAccount(Doorway):
    """Commands on cameras and sync modules, named by name, slug or serial."""

    def camera(self, ref: str) -> CameraState:
        return _find(self.state().cameras, ref, "camera", UnknownCamera)

    def sync_module(self, ref: str) -> SyncState:
        return _find(self.state().syncs, ref, "sync module", UnknownSyncModule)

    def _device(self, blink: Any, state: CameraState) -> view.BlinkDevice:
        for device in view.devices(blink):
            if view.serial_of(device) == state.serial:
                return device
        raise UnknownCamera(f"Camera {state.name!r} is no longer on the account")

    def _sync(self, blink: Any, state: SyncState) -> Any:
        for sync in blink.sync.values():
            if not view.is_standalone(sync) and str(sync.serial or sync.network_id) == state.serial:
                return sync
        raise UnknownSyncModule(f"Sync module {state.name!r} is no longer on the account")

    def image(self, serial: str) -> bytes | None:
        """The newest thumbnail blinkpy holds for a camera."""
        if self._blink is None:
            return None
        for device in view.devices(self._blink):
            if view.serial_of(device) == serial:
                image = device.camera.image_from_cache
                return bytes(image) if image else None
        return None

    async def _command(
        self, what: str, network: int | None, body: Callable[[Blink], Awaitable[R]]
    ) -> R:
        """A command on one network; sent again after BUSY_WAITS while Blink answers that
        the network is busy (the network is free for other commands meanwhile)."""
        for pause in (*actions.BUSY_WAITS, None):
            try:
                return await self.call(what, body, network=network)
            except BlinkBusy as err:
                if pause is None:
                    tries = len(actions.BUSY_WAITS) + 1
                    raise BlinkBusy(f"{err.message} ({tries} tries); retry later") from None
                log.info("%s; trying again in %.0f s", err.message, pause)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    async def snap(self, camera: CameraState) -> SnapOutcome:
        return await self._command(
            f"{camera.name}: snapshot",
            camera.network_id,
            lambda blink: actions.snap(blink, self._device(blink, camera)),
        )

    async def record(self, camera: CameraState) -> None:
        await self._command(
            f"{camera.name}: record",
            camera.network_id,
            lambda blink: actions.record(blink, self._device(blink, camera)),
        )

    async def set_motion_detection(self, camera: CameraState, enabled: bool) -> bool:
        return await self._command(
            f"{camera.name}: motion detection",
            camera.network_id,
            lambda blink: actions.set_motion_detection(blink, self._device(blink, camera), enabled),
        )

    async def set_armed(self, sync: SyncState, armed: bool) -> bool:
        return await self._command(
            f"{sync.name}: arm",
            sync.network_id,
            lambda blink: actions.set_armed(blink, self._sync(blink, sync), armed),
        )

    async def cloud_clips(self, since: datetime, *, strict: bool = True) -> list[ClipRef]:
        found = await self.call(
            "list cloud clips", lambda blink: media.cloud_clips(blink, since, strict=strict)
        )
        self.note_clips(found)
        return found

    async def usb_clips(self, sync: SyncState, since: datetime | None) -> list[ClipRef]:
        """One manifest request, then bounded waits for it that let other calls through."""
        what = f"{sync.name}: list USB clips"

        async def request(blink: Blink) -> tuple[Any, object]:
            module = self._sync(blink, sync)
            return module, await media.request_manifest(blink, module)

        module, request_id = await self._command(what, sync.network_id, request)

        async def fetch(blink: Blink) -> list[ClipRef] | None:
            manifest = await media.fetch_manifest(blink, module, request_id)
            if manifest is None:
                return None
            return media.manifest_clips(blink, module, manifest, since)

        for pause in (*media.MANIFEST_WAITS, None):
            found = await self.call(what, fetch, network=sync.network_id)
            if found is not None:
                return found
            if pause is None:
                break
            await asyncio.sleep(pause)
        raise BlinkUnavailable(f"{sync.name}: the USB manifest was not ready in time")

    @asynccontextmanager
    async def open_clip(self, clip: ClipRef) -> AsyncIterator[media.HttpClipBody]:
        """Stream one clip. Only the token check and USB upload hold the blinkpy lock; a
        clip Blink answers 401 costs one token refresh (shared) and one more try."""
        usb, what = clip.source.is_usb, f"{clip.camera}: download"
        url, used, headers = await self.call(
            what, lambda blink: _clip_source(blink, clip, usb), network=self._network_of(clip)
        )
        stall = self.settings.download_timeout
        try:
            response = await media.get_clip(self.session, url, headers, usb, stall)
        except UnauthorizedError:
            headers = await self.call(what, lambda blink: self._renewed(blink, used, what))
            try:
                response = await media.get_clip(self.session, url, headers, usb, stall)
            except UnauthorizedError:
                raise BlinkUnavailable(
                    f"{what}: Blink rejected it again after a token refresh"
                ) from None
        try:
            yield media.HttpClipBody(response)
        finally:
            response.release()

    def _network_of(self, clip: ClipRef) -> int | None:
        """The network of a USB clip's sync module (its upload is a command there)."""
        name = clip.source.sync_module
        if name is None:
            return None
        for sync in self.state().syncs:
            if sync.name == name:
                return sync.network_id
        return None

    async def _renewed(self, blink: Blink, used: str | None, what: str) -> dict[str, str]:
        await self._renew(blink, used, what)
        return dict(blink.auth.header)


async def _clip_source(
    blink: Blink, clip: ClipRef, usb: bool
) -> tuple[str, str | None, dict[str, str]]:
    """The clip's URL, and a token not about to expire with its headers (a USB clip is
    uploaded first)."""
    if blink.auth.need_refresh():
        await blink.auth.refresh_tokens(refresh=True)
    if usb:
        await media.prepare_usb_clip(blink, clip)
    return blink.urls.base_url + clip.key, blink.auth.token, dict(blink.auth.header)
