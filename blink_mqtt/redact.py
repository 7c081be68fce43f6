"""Keeps passwords and tokens out of every log line, ours and blinkpy's.

The account registers each secret it learns (password, access and refresh tokens);
`RedactingFilter`, installed on the root handlers by `__main__`, replaces them with
`***` in the formatted message of every record before any handler writes it.
"""

from __future__ import annotations

import logging
import threading

MIN_SECRET = 6
_lock = threading.Lock()
_secrets: set[str] = set()


def register(*values: str | None) -> None:
    """Remember secrets to hide; short or empty values are ignored (they'd mask noise)."""
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= MIN_SECRET)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with every registered secret masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(handler: logging.Handler) -> None:
    handler.addFilter(RedactingFilter())
