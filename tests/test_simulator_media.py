"""Media bytes: mediafile checks, distinct clips and snapshots, streaming of large clips."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from blink_mqtt.mediafile import is_valid_jpeg, is_valid_mp4, mp4_boxes
from blink_mqtt.simulator import media
from tests.sim_fixtures import REST, access_token, running, scenario

MIB = 1024 * 1024


async def _bytes(body: media.Mp4Body) -> bytes:
    return b"".join([chunk async for chunk in body.chunks()])


def _vm_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_assets_are_valid() -> None:
    assert is_valid_mp4(media.base_mp4())
    assert is_valid_jpeg(media.base_jpeg())
    boxes = mp4_boxes(media.base_mp4())
    assert boxes is not None
    assert boxes[0].type == "ftyp"


@pytest.mark.parametrize("size", [0, 2219, 2230, 2231, 2234, 2236, 2238, 65536, 3 * MIB + 7])
async def test_clip_bodies_have_the_exact_size_and_stay_valid(size: int) -> None:
    body = media.clip_body("clip 90001", size)
    data = await _bytes(body)
    assert len(data) == body.size == max(size, media.min_clip_size("clip 90001"))
    assert is_valid_mp4(data)


async def test_clips_are_distinct_and_snapshots_are_new_jpegs() -> None:
    first = await _bytes(media.clip_body("clip 1", 65536))
    second = await _bytes(media.clip_body("clip 2", 65536))
    assert first != second
    images = {media.snapshot_jpeg(4001, n) for n in range(3)} | {media.snapshot_jpeg(4002, 0)}
    assert len(images) == 4
    assert all(is_valid_jpeg(image) for image in images)


def test_mp4_checks_reject_broken_files(tmp_path: Path) -> None:
    good = media.base_mp4()
    assert not is_valid_mp4(good[:-1])  # sizes no longer add up
    assert not is_valid_mp4(good + b"\x00\x00")
    assert not is_valid_mp4(good[32:])  # first box is not ftyp
    assert not is_valid_mp4(b"")
    without_mdat = good.replace(b"mdat", b"junk")
    assert mp4_boxes(without_mdat) is not None
    assert not is_valid_mp4(without_mdat)
    assert not is_valid_mp4(tmp_path / "missing.mp4")
    assert is_valid_mp4(good + struct.pack(">I4s", 0, b"free") + b"to the end")


def test_mp4_boxes_reads_a_huge_sparse_file_by_headers(tmp_path: Path) -> None:
    path = tmp_path / "huge.mp4"
    pad = 5 * 1024 * MIB  # a 64-bit largesize box
    with path.open("wb") as stream:
        stream.write(media.base_mp4() + struct.pack(">I4sQ", 1, b"free", pad))
        stream.truncate(len(media.base_mp4()) + pad)
    boxes = mp4_boxes(path)
    assert boxes is not None
    assert boxes[-1].size == pad
    assert boxes[-1].header_size == 16
    assert is_valid_mp4(str(path))


def test_jpeg_check() -> None:
    assert is_valid_jpeg(b"\xff\xd8\x00\xff\xd9")
    assert not is_valid_jpeg(b"\xff\xd8\x00")
    assert not is_valid_jpeg(media.base_jpeg()[1:])


async def test_a_300_mib_clip_is_streamed_in_bounded_memory() -> None:
    size = 300 * MIB
    async with running(scenario(twofa=False)) as env:
        token = await access_token(env.session)
        added = env.sim.add_clip("Backyard", size=size)
        url = f"{REST}/api/v2/accounts/1001/media/clip/{added.cloud_id}.mp4"
        rss_before, rss_peak, received = _vm_rss_kib(), 0, 0
        headers = {"Authorization": f"Bearer {token}"}
        async with env.session.get(url, headers=headers) as resp:
            assert resp.content_type == "video/mp4"
            assert resp.content_length == size
            head = await resp.content.readexactly(4096)
            received = len(head)
            async for chunk in resp.content.iter_chunked(MIB):
                received += len(chunk)
                rss_peak = max(rss_peak, _vm_rss_kib())
        assert received == size
        assert head[4:8] == b"ftyp"
        assert (rss_peak - rss_before) * 1024 < 64 * MIB
