"""An endless, real-time MPEG-TS stream made from the shipped sample clip (pure).

``assets/liveview.ts`` is ``assets/clip.mp4`` remuxed once with ffmpeg (see
``tools/make_liveview_ts.sh``), so the simulator needs no ffmpeg at run time. The clip is
1 s long; a live view longer than that loops it, moving every PCR, PTS and DTS forward by
the clip's length on each pass and keeping each PID's continuity counter running, so a
player sees one stream whose timestamps only increase.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

TS_PACKET = 188
SYNC_BYTE = 0x47
CLOCK = 90_000
"""PTS/DTS/PCR-base ticks per second."""
_WRAP = 1 << 33


@dataclass(frozen=True, slots=True)
class Frame:
    """The TS packets from one video PES start up to the next, due at `pts` (ticks)."""

    pts: int
    packets: tuple[bytes, ...]


@functools.cache
def sample_ts() -> bytes:
    return resources.files(__package__).joinpath("assets", "liveview.ts").read_bytes()


def split_packets(data: bytes) -> list[bytes]:
    """The 188-byte packets of `data` (a trailing partial packet is dropped)."""
    count = len(data) // TS_PACKET
    packets = [data[i * TS_PACKET : (i + 1) * TS_PACKET] for i in range(count)]
    return [p for p in packets if p[0] == SYNC_BYTE]


def _payload_start(packet: bytes) -> int:
    control = (packet[3] >> 4) & 3
    return 4 + (1 + packet[4] if control & 2 else 0)


def _read_ts(field: bytes | bytearray) -> int:
    return (
        ((field[0] >> 1) & 7) << 30
        | field[1] << 22
        | (field[2] >> 1) << 15
        | field[3] << 7
        | field[4] >> 1
    )


def _write_ts(prefix: int, value: int) -> bytes:
    return bytes(
        (
            (prefix << 4) | (((value >> 30) & 7) << 1) | 1,
            (value >> 22) & 0xFF,
            (((value >> 15) & 0x7F) << 1) | 1,
            (value >> 7) & 0xFF,
            ((value & 0x7F) << 1) | 1,
        )
    )


def video_pts(packet: bytes) -> int | None:
    """The PTS of a packet that starts a video PES (stream id 0xE0-0xEF), else None."""
    if not packet[1] & 0x40:
        return None
    start = _payload_start(packet)
    pes = packet[start:]
    if len(pes) < 14 or pes[:3] != b"\x00\x00\x01" or not 0xE0 <= pes[3] <= 0xEF:
        return None
    if not pes[7] & 0x80:
        return None
    return _read_ts(pes[9:14])


def shift(packet: bytes, ticks: int, counter: int | None) -> bytes:
    """`packet` with its PCR, PTS and DTS moved `ticks` forward and, when `counter` is
    given, that continuity counter."""
    out = bytearray(packet)
    if counter is not None:
        out[3] = (out[3] & 0xF0) | (counter & 0x0F)
    control = (out[3] >> 4) & 3
    if control & 2 and out[4] >= 7 and out[5] & 0x10:
        base = out[6] << 25 | out[7] << 17 | out[8] << 9 | out[9] << 1 | out[10] >> 7
        base = (base + ticks) % _WRAP
        out[6:10] = (base >> 1).to_bytes(4, "big")
        out[10] = (out[10] & 0x7F) | ((base & 1) << 7)
    if out[1] & 0x40:
        start = _payload_start(packet)
        pes = out[start:]
        if len(pes) >= 14 and pes[:3] == b"\x00\x00\x01" and pes[3] >= 0xBD:
            flags = pes[7] >> 6
            if flags & 2:
                pts = (_read_ts(pes[9:14]) + ticks) % _WRAP
                out[start + 9 : start + 14] = _write_ts(3 if flags == 3 else 2, pts)
            if flags == 3 and len(pes) >= 19:
                dts = (_read_ts(pes[14:19]) + ticks) % _WRAP
                out[start + 14 : start + 19] = _write_ts(1, dts)
    return bytes(out)


def frames(data: bytes) -> tuple[list[Frame], int]:
    """The clip's frames and its length in ticks (last PTS - first PTS + one frame)."""
    found: list[Frame] = []
    pending: list[bytes] = []
    pts: int | None = None
    for packet in split_packets(data):
        starts = video_pts(packet)
        if starts is not None and pts is not None:
            found.append(Frame(pts, tuple(pending)))
            pending = []
        if starts is not None:
            pts = starts
        pending.append(packet)
    if pts is None:
        raise ValueError("no video in the sample stream")
    found.append(Frame(pts, tuple(pending)))
    times = sorted(f.pts for f in found)
    steps = [b - a for a, b in itertools.pairwise(times) if b > a]
    step = min(steps) if steps else CLOCK // 30
    return found, times[-1] - times[0] + step


def stream(data: bytes | None = None) -> Iterator[tuple[float, bytes]]:
    """Endless ``(due_seconds, bytes)`` pairs: one frame's packets, due that many
    seconds after the stream started."""
    clip, length = frames(sample_ts() if data is None else data)
    first = min(f.pts for f in clip)
    counters: dict[int, int] = {}
    loop = 0
    while True:
        offset = loop * length
        for frame in clip:
            out = []
            for packet in frame.packets:
                pid = ((packet[1] & 0x1F) << 8) | packet[2]
                counter = None
                if (packet[3] >> 4) & 1:
                    counter = counters.get(pid, packet[3] & 0x0F if loop == 0 else 0)
                    counters[pid] = (counter + 1) & 0x0F
                out.append(shift(packet, offset, counter))
            yield (frame.pts - first + offset) / CLOCK, b"".join(out)
        loop += 1
