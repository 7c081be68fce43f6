"""The door into the dispatcher that every HTTP route uses, and what the server may ask
of the running bridge (implemented by the Service)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from blink_mqtt import strictjson
from blink_mqtt.messages import RawRequest, read

if TYPE_CHECKING:
    from blink_mqtt.archive import MediaArchive
    from blink_mqtt.dispatch import Answer
    from blink_mqtt.http.activity import Activity
    from blink_mqtt.http.metrics import Metrics
    from blink_mqtt.replies import HealthReply
    from blink_mqtt.settings import Settings
    from blink_mqtt.state import AccountState, AuthStatus

Door = Callable[[str, "dict[str, Any] | None"], Awaitable["Answer"]]
"""`await door(command, body)`: run `command` with the request payload `body` (a JSON
object's fields; None for an empty payload) through the same command table, checks and
in-flight accounting as an MQTT request; the answer is the same envelope MQTT gets."""


class Bridge(Protocol):
    """What the HTTP server may ask of the running bridge."""

    settings: Settings
    archive: MediaArchive
    metrics: Metrics
    activity: Activity

    async def call(self, command: str, raw: RawRequest) -> Answer:
        """Run one request (as MQTT requests are run) and return its answer."""

    def health(self) -> HealthReply: ...

    def camera_image(self, serial: str) -> bytes | None:
        """The newest picture of a camera the bridge holds (what its image topic carries)."""

    def account_state(self) -> AccountState: ...

    @property
    def auth_status(self) -> AuthStatus: ...


def payload_of(body: dict[str, Any] | None) -> RawRequest:
    """A request body as MQTT would have read it from the same JSON payload."""
    return read(b"" if body is None else strictjson.dumps(body))


def door_of(bridge: Bridge) -> Door:
    async def run(command: str, body: dict[str, Any] | None) -> Answer:
        return await bridge.call(command, payload_of(body))

    return run
