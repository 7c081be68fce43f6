"""ffprobe for the live-view tests: what a player sees in an MPEG-TS byte string.

The tests need Debian's ffmpeg (`.ci/run` installs it); without it they fail with a
message saying so, never skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


def ffprobe() -> str:
    found = shutil.which("ffprobe")
    if found is None:
        raise AssertionError(
            "ffprobe is missing: the live-view tests need ffmpeg (apt-get install -y ffmpeg; "
            ".ci/run installs it)"
        )
    return found


@dataclass(frozen=True, slots=True)
class Probe:
    codecs: list[str]
    times: list[float]
    """Presentation times of the video packets, in stream order."""

    @property
    def duration(self) -> float:
        return self.times[-1] - self.times[0] if self.times else 0.0

    @property
    def increasing(self) -> bool:
        return all(b > a for a, b in zip(self.times, self.times[1:], strict=False))


def probe(source: str | Path, *extra: str) -> Probe:
    """ffprobe a file or URL: the codecs of its streams and its video packets' times."""
    out = subprocess.run(
        [
            ffprobe(),
            "-v",
            "error",
            *extra,
            "-show_entries",
            "stream=codec_name,codec_type:packet=pts_time,stream_index",
            "-of",
            "json",
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = json.loads(out.stdout)
    streams = data.get("streams", [])
    video = {i for i, s in enumerate(streams) if s.get("codec_type") == "video"}
    times = [
        float(p["pts_time"])
        for p in data.get("packets", [])
        if p.get("stream_index") in video and "pts_time" in p
    ]
    return Probe([s.get("codec_name", "") for s in streams], times)


def probe_bytes(data: bytes, folder: Path) -> Probe:
    path = folder / "stream.ts"
    path.write_bytes(data)
    return probe(path)


def decode_errors(data: bytes, folder: Path) -> str:
    """What ffmpeg says when decoding the stream (empty: every frame decoded)."""
    path = folder / "decode.ts"
    path.write_bytes(data)
    ffmpeg = ffprobe().removesuffix("ffprobe") + "ffmpeg"
    out = subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(path), "-f", "null", "-"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stderr.strip()
