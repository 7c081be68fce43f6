"""`<media>/latest/` and retention: file-system work, blocking (run it in a thread).

latest/ is rebuilt beside itself as `.latest.part-<hex>` (hard links, or copies where
links are impossible) and swapped in with one atomic exchange of the two folders
(Linux renameat2 RENAME_EXCHANGE), so readers see the old set or the new set, never an
empty or half-built folder. Where the exchange is unavailable the new entries are
renamed in one by one before the stale ones are removed: never empty, briefly a superset.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import shutil
from pathlib import Path, PurePosixPath

from blink_mqtt.archive.layout import LATEST_DIR
from blink_mqtt.archive.writer import fsync_dir, temp_path

log = logging.getLogger(__name__)

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}


def _renameat2() -> ctypes._NamedFuncPointer | None:
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    except (OSError, TypeError):
        return None


_RENAMEAT2 = _renameat2()


def exchange(first: Path, second: Path) -> None:
    """Swap two paths atomically; OSError where the platform cannot."""
    if _RENAMEAT2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    names = (os.fsencode(first), os.fsencode(second))
    if _RENAMEAT2(_AT_FDCWD, names[0], _AT_FDCWD, names[1], _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in _NO_LINK:
            raise
        shutil.copyfile(source, target)
        with target.open("rb+") as copied:
            os.fsync(copied.fileno())


def refresh_latest(media_dir: Path, clips: list[str]) -> None:
    """Make `<media>/latest/` hold exactly `clips` (MEDIA_DIR-relative paths)."""
    latest = media_dir / LATEST_DIR
    wanted = {PurePosixPath(path).name: media_dir / path for path in clips}
    if latest.is_dir() and set(os.listdir(latest)) == set(wanted):
        return
    build = temp_path(latest)
    build.mkdir()
    try:
        for name, source in wanted.items():
            with contextlib.suppress(FileNotFoundError):
                link_or_copy(source, build / name)
        fsync_dir(build)
        _install(build, latest)
        fsync_dir(media_dir)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    log.info("latest/ now holds %d clip(s)", len(wanted))


def _install(build: Path, latest: Path) -> None:
    if not latest.exists() and not latest.is_symlink():
        build.rename(latest)
        return
    try:
        exchange(build, latest)  # `build` now holds the old set, removed by the caller
    except OSError as error:
        log.debug("Atomic exchange of latest/ unavailable (%s); updating in place", error)
        _update_in_place(build, latest)


def _update_in_place(build: Path, latest: Path) -> None:
    wanted = set(os.listdir(build))
    for name in wanted:
        os.replace(build / name, latest / name)
    for name in set(os.listdir(latest)) - wanted:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(latest / name)
    fsync_dir(latest)


def delete_clips(media_dir: Path, paths: list[str]) -> list[str]:
    """Delete clip files and the date folders they leave empty; returns those deleted."""
    deleted = []
    for path in paths:
        try:
            (media_dir / path).unlink(missing_ok=True)
        except OSError as error:
            log.warning("Cannot delete %s: %s", path, error)
            continue
        deleted.append(path)
        for folder in list(PurePosixPath(path).parents)[:-2]:  # keep <media>/<Camera>
            try:
                (media_dir / folder).rmdir()
            except OSError:
                break
    return deleted
