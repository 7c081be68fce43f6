"""What a poll makes of Blink's media listing (clip_news.py, clip_watch.clips_of): the
rules, and any listing Blink might send (hypothesis) read without an exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from blink_mqtt.account.clip_news import CameraNews, news
from blink_mqtt.account.clip_watch import clips_of
from blink_mqtt.account.media import is_mp4_clip
from blink_mqtt.clipref import CLOUD, ClipRef

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def clip(camera: str, minutes: int, trigger: str | None = "pir") -> ClipRef:
    return ClipRef(
        camera, T0 + timedelta(minutes=minutes), CLOUD, f"/c/{minutes}.mp4", None, trigger
    )


def item(**fields: Any) -> dict[str, Any]:
    """A media/changed item as recorded from the real cloud (MattTW/BlinkMonitorProtocol)."""
    return {
        "id": 1,
        "created_at": "2026-05-01T10:00:00+00:00",
        "deleted": False,
        "device_name": "Front Door",
        "type": "video",
        "source": "pir",
        "media": "/api/v2/accounts/1/media/clip/1.mp4",
        **fields,
    }


def test_motion_press_and_live_view() -> None:
    found, newest = news(
        [
            clip("Front Door", 1, "pir"),
            clip("Front Door", 3, "cv_motion"),
            clip("Front Door", 4, "liveview"),
            clip("Porch", 2, "button_press"),
            clip("Garage", 5, None),
            clip("Backyard", 6, "liveview"),
        ],
        {},
        T0,
    )
    assert found == {
        "Front Door": CameraNews(motion_at=T0 + timedelta(minutes=3)),
        "Porch": CameraNews(pressed_at=T0 + timedelta(minutes=2)),
        "Garage": CameraNews(motion_at=T0 + timedelta(minutes=5)),
    }
    assert newest["Front Door"] == T0 + timedelta(minutes=4)  # a live view is still a clip
    assert newest["Backyard"] == T0 + timedelta(minutes=6)


def test_only_what_is_newer_than_what_was_seen_counts() -> None:
    known = {"Front Door": T0 + timedelta(minutes=5)}
    found, newest = news(
        [clip("Front Door", 5), clip("Front Door", 4), clip("Backyard", 0), clip("Porch", 1)],
        known,
        T0,
    )
    assert found == {"Porch": CameraNews(motion_at=T0 + timedelta(minutes=1))}
    assert newest == {"Front Door": T0 + timedelta(minutes=5), "Porch": T0 + timedelta(minutes=1)}
    # a late upload of an older clip counts while nothing newer of its camera was seen
    found, _ = news([clip("Front Door", 6)], known, T0 + timedelta(hours=1))
    assert found == {"Front Door": CameraNews(motion_at=T0 + timedelta(minutes=6))}


def test_snapshot_items_and_junk_are_not_clips() -> None:
    assert is_mp4_clip(item())
    assert is_mp4_clip(item(media="/api/v2/accounts/1/media/clip/1.MP4?x=1"))
    assert not is_mp4_clip(item(type="photo"))
    assert not is_mp4_clip(item(media="/api/v3/media/accounts/1/networks/2/owl/3/snapshot/9.jpg"))
    assert clips_of([item(media=None)]) == []
    page = [item(), item(type="photo"), item(deleted=True), item(created_at="yesterday"), 7]
    assert [c.trigger for c in clips_of(page)] == ["pir"]
    assert clips_of({"media": []}) == []


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
FIELD_VALUES = {
    "created_at": st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat) | JSON_LEAVES,
    "device_name": st.sampled_from(["Front Door", "Porch", ""]) | JSON_LEAVES,
    "type": st.sampled_from(["video", "photo"]) | JSON_LEAVES,
    "source": st.sampled_from(["pir", "cv_motion", "liveview", "button_press"]) | JSON_LEAVES,
    "media": st.sampled_from(["/m/clip/1.mp4", "/m/snapshot/1.jpg"]) | JSON_LEAVES,
    "deleted": JSON_LEAVES,
}
ITEMS = st.fixed_dictionaries({}, optional=FIELD_VALUES) | JSON_LEAVES


@settings(max_examples=300, deadline=None)
@given(
    st.lists(ITEMS, max_size=12) | JSON_LEAVES,
    st.dictionaries(st.text(max_size=5), st.datetimes(timezones=st.just(UTC)), max_size=3),
)
def test_any_listing_is_read_without_an_exception(page: Any, known: dict[str, datetime]) -> None:
    clips = clips_of(page)
    for ref in clips:
        assert isinstance(ref.key, str)
        assert not ref.key.lower().split("?")[0].endswith((".jpg", ".jpeg", ".png"))
        assert ref.recorded_at.utcoffset() is not None
    found, newest = news(clips, known, T0)
    for camera, seen in found.items():
        for moment in (seen.motion_at, seen.pressed_at):
            assert moment is None or moment > known.get(camera, T0)
    assert all(newest[camera] >= when for camera, when in known.items())
