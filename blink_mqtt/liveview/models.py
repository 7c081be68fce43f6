"""The live-view requests and what the bridge says about live views (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from pydantic import Field, StrictBool, StrictFloat, StrictInt

from blink_mqtt.messages import Request
from blink_mqtt.replies import Reply


class LiveView(Request):
    """`liveview`: start (or join) a camera's live view; `enabled: false` stops it."""

    main_arg: ClassVar[str | None] = "camera"
    camera: str = Field(min_length=1, max_length=256)
    duration: StrictInt | StrictFloat | None = Field(default=None, gt=0, le=86400)
    enabled: StrictBool = True


class LiveViewStop(Request):
    main_arg: ClassVar[str | None] = "camera"
    camera: str = Field(min_length=1, max_length=256)


@dataclass(frozen=True, slots=True)
class LiveViewReply(Reply):
    """The answer to `liveview` and the retained `<base>/camera/<camera>/liveview`."""

    camera: str
    state: str
    """`on` while a session runs, else `off`."""
    tcp_url: str | None
    rtsp_url: str | None
    started_at: datetime | None
    ends_at: datetime | None
    viewers: int
    seconds_today: float
    seconds_left_today: float
    last_end_reason: str | None


@dataclass(frozen=True, slots=True)
class LiveViewStarted(Reply):
    event_type: ClassVar[str | None] = "liveview_started"
    camera: str
    started_at: datetime
    ends_at: datetime
    tcp_url: str
    rtsp_url: str | None


@dataclass(frozen=True, slots=True)
class LiveViewEnded(Reply):
    event_type: ClassVar[str | None] = "liveview_ended"
    camera: str
    reason: str
    """`stopped`, `time_limit`, `budget`, `no_viewers`, `blink_ended`, `connection_lost`,
    `shutdown`, `error`."""
    seconds: float
    bytes: int
