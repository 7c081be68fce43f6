"""The running bridge: account + archive + MQTT, one TaskGroup, clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from blink_mqtt import dispatch
from blink_mqtt.account import BlinkAccount
from blink_mqtt.archive import MediaArchive
from blink_mqtt.autodownload import COMMAND as AUTO_DOWNLOAD
from blink_mqtt.autodownload import AutoDownload
from blink_mqtt.bridge import Inbound, MqttBridge, cancel_and_wait
from blink_mqtt.context import Context
from blink_mqtt.entity_commands import translate
from blink_mqtt.errors import BlinkMqttError
from blink_mqtt.http.activity import Activity
from blink_mqtt.http.metrics import Metrics
from blink_mqtt.http.server import HttpServer
from blink_mqtt.intake import Intake
from blink_mqtt.liveview.manager import LiveViews
from blink_mqtt.messages import RawRequest, read
from blink_mqtt.publishing import StatePublisher
from blink_mqtt.replies import (
    CameraImage,
    CameraNews,
    ClipSavedEvent,
    Emitted,
    HealthReply,
    Progress,
    StateChanged,
)
from blink_mqtt.settings import Settings
from blink_mqtt.state import AccountState, AuthStatus
from blink_mqtt.topics import Topics

log = logging.getLogger(__name__)

HA_BIRTH_DELAY = (1.0, 3.0)


class Service:
    """Owns the long-lived tasks: MQTT loop, poller, requests in flight."""

    def __init__(self, settings: Settings, auto_2fa_code: str | None = None) -> None:
        self.settings = settings
        self.topics = Topics(settings.mqtt_base_topic, settings.ha_discovery_prefix)
        self.account = BlinkAccount(settings, on_auth=self._auth_changed)
        self.archive = MediaArchive.from_settings(settings)
        extra = [] if settings.ha_discovery else [self.topics.discovery("+")]
        extra += self.topics.device_commands  # per-device plain-payload command topics
        self.mqtt = MqttBridge(settings, self.topics, self._on_message, self._on_connect, extra)
        self.states = StatePublisher(settings, self.topics, self.mqtt.publish)
        self.liveviews = LiveViews(settings, self.account, self.topics, self.mqtt.publish)
        self._auto_2fa_code = auto_2fa_code
        self._tasks: asyncio.TaskGroup | None = None
        self._started = time.monotonic()
        self._last_refresh: datetime | None = None
        self._poll_lock = asyncio.Lock()
        self._announced = False
        self._auto = AutoDownload(self._auto_context, self._spawn)
        self.states.auth(self.account.status)  # `logging_in` goes out before `online`
        self.metrics = Metrics(self.health)
        self.intake = Intake(
            settings,
            self.topics,
            self.mqtt.publish,
            spawn=self._spawn,
            context=self._context,
            metrics=self.metrics,
            running=lambda: self._tasks is not None,
        )
        self.account.counter.observers.append(self.metrics.blink_request)
        self.activity = Activity()
        self.http = HttpServer(self) if settings.http_port else None
        self.account.keeper.listen(self._token_changed)

    # -- lifecycle ---------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled; on cancellation answer what is in flight and say offline.

        The MQTT loop, the poller and the HTTP server (when HTTP_PORT is set; it is bound
        first, so that a port in use is a start-up error) must run for as long as the
        service does: if one ends (a bug, or anything else but shutdown), `run` raises,
        after `offline` is published, so that the process exits non-zero and a supervisor
        restarts it. The MQTT task sits outside the TaskGroup so that the connection
        outlives the group and can still carry the last answers and `offline`.
        """
        await self.archive.open()
        if self.http is not None:
            try:
                await self.http.start()
            except BaseException:
                self.archive.close()
                raise
        mqtt = asyncio.create_task(self.mqtt.run(), name="mqtt")
        try:
            async with asyncio.TaskGroup() as tasks:
                self._tasks = tasks
                tasks.create_task(_essential("poller", self._poll_loop()), name="poller")
                keeper = self.account.keeper.run(self.account)
                tasks.create_task(_essential("token keeper", keeper), name="token keeper")
                tasks.create_task(_essential("MQTT connection", asyncio.shield(mqtt)))
                if self.http is not None:
                    tasks.create_task(_essential("HTTP server", self.http.serve()), name="http")
                tasks.create_task(_essential("live view", self.liveviews.run()))
        finally:
            self._tasks = None
            self.intake.refuse_unstarted()
            try:
                if self.http is not None:
                    await self.http.stop()
                self.states.auth(AuthStatus("unavailable", "the bridge stopped", _now()))
                await self.mqtt.stop()  # while the connection is still up: flush, `offline`
            finally:
                await cancel_and_wait(mqtt)
                await self.account.close()
                self.archive.close()

    async def _poll_loop(self) -> None:
        await self.account.start(reuse_token=True)
        await self._after_login_attempt()
        while True:
            await asyncio.sleep(self.settings.refresh_interval)
            try:
                await self._poll_once()
            except BlinkMqttError as err:
                log.warning("Poll failed: %s", err.message)
            except Exception:
                log.exception("Poll failed with a bug; the bridge keeps running")

    async def _poll_once(self) -> None:
        await self.account.ensure()
        if self.account.status.state == "ok":
            await self.poll_now()

    async def _after_login_attempt(self) -> None:
        if self.account.status.state == "2fa_required" and self._auto_2fa_code:
            try:
                await self.account.submit_2fa(self._auto_2fa_code)
            except BlinkMqttError as err:  # the poller must outlive a failed demo login
                log.warning("Automatic 2FA failed: %s", err.message)
        if self.account.status.state == "ok":
            await self.logged_in()

    async def _auth_changed(self, status: AuthStatus) -> None:
        self.states.auth(status)

    async def _token_changed(self) -> None:
        """A token refresh (ok or failed): `bridge/info` shows it."""
        self.states.token(self.account.token_expires_at(), self.account.keeper.last)

    async def _on_connect(self) -> None:
        if not self._announced:  # later reconnects resend the retained topics by themselves
            self._announced = True
            self.states.republish(self.account_state(), self.account.image)

    # -- requests ----------------------------------------------------------------

    def _on_message(self, message: Inbound) -> None:
        if message.topic == self.topics.ha_status:
            if message.payload.strip() == b"online":
                self._spawn(self._ha_birth())
            return
        command = self.topics.command_of(message.topic)
        if command is None and (plain := translate(self.topics, message.topic, message.payload)):
            command, message = plain[0], replace(message, payload=plain[1])
        if command is None:
            self.states.clear_foreign_discovery(message)
            return
        if message.retain:  # would run again on every (re)subscription: never a request
            log.warning(
                "Ignoring a retained message on %s: requests must be published without the "
                "retain flag. It stays on the broker (and is ignored at every start) until "
                "it is removed there",
                message.topic,
            )
            return
        self.intake.take(message, command, read(message.payload))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` in the TaskGroup (a bug in it costs that work only); closed unrun when
        the service is not running."""
        if self._tasks is None:
            coro.close()
            return
        self._tasks.create_task(_guarded(coro))

    async def call(self, command: str, raw: RawRequest) -> dispatch.Answer:
        """A request through another door (HTTP): see Intake.call."""
        return await self.intake.call(command, raw)

    async def _ha_birth(self) -> None:
        await asyncio.sleep(random.uniform(*HA_BIRTH_DELAY))
        self.states.republish(self.account_state(), self.account.image)

    # -- the Hub handlers use --------------------------------------------------------

    def account_state(self) -> AccountState:
        """Cameras and sync modules as last polled, with their newest archived clips (the
        state topics and the page show them)."""
        return self.account.state(self.archive.last_clips())

    @property
    def auth_status(self) -> AuthStatus:
        return self.account.status

    def camera_image(self, serial: str) -> bytes | None:
        return self.account.image(serial)

    async def poll_now(self) -> AccountState:
        async with self._poll_lock:
            try:
                await self.account.refresh()
            except Exception:
                self.metrics.poll_done(ok=False)
                raise
            self.metrics.poll_done(ok=True)
            self._last_refresh = datetime.now(UTC)
            state = self.account_state()
            self.states.update(state, self.account.image)
            if self.settings.auto_download:
                self._auto.after_poll()
            return state

    def _context(self, command: str) -> Context:
        return Context(self.settings, self.account, self.archive, self, command=command)

    def _auto_context(self) -> Context:
        return self._context(AUTO_DOWNLOAD)

    async def logged_in(self) -> None:
        """After a successful login: publish everything and note the time."""
        self._last_refresh = datetime.now(UTC)
        self.states.republish(self.account_state(), self.account.image)

    def emit(self, message: Emitted) -> None:
        match message:
            case CameraNews(camera, event):
                self.states.event(camera, event)
                if isinstance(event, ClipSavedEvent):
                    self.metrics.clip_saved(event)
            case CameraImage(camera, image):
                self.states.image(camera, image)
            case Progress():
                self.states.progress(message)
                self.activity.progress(message)
            case StateChanged():
                self.states.update(self.account_state(), self.account.image)

    def health(self) -> HealthReply:
        return HealthReply(
            uptime_s=round(time.monotonic() - self._started, 1),
            mqtt="connected" if self.mqtt.connected else "disconnected",
            auth=self.account.status.state,
            last_refresh=self._last_refresh,
            blink_requests=self.account.counter.count,
            requests_in_flight=self.intake.in_flight,
            token_expires_at=self.account.token_expires_at(),
            last_token_refresh=self.account.keeper.last,
        )


def _now() -> datetime:
    return datetime.now(UTC)


async def _essential(name: str, work: Awaitable[None]) -> None:
    """A task the service can't run without: its end, for any reason, ends the service."""
    await work
    raise ServiceStopped(f"the {name} ended unexpectedly")


async def _guarded(work: Awaitable[None]) -> None:
    """Background work (HA birth, auto-download, a request): a bug costs that work only."""
    try:
        await work
    except Exception:
        log.exception("A background task failed with a bug; the bridge carries on")


class ServiceStopped(RuntimeError):
    """A long-lived task of the service ended."""
