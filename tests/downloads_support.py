"""What the download tests check on disk, on MQTT and in the simulator (no tests here).

The default scenario (blink_mqtt/simulator/SCENARIO.md) has six cloud clips per camera,
recorded these many minutes before the simulator started (USB copies noted):
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from blink_mqtt.mediafile import is_valid_mp4
from blink_mqtt.simulator import Scenario, Simulator
from blink_mqtt.simulator.scenario import ClipSpec
from tests.probe import Probe, Received
from tests.sim_fixtures import scenario

CLOUD_AGES: dict[str, tuple[int, ...]] = {
    "Front Door": (20, 180, 400, 650, 900, 1320),  # USB: 20, 180 (both) and 95 (USB only)
    "Backyard": (45, 230, 470, 700, 990, 1400),  # USB: 45 (both)
    "Garage": (12, 150, 380, 610, 870, 1200),
    "Porch": (8, 130, 360, 590, 840, 1150),  # Cabin: no local storage
    "Kitchen": (33, 200, 430, 680, 950, 1380),  # standalone Mini
}
USB_AGES: dict[str, tuple[int, ...]] = {"Front Door": (20, 95, 180), "Backyard": (45,)}
CAMERAS = tuple(CLOUD_AGES)
DATA_KEYS = {"downloaded_clips", "since", "skipped", "failed", "saved"}
EVERYTHING = "2000-01-01T00:00:00+00:00"
CLIP_ENDPOINTS = ("clip", "local_clip_download")
_FILE = re.compile(r"^(?P<camera>.+)-(?P<at>\d{4}-\d\d-\d\dt\d\d-\d\d-\d\d)-00-00\.mp4$")


def slug(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dt%H-%M-%S") + "-00-00"


def file_name(camera: str, at: datetime) -> str:
    return f"{camera}-{slug(at)}.mp4"


def recorded_at(path: str | Path) -> datetime:
    """The recording time a clip's file name carries (whole UTC seconds)."""
    found = _FILE.match(Path(path).name)
    assert found, f"not a clip file name: {path}"
    return datetime.strptime(found["at"], "%Y-%m-%dt%H-%M-%S").replace(tzinfo=UTC)


def sorted_path(camera: str, at: datetime, day: datetime | None = None) -> str:
    """`media/<Camera>/<YYYY>/<MM>/<DD>/<file>`; `day` is `at` in the archive's TZ."""
    local = day or at.astimezone(UTC)
    return f"media/{camera}/{local:%Y/%m/%d}/{file_name(camera, at)}"


def flat_path(camera: str, at: datetime) -> str:
    return f"media/{camera}/{file_name(camera, at)}"


def ages_since(camera: str, minutes: float, ages: dict[str, tuple[int, ...]] = CLOUD_AGES) -> int:
    """How many of `camera`'s scenario clips are younger than `minutes`."""
    return sum(age < minutes for age in ages[camera])


def paths(data: dict[str, Any], key: str = "downloaded_clips") -> list[str]:
    return sorted(path for found in data[key].values() for path in found)


def archive_files(root: Path) -> list[str]:
    """Every file under `<root>/media` except latest/ and temp files (see `leftovers`),
    as `media/...` paths."""
    media = root / "media"
    return sorted(
        str(p.relative_to(root))
        for p in media.rglob("*")
        if p.is_file() and p.relative_to(media).parts[0] != "latest" and p.name[0] != "."
    )


def leftovers(root: Path) -> list[str]:
    """Temp files and build folders (`.<name>.part-<hex>`) anywhere under `root/media`."""
    return sorted(str(p) for p in (root / "media").rglob(".*.part-*"))


def assert_sound(root: Path, data: dict[str, Any]) -> None:
    """Every reported clip is a valid MP4 on disk; there are no temp files and no clip
    files that no response reported."""
    reported = paths(data) + paths(data, "skipped")
    for path in reported:
        assert is_valid_mp4(root / path), path
    assert leftovers(root) == []
    for path in archive_files(root):
        if path.endswith(".mp4"):
            assert is_valid_mp4(root / path), path


def fetches(sim: Simulator, contains: str | None = None) -> list[str]:
    """Paths of clip downloads (cloud and USB) the simulator served, faulted ones too."""
    return [
        r.path
        for r in sim.request_log()
        if r.endpoint in CLIP_ENDPOINTS and (contains is None or contains in r.path)
    ]


def cloud_clip_path(clip_id: int | None) -> str:
    assert clip_id is not None
    return f"/media/clip/{clip_id}.mp4"


def messages(probe: Probe, topic: str, after: int = 0) -> list[Any]:
    return [m.json() for m in probe.received[after:] if m.topic == topic]


def progress_of(probe: Probe, base: str, command: str, after: int = 0) -> list[Any]:
    return [p for p in messages(probe, f"{base}/bridge/progress", after) if p["command"] == command]


def clip_events(probe: Probe, base: str, after: int = 0) -> list[Any]:
    found: list[Received] = [
        m
        for m in probe.received[after:]
        if m.topic.startswith(f"{base}/camera/") and m.topic.endswith("/event")
    ]
    return [m.json() for m in found if m.json().get("event_type") == "clip_saved"]


def at_age(minutes: float, start: datetime) -> datetime:
    return start - timedelta(minutes=minutes)


def pinned(chosen: Scenario | None = None, start: datetime | None = None) -> Scenario:
    """`chosen` (default: the test scenario) with every clip's age turned into a fixed
    `created_at`, so that simulators started one after another hold the same clips."""
    chosen = chosen if chosen is not None else scenario()
    start = (start or datetime.now(UTC)).replace(microsecond=0)
    return _map_clips(
        chosen,
        lambda clip: (
            clip
            if clip.age_minutes is None
            else clip.model_copy(
                update={"age_minutes": None, "created_at": at_age(clip.age_minutes, start)}
            )
        ),
    )


def _map_clips(chosen: Scenario, change: Callable[[ClipSpec], ClipSpec]) -> Scenario:
    networks = tuple(
        net.model_copy(
            update={
                "cameras": tuple(
                    cam.model_copy(update={"clips": tuple(map(change, cam.clips))})
                    for cam in net.cameras
                )
            }
        )
        for net in chosen.networks
    )
    return chosen.model_copy(update={"networks": networks})


def with_clips(extra: Iterable[tuple[str, ClipSpec]], base: Scenario | None = None) -> Scenario:
    """The default test scenario plus clips for named cameras."""
    chosen = base if base is not None else scenario()
    added: dict[str, list[ClipSpec]] = {}
    for camera, spec in extra:
        added.setdefault(camera, []).append(spec)
    networks = tuple(
        net.model_copy(
            update={
                "cameras": tuple(
                    cam.model_copy(update={"clips": (*cam.clips, *added.get(cam.name, ()))})
                    for cam in net.cameras
                )
            }
        )
        for net in chosen.networks
    )
    return chosen.model_copy(update={"networks": networks})
