"""The saved login: read at start, written atomically (mode 0600) after every token change.

blinkpy's own `Blink.save` stores the password in plain text; we never write it. It is
added back from the settings when the file is read.

The file also holds the bridge's `hardware_id`, the device id Blink binds the session
to. blinkpy 0.25.9 (`Auth.__init__`) keeps a saved id that is a UUID and otherwise makes
a new `str(uuid.uuid4()).upper()` for every Auth, i.e. for every login that does not
start from saved tokens: a new device to Blink each time. Since July 2026 Blink's front
end answers 406 to ids that are not UUIDs (home-assistant/core#176836, PR #178396). So
the bridge makes one upper-case UUID, writes it here before the first sign-in and
sends the same one ever after.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NEVER_STORED = ("password",)


def load(path: Path, username: str | None) -> dict[str, Any] | None:
    """The saved login data, or None when absent, unreadable or for another account."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        log.warning("Ignoring unreadable credentials file %s: %s", path, type(err).__name__)
        return None
    if not isinstance(data, dict) or not data.get("refresh_token"):
        if not (isinstance(data, dict) and set(data) == {"hardware_id"}):
            log.warning("Ignoring credentials file %s: it holds no refresh token", path)
        return None
    if username and str(data.get("username", "")).lower() != username.lower():
        log.warning("Ignoring credentials file %s: it belongs to another account", path)
        return None
    return data


def hardware_id(path: Path) -> str:
    """The bridge's device id: the saved one if it is a UUID, else a new upper-case UUID,
    saved at once (in the credentials file; alone when there is no login yet)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    saved = data.get("hardware_id") if isinstance(data, dict) else None
    if is_uuid(saved):
        return str(saved)
    new = str(uuid.uuid4()).upper()
    kept = data if isinstance(data, dict) and data.get("refresh_token") else {}
    try:
        save(path, {**kept, "hardware_id": new})
    except OSError as err:
        log.error("Cannot save the hardware id to %s: %s", path, err.strerror)
    return new


def is_uuid(value: object) -> bool:
    """A UUID in its usual text form (blinkpy's test; Blink accepts either case)."""
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def save(path: Path, login_attributes: dict[str, Any]) -> None:
    """Write the login data without the password: temp file (0600), fsync, rename."""
    data = {k: v for k, v in login_attributes.items() if k not in NEVER_STORED}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
