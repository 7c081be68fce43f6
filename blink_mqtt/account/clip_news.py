"""What a poll learns from one account-wide media listing: motion, doorbell presses and
each camera's newest clip, without reading a clip.

blinkpy's own refresh lists the media once per sync module (and per standalone Mini or
doorbell) and then reads the newest clip of each camera with motion into memory
(`BlinkCamera.update_images`). A poll here asks once for the items Blink changed since
the previous poll (`media/changed`, pages of 25) and reads only the listing.

An item is news for its camera when it was recorded after the newest item the polls have
seen of that camera (seeded at login from one listing of the last 30 days; a camera with
no item then counts from the login on). So an item listed again (watched, changed) never
counts twice, and a clip uploaded late counts as long as nothing newer of its camera was
seen. What an item means follows its Blink `source` (a recorded answer: `"type": "video",
"source": "pir"`, media `.../clip/<id>.mp4`, MattTW/BlinkMonitorProtocol):

* `liveview`: the user's own live view, saved; not motion (home-assistant/core#120383);
* `button_press`: a doorbell press; not motion;
* anything else (`pir`, `cv_motion`, none given): motion.

Snapshot items (`"type": "photo"`, or media that is a `.jpg`: media.is_mp4_clip) are not
clips: a poll ignores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from blink_mqtt.clipref import ClipRef

LIVEVIEW = "liveview"
BUTTON_PRESS = "button_press"
NOT_MOTION = frozenset({LIVEVIEW, BUTTON_PRESS})


@dataclass(frozen=True, slots=True)
class CameraNews:
    """What one poll saw of one camera: its newest motion clip and doorbell press."""

    motion_at: datetime | None = None
    pressed_at: datetime | None = None


def news(
    clips: Iterable[ClipRef], known: Mapping[str, datetime], floor: datetime
) -> tuple[dict[str, CameraNews], dict[str, datetime]]:
    """Per camera, what is new among `clips` (recorded after `known[camera]`, or after
    `floor` for a camera with nothing known), and the newest time now known per camera."""
    motion: dict[str, datetime] = {}
    pressed: dict[str, datetime] = {}
    newest = dict(known)
    for clip in clips:
        if clip.recorded_at <= known.get(clip.camera, floor):
            continue
        if clip.trigger not in NOT_MOTION:
            keep_newest(motion, clip)
        elif clip.trigger == BUTTON_PRESS:
            keep_newest(pressed, clip)
        keep_newest(newest, clip)
    cameras = motion.keys() | pressed.keys()
    return {c: CameraNews(motion.get(c), pressed.get(c)) for c in cameras}, newest


def keep_newest(times: dict[str, datetime], clip: ClipRef) -> None:
    known = times.get(clip.camera)
    if known is None or clip.recorded_at > known:
        times[clip.camera] = clip.recorded_at
