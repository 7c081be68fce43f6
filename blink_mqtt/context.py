"""What a request handler gets: the settings, the account, the archive, and the few
things it may ask of the running bridge (the Hub)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from blink_mqtt.account import BlinkAccount
    from blink_mqtt.archive import MediaArchive
    from blink_mqtt.liveview.manager import LiveViews
    from blink_mqtt.messages import RequestId
    from blink_mqtt.replies import Emitted, HealthReply
    from blink_mqtt.settings import Settings
    from blink_mqtt.state import AccountState


class Hub(Protocol):
    """What handlers may ask of the running bridge (implemented by the Service)."""

    liveviews: LiveViews
    """The live-view sessions (blink_mqtt/liveview)."""

    def emit(self, message: Emitted) -> None:
        """Publish an event, an image, progress, or the state that changed."""

    async def poll_now(self) -> AccountState:
        """Poll Blink now (after the poll that may be running) and publish the result."""

    async def logged_in(self) -> None:
        """A login succeeded: publish everything."""

    def health(self) -> HealthReply: ...


@dataclass(frozen=True, slots=True)
class Context:
    settings: Settings
    account: BlinkAccount
    archive: MediaArchive
    hub: Hub
    request_id: RequestId = None
    command: str = ""
