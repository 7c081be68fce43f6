"""At most once: a request the broker delivers again is answered again, not run again.

A request is recognised by what its client sent: the command, the payload and, under
MQTT v5, the Response Topic and Correlation Data. Only requests that carry an `id` or
Correlation Data are remembered (without either, two identical requests may well be
meant as two). An answer that says "try again" (`busy`, `not_authenticated`,
`blink_unavailable`, `blink_busy`, `storage_error`, `internal_error`) is not
remembered: running such a request again is what its client wants.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

WINDOW = 600.0
"""Seconds a request is remembered (as long as the broker keeps our session)."""
MAX_REMEMBERED = 1_000
RUN_AGAIN = frozenset(
    {
        "busy",
        "not_authenticated",
        "blink_unavailable",
        "blink_busy",
        "storage_error",
        "internal_error",
    }
)

Key = tuple[str, str | None, bytes | None, bytes]
T = TypeVar("T")


def key(
    command: str,
    payload: bytes,
    response_topic: str | None,
    correlation: bytes | None,
    has_id: bool,
) -> Key | None:
    """What identifies a request, or None when it can't be told from a new one."""
    if correlation is None and not has_id:
        return None
    digest = hashlib.blake2b(payload, digest_size=16).digest()
    return (command, response_topic, correlation, digest)


@dataclass
class Seen(Generic[T]):
    """A request seen before: its answer once known, and copies waiting for it."""

    at: float
    answer: bytes | None = None
    waiting: list[T] = field(default_factory=list)


class RecentRequests(Generic[T]):
    """Requests seen in the last WINDOW seconds, with their answers once known."""

    def __init__(self, window: float = WINDOW, limit: int = MAX_REMEMBERED) -> None:
        self._window, self._limit = window, limit
        self._entries: OrderedDict[Key, Seen[T]] = OrderedDict()

    def begin(self, request: Key) -> Seen[T] | None:
        """None for a new request (now remembered as running); else what was seen."""
        self._expire()
        earlier = self._entries.get(request)
        if earlier is None:
            self._entries[request] = Seen(time.monotonic())
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)
        return earlier

    def finish(self, request: Key, answer: bytes, code: str) -> list[T]:
        """Note the answer of a request; returns the copies that arrived meanwhile."""
        entry = self._entries.get(request)
        if entry is None:
            return []
        if code in RUN_AGAIN:
            del self._entries[request]
        else:
            entry.answer = answer
        return entry.waiting

    def _expire(self) -> None:
        cutoff = time.monotonic() - self._window
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if oldest.at >= cutoff:
                break
            self._entries.popitem(last=False)
