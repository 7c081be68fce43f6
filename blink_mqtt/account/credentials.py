"""The saved login: read at start, written atomically (mode 0600) after every token change.

blinkpy's own `Blink.save` stores the password in plain text; we never write it. It is
added back from the settings when the file is read.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
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
        log.warning("Ignoring credentials file %s: it holds no refresh token", path)
        return None
    if username and str(data.get("username", "")).lower() != username.lower():
        log.warning("Ignoring credentials file %s: it belongs to another account", path)
        return None
    return data


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
