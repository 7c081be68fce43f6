"""Names and paths of the archive (pure).

    <media>/<Camera>/<Camera>-<utc time slug>.mp4                unsorted
    <media>/<Camera>/<YYYY>/<MM>/<DD>/<Camera>-<utc time slug>.mp4  sorted (date in TZ)
    <media>/<Camera>/<LAST_IMAGE_FILENAME>                       snapshot
    <media>/latest/<Camera>-<utc time slug>.mp4                  newest clips

`<Camera>` is the camera name made safe for a file system by `safe_name`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime, tzinfo
from pathlib import PurePosixPath
from urllib.parse import quote

LATEST_DIR = "latest"
CLIP_SUFFIX = ".mp4"
# 255-byte file-name limit minus "-<time slug>.mp4" (30) and the ".<name>.part-xxxxxxxx"
# temp-file decoration (15), with room to spare.
MAX_NAME_BYTES = 200
HASH_CHARS = 8
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_RESERVED = {LATEST_DIR}


def _safe_char(char: str) -> str:
    if char in "/\\" or unicodedata.category(char) in _UNSAFE_CATEGORIES:
        return "_"
    return char


def _truncate_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_name(camera: str) -> str:
    """A single, visible path component for `camera`; unique per distinct name.

    Slashes, backslashes, control and format characters become `_`, a leading dot
    becomes `_` (no hidden, `.` or `..` folders), over-long names are cut. Whenever that
    changed the name (or the name is reserved, like `latest`), `~` and a short hash of
    the original name are appended, so two different names never share a folder.
    """
    cleaned = "".join(_safe_char(char) for char in camera)
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]
    if cleaned.strip() == "":
        cleaned = "_"
    fits = len(cleaned.encode("utf-8")) <= MAX_NAME_BYTES
    if cleaned == camera and fits and camera.casefold() not in _RESERVED:
        return camera
    digest = hashlib.sha256(camera.encode("utf-8", errors="surrogatepass")).hexdigest()
    suffix = "~" + digest[:HASH_CHARS]
    return _truncate_utf8(cleaned, MAX_NAME_BYTES - len(suffix)) + suffix


def time_slug(recorded_at: datetime) -> str:
    """The UTC time the BlinkPy API way: 2025-07-02T05:36:54+00:00 → 2025-07-02t05-36-54-00-00."""
    iso = recorded_at.astimezone(UTC).isoformat(timespec="seconds")
    return re.sub(r"[^a-z0-9]+", "-", iso.lower()).strip("-")


def clip_file_name(camera: str, recorded_at: datetime) -> str:
    return f"{safe_name(camera)}-{time_slug(recorded_at)}{CLIP_SUFFIX}"


def clip_path(camera: str, recorded_at: datetime, *, sort: bool, tz: tzinfo | None) -> str:
    """A clip's path relative to MEDIA_DIR; sorted by its recording date in `tz` (None: local)."""
    folder = PurePosixPath(safe_name(camera))
    if sort:
        local = recorded_at.astimezone(tz)
        folder = folder / f"{local.year:04d}" / f"{local.month:02d}" / f"{local.day:02d}"
    return str(folder / clip_file_name(camera, recorded_at))


def snapshot_path(camera: str, file_name: str) -> str:
    return str(PurePosixPath(safe_name(camera)) / file_name)


def public_path(media_name: str, relative: str) -> str:
    """A MEDIA_DIR-relative path as the API shows it: relative to MEDIA_DIR's parent."""
    return f"{media_name}/{relative}" if media_name else relative


def public_url(base_url: str | None, path: str) -> str | None:
    """`base_url` joined with the URL-quoted `path`; None when there is no base URL."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/{quote(path, safe='/')}"
