"""Turns state into MQTT messages: retained states on change, images, events, info."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from blink_mqtt import __version__, discovery, strictjson
from blink_mqtt.bridge import Inbound, Outbound
from blink_mqtt.replies import (
    BridgeConfig,
    BridgeInfo,
    CameraEvent,
    DoorbellEvent,
    MotionEvent,
    Progress,
    TokenRefresh,
)
from blink_mqtt.settings import Settings
from blink_mqtt.state import AccountState, AuthStatus, CameraState, Changes, changes
from blink_mqtt.topics import Topics

log = logging.getLogger(__name__)

SCHEMA = 2
"""Bumped whenever a payload of the contract changes shape (the README's MQTT reference)."""


def blinkpy_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("blinkpy")
    except PackageNotFoundError:
        return "unknown"


class StatePublisher:
    """Remembers what it published and sends only what changed."""

    def __init__(
        self, settings: Settings, topics: Topics, send: Callable[[Outbound], None]
    ) -> None:
        self.settings = settings
        self.topics = topics
        self._send = send
        self.published = AccountState()
        self._token: tuple[datetime | None, TokenRefresh | None] = (None, None)

    def update(
        self,
        new: AccountState,
        image_of: Callable[[str], bytes | None],
        *,
        everything: bool = False,
    ) -> Changes:
        """Publish the difference between the last published account state and `new`
        (`everything`: all of it, discovery included)."""
        diff = changes(AccountState() if everything else self.published, new)
        # events are news: only against what was published, never replayed by `everything`
        news = changes(self.published, new) if everything else diff
        if diff.devices_changed or everything:  # configs first: HA then takes the states
            self.info(new)
            self._discovery(self.published, new)
        for camera in diff.cameras:
            self._retain(self.topics.camera_state(camera.slug), strictjson.dumps(camera.payload()))
        for sync in diff.syncs:
            self._retain(self.topics.sync_state(sync.slug), strictjson.dumps(sync.payload()))
        for camera in diff.thumbnails:
            image = image_of(camera.serial)
            if image:
                self.image(camera, image)
        for camera in news.motion:
            self.event(camera, MotionEvent(camera.name, camera.motion_time))
        for camera in news.doorbell:
            if camera.pressed_at is not None:
                self.event(camera, DoorbellEvent(camera.name, camera.pressed_at))
        self._clear_old_topics(self.published, new)
        self.published = new
        return diff

    def republish(self, new: AccountState, image_of: Callable[[str], bytes | None]) -> None:
        """Send discovery and every state again (start, login, Home Assistant is back)."""
        self.update(new, image_of, everything=True)

    def _discovery(self, old: AccountState, new: AccountState) -> None:
        """Configs for the bridge and every device of `new`; devices that left are cleared."""
        if not self.settings.ha_discovery:
            return
        for topic, payload in discovery.removal_messages(old, new, self.topics):
            self._retain(topic, payload)
        for topic, payload in discovery.lost_entity_messages(old, new, self.topics):
            self._send(Outbound(topic, payload))  # not retained: the outbox keeps it
        for topic, payload in discovery.discovery_messages(new, self.topics):
            self._retain(topic, payload)

    def clear_foreign_discovery(self, message: Inbound) -> None:
        """With HA_DISCOVERY off: clear a retained config a previous run of ours left."""
        if self.settings.ha_discovery or not message.payload:
            return
        try:
            config = strictjson.loads(message.payload.decode("utf-8"))
        except (UnicodeDecodeError, strictjson.Unreadable):
            return  # not ours: ours is always strict JSON
        ours = {"topic": self.topics.bridge_state}
        if isinstance(config, dict) and ours in (config.get("availability") or []):
            log.info("HA_DISCOVERY is off: clearing %s", message.topic)
            self._retain(message.topic, b"")

    def _clear_old_topics(self, old: AccountState, new: AccountState) -> None:
        """Cameras and sync modules that left (or changed slug) lose their retained topics."""
        cam_slugs = {c.slug for c in new.cameras}
        for camera in old.cameras:
            if camera.slug not in cam_slugs:
                self._retain(self.topics.camera_state(camera.slug), b"")
                self._retain(self.topics.camera_image(camera.slug), b"")
        sync_slugs = {s.slug for s in new.syncs}
        for sync in old.syncs:
            if sync.slug not in sync_slugs:
                self._retain(self.topics.sync_state(sync.slug), b"")

    def _retain(self, topic: str, payload: bytes) -> None:
        self._send(Outbound(topic, payload, retain=True))

    def image(self, camera: CameraState, image: bytes) -> None:
        self._retain(self.topics.camera_image(camera.slug), image)

    def event(self, camera: CameraState, event: CameraEvent) -> None:
        self._send(
            Outbound(self.topics.camera_event(camera.slug), strictjson.dumps(event.to_json()))
        )

    def progress(self, progress: Progress) -> None:
        self._send(
            Outbound(self.topics.bridge_progress, strictjson.dumps(progress.to_json()), qos=0)
        )

    def auth(self, status: AuthStatus) -> None:
        self._retain(self.topics.bridge_auth, strictjson.dumps(status.payload()))

    def token(self, expires_at: datetime | None, last: TokenRefresh | None) -> None:
        """The access token's expiry and last refresh changed: `bridge/info` again."""
        self._token = (expires_at, last)
        self.info(self.published)

    def info(self, account: AccountState) -> None:
        s = self.settings
        config = BridgeConfig(
            base_topic=s.mqtt_base_topic,
            mqtt_protocol=s.mqtt_protocol,
            ha_discovery=s.ha_discovery,
            ha_discovery_prefix=s.ha_discovery_prefix,
            refresh_interval=s.refresh_interval,
            media_dir=str(s.media_dir),
            sort_clips=s.sort_clips,
            auto_download=s.auto_download,
            download_concurrency=s.download_concurrency,
            retention_days=s.retention_days,
            simulator=bool(s.blink_simulator_url),
        )
        info = BridgeInfo(
            version=__version__,
            blinkpy_version=blinkpy_version(),
            schema=SCHEMA,
            cameras=[c.name for c in account.cameras],
            sync_modules=[x.name for x in account.syncs],
            config=config,
            token_expires_at=self._token[0],
            last_token_refresh=self._token[1],
        )
        self._retain(self.topics.bridge_info, strictjson.dumps(info.to_json()))
