"""Names, paths and URLs of the archive, and unsafe camera names (hypothesis)."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from blink_mqtt.archive import MediaArchive, layout
from blink_mqtt.settings import Settings
from tests.test_archive_support import T0, FakeSource, clip, files, opened

BERLIN = ZoneInfo("Europe/Berlin")
LATE = datetime(2025, 7, 2, 23, 30, tzinfo=UTC)  # 01:30 on 3 July in Berlin


def test_file_names_follow_the_blinkpy_api() -> None:
    assert layout.clip_file_name("Front Door", T0) == "Front Door-2025-07-02t05-36-54-00-00.mp4"
    assert layout.time_slug(T0.astimezone(BERLIN).replace(microsecond=5)) == (
        "2025-07-02t05-36-54-00-00"
    )


def test_sorted_folders_use_the_archive_time_zone_names_stay_utc() -> None:
    name = "Front Door-2025-07-02t23-30-00-00-00.mp4"
    assert layout.clip_path("Front Door", LATE, sort=True, tz=BERLIN) == (
        f"Front Door/2025/07/03/{name}"
    )
    assert layout.clip_path("Front Door", LATE, sort=True, tz=UTC) == (
        f"Front Door/2025/07/02/{name}"
    )
    assert layout.clip_path("Front Door", LATE, sort=False, tz=BERLIN) == f"Front Door/{name}"


async def test_layouts_on_disk(tmp_path: Path) -> None:
    source = FakeSource()
    async with opened(tmp_path, tz=BERLIN) as archive:
        by_date = await archive.download([clip(at=LATE)], source.fetch, sort=True)
        flat = await archive.download([clip("Garage", LATE)], source.fetch, sort=False)
    assert by_date.downloaded == {
        "Front Door": ["media/Front Door/2025/07/03/Front Door-2025-07-02t23-30-00-00-00.mp4"]
    }
    assert flat.downloaded == {"Garage": ["media/Garage/Garage-2025-07-02t23-30-00-00-00.mp4"]}


def test_public_url_quotes_the_path() -> None:
    path = "media/Front Door/a#b?c%d.mp4"
    assert layout.public_url(None, path) is None
    assert layout.public_url("", path) is None
    assert layout.public_url("http://nas:8080/files/", path) == (
        "http://nas:8080/files/media/Front%20Door/a%23b%3Fc%25d.mp4"
    )


async def test_archive_public_url_and_paths_relative_to_the_media_parent(tmp_path: Path) -> None:
    async with opened(tmp_path, public_base_url="https://x.example/m") as archive:
        assert archive.public_path("Cam/f.mp4") == "media/Cam/f.mp4"
        assert archive.public_url("media/Cam A/f.mp4") == "https://x.example/m/media/Cam%20A/f.mp4"


def test_safe_names_are_kept_and_unsafe_ones_marked() -> None:
    assert layout.safe_name("Front Door #2 ☃") == "Front Door #2 ☃"
    for unsafe in ["a/b", "..", ".", "", "   ", ".hidden", "a\0b", "a\nb", "latest", "Latest"]:
        name = layout.safe_name(unsafe)
        assert name != unsafe
        assert len(name.rsplit("~", 1)[1]) == layout.HASH_CHARS
    assert layout.safe_name("a/b") != layout.safe_name("a\\b") != layout.safe_name("a_b")


def _check_component(name: str) -> None:
    assert name not in {"", ".", ".."}
    assert not name.startswith(".")
    assert not any(char in name for char in "/\\\0")
    assert not {unicodedata.category(char) for char in name} & {"Cc", "Cf", "Cs", "Zl", "Zp"}
    assert len(layout.clip_file_name(name, T0).encode()) + len(".part-12345678") + 1 <= 255


@settings(max_examples=300, deadline=None)
@given(
    st.text(min_size=0, max_size=300)
    | st.sampled_from(["..", ".", "/", "../../etc", "\0", "\ud800", "🐈" * 100])
)
def test_any_camera_name_stays_one_visible_component(camera: str) -> None:
    name = layout.safe_name(camera)
    _check_component(name)
    with tempfile.TemporaryDirectory() as root:
        media = Path(root, "media")
        media.mkdir()
        target = media / layout.clip_path(camera, T0, sort=True, tz=UTC)
        target.parent.mkdir(parents=True)
        target.write_bytes(b"")
        snapshot = media / layout.snapshot_path(camera, "last_snap.jpg")
        snapshot.write_bytes(b"")
        assert Path(os.path.realpath(target)).is_relative_to(media)
        assert Path(os.path.realpath(snapshot)).parent == media / name
        assert os.listdir(root) == ["media"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_different_names_never_share_a_folder(first: str, second: str) -> None:
    if first != second:
        assert layout.safe_name(first) != layout.safe_name(second)


async def test_hostile_names_end_to_end(tmp_path: Path) -> None:
    hostile = ["../../escape", "/etc/passwd", "..", "a\\..\\b", "x\0y", "é" * 200, "latest"]
    source = FakeSource()
    async with opened(tmp_path) as archive:
        result = await archive.download([clip(name) for name in hostile], source.fetch)
        for name in hostile:
            await archive.save_snapshot(name, b"\xff\xd8\xff\xe0 jpeg \xff\xd9")
    assert result.failed == []
    assert sorted(result.downloaded) == sorted(hostile)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "media"]
    folders = [path.name for path in (tmp_path / "media").iterdir()]
    assert len(folders) == len(hostile) + 1  # and latest/
    assert len(files(tmp_path / "media")) == 3 * len(hostile)  # clip, snapshot, latest/ link


async def test_from_settings(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        media_dir=tmp_path / "m",
        data_dir=tmp_path / "d",
        tz="Europe/Berlin",
    )
    archive = MediaArchive.from_settings(settings)
    assert archive.config.tz == BERLIN
    assert archive.config.media_dir == tmp_path / "m"
    assert (archive.config.recents_total, archive.config.last_image_filename) == (
        20,
        "last_snap.jpg",
    )
    async with archive:
        assert archive.public_path("Cam/x.mp4") == "m/Cam/x.mp4"
    assert (tmp_path / "d" / "archive.sqlite3").is_file()
