"""The bridge's exceptions. Each request error carries the stable code of its response.

    BlinkMqttError                  internal_error
    ├── InvalidJson                 invalid_json
    ├── InvalidRequest              invalid_request
    ├── UnknownCommand              unknown_command
    ├── UnknownCamera               unknown_camera
    ├── UnknownSyncModule           unknown_sync_module
    ├── NotAuthenticated            not_authenticated
    ├── BlinkUnavailable            blink_unavailable
    │   └── BlinkBusy               blink_busy
    ├── StorageError                storage_error
    ├── Busy                        busy
    ├── ClipGone                    clip_gone (only in a download's `failed` entries)
    └── LiveViewBudgetSpent         liveview_budget_spent
    ConfigError                     (start-up only: one line, exit status 1)
    UserFacingError                 (command line: one line, exit status 1)

Messages must never contain a password or a token: they are published as-is.
"""

from __future__ import annotations

from typing import ClassVar

ERROR_CODES = (
    "invalid_json",
    "invalid_request",
    "unknown_command",
    "unknown_camera",
    "unknown_sync_module",
    "not_authenticated",
    "blink_unavailable",
    "blink_busy",
    "storage_error",
    "busy",
    "clip_gone",
    "liveview_budget_spent",
    "internal_error",
)


class ConfigError(Exception):
    """Invalid settings; the message is one line naming the variable."""


class UserFacingError(Exception):
    """A command line command cannot go on; the message is the one line the user sees
    (broker unreachable, no terminal to ask on, ...)."""


class BlinkMqttError(Exception):
    """Base of every error answered to a request."""

    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidJson(BlinkMqttError):
    code = "invalid_json"


class InvalidRequest(BlinkMqttError):
    code = "invalid_request"


class UnknownCommand(BlinkMqttError):
    code = "unknown_command"


class UnknownCamera(BlinkMqttError):
    code = "unknown_camera"


class UnknownSyncModule(BlinkMqttError):
    code = "unknown_sync_module"


class NotAuthenticated(BlinkMqttError):
    code = "not_authenticated"


class BlinkUnavailable(BlinkMqttError):
    code = "blink_unavailable"


class BlinkBusy(BlinkUnavailable):
    """Blink kept answering that the network is busy (409) after every try."""

    code = "blink_busy"


class StorageError(BlinkMqttError):
    code = "storage_error"


class Busy(BlinkMqttError):
    code = "busy"


def shutting_down() -> Busy:
    """The answer to a request the bridge can no longer run: it is stopping."""
    return Busy("the bridge is shutting down; retry later")


class ClipGone(BlinkMqttError):
    """Blink listed a clip that it no longer has (deleted or expired since): not retried."""

    code = "clip_gone"


class LiveViewBudgetSpent(BlinkMqttError):
    """The camera's live-view seconds for today (LIVEVIEW_DAILY_SECONDS) are used up."""

    code = "liveview_budget_spent"
