"""Every topic of the MQTT contract, built and parsed in one place (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 64
MAX_TOPIC_BYTES = 65_535


def slugify(name: str) -> str:
    """`Front Door` -> `front_door`: lower case, runs of anything but a-z0-9 become `_`."""
    return _NOT_SLUG.sub("_", name.lower()).strip("_")[:MAX_SLUG].strip("_")


def assign_slugs(devices: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map serial -> slug for (name, serial) pairs; colliding or empty slugs get the serial."""
    pairs = list(devices)
    counts: dict[str, int] = {}
    for name, _ in pairs:
        counts[slugify(name)] = counts.get(slugify(name), 0) + 1
    slugs: dict[str, str] = {}
    for name, serial in pairs:
        slug = slugify(name)
        if not slug or counts[slug] > 1:
            slug = "_".join(part for part in (slug, slugify(serial)) if part) or "device"
        slugs[serial] = slug
    return slugs


@dataclass(frozen=True, slots=True)
class Topics:
    """Topics under one base (default `blink`) and one discovery prefix."""

    base: str = "blink"
    discovery_prefix: str = "homeassistant"

    @property
    def bridge_state(self) -> str:
        return f"{self.base}/bridge/state"

    @property
    def bridge_info(self) -> str:
        return f"{self.base}/bridge/info"

    @property
    def bridge_auth(self) -> str:
        return f"{self.base}/bridge/auth"

    @property
    def bridge_progress(self) -> str:
        return f"{self.base}/bridge/progress"

    @property
    def requests(self) -> str:
        """Filter matching every request topic."""
        return f"{self.base}/request/+"

    def request(self, command: str) -> str:
        return f"{self.base}/request/{command}"

    def response(self, command: str) -> str:
        return f"{self.base}/response/{command}"

    def camera_state(self, slug: str) -> str:
        return f"{self.base}/camera/{slug}/state"

    def camera_image(self, slug: str) -> str:
        return f"{self.base}/camera/{slug}/image"

    def camera_event(self, slug: str) -> str:
        return f"{self.base}/camera/{slug}/event"

    def camera_liveview(self, slug: str) -> str:
        return f"{self.base}/camera/{slug}/liveview"

    def sync_state(self, slug: str) -> str:
        return f"{self.base}/sync/{slug}/state"

    def camera_command(self, slug: str, name: str) -> str:
        """A plain-payload command topic of one camera, e.g. `motion_detection/set`."""
        return f"{self.base}/camera/{slug}/{name}/set"

    def sync_command(self, slug: str, name: str) -> str:
        """A plain-payload command topic of one sync module, e.g. `armed/set`."""
        return f"{self.base}/sync/{slug}/{name}/set"

    @property
    def device_commands(self) -> list[str]:
        """Filters matching every per-device command topic."""
        return [f"{self.base}/camera/+/+/set", f"{self.base}/sync/+/+/set"]

    def device_command_of(self, topic: str) -> tuple[str, str, str] | None:
        """(`camera` or `sync`, slug, name) of a per-device command topic, else None."""
        rest = topic.removeprefix(f"{self.base}/")
        parts = rest.split("/")
        if rest == topic or len(parts) != 4 or parts[3] != "set" or not all(parts):
            return None
        kind, slug, name, _ = parts
        return (kind, slug, name) if kind in ("camera", "sync") else None

    @property
    def ha_status(self) -> str:
        return f"{self.discovery_prefix}/status"

    def discovery(self, object_id: str) -> str:
        return f"{self.discovery_prefix}/device/{object_id}/config"

    def command_of(self, topic: str) -> str | None:
        """The command of a request topic ('' when the topic names none), or None when
        `topic` is not a request topic."""
        prefix = f"{self.base}/request/"
        if not topic.startswith(prefix):
            return None
        command = topic.removeprefix(prefix)
        return command if "/" not in command else None

    def reply_topic_problem(self, topic: str | None) -> str | None:
        """Why a request's v5 Response Topic can't carry its answer, or None when it can."""
        if topic is None:
            return None
        if not topic:
            return "the Response Topic is empty"
        if any(char in topic for char in "+#\0"):
            return "the Response Topic holds a wildcard (+ or #) or NUL; it must be a topic name"
        if len(topic.encode("utf-8", "surrogatepass")) > MAX_TOPIC_BYTES:
            return f"the Response Topic is longer than {MAX_TOPIC_BYTES} bytes"
        if topic.startswith(f"{self.base}/request/"):
            return "the Response Topic is one of the bridge's request topics"
        return None
